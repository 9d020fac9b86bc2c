package db_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// The store writes what sales decides, and locks in the documented order.

// shipFixture is a confirmed order of three lines, each on a product of
// its own, whose line numbers run against the products' ids (line 1 is
// the highest product), and a draft delivery of part of it.
type shipFixture struct {
	store      *db.Store
	admin      *sales.User
	warehouse  int64
	returnsTo  int64   // a second warehouse, empty
	products   []int64 // ascending
	order      *sales.SalesOrder
	lines      []*sales.OrderLine // by line number
	delivery   *sales.Delivery
	shipOnDate time.Time
}

func newShipFixture(t *testing.T) *shipFixture {
	t.Helper()
	ctx := context.Background()
	f := &shipFixture{store: dbtest.New(t)}
	s := f.store
	for _, q := range []string{
		`INSERT INTO products (sku, name, unit_of_measure, tax_rate) SELECT 'P-' || g, 'Product ' || g, 'EA', 0.19 FROM generate_series(1, 3) g`,
		`INSERT INTO warehouses (code, name) VALUES ('MAIN', 'Main'), ('RET', 'Returns')`,
		`INSERT INTO price_lists (code, name, currency, is_default) VALUES ('STD', 'Standard', 'EUR', true)`,
		`INSERT INTO price_list_items (price_list_id, product_id, unit_price) SELECT l.id, p.id, 10 FROM products p, price_lists l`,
	} {
		if _, err := s.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(t, s.SelectContext(ctx, &f.products, `SELECT id FROM products ORDER BY id`))
	must(t, s.GetContext(ctx, &f.warehouse, `SELECT id FROM warehouses WHERE code = 'MAIN'`))
	must(t, s.GetContext(ctx, &f.returnsTo, `SELECT id FROM warehouses WHERE code = 'RET'`))
	var err error
	f.admin, err = s.Users.Create(ctx, nil, sales.User{Email: "admin@apply.example", Name: "Admin", Role: sales.RoleAdmin, Active: true}, nil)
	must(t, err)
	customer, err := s.Customers.Create(ctx, f.admin, sales.Customer{Code: "C1", Name: "Customer", Currency: "EUR",
		CreditLimit: decimal.NewFromInt(100000), BillingAddress: &sales.Address{Line1: "1 Main St", City: "Berlin", Country: "DE"}}, nil, nil)
	must(t, err)
	for _, p := range f.products {
		_, err := s.Stock.Receive(ctx, f.admin, db.StockChange{ProductID: p, WarehouseID: f.warehouse, Quantity: decimal.NewFromInt(50)}, nil)
		must(t, err)
	}
	orderDate := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	o, err := s.Orders.Create(ctx, f.admin, sales.NewOrder{CustomerID: customer.ID, Terms: sales.OrderTerms{WarehouseID: f.warehouse, OrderDate: &orderDate},
		Lines: []sales.LineInput{
			{ProductID: f.products[2], Quantity: decimal.NewFromInt(10)},
			{ProductID: f.products[0], Quantity: decimal.NewFromInt(4)},
			{ProductID: f.products[1], Quantity: decimal.NewFromInt(6)},
		}}, nil)
	must(t, err)
	f.order, err = s.Orders.Confirm(ctx, f.admin, o.ID, o.Version)
	must(t, err)
	f.lines = f.orderLines(t)
	f.delivery, err = s.Deliveries.Create(ctx, f.admin, sales.NewDelivery{OrderID: o.ID, Lines: []sales.DeliveryLineInput{
		{OrderLineID: f.lines[0].ID, Quantity: decimal.NewFromInt(10)},
		{OrderLineID: f.lines[1].ID, Quantity: decimal.NewFromInt(2)},
		{OrderLineID: f.lines[2].ID, Quantity: decimal.NewFromInt(6)},
	}}, nil)
	must(t, err)
	f.shipOnDate = time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *shipFixture) orderLines(t *testing.T) []*sales.OrderLine {
	t.Helper()
	lines, err := f.store.Orders.LinesByOrderIDs(context.Background(), []int64{f.order.ID})
	must(t, err)
	slices.SortFunc(lines, func(a, b *sales.OrderLine) int { return a.LineNo - b.LineNo })
	return lines
}

// levels returns the stock levels of a warehouse, by product.
func (f *shipFixture) levels(t *testing.T, warehouse int64) map[int64]sales.StockLevel {
	t.Helper()
	var rows []sales.StockLevel
	must(t, f.store.SelectContext(context.Background(), &rows,
		`SELECT product_id, warehouse_id, on_hand, reserved, updated_at FROM stock_levels WHERE warehouse_id = $1`, warehouse))
	out := map[int64]sales.StockLevel{}
	for _, r := range rows {
		out[r.ProductID] = r
	}
	return out
}

// movements returns the ledger rows referring to reference, oldest first.
func (f *shipFixture) movements(t *testing.T, reference string) []sales.PlannedStockMove {
	t.Helper()
	var rows []struct {
		ProductID      int64                   `db:"product_id"`
		WarehouseID    int64                   `db:"warehouse_id"`
		Kind           sales.StockMovementKind `db:"kind"`
		Quantity       decimal.Decimal         `db:"quantity"`
		ReservedChange decimal.Decimal         `db:"reserved_change"`
		Reference      string                  `db:"reference"`
		OrderID        *int64                  `db:"order_id"`
	}
	must(t, f.store.SelectContext(context.Background(), &rows, `SELECT product_id, warehouse_id, kind, quantity, reserved_change, reference, order_id
		FROM stock_movements WHERE reference = $1 ORDER BY id`, reference))
	var out []sales.PlannedStockMove
	for _, r := range rows {
		if r.OrderID == nil || *r.OrderID != f.order.ID {
			t.Fatalf("movement %+v is not booked to order %d", r, f.order.ID)
		}
		out = append(out, sales.PlannedStockMove{ProductID: r.ProductID, WarehouseID: r.WarehouseID, OnHand: r.Quantity,
			Reserved: r.ReservedChange, Kind: r.Kind, Reference: r.Reference})
	}
	return out
}

// lastEvent returns a document's latest history row.
func (f *shipFixture) lastEvent(t *testing.T, doc sales.DocumentType, id int64) sales.PlannedEvent {
	t.Helper()
	var e sales.PlannedEvent
	must(t, f.store.QueryRowxContext(context.Background(), `SELECT action, from_status, to_status, reason FROM document_events
		WHERE doc_type = $1 AND doc_id = $2 ORDER BY id DESC LIMIT 1`, string(doc), id).Scan(&e.Action, &e.From, &e.To, &e.Reason))
	return e
}

func sameMoves(a, b []sales.PlannedStockMove) bool {
	return slices.EqualFunc(a, b, func(x, y sales.PlannedStockMove) bool {
		return x.ProductID == y.ProductID && x.WarehouseID == y.WarehouseID && x.OnHand.Equal(y.OnHand) &&
			x.Reserved.Equal(y.Reserved) && x.Kind == y.Kind && x.Reference == y.Reference
	})
}

func sameEvent(a, b sales.PlannedEvent) bool {
	return a.Action == b.Action && a.To == b.To && a.Reason == b.Reason && (a.From == nil) == (b.From == nil) && (a.From == nil || *a.From == *b.From)
}

// TestShip_WritesThePlan: after Ship, the order lines' quantities, the
// stock levels, the ledger and the histories are exactly what
// sales.PlanShipment decided from the same rows, and that is what a
// warehouse clerk expects: 18 units leave, line 2 stays half open, the
// order is partly delivered.
func TestShip_WritesThePlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newShipFixture(t)
	before, levelsBefore := f.orderLines(t), f.levels(t, f.warehouse)
	plan, err := db.ShipmentPlanOf(ctx, f.store.DB, f.admin, f.delivery.ID, f.delivery.Version, &f.shipOnDate)
	must(t, err)
	shipped, err := f.store.Deliveries.Ship(ctx, f.admin, f.delivery.ID, f.delivery.Version, &f.shipOnDate)
	must(t, err)

	// The plan, as a user reads it: three moves by product, a partial delivery.
	if len(plan.Moves) != 3 || plan.Moves[0].ProductID != f.products[0] || plan.Moves[2].ProductID != f.products[2] ||
		plan.OrderAction != sales.OrderDeliverPart || plan.OrderStatus != sales.OrderPartiallyDelivered {
		t.Fatalf("plan %+v", plan)
	}

	// Order lines: before + the plan's changes.
	after := f.orderLines(t)
	for i, l := range after {
		want := *before[i]
		for _, c := range plan.Lines {
			if c.OrderLineID == l.ID {
				want.ReservedQuantity = want.ReservedQuantity.Add(c.Reserved)
				want.DeliveredQuantity = want.DeliveredQuantity.Add(c.Delivered)
				want.ReturnedQuantity = want.ReturnedQuantity.Add(c.Returned)
			}
		}
		if !l.ReservedQuantity.Equal(want.ReservedQuantity) || !l.DeliveredQuantity.Equal(want.DeliveredQuantity) || !l.ReturnedQuantity.Equal(want.ReturnedQuantity) {
			t.Fatalf("line %d: reserved %s delivered %s returned %s; the plan says %s, %s, %s", l.LineNo,
				l.ReservedQuantity, l.DeliveredQuantity, l.ReturnedQuantity, want.ReservedQuantity, want.DeliveredQuantity, want.ReturnedQuantity)
		}
	}
	if !after[1].DeliveredQuantity.Equal(decimal.NewFromInt(2)) || !after[1].ReservedQuantity.Equal(decimal.NewFromInt(2)) {
		t.Fatalf("line 2 after shipping 2 of 4: %+v", after[1])
	}

	// Stock levels: before + the plan's moves; the ledger holds the moves, in order.
	levelsAfter := f.levels(t, f.warehouse)
	for _, p := range f.products {
		onHand, reserved := levelsBefore[p].OnHand, levelsBefore[p].Reserved
		for _, m := range plan.Moves {
			if m.ProductID == p {
				onHand, reserved = onHand.Add(m.OnHand), reserved.Add(m.Reserved)
			}
		}
		if got := levelsAfter[p]; !got.OnHand.Equal(onHand) || !got.Reserved.Equal(reserved) {
			t.Fatalf("product %d: %s on hand, %s reserved; the plan says %s, %s", p, got.OnHand, got.Reserved, onHand, reserved)
		}
	}
	if got := f.movements(t, f.delivery.Number); !sameMoves(got, plan.Moves) {
		t.Fatalf("ledger %+v; plan %+v", got, plan.Moves)
	}

	// The delivery and the order: statuses, date and history as planned.
	if shipped.Status != plan.DeliveryStatus || shipped.ShipDate == nil || shipped.ShipDate.Format(time.DateOnly) != "2026-03-12" {
		t.Fatalf("delivery %+v", shipped)
	}
	if e := f.lastEvent(t, sales.DocDelivery, f.delivery.ID); !sameEvent(e, plan.DeliveryEvent) {
		t.Fatalf("delivery history %+v; plan %+v", e, plan.DeliveryEvent)
	}
	orders, err := f.store.Orders.ByIDs(ctx, []int64{f.order.ID})
	must(t, err)
	if orders[0].Status != plan.OrderStatus {
		t.Fatalf("order %s; plan %s", orders[0].Status, plan.OrderStatus)
	}
	from := string(sales.OrderConfirmed)
	wantOrderEvent := sales.PlannedEvent{Action: string(plan.OrderAction), From: &from, To: string(plan.OrderStatus), Reason: plan.OrderReason}
	if e := f.lastEvent(t, sales.DocOrder, f.order.ID); !sameEvent(e, wantOrderEvent) {
		t.Fatalf("order history %+v; plan %+v", e, wantOrderEvent)
	}
}

