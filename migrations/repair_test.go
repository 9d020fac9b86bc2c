package migrations_test

import (
	"testing"

	"salesgraph/migrations"
)

// TestRepairReleasesStuckReservations builds the state the receipt race
// used to leave behind (a cancelled order whose lines still hold reserved
// units), then applies 0006 and checks that the units are released through
// the ledger and that every stock level's ledger adds up again.
func TestRepairReleasesStuckReservations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sqlDB, _ := demoDatabase(t)
	// Undo 0006 (and what follows it) so that applying it again runs the repair on data.
	downTo(t, sqlDB, 5)

	var orderID int64
	var reservedOnOrder, reservedTotalBefore float64
	if err := sqlDB.QueryRowContext(ctx, `
		SELECT o.id, sum(l.reserved_quantity)::float8 FROM sales_orders o JOIN order_lines l ON l.order_id = o.id
		 WHERE o.status = 'CONFIRMED' GROUP BY o.id HAVING sum(l.reserved_quantity) > 0 ORDER BY o.id LIMIT 1`).Scan(&orderID, &reservedOnOrder); err != nil {
		t.Fatalf("the demo has no confirmed order with reserved stock: %v", err)
	}
	if err := sqlDB.QueryRowContext(ctx, `SELECT sum(reserved)::float8 FROM stock_levels`).Scan(&reservedTotalBefore); err != nil {
		t.Fatal(err)
	}
	// What the race left: the order cancelled, its reservation kept.
	if _, err := sqlDB.ExecContext(ctx, `UPDATE sales_orders SET status = 'CANCELLED' WHERE id = $1`, orderID); err != nil {
		t.Fatal(err)
	}

	if err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatalf("Up 0006 on stuck data: %v", err)
	}

	var stuckLines int
	var reservedTotalAfter, released float64
	_ = sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM order_lines l JOIN sales_orders o ON o.id = l.order_id
		WHERE o.status IN ('CANCELLED','CLOSED') AND l.reserved_quantity > 0`).Scan(&stuckLines)
	_ = sqlDB.QueryRowContext(ctx, `SELECT sum(reserved)::float8 FROM stock_levels`).Scan(&reservedTotalAfter)
	_ = sqlDB.QueryRowContext(ctx, `SELECT coalesce(-sum(reserved_change), 0)::float8 FROM stock_movements
		WHERE order_id = $1 AND kind = 'RELEASE' AND reason LIKE 'released by repair%'`, orderID).Scan(&released)
	if stuckLines != 0 {
		t.Errorf("%d lines of cancelled or closed orders still hold reserved units", stuckLines)
	}
	if released != reservedOnOrder {
		t.Errorf("the repair's RELEASE rows give back %v, want the %v the order held", released, reservedOnOrder)
	}
	if reservedTotalBefore-reservedTotalAfter != reservedOnOrder {
		t.Errorf("stock levels' reserved fell by %v, want %v", reservedTotalBefore-reservedTotalAfter, reservedOnOrder)
	}
	var mismatched int
	if err := sqlDB.QueryRowContext(ctx, `
		SELECT count(*) FROM stock_levels s
		 WHERE s.reserved <> coalesce((SELECT sum(reserved_change) FROM stock_movements m
		                               WHERE m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id), 0)`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d stock levels' reserved no longer match their ledger", mismatched)
	}
}
