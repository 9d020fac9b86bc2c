package db_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// approvedReturn ships the fixture's delivery, has the customer refuse one
// unit of line 1 at the door (an approved return of its own) and requests
// and approves a return of 3, 1 and 2 units of lines 1, 2 and 3.
func (f *shipFixture) approvedReturn(t *testing.T) *sales.Return {
	t.Helper()
	ctx := context.Background()
	d, err := f.store.Deliveries.Ship(ctx, f.admin, f.delivery.ID, f.delivery.Version, &f.shipOnDate)
	must(t, err)
	lines, err := f.store.Deliveries.LinesByDeliveryIDs(ctx, []int64{d.ID})
	must(t, err)
	first := lines[slices.IndexFunc(lines, func(l *sales.DeliveryLine) bool { return l.OrderLineID == f.lines[0].ID })]
	_, err = f.store.Deliveries.ConfirmReceipt(ctx, f.admin, d.ID, d.Version, sales.DeliveryReceipt{ReceivedBy: "Ann", RefusalReason: "wet box",
		Lines: []sales.ReceiptLine{{DeliveryLineID: first.ID, Accepted: decimal.NewFromInt(9), Refused: decimal.NewFromInt(1)}}})
	must(t, err)
	r, err := f.store.Returns.Create(ctx, f.admin, sales.NewReturn{OrderID: f.order.ID, DeliveryID: &d.ID, Reason: "wrong colour",
		Lines: []sales.ReturnLineInput{
			{OrderLineID: f.lines[0].ID, Quantity: decimal.NewFromInt(3)},
			{OrderLineID: f.lines[1].ID, Quantity: decimal.NewFromInt(1)},
			{OrderLineID: f.lines[2].ID, Quantity: decimal.NewFromInt(2)},
		}}, nil)
	must(t, err)
	r, err = f.store.Returns.Approve(ctx, f.admin, r.ID, r.Version)
	must(t, err)
	return r
}

// TestConfirmReceipt_RefusalOpensTheReturnPlanned: the refused unit comes
// back on an APPROVED return of the delivery, with the refusal's reason.
func TestConfirmReceipt_RefusalOpensTheReturnPlanned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newShipFixture(t)
	f.approvedReturn(t)
	returns, err := f.store.Returns.ByDeliveryIDs(ctx, []int64{f.delivery.ID})
	must(t, err)
	if len(returns) != 2 || returns[0].Status != sales.ReturnApproved || returns[0].Reason != "wet box" {
		t.Fatalf("returns of the delivery %+v; want the refusal's APPROVED return first", returns)
	}
	lines, err := f.store.Returns.LinesByReturnIDs(ctx, []int64{returns[0].ID})
	must(t, err)
	if len(lines) != 1 || lines[0].OrderLineID != f.lines[0].ID || !lines[0].Quantity.Equal(decimal.NewFromInt(1)) || lines[0].Reason != "refused at delivery" {
		t.Fatalf("refusal lines %+v", lines)
	}
	if e := f.lastEvent(t, sales.DocReturn, returns[0].ID); e.Action != "CREATE" || e.From != nil || e.To != "APPROVED" || e.Reason != "wet box" {
		t.Fatalf("refusal history %+v", e)
	}
}

// TestReturnReceive_WritesThePlan: after Receive, returned quantities,
// the receiving warehouse's stock, the ledger and the history are what
// sales.PlanReturnReceipt decided: 6 units back on hand, by product.
func TestReturnReceive_WritesThePlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newShipFixture(t)
	r := f.approvedReturn(t)
	before, levelsBefore := f.orderLines(t), f.levels(t, f.returnsTo)
	received := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	plan, err := db.ReturnReceiptPlanOf(ctx, f.store.DB, f.admin, r.ID, r.Version, f.returnsTo, &received)
	must(t, err)
	got, err := f.store.Returns.Receive(ctx, f.admin, r.ID, r.Version, f.returnsTo, &received)
	must(t, err)

	if len(plan.Moves) != 3 || plan.Moves[0].ProductID != f.products[0] || plan.Moves[2].ProductID != f.products[2] || plan.WarehouseID != f.returnsTo {
		t.Fatalf("plan %+v", plan)
	}
	after := f.orderLines(t)
	for i, l := range after {
		want := before[i].ReturnedQuantity
		for _, c := range plan.Lines {
			if c.OrderLineID == l.ID {
				want = want.Add(c.Returned)
			}
		}
		if !l.ReturnedQuantity.Equal(want) || !l.DeliveredQuantity.Equal(before[i].DeliveredQuantity) || !l.ReservedQuantity.Equal(before[i].ReservedQuantity) {
			t.Fatalf("line %d: returned %s (delivered %s, reserved %s); the plan says %s", l.LineNo, l.ReturnedQuantity,
				l.DeliveredQuantity, l.ReservedQuantity, want)
		}
	}
	if !after[0].ReturnedQuantity.Equal(decimal.NewFromInt(3)) {
		t.Fatalf("line 1 returned %s; want 3", after[0].ReturnedQuantity)
	}
	levelsAfter := f.levels(t, f.returnsTo)
	for _, p := range f.products {
		onHand := levelsBefore[p].OnHand
		for _, m := range plan.Moves {
			if m.ProductID == p {
				onHand = onHand.Add(m.OnHand)
			}
		}
		if lv := levelsAfter[p]; !lv.OnHand.Equal(onHand) || !lv.Reserved.IsZero() {
			t.Fatalf("product %d in the returns warehouse: %s on hand, %s reserved; the plan says %s, 0", p, lv.OnHand, lv.Reserved, onHand)
		}
	}
	if moves := f.movements(t, r.Number); !sameMoves(moves, plan.Moves) {
		t.Fatalf("ledger %+v; plan %+v", moves, plan.Moves)
	}
	if got.Status != plan.Status || got.WarehouseID == nil || *got.WarehouseID != f.returnsTo || got.ReceivedDate.Format(time.DateOnly) != "2026-03-20" {
		t.Fatalf("return %+v", got)
	}
	if e := f.lastEvent(t, sales.DocReturn, r.ID); !sameEvent(e, plan.Event) {
		t.Fatalf("return history %+v; plan %+v", e, plan.Event)
	}
}

// TestReturnReceive_LockOrder: one Receive locks the order, its lines, the
// return, then the receiving warehouse's stock levels by ascending product.
func TestReturnReceive_LockOrder(t *testing.T) {
	t.Parallel()
	f := newShipFixture(t)
	r := f.approvedReturn(t)
	ctx, stats := db.WithRecorder(context.Background())
	_, err := f.store.Returns.Receive(ctx, f.admin, r.ID, r.Version, f.returnsTo, nil)
	must(t, err)
	locks, err := checkLockOrder(stats.Recorded(), "sales_orders", "order_lines", "returns", "stock_levels")
	must(t, err)
	var products []int64
	for _, l := range locks {
		if l.table == "stock_levels" {
			products = append(products, l.products...)
			if w := l.warehouse; w != f.returnsTo {
				t.Fatalf("locks a stock level of warehouse %d; the goods go to %d", w, f.returnsTo)
			}
		}
	}
	if !slices.Equal(products, f.products) {
		t.Fatalf("stock levels locked for products %v; want %v", products, f.products)
	}
	t.Logf("Receive locks %v", tables(locks))
}
