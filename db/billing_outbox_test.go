package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// TestBillingStatusChanges_GoThroughTheOutbox: the order status changes
// billing makes (a credit hold at confirmation, its release, completion when
// the last invoice is issued) each write an order_events row, the outbox the
// live feed reads, like every other status change.
func TestBillingStatusChanges_GoThroughTheOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newOrderWorld(t)
	w.receive(t, w.products[0], "10")
	if _, err := w.store.ExecContext(ctx, `UPDATE customers SET credit_limit = 10 WHERE id = $1`, w.customer.ID); err != nil {
		t.Fatal(err)
	}
	o := w.order(t, false, 0, "5") // 60.00 with tax: over the limit of 10
	o, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version)
	if err != nil || o.Status != sales.OrderOnHold {
		t.Fatalf("confirm: %v %v, want ON_HOLD", o, err)
	}
	if o, err = w.store.Orders.ReleaseHold(ctx, w.admin, o.ID, o.Version, "Paid up by phone"); err != nil || o.Status != sales.OrderConfirmed {
		t.Fatalf("release: %v %v, want CONFIRMED", o, err)
	}
	lines, err := w.store.Orders.LinesByOrderIDs(ctx, []int64{o.ID})
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.store.Deliveries.Create(ctx, w.admin, sales.NewDelivery{OrderID: o.ID,
		Lines: []sales.DeliveryLineInput{{OrderLineID: lines[0].ID, Quantity: decimal.NewFromInt(5)}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Deliveries.Ship(ctx, w.admin, d.ID, d.Version, nil); err != nil {
		t.Fatal(err)
	}
	inv, err := w.store.Invoices.Create(ctx, w.admin, sales.NewInvoice{OrderID: o.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Invoices.Issue(ctx, w.admin, inv.ID, inv.Version); err != nil {
		t.Fatal(err)
	}

	events, err := w.store.Events.OrderEvents(ctx, []int64{o.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		from := "-"
		if e.PreviousStatus != nil {
			from = string(*e.PreviousStatus)
		}
		if e.ActorID == nil || *e.ActorID != w.admin.ID {
			t.Errorf("event %s→%s has actor %v, want the admin", from, e.Status, e.ActorID)
		}
		got = append(got, fmt.Sprintf("%s→%s", from, e.Status))
	}
	want := "-→DRAFT DRAFT→ON_HOLD ON_HOLD→CONFIRMED CONFIRMED→DELIVERED DELIVERED→COMPLETED"
	if strings.Join(got, " ") != want {
		t.Fatalf("outbox rows %q\nwant %q", strings.Join(got, " "), want)
	}
	if r := events[1].Reason; !strings.Contains(r, "limit") {
		t.Errorf("the hold's outbox row says %q, want the credit limit named", r)
	}
}