// lock is one row-locking statement: the table it locks and its arguments.
type lock struct {
	table string
	args  []any
}

var (
	lockingStatement = regexp.MustCompile(`(?is)\bFROM\s+(\w+)\b.*\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b`)
	updateStatement  = regexp.MustCompile(`(?is)^\s*UPDATE\s+(\w+)\b`)
)

// lockRank is the documented lock order: customer, order, its lines, the
// delivery or return, then stock levels (by product id).
var lockRank = map[string]int{"customers": 0, "sales_orders": 1, "order_lines": 2, "deliveries": 3, "returns": 3, "stock_levels": 4}

// checkLockOrder returns an error unless the statements take their row
// locks in the documented order, stock levels by ascending product id,
// lock each table of want, and update only tables they locked first.
func checkLockOrder(stmts []db.Statement, want ...string) ([]lock, error) {
	var locks []lock
	locked := map[string]bool{}
	for _, s := range stmts {
		if m := lockingStatement.FindStringSubmatch(s.Query); m != nil {
			table := strings.ToLower(m[1])
			if _, known := lockRank[table]; !known {
				return nil, fmt.Errorf("locks %s, which the lock order does not name: %s", table, s.Query)
			}
			locks = append(locks, lock{table, s.Args})
			locked[table] = true
			continue
		}
		if m := updateStatement.FindStringSubmatch(s.Query); m != nil && !locked[strings.ToLower(m[1])] {
			return nil, fmt.Errorf("updates %s before locking it: %s", m[1], s.Query)
		}
	}
	var lastProduct int64
	for i, l := range locks {
		if i > 0 && lockRank[l.table] < lockRank[locks[i-1].table] {
			return nil, fmt.Errorf("locks %s after %s: %v", l.table, locks[i-1].table, tables(locks))
		}
		if l.table == "stock_levels" {
			p := l.args[0].(int64)
			if p < lastProduct {
				return nil, fmt.Errorf("locks the stock level of product %d after product %d", p, lastProduct)
			}
			lastProduct = p
		}
	}
	for _, w := range want {
		if !locked[w] {
			return nil, fmt.Errorf("never locks %s: %v", w, tables(locks))
		}
	}
	return locks, nil
}

