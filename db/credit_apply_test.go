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
