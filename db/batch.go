package db

import (
	"context"
	"database/sql"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// Writers that apply many rows of a plan in one statement each, so that a
// document of 500 lines costs what one of a single line does: the rows
// travel column by column as arrays and unnest(…) turns them back into rows.
// Decimals travel as text and are cast to numeric.

// decimalArray is one decimal column of rows, as a text[] parameter.
func decimalArray[T any](rows []T, pick func(T) decimal.Decimal) any {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = pick(r).String()
	}
	return pq.Array(out)
}

// textArray is one text column of rows, as a text[] parameter.
func textArray[T any](rows []T, pick func(T) string) any {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = pick(r)
	}
	return pq.Array(out)
}

// idArray is one id column of rows, as a bigint[] parameter.
func idArray[T any](rows []T, pick func(T) int64) any { return pq.Array(ids(rows, pick)) }

func ids[T any](rows []T, pick func(T) int64) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = pick(r)
	}
	return out
}

// moveStocks applies moves in their order, each as moveStock would, in four
// statements whatever their number: the levels are locked in one (by
// product, the lock order), each move is checked by sales.PlanStockMove
// against the level as the moves before it left it, then the levels and the
// ledger rows are written in one statement each. Moves of several
// warehouses (none of today's plans) go one by one.
func moveStocks(ctx context.Context, tx *Tx, moves []StockMove) error {
	if len(moves) == 0 {
		return nil
	}
	for _, m := range moves[1:] {
		if m.WarehouseID != moves[0].WarehouseID {
			for _, m := range moves {
				if _, err := moveStock(ctx, tx, m); err != nil {
					return err
				}
			}
			return nil
		}
	}
	warehouseID := moves[0].WarehouseID
	locked, err := lockLevels(ctx, tx, warehouseID, ids(moves, func(m StockMove) int64 { return m.ProductID }))
	if err != nil {
		return err
	}
	levels := make(map[int64]sales.StockLevel, len(locked))
	for _, l := range locked {
		levels[l.ProductID] = *l
	}
	afters := make([]sales.StockLevel, len(moves))
	for i, m := range moves {
		after, err := sales.PlanStockMove(levels[m.ProductID], m.OnHand, m.Reserved, m.Field)
		if err != nil {
			return err
		}
		levels[m.ProductID], afters[i] = after, after
	}
	final := make([]sales.StockLevel, 0, len(levels))
	for _, l := range locked {
		final = append(final, levels[l.ProductID])
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stock_levels s SET on_hand = v.on_hand, reserved = v.reserved, updated_at = $2
		FROM unnest($3::bigint[], $4::numeric[], $5::numeric[]) AS v(product_id, on_hand, reserved)
		WHERE s.warehouse_id = $1 AND s.product_id = v.product_id`, warehouseID, tx.Now,
		idArray(final, func(l sales.StockLevel) int64 { return l.ProductID }),
		decimalArray(final, func(l sales.StockLevel) decimal.Decimal { return l.OnHand }),
		decimalArray(final, func(l sales.StockLevel) decimal.Decimal { return l.Reserved })); err != nil {
		return err
	}
	kinds, reasons, references := make([]string, len(moves)), make([]string, len(moves)), make([]string, len(moves))
	orders, actors := make([]sql.NullInt64, len(moves)), make([]sql.NullInt64, len(moves))
	for i, m := range moves {
		kinds[i], reasons[i], references[i] = string(m.Kind), m.Reason, m.Reference
		if m.OrderID != nil {
			orders[i] = sql.NullInt64{Int64: *m.OrderID, Valid: true}
		}
		if m.ActorID != nil {
			actors[i] = sql.NullInt64{Int64: *m.ActorID, Valid: true}
		}
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO stock_movements (warehouse_id, occurred_at, product_id, kind, quantity, on_hand_after, reserved_change, reserved_after,
			order_id, reason, reference, actor_id)
		SELECT $1, $2, m.product_id, m.kind, m.quantity, m.on_hand_after, m.reserved_change, m.reserved_after,
			m.order_id, m.reason, m.reference, m.actor_id
		FROM unnest($3::bigint[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[],
			$9::bigint[], $10::text[], $11::text[], $12::bigint[]) WITH ORDINALITY
			AS m(product_id, kind, quantity, on_hand_after, reserved_change, reserved_after, order_id, reason, reference, actor_id, n)
		ORDER BY m.n`,
		warehouseID, tx.Now, idArray(moves, func(m StockMove) int64 { return m.ProductID }), pq.Array(kinds),
		decimalArray(moves, func(m StockMove) decimal.Decimal { return m.OnHand }),
		decimalArray(afters, func(l sales.StockLevel) decimal.Decimal { return l.OnHand }),
		decimalArray(moves, func(m StockMove) decimal.Decimal { return m.Reserved }),
		decimalArray(afters, func(l sales.StockLevel) decimal.Decimal { return l.Reserved }),
		pq.Array(orders), pq.Array(reasons), pq.Array(references), pq.Array(actors))
	return err
}

// writeLineChanges adds a plan's quantity changes to its order lines, in
// one statement.
func writeLineChanges(ctx context.Context, tx *Tx, changes []sales.LineQuantityChange) error {
	if len(changes) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE order_lines l SET reserved_quantity = l.reserved_quantity + c.reserved,
			delivered_quantity = l.delivered_quantity + c.delivered, returned_quantity = l.returned_quantity + c.returned
		FROM (SELECT id, sum(reserved) AS reserved, sum(delivered) AS delivered, sum(returned) AS returned
			FROM unnest($1::bigint[], $2::numeric[], $3::numeric[], $4::numeric[]) AS u(id, reserved, delivered, returned)
			GROUP BY id) c
		WHERE l.id = c.id`,
		idArray(changes, func(c sales.LineQuantityChange) int64 { return c.OrderLineID }),
		decimalArray(changes, func(c sales.LineQuantityChange) decimal.Decimal { return c.Reserved }),
		decimalArray(changes, func(c sales.LineQuantityChange) decimal.Decimal { return c.Delivered }),
		decimalArray(changes, func(c sales.LineQuantityChange) decimal.Decimal { return c.Returned }))
	return err
}