func tables(locks []lock) []string {
	out := make([]string, len(locks))
	for i, l := range locks {
		out[i] = l.table
	}
	return out
}

// TestShip_LockOrder: the statements one Ship sends lock the order, its
// lines, the delivery, then the three stock levels by ascending product id
// (the order's lines name them in the opposite order).
func TestShip_LockOrder(t *testing.T) {
	t.Parallel()
	f := newShipFixture(t)
	ctx, stats := db.WithRecorder(context.Background())
	_, err := f.store.Deliveries.Ship(ctx, f.admin, f.delivery.ID, f.delivery.Version, &f.shipOnDate)
	must(t, err)
	locks, err := checkLockOrder(stats.Recorded(), "sales_orders", "order_lines", "deliveries", "stock_levels")
	must(t, err)
	var products []int64
	for _, l := range locks {
		if l.table == "stock_levels" {
			products = append(products, l.args[0].(int64))
		}
	}
	if !slices.Equal(products, f.products) {
		t.Fatalf("stock levels locked for products %v; want %v", products, f.products)
	}
	t.Logf("Ship locks %v", tables(locks))
}

// TestCheckLockOrder_Refuses: the lock-order check fails a transaction that
// locks out of order (so the tests above can fail).
func TestCheckLockOrder_Refuses(t *testing.T) {
	for name, stmts := range map[string][]db.Statement{
		"LevelsDescending": {
			{Query: `SELECT 1 FROM stock_levels WHERE product_id = $1 AND warehouse_id = $2 FOR UPDATE`, Args: []any{int64(2), int64(1)}},
			{Query: `SELECT 1 FROM stock_levels WHERE product_id = $1 AND warehouse_id = $2 FOR UPDATE`, Args: []any{int64(1), int64(1)}},
		},
		"OrderAfterDelivery": {
			{Query: `SELECT 1 FROM deliveries WHERE id = $1 FOR UPDATE`, Args: []any{int64(1)}},
			{Query: `SELECT 1 FROM sales_orders WHERE id = $1 FOR UPDATE`, Args: []any{int64(1)}},
		},
		"UpdateWithoutLock": {
			{Query: `UPDATE order_lines SET delivered_quantity = 1 WHERE id = $1`, Args: []any{int64(1)}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := checkLockOrder(stmts); err == nil {
				t.Fatal("checkLockOrder passed statements out of the lock order")
			}
		})
	}
}
