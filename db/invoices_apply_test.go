package db_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// TestInvoices_LockOrder: creating, issuing and voiding an invoice lock the
// customer, then the order, then its lines, then (issue, void) the invoice.
func TestInvoices_LockOrder(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "10")
	}
	ctx := context.Background()
	ordered := sales.InvoiceOrdered
	price := decimal.NewFromInt(10)
	o, err := w.store.Orders.Create(ctx, w.admin, sales.NewOrder{CustomerID: w.customer.ID,
		Terms: sales.OrderTerms{WarehouseID: w.warehouse, InvoicingPolicy: &ordered}, Lines: []sales.LineInput{
			{ProductID: w.products[1], Quantity: decimal.NewFromInt(2), UnitPrice: &price, PriceOverrideReason: "test price"},
			{ProductID: w.products[0], Quantity: decimal.NewFromInt(3), UnitPrice: &price, PriceOverrideReason: "test price"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version); err != nil {
		t.Fatal(err)
	}
	rec, stats := db.WithRecorder(ctx)
	inv, err := w.store.Invoices.Create(rec, w.admin, sales.NewInvoice{OrderID: o.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "customers", "sales_orders", "order_lines"); err != nil {
		t.Fatalf("create: %v", err)
	}
	rec, stats = db.WithRecorder(ctx)
	if inv, err = w.store.Invoices.Issue(rec, w.admin, inv.ID, inv.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "customers", "sales_orders", "order_lines", "invoices"); err != nil {
		t.Fatalf("issue: %v", err)
	}
	rec, stats = db.WithRecorder(ctx)
	if _, err = w.store.Invoices.Void(rec, w.admin, inv.ID, inv.Version, "wrong order"); err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "customers", "sales_orders", "order_lines", "invoices"); err != nil {
		t.Fatalf("void: %v", err)
	}
}

// TestInvoices_StatementsDoNotGrowWithLines: creating, issuing and voiding
// an invoice of a shipped order cost the same number of statements for 1,
// 50 and 500 lines (its lines and the order lines' invoiced quantities are
// written with one statement each), and the invoice bills the units asked
// for at the order's prices.
func TestInvoices_StatementsDoNotGrowWithLines(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "10000")
	}
	ctx := context.Background()
	counts := map[string]map[int]int64{"create": {}, "issue": {}, "void": {}}
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
			lines = append(lines, i%3, "2")
		}
		o := w.order(t, false, lines...)
		o, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version)
		if err != nil {
			t.Fatal(err)
		}
		d, err := w.store.Deliveries.Create(ctx, w.admin, sales.NewDelivery{OrderID: o.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.store.Deliveries.Ship(ctx, w.admin, d.ID, d.Version, nil); err != nil {
			t.Fatal(err)
		}
		// One of the two shipped units of each line, so the order stays open to void.
		ols, err := w.store.Orders.LinesByOrderIDs(ctx, []int64{o.ID})
		if err != nil {
			t.Fatal(err)
		}
		in := sales.NewInvoice{OrderID: o.ID}
		for _, l := range ols {
			in.Lines = append(in.Lines, sales.InvoiceLineInput{OrderLineID: l.ID, Quantity: decimal.NewFromInt(1)})
		}
		var inv *sales.Invoice
		measure("create", n, func(ctx context.Context) (err error) {
			inv, err = w.store.Invoices.Create(ctx, w.admin, in, nil)
			return err
		})
		// n lines of 1 at 10.00, 20 % tax.
		want := decimal.NewFromInt(int64(12 * n))
		if !inv.Total.Equal(want) {
			t.Fatalf("%d lines: invoice total %s, want %s", n, inv.Total, want)
		}
		measure("issue", n, func(ctx context.Context) (err error) {
			inv, err = w.store.Invoices.Issue(ctx, w.admin, inv.ID, inv.Version)
			return err
		})
		measure("void", n, func(ctx context.Context) error {
			_, err := w.store.Invoices.Void(ctx, w.admin, inv.ID, inv.Version, "test")
			return err
		})
	}
	for step, byN := range counts {
		if byN[1] != byN[50] || byN[1] != byN[500] {
			t.Errorf("%s: %d, %d, %d statements for 1, 50, 500 lines", step, byN[1], byN[50], byN[500])
		}
		t.Logf("%s: %d statements for 1, 50 or 500 lines", step, byN[500])
	}
}
