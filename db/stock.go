package db

import (
	"context"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// StockStore persists stock levels and the stock movement ledger. Every
// change to on-hand stock goes through moveStock, which writes the ledger row
// in the same transaction.
type StockStore struct{ db *DB }

const (
	levelColumns    = `product_id, warehouse_id, on_hand, reserved, updated_at`
	movementColumns = `id, product_id, warehouse_id, kind, quantity, on_hand_after, reserved_change, reserved_after, order_id, reason, reference, actor_id, occurred_at`
)

// Level returns one stock level. Returns NOT_FOUND.
func (s *StockStore) Level(ctx context.Context, productID, warehouseID int64) (_ *sales.StockLevel, err error) {
	defer wrap(&err, "Stock.Level(%d, %d)", productID, warehouseID)
	var l sales.StockLevel
	err = s.db.GetContext(ctx, &l, `SELECT `+levelColumns+` FROM stock_levels WHERE product_id = $1 AND warehouse_id = $2`, productID, warehouseID)
	if err != nil {
		return nil, notFound(err, "id", "stock level")
	}
	return &l, nil
}

// MovementsByIDs returns ledger rows by ID, in any order.
func (s *StockStore) MovementsByIDs(ctx context.Context, ids []int64) (_ []*sales.StockMovement, err error) {
	defer wrap(&err, "Stock.MovementsByIDs")
	return byIDs[sales.StockMovement](ctx, s.db, `SELECT `+movementColumns+` FROM stock_movements WHERE id = ANY($1)`, ids)
}

// Stock levels have no id: their key is (product_id, warehouse_id).
var levelKeys = &keyset[sales.StockLevel]{
	list: "stockLevels",
	sorts: map[string]sortKey[sales.StockLevel]{
		"PRODUCT":    intKey("product_id", func(r *sales.StockLevel) int64 { return r.ProductID }),
		"AVAILABLE":  numberKey("(on_hand - reserved)", func(r *sales.StockLevel) decimal.Decimal { return r.OnHand.Sub(r.Reserved) }),
		"UPDATED_AT": stampKey("updated_at", func(r *sales.StockLevel) time.Time { return r.UpdatedAt }),
	},
	fallback: "PRODUCT",
	key:      []string{"product_id", "warehouse_id"},
	keyOf:    func(r *sales.StockLevel) []int64 { return []int64{r.ProductID, r.WarehouseID} },
}

var movementKeys = &keyset[sales.StockMovement]{
	list:     "stockMovements",
	sorts:    map[string]sortKey[sales.StockMovement]{"OCCURRED_AT": stampKey("occurred_at", func(r *sales.StockMovement) time.Time { return r.OccurredAt })},
	fallback: "OCCURRED_AT",
	key:      []string{"id"},
	keyOf:    func(r *sales.StockMovement) []int64 { return []int64{r.ID} },
}

// Levels returns a page of stock levels and, when page.Count asks, the total (else -1).
func (s *StockStore) Levels(ctx context.Context, f sales.StockLevelFilter, sort Sort, page Page) (_ Window[sales.StockLevel], err error) {
	defer wrap(&err, "Stock.Levels")
	var w where
	if f.ProductID != nil {
		w.add("product_id = ?", *f.ProductID)
	}
	if f.WarehouseID != nil {
		w.add("warehouse_id = ?", *f.WarehouseID)
	}
	if f.AvailableAtMost != nil {
		w.add("on_hand - reserved <= ?", *f.AvailableAtMost)
	}
	return listPage(ctx, s.db, `SELECT `+levelColumns, `FROM stock_levels`, &w, levelKeys, sort, page)
}

// Movements returns a page of the stock ledger and, when page.Count asks, the total (else -1).
func (s *StockStore) Movements(ctx context.Context, f sales.StockMovementFilter, sort Sort, page Page) (_ Window[sales.StockMovement], err error) {
	defer wrap(&err, "Stock.Movements")
	var w where
	if f.ProductID != nil {
		w.add("product_id = ?", *f.ProductID)
	}
	if f.WarehouseID != nil {
		w.add("warehouse_id = ?", *f.WarehouseID)
	}
	if f.Kind != nil {
		w.add("kind = ?", string(*f.Kind))
	}
	if f.From != nil {
		w.add("occurred_at >= ?", *f.From)
	}
	if f.To != nil {
		w.add("occurred_at < ?", *f.To)
	}
	return listPage(ctx, s.db, `SELECT `+movementColumns, `FROM stock_movements`, &w, movementKeys, sort, page)
}

// StockChange is a request to move stock: a receipt or an adjustment.
type StockChange struct {
	ProductID   int64
	WarehouseID int64
	Quantity    decimal.Decimal // signed
	Reason      string
	Reference   string
}

// Receive books goods in. Returns VALIDATION, NOT_FOUND (product or
// warehouse), IDEMPOTENCY_KEY_REUSED.
func (s *StockStore) Receive(ctx context.Context, actor *sales.User, in StockChange, key *string) (_ *sales.StockMovement, err error) {
	defer wrap(&err, "Stock.Receive")
	if err := sales.CheckStockReceipt(in.Quantity, in.Reference); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, "receiveStock", sales.MovementReceipt, in, key)
}

