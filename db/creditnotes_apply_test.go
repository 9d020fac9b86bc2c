package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// receivedReturn ships the fixture's delivery, receives the return of 3, 1
// and 2 units (10.00 each, 19 % tax) and, when invoiced, invoices the
// delivery (10, 2 and 6 units) and issues it.
func (f *shipFixture) receivedReturn(t *testing.T, invoiced bool) (*sales.Return, *sales.Invoice) {
	t.Helper()
	ctx := context.Background()
	r := f.approvedReturn(t)
	r, err := f.store.Returns.Receive(ctx, f.admin, r.ID, r.Version, f.returnsTo, nil)
	must(t, err)
	if !invoiced {
		return r, nil
	}
	inv, err := f.store.Invoices.Create(ctx, f.admin, sales.NewInvoice{OrderID: f.order.ID}, nil)
	must(t, err)
	inv, err = f.store.Invoices.Issue(ctx, f.admin, inv.ID, inv.Version)
	must(t, err)
	return r, inv
}

// TestCreditReturn_WritesThePlan: the credit note of a received return is
// numbered from the CN series, prices the returned units as the order
// lines (6 × 10.00 + 19 % = 71.40), raises the lines' credited quantities,
// moves the return to CREDITED and, applied to the order's invoice, pays
// part of it; the locks follow the lock order.
func TestCreditReturn_WritesThePlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newShipFixture(t)
	r, inv := f.receivedReturn(t, true)
	rec, stats := db.WithRecorder(ctx)
	cn, err := f.store.CreditNotes.CreditReturn(rec, f.admin, r.ID, r.Version, db.AllocateToOrderInvoices, nil)
	must(t, err)
	if _, err := checkLockOrder(stats.Recorded(), "customers", "sales_orders", "order_lines", "returns", "invoices"); err != nil {
		t.Fatal(err)
	}
	t.Logf("CreditReturn: %d statements", len(stats.Recorded()))
	want := fmt.Sprintf("CN-%d-000001", cn.CreatedAt.Year())
	if cn.Kind != sales.KindCreditNote || cn.Number == nil || *cn.Number != want || cn.ReturnID == nil || *cn.ReturnID != r.ID ||
		!cn.Total.Equal(decimal.RequireFromString("71.40")) || !cn.PaidAmount.Equal(cn.Total) || cn.Status != sales.InvoiceStatus(sales.CreditNoteApplied) {
		t.Fatalf("credit note %+v; want %s of 71.40 for return %d, applied in full", cn, want, r.ID)
	}
	lines, err := f.store.Invoices.LinesByInvoiceIDs(ctx, []int64{cn.ID})
	must(t, err)
	if len(lines) != 3 || !lines[0].Quantity.Equal(decimal.NewFromInt(3)) || !lines[0].Total.Equal(decimal.RequireFromString("35.70")) {
		t.Fatalf("credit note lines %+v", lines)
	}
	for i, l := range f.orderLines(t) {
		want := []int64{3, 1, 2}[i]
		if !l.CreditedQuantity.Equal(decimal.NewFromInt(want)) {
			t.Fatalf("line %d credited %s; want %d", l.LineNo, l.CreditedQuantity, want)
		}
	}
	rs, err := f.store.Returns.ByIDs(ctx, []int64{r.ID})
	must(t, err)
	if rs[0].Status != sales.ReturnCredited {
		t.Fatalf("return %s; want CREDITED", rs[0].Status)
	}
	invs, err := f.store.Invoices.ByIDs(ctx, []int64{inv.ID})
	must(t, err)
	if !invs[0].PaidAmount.Equal(cn.Total) || invs[0].Status != sales.InvoicePartiallyPaid {
		t.Fatalf("invoice %s paid %s; want PARTIALLY_PAID, 71.40", invs[0].Status, invs[0].PaidAmount)
	}
	allocs, err := f.store.CreditNotes.AllocationsByCreditNoteIDs(ctx, []int64{cn.ID})
	must(t, err)
	if len(allocs) != 1 || allocs[0].InvoiceID != inv.ID || !allocs[0].Amount.Equal(cn.Total) {
		t.Fatalf("allocations %+v", allocs)
	}
	if e := f.lastEvent(t, sales.DocReturn, r.ID); e.Action != "CREDIT" || e.To != "CREDITED" {
		t.Fatalf("return history %+v", e)
	}

	// Taken back, the invoice and the credit note return to where they were.
	rec, stats = db.WithRecorder(ctx)
	cn, err = f.store.CreditNotes.Unallocate(rec, f.admin, cn.ID, cn.Version, inv.ID)
	must(t, err)
	if _, err := checkLockOrder(stats.Recorded(), "customers", "invoices"); err != nil {
		t.Fatal(err)
	}
	invs, err = f.store.Invoices.ByIDs(ctx, []int64{inv.ID})
	must(t, err)
	if cn.Status != sales.InvoiceStatus(sales.CreditNoteIssued) || !cn.PaidAmount.IsZero() || invs[0].Status != sales.InvoiceIssued || !invs[0].PaidAmount.IsZero() {
		t.Fatalf("after unallocate: credit note %s %s, invoice %s %s", cn.Status, cn.PaidAmount, invs[0].Status, invs[0].PaidAmount)
	}
	allocs, err = f.store.CreditNotes.AllocationsByInvoiceIDs(ctx, []int64{inv.ID})
	must(t, err)
	if len(allocs) != 1 || allocs[0].ReversedAt == nil {
		t.Fatalf("allocations after unallocate %+v; want the one kept, reversed", allocs)
	}
	notes, err := f.store.CreditNotes.ByInvoiceIDs(ctx, []int64{inv.ID})
	must(t, err)
	if len(notes) != 1 || notes[0].ID != cn.ID || notes[0].InvoiceID != inv.ID {
		t.Fatalf("credit notes of the invoice %+v", notes)
	}
}

