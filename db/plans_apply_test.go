package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// orderWorld is a warehouse, three products, a customer and an admin.
type orderWorld struct {
	store     *db.Store
	admin     *sales.User
	customer  *sales.Customer
	warehouse int64
	products  []int64 // ascending ids
}

func newOrderWorld(t *testing.T) *orderWorld {
	t.Helper()
	ctx := context.Background()
	store := dbtest.New(t)
	w := &orderWorld{store: store}
	var err error
	if w.admin, err = store.Users.Create(ctx, nil, sales.User{Email: "admin@plans.example", Name: "Admin", Role: sales.RoleAdmin, Active: true}, nil); err != nil {
		t.Fatal(err)
	}
	wh, err := store.Warehouses.Create(ctx, w.admin, sales.Warehouse{Code: "MAIN", Name: "Main", Active: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.warehouse = wh.ID
	for i := 1; i <= 3; i++ {
		p, err := store.Products.Create(ctx, w.admin, sales.Product{SKU: fmt.Sprintf("P-%d", i), Name: "Product", UnitOfMeasure: "EA",
			TaxRate: decimal.RequireFromString("0.2"), Active: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.products = append(w.products, p.ID)
	}
	if w.customer, err = store.Customers.Create(ctx, w.admin, sales.Customer{Code: "C1", Name: "Customer", Currency: "EUR",
		CreditLimit: decimal.NewFromInt(100000), BillingAddress: &sales.Address{Line1: "1 Road", City: "Town", Country: "DE"}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *orderWorld) receive(t *testing.T, product int64, qty string) {
	t.Helper()
	if _, err := w.store.Stock.Receive(context.Background(), w.admin, db.StockChange{ProductID: product, WarehouseID: w.warehouse,
		Quantity: decimal.RequireFromString(qty), Reference: "PO"}, nil); err != nil {
		t.Fatal(err)
	}
}

// order drafts an order of (product index, quantity) lines at a price of 10 each.
func (w *orderWorld) order(t *testing.T, backorder bool, lines ...any) *sales.SalesOrder {
	t.Helper()
	price := decimal.NewFromInt(10)
	var in []sales.LineInput
	for i := 0; i < len(lines); i += 2 {
		in = append(in, sales.LineInput{ProductID: w.products[lines[i].(int)], Quantity: decimal.RequireFromString(lines[i+1].(string)),
			UnitPrice: &price, PriceOverrideReason: "test price"})
	}
	o, err := w.store.Orders.Create(context.Background(), w.admin, sales.NewOrder{CustomerID: w.customer.ID,
		Terms: sales.OrderTerms{WarehouseID: w.warehouse, AllowBackorder: backorder}, Lines: in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

type levelRow struct {
	ProductID int64           `db:"product_id"`
	OnHand    decimal.Decimal `db:"on_hand"`
	Reserved  decimal.Decimal `db:"reserved"`
}

func (w *orderWorld) levels(t *testing.T) map[int64]levelRow {
	t.Helper()
	var rows []levelRow
	if err := w.store.SelectContext(context.Background(), &rows, `SELECT product_id, on_hand, reserved FROM stock_levels WHERE warehouse_id = $1`, w.warehouse); err != nil {
		t.Fatal(err)
	}
	out := map[int64]levelRow{}
	for _, r := range rows {
		out[r.ProductID] = r
	}
	return out
}

func (w *orderWorld) reservedByLine(t *testing.T, orderID int64) map[int64]decimal.Decimal {
	t.Helper()
	var rows []struct {
		ID       int64           `db:"id"`
		Reserved decimal.Decimal `db:"reserved_quantity"`
	}
	if err := w.store.SelectContext(context.Background(), &rows, `SELECT id, reserved_quantity FROM order_lines WHERE order_id = $1`, orderID); err != nil {
		t.Fatal(err)
	}
	out := map[int64]decimal.Decimal{}
	for _, r := range rows {
		out[r.ID] = r.Reserved
	}
	return out
}

type movementRow struct {
	ProductID      int64           `db:"product_id"`
	Kind           string          `db:"kind"`
	Quantity       decimal.Decimal `db:"quantity"`
	ReservedChange decimal.Decimal `db:"reserved_change"`
	Reference      string          `db:"reference"`
}

// checkApplied asserts that the database moved from before to now exactly as plan says.
func checkApplied(t *testing.T, w *orderWorld, o *sales.SalesOrder, plan sales.OrderPlan, levelsBefore map[int64]levelRow,
	linesBefore map[int64]decimal.Decimal, movementsBefore int64) {
	t.Helper()
	ctx := context.Background()
	// Order lines: reserved moved by the plan's reservations, no more.
	want := map[int64]decimal.Decimal{}
	for id, q := range linesBefore {
		want[id] = q
	}
	perProduct := map[int64]decimal.Decimal{}
	for _, r := range plan.Reservations {
		want[r.LineID] = want[r.LineID].Add(r.Quantity)
		perProduct[r.ProductID] = perProduct[r.ProductID].Add(r.Quantity)
	}
	for id, q := range w.reservedByLine(t, o.ID) {
		if !q.Equal(want[id]) {
			t.Errorf("order line %d reserves %s; the plan says %s", id, q, want[id])
		}
	}
	// Stock levels: reserved moved by the plan per product, on hand unchanged.
	for p, after := range w.levels(t) {
		before := levelsBefore[p]
		if !after.OnHand.Equal(before.OnHand) || !after.Reserved.Equal(before.Reserved.Add(perProduct[p])) {
			t.Errorf("product %d: %s on hand, %s reserved; before %s, %s and the plan moves %s", p, after.OnHand, after.Reserved,
				before.OnHand, before.Reserved, perProduct[p])
		}
	}
	// Ledger: one row per reservation, in the plan's order.
	var moves []movementRow
	if err := w.store.SelectContext(ctx, &moves, `SELECT product_id, kind, quantity, reserved_change, reference FROM stock_movements
		WHERE id > $1 ORDER BY id`, movementsBefore); err != nil {
		t.Fatal(err)
	}
	if len(moves) != len(plan.Reservations) {
		t.Fatalf("%d ledger rows; the plan has %d reservations", len(moves), len(plan.Reservations))
	}
	for i, r := range plan.Reservations {
		m := moves[i]
		if m.ProductID != r.ProductID || m.Kind != string(r.Kind()) || !m.ReservedChange.Equal(r.Quantity) || !m.Quantity.IsZero() || m.Reference != o.Number {
			t.Errorf("ledger row %d: %+v; the plan says %+v", i, m, r)
		}
	}
	// The order's status and its history, outbox row included.
	var status string
	if err := w.store.GetContext(ctx, &status, `SELECT status FROM sales_orders WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	if status != string(plan.Status.To) {
		t.Errorf("order is %s; the plan says %s", status, plan.Status.To)
	}
	events, err := w.store.Events.ByDocuments(ctx, sales.DocOrder, []int64{o.ID})
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Action != string(plan.Status.Action) || *last.FromStatus != string(plan.Status.From) || last.ToStatus != string(plan.Status.To) || last.Reason != plan.Status.Reason {
		t.Errorf("last history row %+v; the plan says %+v", last, plan.Status)
	}
	feed, err := w.store.Events.OrderEvents(ctx, []int64{o.ID})
	if err != nil {
		t.Fatal(err)
	}
	if f := feed[len(feed)-1]; f.Status != plan.Status.To || *f.PreviousStatus != plan.Status.From {
		t.Errorf("last live-feed row %+v; the plan says %+v", f, plan.Status)
	}
}

func maxMovement(t *testing.T, w *orderWorld) int64 {
	var id int64
	if err := w.store.GetContext(context.Background(), &id, `SELECT coalesce(max(id), 0) FROM stock_movements`); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestConfirm_WritesThePlan: what Confirm writes (line reservations, stock
// levels, ledger rows, status, history and live feed) is exactly the plan
// sales.PlanConfirm makes of the locked snapshot, here a backorder that
// reserves all of two lines and part of a third.
func TestConfirm_WritesThePlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newOrderWorld(t)
	w.receive(t, w.products[0], "10")
	w.receive(t, w.products[1], "3")
	// Lines out of product order: P-3 (none in stock), P-2 short, P-1 twice.
	o := w.order(t, true, 2, "1", 1, "5", 0, "4", 0, "1")
	plan, err := db.OrderPlanNow(ctx, w.store.DB, w.admin, o.ID, o.Version, sales.OrderConfirm, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Reservations) != 3 || plan.Status.To != sales.OrderConfirmed {
		t.Fatalf("plan %+v: want three reservations (P-1 twice, 3 of P-2) and CONFIRMED", plan)
	}
	levels, lines, moves := w.levels(t), w.reservedByLine(t, o.ID), maxMovement(t, w)
	if _, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version); err != nil {
		t.Fatal(err)
	}
	checkApplied(t, w, o, plan, levels, lines, moves)
}

// TestCancel_WritesThePlan: cancelling releases what the plan releases.
func TestCancel_WritesThePlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newOrderWorld(t)
	w.receive(t, w.products[0], "10")
	w.receive(t, w.products[1], "10")
	o := w.order(t, false, 1, "5", 0, "4")
	if o2, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version); err != nil {
		t.Fatal(err)
	} else {
		o = o2
	}
	plan, err := db.OrderPlanNow(ctx, w.store.DB, w.admin, o.ID, o.Version, sales.OrderCancel, "customer withdrew")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Reservations) != 2 || plan.Status.To != sales.OrderCancelled {
		t.Fatalf("plan %+v: want two releases and CANCELLED", plan)
	}
	levels, lines, moves := w.levels(t), w.reservedByLine(t, o.ID), maxMovement(t, w)
	if _, err := w.store.Orders.Cancel(ctx, w.admin, o.ID, o.Version, "customer withdrew"); err != nil {
		t.Fatal(err)
	}
	checkApplied(t, w, o, plan, levels, lines, moves)
}

// TestConfirm_LockOrder: one Confirm locks the customer, then the order,
// then its lines, then the stock levels by product id, whatever the lines'
// order (docs/domain.md: the lock order that keeps concurrent work from deadlocking).
func TestConfirm_LockOrder(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "10")
	}
	o := w.order(t, false, 2, "1", 0, "2", 1, "3", 0, "1")
	ctx, stats := db.WithRecorder(context.Background())
	if _, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "customers", "sales_orders", "order_lines", "stock_levels"); err != nil {
		t.Fatal(err)
	}
}

// TestCancel_LockOrder: Cancel locks the order, then its lines, then
// cancels the draft delivery, then the stock levels it releases, by product id.
func TestCancel_LockOrder(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "10")
	}
	o := w.order(t, false, 2, "1", 0, "2", 1, "3")
	o, err := w.store.Orders.Confirm(context.Background(), w.admin, o.ID, o.Version)
	if err != nil {
		t.Fatal(err)
	}
	// A draft delivery, which the cancellation cancels before it touches stock.
	if _, err := w.store.Deliveries.Create(context.Background(), w.admin, sales.NewDelivery{OrderID: o.ID}, nil); err != nil {
		t.Fatal(err)
	}
	ctx, stats := db.WithRecorder(context.Background())
	if _, err := w.store.Orders.Cancel(ctx, w.admin, o.ID, o.Version, "no longer needed"); err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "sales_orders", "order_lines", "deliveries", "stock_levels"); err != nil {
		t.Fatal(err)
	}
}

// TestReceipt_AllocatesBackordersInLockOrder: a receipt that serves
// backorders locks the waiting orders, then their lines, then the stock
// level; and it reserves oldest order first until the stock runs out.
func TestReceipt_AllocatesBackordersInLockOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newOrderWorld(t)
	p := w.products[0]
	var orders []*sales.SalesOrder
	for _, qty := range []string{"4", "3", "5"} {
		o := w.order(t, true, 0, qty)
		o, err := w.store.Orders.Confirm(ctx, w.admin, o.ID, o.Version)
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	rctx, stats := db.WithRecorder(ctx)
	if _, err := w.store.Stock.Receive(rctx, w.admin, db.StockChange{ProductID: p, WarehouseID: w.warehouse,
		Quantity: decimal.NewFromInt(8), Reference: "PO-2"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := checkLockOrder(stats.Recorded(), "sales_orders", "order_lines", "stock_levels"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"4", "3", "1"} {
		for _, q := range w.reservedByLine(t, orders[i].ID) {
			if !q.Equal(decimal.RequireFromString(want)) {
				t.Errorf("order %d (oldest first) reserves %s after the receipt of 8; want %s", i+1, q, want)
			}
		}
	}
	if l := w.levels(t)[p]; !l.OnHand.Equal(decimal.NewFromInt(8)) || !l.Reserved.Equal(decimal.NewFromInt(8)) {
		t.Errorf("level after the receipt: %s on hand, %s reserved; want 8 and 8", l.OnHand, l.Reserved)
	}
}