// Adjust corrects on-hand stock by a signed quantity, with a reason.
// Returns VALIDATION, NOT_FOUND, INSUFFICIENT_STOCK (below zero or below
// what is reserved), IDEMPOTENCY_KEY_REUSED.
func (s *StockStore) Adjust(ctx context.Context, actor *sales.User, in StockChange, key *string) (_ *sales.StockMovement, err error) {
	defer wrap(&err, "Stock.Adjust")
	if in.Reason, err = sales.CheckStockAdjustment(in.Quantity, in.Reason); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, "adjustStock", sales.MovementAdjustment, in, key)
}

func (s *StockStore) change(ctx context.Context, actor *sales.User, mutation string, kind sales.StockMovementKind, in StockChange, key *string) (*sales.StockMovement, error) {
	id, err := s.db.createOnce(ctx, actor, mutation, key, in, func(tx *Tx) (int64, error) {
		// Stock coming in first serves backordered order lines, oldest first.
		var waiting []sales.WaitingLine
		if in.Quantity.IsPositive() {
			var err error
			if waiting, err = lockBackorders(ctx, tx, in.ProductID, in.WarehouseID); err != nil {
				return 0, err
			}
		}
		id, err := moveStock(ctx, tx, StockMove{ProductID: in.ProductID, WarehouseID: in.WarehouseID, OnHand: in.Quantity,
			Kind: kind, Reason: in.Reason, Reference: in.Reference, ActorID: &actor.ID, Field: "input.quantity"})
		if err != nil {
			return 0, err
		}
		return id, allocateBackorders(ctx, tx, in.ProductID, in.WarehouseID, waiting, actor.ID)
	})
	if err != nil {
		return nil, err
	}
	var m sales.StockMovement
	if err := s.db.GetContext(ctx, &m, `SELECT `+movementColumns+` FROM stock_movements WHERE id = $1`, id); err != nil {
		return nil, err
	}
	return &m, nil
}

// StockMove is one change to a stock level: to on hand, to reserved, or both.
type StockMove struct {
	ProductID, WarehouseID int64
	OnHand                 decimal.Decimal // change to on hand, signed
	Reserved               decimal.Decimal // change to reserved, signed
	Kind                   sales.StockMovementKind
	Reason, Reference      string
	ActorID                *int64
	OrderID                *int64
	Field                  string // the input field an INSUFFICIENT_STOCK error names
}

// moveStock applies m to its stock level and writes the ledger row, inside
// tx, returning the row's ID. The level row is locked first, so concurrent
// moves of one product in one warehouse queue up rather than both reading
// the same balance. Whether the move may happen is sales.PlanStockMove's
// decision (INSUFFICIENT_STOCK below zero or below what is reserved).
func moveStock(ctx context.Context, tx *Tx, m StockMove) (int64, error) {
	level, err := lockLevel(ctx, tx, m.ProductID, m.WarehouseID)
	if err != nil {
		return 0, err
	}
	after, err := sales.PlanStockMove(*level, m.OnHand, m.Reserved, m.Field)
	if err != nil {
		return 0, err
	}
	onHand, reserved := after.OnHand, after.Reserved
	if _, err := tx.ExecContext(ctx, `UPDATE stock_levels SET on_hand = $3, reserved = $4, updated_at = $5
		WHERE product_id = $1 AND warehouse_id = $2`, m.ProductID, m.WarehouseID, onHand, reserved, tx.Now); err != nil {
		return 0, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO stock_movements (product_id, warehouse_id, kind, quantity, on_hand_after, reserved_change, reserved_after,
			order_id, reason, reference, actor_id, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		m.ProductID, m.WarehouseID, string(m.Kind), m.OnHand, onHand, m.Reserved, reserved,
		m.OrderID, m.Reason, m.Reference, m.ActorID, tx.Now)
	return id, err
}

// lockLevel returns a stock level locked FOR UPDATE, creating an empty one
// first if the product was never held in the warehouse.
func lockLevel(ctx context.Context, tx *Tx, productID, warehouseID int64) (*sales.StockLevel, error) {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO stock_levels (product_id, warehouse_id, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (product_id, warehouse_id) DO NOTHING`, productID, warehouseID, tx.Now); err != nil {
		return nil, err
	}
	var level sales.StockLevel
	err := tx.GetContext(ctx, &level, `SELECT `+levelColumns+` FROM stock_levels
		WHERE product_id = $1 AND warehouse_id = $2 FOR UPDATE`, productID, warehouseID)
	return &level, err
}

// lockLevels locks the stock levels of products in a warehouse FOR UPDATE,
// by product id (the lock order), creating empty ones for products never
// held there, and returns them by product id.
func lockLevels(ctx context.Context, tx *Tx, warehouseID int64, productIDs []int64) ([]*sales.StockLevel, error) {
	ids := append([]int64(nil), productIDs...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO stock_levels (product_id, warehouse_id, updated_at) SELECT unnest($1::bigint[]), $2, $3
		ON CONFLICT (product_id, warehouse_id) DO NOTHING`, pqArray(ids), warehouseID, tx.Now); err != nil {
		return nil, err
	}
	var levels []*sales.StockLevel
	err := tx.SelectContext(ctx, &levels, `SELECT `+levelColumns+` FROM stock_levels
		WHERE warehouse_id = $1 AND product_id = ANY($2) ORDER BY product_id FOR UPDATE`, warehouseID, pqArray(ids))
	return levels, err
}