// TestCreditReturn_NothingBilled: a return of goods never invoiced is
// refused, and nothing is written.
func TestCreditReturn_NothingBilled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newShipFixture(t)
	r, _ := f.receivedReturn(t, false)
	_, err := f.store.CreditNotes.CreditReturn(ctx, f.admin, r.ID, r.Version, db.AllocateToOrderInvoices, nil)
	e, ok := sales.AsError(err)
	if !ok || e.Code != sales.CodeValidation || e.Field != "id" ||
		e.Message != "nothing of return "+r.Number+" was invoiced: the customer was never billed for it, so there is nothing to credit" {
		t.Fatalf("err %v; want VALIDATION on id", err)
	}
	var n int
	must(t, f.store.GetContext(ctx, &n, `SELECT count(*) FROM invoices`))
	rs, err := f.store.Returns.ByIDs(ctx, []int64{r.ID})
	must(t, err)
	if n != 0 || rs[0].Status != sales.ReturnReceived || rs[0].Version != r.Version {
		t.Fatalf("%d invoices, return %s v%d; want nothing written", n, rs[0].Status, rs[0].Version)
	}
}

// TestCreditNote_LowersExposure: a credit note left as the customer's
// credit counts as unallocated credit, so an order the limit held before
// the credit passes after it.
func TestCreditNote_LowersExposure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newShipFixture(t)
	r, _ := f.receivedReturn(t, true)
	customer := f.order.CustomerID
	// Exposure 238.00: 214.20 invoiced and open, 23.80 ordered and not invoiced.
	_, err := f.store.ExecContext(ctx, `UPDATE customers SET credit_limit = 245 WHERE id = $1`, customer)
	must(t, err)
	exposure := func() sales.CreditExposure {
		t.Helper()
		rows, err := f.store.Customers.CreditExposures(ctx, []int64{customer})
		must(t, err)
		return rows[0].Exposure()
	}
	confirmOne := func() *sales.SalesOrder { // 1 unit: 11.90
		t.Helper()
		o, err := f.store.Orders.Create(ctx, f.admin, sales.NewOrder{CustomerID: customer, Terms: sales.OrderTerms{WarehouseID: f.warehouse},
			Lines: []sales.LineInput{{ProductID: f.products[0], Quantity: decimal.NewFromInt(1)}}}, nil)
		must(t, err)
		o, err = f.store.Orders.Confirm(ctx, f.admin, o.ID, o.Version)
		must(t, err)
		return o
	}
	before := exposure()
	if !before.Total().Equal(decimal.RequireFromString("238")) {
		t.Fatalf("exposure before %+v = %s; want 238", before, before.Total())
	}
	if o := confirmOne(); o.Status != sales.OrderOnHold {
		t.Fatalf("order %s at exposure 238 + 11.90 against 245; want ON_HOLD", o.Status)
	}
	cn, err := f.store.CreditNotes.CreditReturn(ctx, f.admin, r.ID, r.Version, db.AllocateNone, nil)
	must(t, err)
	after := exposure()
	if cn.Status != sales.InvoiceStatus(sales.CreditNoteIssued) || !after.UnallocatedCredit.Sub(before.UnallocatedCredit).Equal(cn.Total) ||
		!after.OpenInvoices.Equal(before.OpenInvoices) || !after.Total().Equal(decimal.RequireFromString("166.6")) {
		t.Fatalf("exposure after a credit note of %s left as credit: %+v = %s; want 71.40 more credit, 166.60", cn.Total, after, after.Total())
	}
	if o := confirmOne(); o.Status != sales.OrderConfirmed {
		t.Fatalf("order %s at exposure 166.60 + 11.90 against 245; want CONFIRMED", o.Status)
	}
}

