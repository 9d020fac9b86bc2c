package db_test

import (
	"context"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/sales"
)

// TestOrderFlow_StatementsDoNotGrowWithLines: confirming an order, shipping
// it and cancelling another cost a fixed few statements whatever the number
// of lines: the stock levels are locked in one statement, and the ledger
// rows, the levels and the lines are each written in one.
func TestOrderFlow_StatementsDoNotGrowWithLines(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "10000")
	}
	ctx := context.Background()
	counts := map[string]map[int]int64{"confirm": {}, "ship": {}, "cancel": {}}
	measure := func(step string, n int, do func(context.Context) error) {
		t.Helper()
		sctx, stats := db.WithStats(ctx)
		if err := do(sctx); err != nil {
			t.Fatalf("%s of %d lines: %v", step, n, err)
		}
		counts[step][n] = stats.Statements()
	}
	for _, n := range []int{1, 50, 500} {
		lines := make([]any, 0, 2*n)
		for i := range n {
			lines = append(lines, i%3, "1")
		}
		shipped, cancelled := w.order(t, false, lines...), w.order(t, false, lines...)
		for _, o := range []*sales.SalesOrder{shipped, cancelled} {
			o := o
			measure("confirm", n, func(ctx context.Context) error {
				_, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version)
				return err
			})
		}
		d, err := w.store.Deliveries.Create(ctx, w.admin, sales.NewDelivery{OrderID: shipped.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now()
		measure("ship", n, func(ctx context.Context) error {
			_, err := w.store.Deliveries.Ship(ctx, w.admin, d.ID, d.Version, &today)
			return err
		})
		measure("cancel", n, func(ctx context.Context) error {
			_, err := w.store.Orders.Cancel(ctx, w.admin, cancelled.ID, cancelled.Version+1, "no longer needed")
			return err
		})
	}
	for _, step := range []string{"confirm", "ship", "cancel"} {
		c := counts[step]
		t.Logf("%s: %d / %d / %d statements for 1 / 50 / 500 lines", step, c[1], c[50], c[500])
		if c[50] != c[1] || c[500] != c[1] {
			t.Errorf("%s: %d statements for 1 line, %d for 50, %d for 500; want the same", step, c[1], c[50], c[500])
		}
	}
}
