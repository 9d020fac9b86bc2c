package db

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// ReturnStore persists customer returns (RMAs).
type ReturnStore struct{ db *DB }

const (
	returnColumns     = `id, number, order_id, delivery_id, status, reason, warehouse_id, received_date, created_by, version, created_at, updated_at`
	returnLineColumns = `id, return_id, order_line_id, quantity, reason`
)

// ByIDs returns the returns with these IDs, in any order.
func (s *ReturnStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Return, err error) {
	defer wrap(&err, "Returns.ByIDs")
	return byIDs[sales.Return](ctx, s.db, `SELECT `+returnColumns+` FROM returns WHERE id = ANY($1)`, ids)
}

// ByOrderIDs returns the returns of these orders, oldest first.
func (s *ReturnStore) ByOrderIDs(ctx context.Context, ids []int64) (_ []*sales.Return, err error) {
	defer wrap(&err, "Returns.ByOrderIDs")
	return byIDs[sales.Return](ctx, s.db, `SELECT `+returnColumns+` FROM returns WHERE order_id = ANY($1) ORDER BY order_id, id`, ids)
}

// ByDeliveryIDs returns the returns raised against these deliveries.
func (s *ReturnStore) ByDeliveryIDs(ctx context.Context, ids []int64) (_ []*sales.Return, err error) {
	defer wrap(&err, "Returns.ByDeliveryIDs")
	return byIDs[sales.Return](ctx, s.db, `SELECT `+returnColumns+` FROM returns WHERE delivery_id = ANY($1) ORDER BY delivery_id, id`, ids)
}

// LinesByReturnIDs returns the lines of these returns.
func (s *ReturnStore) LinesByReturnIDs(ctx context.Context, ids []int64) (_ []*sales.ReturnLine, err error) {
	defer wrap(&err, "Returns.LinesByReturnIDs")
	return byIDs[sales.ReturnLine](ctx, s.db, `SELECT `+returnLineColumns+` FROM return_lines WHERE return_id = ANY($1) ORDER BY return_id, id`, ids)
}

// LinesByOrderLineIDs returns the return lines of these order lines.
func (s *ReturnStore) LinesByOrderLineIDs(ctx context.Context, ids []int64) (_ []*sales.ReturnLine, err error) {
	defer wrap(&err, "Returns.LinesByOrderLineIDs")
	return byIDs[sales.ReturnLine](ctx, s.db, `SELECT `+returnLineColumns+` FROM return_lines WHERE order_line_id = ANY($1) ORDER BY order_line_id, id`, ids)
}

// LinesByIDs returns return lines by ID.
func (s *ReturnStore) LinesByIDs(ctx context.Context, ids []int64) (_ []*sales.ReturnLine, err error) {
	defer wrap(&err, "Returns.LinesByIDs")
	return byIDs[sales.ReturnLine](ctx, s.db, `SELECT `+returnLineColumns+` FROM return_lines WHERE id = ANY($1)`, ids)
}