// TestCreditReturn_StatementsDoNotGrowWithLines: crediting a return of one
// line or of three (applied to the order's invoice) costs the same statements.
func TestCreditReturn_StatementsDoNotGrowWithLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	count := func(lines int) int {
		f := newShipFixture(t)
		d, err := f.store.Deliveries.Ship(ctx, f.admin, f.delivery.ID, f.delivery.Version, &f.shipOnDate)
		must(t, err)
		in := sales.NewReturn{OrderID: f.order.ID, DeliveryID: &d.ID, Reason: "not wanted"}
		for _, l := range f.lines[:lines] {
			in.Lines = append(in.Lines, sales.ReturnLineInput{OrderLineID: l.ID, Quantity: decimal.NewFromInt(1)})
		}
		r, err := f.store.Returns.Create(ctx, f.admin, in, nil)
		must(t, err)
		r, err = f.store.Returns.Approve(ctx, f.admin, r.ID, r.Version)
		must(t, err)
		r, err = f.store.Returns.Receive(ctx, f.admin, r.ID, r.Version, f.returnsTo, nil)
		must(t, err)
		inv, err := f.store.Invoices.Create(ctx, f.admin, sales.NewInvoice{OrderID: f.order.ID}, nil)
		must(t, err)
		_, err = f.store.Invoices.Issue(ctx, f.admin, inv.ID, inv.Version)
		must(t, err)
		rec, stats := db.WithRecorder(ctx)
		cn, err := f.store.CreditNotes.CreditReturn(rec, f.admin, r.ID, r.Version, db.AllocateToOrderInvoices, nil)
		must(t, err)
		if got, err := f.store.Invoices.LinesByInvoiceIDs(ctx, []int64{cn.ID}); err != nil || len(got) != lines {
			t.Fatalf("credit note of %d lines has %d (%v)", lines, len(got), err)
		}
		return len(stats.Recorded())
	}
	one, three := count(1), count(3)
	if one != three {
		t.Fatalf("crediting a return: %d statements for 1 line, %d for 3", one, three)
	}
	t.Logf("crediting a return: %d statements for 1 or 3 lines", one)
}
