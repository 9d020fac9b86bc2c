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
