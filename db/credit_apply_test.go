package db_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// TestConfirm_KeepsTheCreditDecision: a confirmation the credit check
// holds writes the order ON_HOLD with nothing reserved, and a credit
// decision equal to the check sales.PlanConfirm made of the locked snapshot,
// whose exposure counts the customer's confirmed order.
func TestConfirm_KeepsTheCreditDecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newOrderWorld(t)
	w.receive(t, w.products[0], "100")
	first := w.order(t, false, 0, "5") // 5 × 10.00 with 20% tax: 60.00
	if o, err := w.store.Orders.Confirm(ctx, w.admin, first.ID, first.Version); err != nil || o.Status != sales.OrderConfirmed {
		t.Fatalf("first order: %v %v", o, err)
	}
	if _, err := w.store.ExecContext(ctx, `UPDATE customers SET credit_limit = 100 WHERE id = $1`, w.customer.ID); err != nil {
		t.Fatal(err)
	}
	second := w.order(t, false, 0, "4") // 48.00: 108.00 with the first, over 100
	plan, err := db.OrderPlanNow(ctx, w.store.DB, w.admin, second.ID, second.Version, sales.OrderConfirm, "")
	if err != nil {
		t.Fatal(err)
	}
	c := plan.Credit
	if c == nil || c.Outcome != sales.CreditHeld || *c.HoldReason != sales.HoldCreditLimit || !c.Exposure.UninvoicedOrders.Equal(decimal.NewFromInt(60)) {
		t.Fatalf("plan's credit check %+v: want HELD for CREDIT_LIMIT with the first order's 60 uninvoiced", c)
	}
	o, err := w.store.Orders.Confirm(ctx, w.admin, second.ID, second.Version)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != sales.OrderOnHold || o.HoldReason == nil || *o.HoldReason != sales.HoldCreditLimit {
		t.Fatalf("order %s %v, want ON_HOLD CREDIT_LIMIT", o.Status, o.HoldReason)
	}
	if lines := w.reservedByLine(t, second.ID); len(lines) == 0 {
		t.Fatal("no lines read")
	} else {
		for id, q := range lines {
			if !q.IsZero() {
				t.Fatalf("line %d reserved %s on a held order", id, q)
			}
		}
	}
	ds, err := w.store.Orders.CreditDecisionsByOrderIDs(ctx, []int64{first.ID, second.ID})
	if err != nil || len(ds) != 2 {
		t.Fatalf("%d decisions (%v), want one per order", len(ds), err)
	}
	d := ds[1]
	if d.OrderID != second.ID || d.CustomerID != w.customer.ID || d.Currency != "EUR" || !d.Limit.Equal(c.Limit) || d.CreditHold != c.CreditHold ||
		d.Exposure().Total().Cmp(c.Exposure.Total()) != 0 || !d.OpenInvoices.Equal(c.Exposure.OpenInvoices) ||
		!d.UninvoicedOrders.Equal(c.Exposure.UninvoicedOrders) || !d.UnallocatedCredit.Equal(c.Exposure.UnallocatedCredit) ||
		d.OldestOverdueDays != c.Exposure.OldestOverdueDays || d.GraceDays != c.GraceDays || !d.OrderValue.Equal(c.OrderValue) ||
		d.Outcome != c.Outcome || *d.HoldReason != *c.HoldReason || d.Reason != c.Reason || d.DecidedBy == nil || *d.DecidedBy != w.admin.ID ||
		d.ReleasedAt != nil {
		t.Fatalf("decision written %+v\nplan's check %+v", d, c)
	}
	if ds[0].Outcome != sales.CreditApproved || ds[0].HoldReason != nil {
		t.Fatalf("first order's decision %+v", ds[0])
	}
}

// TestCreditExposure_CountsWhatIsOwed reads the exposure of a customer with
// orders and invoices in many states: open invoices count their balance
// (disputed ones too), committed orders their value not yet billed by an
// issued invoice (drafts and void ones bill nothing), held, draft and
// cancelled orders nothing, and only an unpaid, undisputed invoice past
// due counts as overdue.
func TestCreditExposure_CountsWhatIsOwed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newOrderWorld(t)
	w.receive(t, w.products[0], "100")
	confirm := func(o *sales.SalesOrder) *sales.SalesOrder {
		t.Helper()
		o, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	a := confirm(w.order(t, false, 0, "5")) // 60.00, of which the invoices below bill 54.00
	cancelled := confirm(w.order(t, false, 0, "1"))
	if _, err := w.store.Orders.Cancel(ctx, w.admin, cancelled.ID, cancelled.Version, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	w.order(t, false, 0, "2") // a draft: 24.00, not committed
	if _, err := w.store.ExecContext(ctx, `UPDATE customers SET credit_hold = true WHERE id = $1`, w.customer.ID); err != nil {
		t.Fatal(err)
	}
	if held := confirm(w.order(t, false, 0, "3")); held.Status != sales.OrderOnHold {
		t.Fatalf("order %s, want ON_HOLD", held.Status)
	}
	day := func(n int) string { return db.Today().AddDate(0, 0, n).Format("2006-01-02") }
	for i, inv := range []struct {
		status      sales.InvoiceStatus
		total, paid string
		due         string
	}{
		{sales.InvoiceIssued, "24", "4", day(-5)},       // open 20, overdue 5 days
		{sales.InvoiceDraft, "12", "0", ""},             // bills nothing yet
		{sales.InvoiceVoid, "12", "0", day(-40)},        // bills nothing
		{sales.InvoiceDisputed, "12", "0", day(-30)},    // open 12, not dunned
		{sales.InvoicePaid, "12", "12", day(-60)},       // nothing open
		{sales.InvoicePartiallyPaid, "6", "1", day(-3)}, // open 5, overdue 3 days
	} {
		var number, issue, due any
		if inv.due != "" {
			number, issue, due = "INV-T-"+string(rune('A'+i)), day(-100), inv.due
		}
		if _, err := w.store.ExecContext(ctx, `INSERT INTO invoices (number, order_id, customer_id, status, currency, issue_date, due_date,
			subtotal, tax_total, total, paid_amount) VALUES ($1, $2, $3, $4, 'EUR', $5, $6, $7, 0, $7, $8)`,
			number, a.ID, w.customer.ID, string(inv.status), issue, due, inv.total, inv.paid); err != nil {
			t.Fatal(err)
		}
	}
	// Money received and not yet allocated or refunded is credit the customer
	// has with us: 50 paid, 20 allocated, 5 refunded leaves 25.
	if _, err := w.store.ExecContext(ctx, `INSERT INTO payments (number, customer_id, currency, amount, allocated_amount,
		refunded_amount, status, received_date, method) VALUES ('PAY-T-1', $1, 'EUR', 50, 20, 5, 'PARTIALLY_ALLOCATED', $2, 'CASH')`,
		w.customer.ID, day(-1)); err != nil {
		t.Fatal(err)
	}
	rows, err := w.store.Customers.CreditExposures(ctx, []int64{w.customer.ID})
	if err != nil || len(rows) != 1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	got := rows[0].Exposure()
	if !got.OpenInvoices.Equal(decimal.NewFromInt(37)) || !got.UninvoicedOrders.Equal(decimal.NewFromInt(6)) ||
		!got.UnallocatedCredit.Equal(decimal.NewFromInt(25)) || got.OldestOverdueDays != 5 {
		t.Fatalf("exposure %+v: want 37 open (20 + 12 disputed + 5), 6 uninvoiced (60 less 54 billed), 25 unallocated, 5 days overdue (the oldest)", got)
	}
}
