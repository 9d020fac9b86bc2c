package db_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// issuedInvoices makes n issued invoices for w's customer (orders under
// the ORDERED policy, invoiced in full: 2 × 10.00 each, before tax).
func issuedInvoices(t *testing.T, w *orderWorld, n int) []*sales.Invoice {
	t.Helper()
	ctx := context.Background()
	ordered := sales.InvoiceOrdered
	price := decimal.NewFromInt(10)
	var out []*sales.Invoice
	for range n {
		o, err := w.store.Orders.Create(ctx, w.admin, sales.NewOrder{CustomerID: w.customer.ID,
			Terms: sales.OrderTerms{WarehouseID: w.warehouse, InvoicingPolicy: &ordered}, Lines: []sales.LineInput{
				{ProductID: w.products[0], Quantity: decimal.NewFromInt(2), UnitPrice: &price, PriceOverrideReason: "test price"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version); err != nil {
			t.Fatal(err)
		}
		inv, err := w.store.Invoices.Create(ctx, w.admin, sales.NewInvoice{OrderID: o.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if inv, err = w.store.Invoices.Issue(ctx, w.admin, inv.ID, inv.Version); err != nil {
			t.Fatal(err)
		}
		out = append(out, inv)
	}
	return out
}

// TestPayments_LockOrder: recording, unallocating and refunding a payment
// lock the customer first, then the payment and the invoices.
func TestPayments_LockOrder(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "100")
	}
	ctx := context.Background()
	invs := issuedInvoices(t, w, 2)
	rec, stats := db.WithRecorder(ctx)
	p, err := w.store.Payments.Record(rec, w.admin, sales.NewPayment{CustomerID: w.customer.ID, Amount: invs[0].Total.Add(decimal.NewFromInt(1)),
		Currency: w.customer.Currency, Method: sales.MethodCash}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != sales.PaymentAllocated && p.Status != sales.PaymentPartiallyAllocated {
		t.Fatalf("payment %s, want it allocated", p.Status)
	}
	if _, err := checkLockOrder(stats.Recorded(), "customers", "invoices", "payments"); err != nil {
		t.Fatalf("record: %v", err)
	}
	rec, stats = db.WithRecorder(ctx)
	if p, err = w.store.Payments.Unallocate(rec, w.admin, p.ID, p.Version, invs[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "customers", "payments", "invoices"); err != nil {
		t.Fatalf("unallocate: %v", err)
	}
	rec, stats = db.WithRecorder(ctx)
	if _, err = w.store.Payments.Refund(rec, w.admin, p.ID, p.Version, decimal.NewFromInt(1), "overpaid"); err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "customers", "payments"); err != nil {
		t.Fatalf("refund: %v", err)
	}
}

// TestPayments_StatementsDoNotGrowWithInvoices: a payment auto-allocated
// across 1 or 5 invoices costs the same statements.
func TestPayments_StatementsDoNotGrowWithInvoices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	count := func(n int) int64 {
		w := newOrderWorld(t)
		for _, p := range w.products {
			w.receive(t, p, "100")
		}
		invs := issuedInvoices(t, w, n)
		total := decimal.Zero
		for _, inv := range invs {
			total = total.Add(inv.Total)
		}
		rec, stats := db.WithRecorder(ctx)
		p, err := w.store.Payments.Record(rec, w.admin, sales.NewPayment{CustomerID: w.customer.ID, Amount: total,
			Currency: w.customer.Currency, Method: sales.MethodCard}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != sales.PaymentAllocated || !p.AllocatedAmount.Equal(total) {
			t.Fatalf("%d invoices: payment %s allocated %s of %s", n, p.Status, p.AllocatedAmount, total)
		}
		return int64(len(stats.Recorded()))
	}
	one, five := count(1), count(5)
	if one != five {
		t.Fatalf("recording a payment: %d statements for 1 invoice, %d for 5", one, five)
	}
	t.Logf("recording a payment allocated to 1 or 5 invoices: %d statements", one)
}
