package db_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// issuedInvoiceOfLines issues an invoice of an order (ORDERED policy) with
// one line of 2 × 10.00 for each of the first n products of w.
func issuedInvoiceOfLines(t *testing.T, w *orderWorld, n int) (*sales.Invoice, []*sales.InvoiceLine) {
	t.Helper()
	ctx := context.Background()
	ordered := sales.InvoiceOrdered
	price := decimal.NewFromInt(10)
	var lines []sales.LineInput
	for _, p := range w.products[:n] {
		lines = append(lines, sales.LineInput{ProductID: p, Quantity: decimal.NewFromInt(2), UnitPrice: &price, PriceOverrideReason: "test price"})
	}
	o, err := w.store.Orders.Create(ctx, w.admin, sales.NewOrder{CustomerID: w.customer.ID,
		Terms: sales.OrderTerms{WarehouseID: w.warehouse, InvoicingPolicy: &ordered}, Lines: lines}, nil)
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
	ls, err := w.store.Invoices.LinesByInvoiceIDs(ctx, []int64{inv.ID})
	if err != nil {
		t.Fatal(err)
	}
	return inv, ls
}

// disputeAll opens a dispute of one unit of each of lines.
func disputeAll(ctx context.Context, t *testing.T, w *orderWorld, inv *sales.Invoice, lines []*sales.InvoiceLine) *sales.Dispute {
	t.Helper()
	in := sales.NewDispute{InvoiceID: inv.ID, ReasonCode: sales.ReasonDamaged}
	for _, l := range lines {
		in.Lines = append(in.Lines, sales.DisputeLineInput{InvoiceLineID: l.ID, Quantity: decimal.NewFromInt(1)})
	}
	d, err := w.store.Disputes.Open(ctx, w.admin, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDisputes_LockOrder: opening and each resolution lock the customer,
// the order, its lines, the invoice, then the dispute (and the credit
// note, an invoices row, last).
func TestDisputes_LockOrder(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "100")
	}
	ctx := context.Background()
	for _, res := range sales.DisputeResolutions {
		inv, lines := issuedInvoiceOfLines(t, w, 2)
		rec, stats := db.WithRecorder(ctx)
		d := disputeAll(rec, t, w, inv, lines)
		if _, err := checkLockOrder(stats.Recorded(), "customers", "sales_orders", "order_lines", "invoices"); err != nil {
			t.Fatalf("open: %v", err)
		}
		rec, stats = db.WithRecorder(ctx)
		got, err := w.store.Disputes.Resolve(rec, w.admin, d.ID, d.Version, sales.DisputeResolutionInput{Resolution: res, Note: "test"})
		if err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		if got.Status != sales.DisputeResolved || *got.Resolution != res {
			t.Fatalf("%s: dispute %s", res, got.Status)
		}
		if _, err := checkLockOrder(stats.Recorded(), "customers", "sales_orders", "order_lines", "invoices", "disputes"); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		t.Logf("resolving as %s: %d statements", res, len(stats.Recorded()))
	}
}

// TestDisputes_StatementsDoNotGrowWithLines: a dispute of 1 or 3 lines,
// and its credit note, cost the same statements.
func TestDisputes_StatementsDoNotGrowWithLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	count := func(n int) (open, credit int) {
		w := newOrderWorld(t)
		for _, p := range w.products {
			w.receive(t, p, "100")
		}
		inv, lines := issuedInvoiceOfLines(t, w, n)
		rec, stats := db.WithRecorder(ctx)
		d := disputeAll(rec, t, w, inv, lines)
		open = len(stats.Recorded())
		rec, stats = db.WithRecorder(ctx)
		got, err := w.store.Disputes.Resolve(rec, w.admin, d.ID, d.Version, sales.DisputeResolutionInput{Resolution: sales.ResolutionCreditNote})
		if err != nil {
			t.Fatal(err)
		}
		if got.CreditNoteID == nil {
			t.Fatal("no credit note")
		}
		return open, len(stats.Recorded())
	}
	open1, credit1 := count(1)
	open3, credit3 := count(3)
	if open1 != open3 || credit1 != credit3 {
		t.Fatalf("opening: %d statements for 1 line, %d for 3; crediting: %d and %d", open1, open3, credit1, credit3)
	}
	t.Logf("opening a dispute of 1 or 3 lines: %d statements; resolving it by a credit note: %d", open1, credit1)
}

// TestDisputes_ConcurrentOpensOpenOne: ten disputes of one invoice opened
// at once open one; the others see it (the customer's lock serialises
// them) and are refused as INVALID_TRANSITION naming it.
func TestDisputes_ConcurrentOpensOpenOne(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "100")
	}
	ctx := context.Background()
	inv, _ := issuedInvoiceOfLines(t, w, 1)
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := w.store.Disputes.Open(ctx, w.admin, sales.NewDispute{InvoiceID: inv.ID, ReasonCode: sales.ReasonPrice}, nil)
			errs <- err
		}()
	}
	opened := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			opened++
		case sales.CodeOf(err) != sales.CodeInvalidTransition:
			t.Errorf("refused as %v, want INVALID_TRANSITION", err)
		}
	}
	var open int
	if err := w.store.GetContext(ctx, &open, `SELECT count(*) FROM disputes WHERE invoice_id = $1`, inv.ID); err != nil {
		t.Fatal(err)
	}
	if opened != 1 || open != 1 {
		t.Fatalf("%d opened, %d rows; want 1", opened, open)
	}
}