var returnKeys = &keyset[sales.Return]{
	list: "returns",
	sorts: map[string]sortKey[sales.Return]{
		"NUMBER":     textKey("number", "%s", func(r *sales.Return) string { return r.Number }),
		"CREATED_AT": stampKey("created_at", func(r *sales.Return) time.Time { return r.CreatedAt }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(r *sales.Return) []int64 { return []int64{r.ID} },
}

// List returns a page of returns and, when page.Count asks, the total (else -1); newest first by default.
func (s *ReturnStore) List(ctx context.Context, f sales.ReturnFilter, sort Sort, page Page) (_ Window[sales.Return], err error) {
	defer wrap(&err, "Returns.List")
	var w where
	anyOf(&w, "status", f.Statuses)
	if f.OrderID != nil {
		w.add("order_id = ?", *f.OrderID)
	}
	if f.CustomerID != nil {
		w.add("order_id IN (SELECT id FROM sales_orders WHERE customer_id = ?)", *f.CustomerID)
	}
	for _, rep := range []*int64{f.SalesRepID, f.OwnerID} {
		if rep != nil {
			w.add("order_id IN (SELECT o.id FROM sales_orders o JOIN customers c ON c.id = o.customer_id WHERE c.sales_rep_id = ?)", *rep)
		}
	}
	if f.Number != nil {
		w.add("number = ?", strings.ToUpper(strings.TrimSpace(*f.Number)))
	}
	if f.From != nil {
		w.add("created_at >= ?::date", f.From.Format(time.DateOnly))
	}
	if f.To != nil {
		w.add("created_at < ?::date + 1", f.To.Format(time.DateOnly))
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+returnColumns, `FROM returns`, &w, returnKeys, sort, page)
}

// Create requests a return of delivered goods. Returns NOT_FOUND,
// VALIDATION (more than delivered and not yet returned), IDEMPOTENCY_KEY_REUSED.
func (s *ReturnStore) Create(ctx context.Context, actor *sales.User, in sales.NewReturn, key *string) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Create")
	in.Reason = strings.TrimSpace(in.Reason)
	var p sales.Problems
	p.Check(in.Reason != "", "input.reason", "say why the goods come back")
	sales.CheckText(&p, "input.reason", in.Reason, 0, 1000)
	p.Check(len(in.Lines) > 0, "input.lines", "a return needs at least one line")
	for i, l := range in.Lines {
		sales.CheckQuantity(&p, fmt.Sprintf("input.lines.%d.quantity", i), l.Quantity)
		sales.CheckText(&p, fmt.Sprintf("input.lines.%d.reason", i), l.Reason, 0, 500)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createReturn", key, in, func(tx *Tx) (int64, error) {
		o, err := lockOrder(ctx, tx, actor, in.OrderID, unversioned, "input.orderId")
		if err != nil {
			return 0, err
		}
		if err := checkReturnLimit(ctx, tx, o.ID); err != nil {
			return 0, err
		}
		lines, err := lockOrderLines(ctx, tx, o.ID)
		if err != nil {
			return 0, err
		}
		if in.DeliveryID != nil {
			var status string
			err := tx.GetContext(ctx, &status, `SELECT status FROM deliveries WHERE id = $1 AND order_id = $2`, *in.DeliveryID, o.ID)
			if err != nil {
				return 0, notFound(err, "input.deliveryId", "delivery of this order")
			}
			if status != string(sales.DeliveryShipped) && status != string(sales.DeliveryDelivered) {
				return 0, sales.Errorf(sales.CodeValidation, "input.deliveryId", "delivery is %s: nothing of it can come back", status)
			}
			var onDelivery []int64
			if err := tx.SelectContext(ctx, &onDelivery, `SELECT order_line_id FROM delivery_lines WHERE delivery_id = $1`, *in.DeliveryID); err != nil {
				return 0, err
			}
			for i, l := range in.Lines {
				if !slices.Contains(onDelivery, l.OrderLineID) {
					return 0, sales.Errorf(sales.CodeValidation, fmt.Sprintf("input.lines.%d.orderLineId", i), "that line was not on the delivery")
				}
			}
		}
		return insertReturn(ctx, tx, actor.ID, o, lines, in, sales.ReturnRequested, func(i int, sub string) string {
			return fmt.Sprintf("input.lines.%d.%s", i, sub)
		})
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

// insertReturn writes a return in status after checking each line against
// what was delivered and is not yet returned or on another open return.
// fieldOf names the input field of line i's part sub ("orderLineId", "quantity").
func insertReturn(ctx context.Context, tx *Tx, actorID int64, o *sales.SalesOrder, lines []*sales.OrderLine, in sales.NewReturn,
	status sales.ReturnStatus, fieldOf func(i int, sub string) string) (int64, error) {
	var open []struct {
		OrderLineID int64           `db:"order_line_id"`
		Quantity    decimal.Decimal `db:"quantity"`
	}
	if err := tx.SelectContext(ctx, &open, `SELECT l.order_line_id, sum(l.quantity) AS quantity
		FROM return_lines l JOIN returns r ON r.id = l.return_id
		WHERE r.order_id = $1 AND r.status IN ('REQUESTED', 'APPROVED') GROUP BY l.order_line_id`, o.ID); err != nil {
		return 0, err
	}
	can := map[int64]decimal.Decimal{}
	for _, l := range lines {
		can[l.ID] = l.DeliveredQuantity.Sub(l.ReturnedQuantity)
	}
	for _, x := range open {
		can[x.OrderLineID] = can[x.OrderLineID].Sub(x.Quantity)
	}
	seen := map[int64]bool{}
	for i, l := range in.Lines {
		avail, ok := can[l.OrderLineID]
		if !ok {
			return 0, sales.Errorf(sales.CodeValidation, fieldOf(i, "orderLineId"), "that line is not on order %s", o.Number)
		}
		if seen[l.OrderLineID] {
			return 0, sales.Errorf(sales.CodeValidation, fieldOf(i, "orderLineId"), "each order line may appear once")
		}
		seen[l.OrderLineID] = true
		if l.Quantity.GreaterThan(avail) {
			return 0, sales.Errorf(sales.CodeValidation, fieldOf(i, "quantity"),
				"more than was delivered and not yet returned: %s can come back on this line", decimal.Max(avail, decimal.Zero))
		}
	}
	number, err := nextNumber(ctx, tx, prefixReturn)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO returns (number, order_id, delivery_id, status, reason, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, number, o.ID, in.DeliveryID, string(status), in.Reason, actorID, tx.Now); err != nil {
		return 0, err
	}
	for _, l := range in.Lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO return_lines (return_id, order_line_id, quantity, reason) VALUES ($1, $2, $3, $4)`,
			id, l.OrderLineID, l.Quantity, strings.TrimSpace(l.Reason)); err != nil {
			return 0, err
		}
	}
	return id, recordEvent(ctx, tx, sales.DocReturn, id, "CREATE", nil, string(status), in.Reason, &actorID)
}

func (s *ReturnStore) byID(ctx context.Context, id int64) (*sales.Return, error) {
	var r sales.Return
	if err := s.db.GetContext(ctx, &r, `SELECT `+returnColumns+` FROM returns WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "return")
	}
	return &r, nil
}

// lockReturn locks a return's order and lines, then the return (the lock order).
func lockReturn(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Return, *sales.SalesOrder, []*sales.OrderLine, error) {
	o, lines, err := lockOrderOf(ctx, tx, actor, "returns", id, "return")
	if err != nil {
		return nil, nil, nil, err
	}
	var r sales.Return
	if err := tx.GetContext(ctx, &r, `SELECT `+returnColumns+` FROM returns WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, nil, err
	}
	return &r, o, lines, checkVersion("return", r.Version, version)
}

func (s *ReturnStore) transition(ctx context.Context, actor *sales.User, id int64, version int, action sales.ReturnAction, reason string,
	then func(tx *Tx, r *sales.Return, o *sales.SalesOrder, lines []*sales.OrderLine) error) (*sales.Return, error) {
	err := s.db.Transact(ctx, func(tx *Tx) error {
		r, o, lines, err := lockReturn(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		next, err := sales.NextReturnStatus(r.Status, action)
		if err != nil {
			return err
		}
		if then != nil {
			if err := then(tx, r, o, lines); err != nil {
				return err
			}
		}
		from := string(r.Status)
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1`,
			id, string(next), tx.Now); err != nil {
			return err
		}
		return recordEvent(ctx, tx, sales.DocReturn, id, string(action), &from, string(next), reason, &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Approve approves a requested return. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION.
func (s *ReturnStore) Approve(ctx context.Context, actor *sales.User, id int64, version int) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Approve(%d)", id)
	return s.transition(ctx, actor, id, version, sales.ReturnApprove, "", nil)
}

// Reject rejects a requested return. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION (reason).
func (s *ReturnStore) Reject(ctx context.Context, actor *sales.User, id int64, version int, reason string) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Reject(%d)", id)
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	return s.transition(ctx, actor, id, version, sales.ReturnReject, strings.TrimSpace(reason), nil)
}

// Receive restocks an approved return into a warehouse (RETURN ledger rows)
// and raises the order lines' returned quantities. Returns NOT_FOUND,
// CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *ReturnStore) Receive(ctx context.Context, actor *sales.User, id int64, version int, warehouseID int64, date *time.Time) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Receive(%d)", id)
	return s.transition(ctx, actor, id, version, sales.ReturnReceive, "", func(tx *Tx, r *sales.Return, o *sales.SalesOrder, lines []*sales.OrderLine) error {
		var active bool
		if err := tx.GetContext(ctx, &active, `SELECT active FROM warehouses WHERE id = $1`, warehouseID); err != nil || !active {
			if err != nil && !isNoRows(err) {
				return err
			}
			return sales.Errorf(sales.CodeNotFound, "input.warehouseId", "warehouse not found")
		}
		var rlines []*sales.ReturnLine
		if err := tx.SelectContext(ctx, &rlines, `SELECT `+returnLineColumns+` FROM return_lines WHERE return_id = $1`, id); err != nil {
			return err
		}
		byID := map[int64]*sales.OrderLine{}
		for _, l := range lines {
			byID[l.ID] = l
		}
		// Stock levels are locked by product (the lock order), so two receipts never deadlock.
		sort.Slice(rlines, func(i, j int) bool {
			return byID[rlines[i].OrderLineID].ProductID < byID[rlines[j].OrderLineID].ProductID
		})
		for _, rl := range rlines {
			ol := byID[rl.OrderLineID]
			if ol.ReturnedQuantity.Add(rl.Quantity).GreaterThan(ol.DeliveredQuantity) {
				return sales.Errorf(sales.CodeValidation, "id", "line %d of order %s: %s delivered, %s already returned; %s more cannot come back",
					ol.LineNo, o.Number, ol.DeliveredQuantity, ol.ReturnedQuantity, rl.Quantity)
			}
			ol.ReturnedQuantity = ol.ReturnedQuantity.Add(rl.Quantity)
			if _, err := moveStock(ctx, tx, StockMove{ProductID: ol.ProductID, WarehouseID: warehouseID, OnHand: rl.Quantity,
				Kind: sales.MovementReturn, Reference: r.Number, ActorID: &actor.ID, OrderID: &o.ID, Field: "id"}); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET returned_quantity = returned_quantity + $2 WHERE id = $1`, ol.ID, rl.Quantity); err != nil {
				return err
			}
		}
		day := tx.Now
		if date != nil {
			day = *date
		}
		_, err := tx.ExecContext(ctx, `UPDATE returns SET warehouse_id = $2, received_date = $3 WHERE id = $1`, id, warehouseID, day)
		return err
	})
}
