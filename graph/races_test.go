package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"salesgraph/db"
	"salesgraph/sales"
)

// stockInvariants lists what must hold between stock levels, the ledger
// and order lines whatever ran concurrently; each query returns one row per
// breach, described as text.
var stockInvariants = []struct{ name, query string }{
	{"no reservation on a cancelled or closed order", `
		SELECT o.number || ' ' || o.status || ' line ' || l.line_no || ' reserved ' || l.reserved_quantity
		FROM order_lines l JOIN sales_orders o ON o.id = l.order_id
		WHERE o.status IN ('CANCELLED', 'CLOSED') AND l.reserved_quantity > 0`},
	{"reserved stock is the sum of the open lines' reservations", `
		SELECT s.product_id || '@' || s.warehouse_id || ' reserved ' || s.reserved || ', lines hold ' || coalesce(r.held, 0)
		FROM stock_levels s LEFT JOIN (
			SELECT l.product_id, o.warehouse_id, sum(l.reserved_quantity) AS held
			FROM order_lines l JOIN sales_orders o ON o.id = l.order_id
			WHERE o.status NOT IN ('CANCELLED', 'CLOSED')
			GROUP BY l.product_id, o.warehouse_id) r ON r.product_id = s.product_id AND r.warehouse_id = s.warehouse_id
		WHERE s.reserved <> coalesce(r.held, 0)`},
	{"the ledger sums to each level", `
		SELECT s.product_id || '@' || s.warehouse_id || ' on hand ' || s.on_hand || ' reserved ' || s.reserved
			|| ', ledger ' || coalesce(m.on_hand, 0) || ' / ' || coalesce(m.reserved, 0)
		FROM stock_levels s LEFT JOIN (
			SELECT product_id, warehouse_id, sum(quantity) AS on_hand, sum(reserved_change) AS reserved
			FROM stock_movements GROUP BY product_id, warehouse_id) m
			ON m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id
		WHERE s.on_hand <> coalesce(m.on_hand, 0) OR s.reserved <> coalesce(m.reserved, 0)`},
	{"each order's ledger reservations match its lines", `
		SELECT o.number || ' ledger reserves ' || coalesce(m.reserved, 0) || ', lines hold ' || coalesce(l.held, 0)
		FROM sales_orders o
		LEFT JOIN (SELECT order_id, sum(reserved_change) AS reserved FROM stock_movements
			WHERE kind IN ('RESERVATION', 'RELEASE') GROUP BY order_id) m ON m.order_id = o.id
		LEFT JOIN (SELECT order_id, sum(reserved_quantity) AS held FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
		WHERE o.status IN ('DRAFT', 'ON_HOLD', 'CONFIRMED', 'CANCELLED') AND coalesce(m.reserved, 0) <> coalesce(l.held, 0)`},
}

// stockBreaches returns every broken stock invariant, empty when all hold.
func stockBreaches(t *testing.T, store *db.Store) []string {
	t.Helper()
	var out []string
	for _, inv := range stockInvariants {
		var rows []string
		if err := store.SelectContext(context.Background(), &rows, inv.query); err != nil {
			t.Fatalf("invariant %q: %v", inv.name, err)
		}
		for _, r := range rows {
			out = append(out, inv.name+": "+r)
		}
	}
	return out
}

// checkStockInvariants fails the test when a stock invariant is broken.
func checkStockInvariants(t *testing.T, store *db.Store) {
	t.Helper()
	if b := stockBreaches(t, store); len(b) > 0 {
		t.Fatalf("stock invariants broken:\n%s", strings.Join(b, "\n"))
	}
}

// TestOrders_CancelRacesReceipts cancels a backordered order while five
// receipts of one unit each arrive for its line, 50 rounds. Whichever
// commits first, a cancelled order must hold no reservation: a receipt that
// allocates to it must see it cancelled (the order is locked before its
// lines), and a cancel that comes after must release what receipts reserved.
// Each round uses a product of its own, so a breach shows once, in its round.
func TestOrders_CancelRacesReceipts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const rounds, receipts = 50, 5
	s := salesSetup{warehouse: e.warehouse("WH1")}
	products := make([]string, rounds)
	var items []any
	for i := range products {
		products[i] = e.product(fmt.Sprintf("RACE-%d", i))
		items = append(items, map[string]any{"productId": products[i], "unitPrice": "1.00"})
	}
	e.priceList(map[string]any{"code": "STD", "name": "Standard", "currency": "EUR", "isDefault": true, "items": items})
	s.customer = e.createCustomer(sales.RoleAdmin, validCustomer("CUST-1")).ID
	seen := map[string]bool{}
	var broken []string
	for round := range rounds {
		product := products[round]
		o := e.createOrder(t, sales.RoleAdmin, s.order(map[string]any{"allowBackorder": true}, line(product, "1000")))
		var c struct{ ConfirmOrder orderOut }
		e.must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)

		start := make(chan struct{})
		errs := make([]string, 1+receipts)
		var wg sync.WaitGroup
		race := func(i int, role sales.Role, query string, vars map[string]any) {
			wg.Go(func() {
				<-start
				if r := gqlPost(e, role, query, vars); len(r.Errors) > 0 {
					errs[i] = r.Errors[0].Code() + ": " + r.Errors[0].Message
				}
			})
		}
		race(0, sales.RoleAdmin, cancelOrderMutation, map[string]any{"id": o.ID, "v": c.ConfirmOrder.Version, "reason": "race"})
		for i := range receipts {
			race(1+i, sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": product, "warehouseId": s.warehouse, "quantity": "1"}})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != "" {
				t.Fatalf("round %d: racer %d (0 cancels, the rest receive) failed: %s", round, i, err)
			}
		}
		var fresh []string
		for _, b := range stockBreaches(t, e.store) {
			if !seen[b] {
				seen[b] = true
				fresh = append(fresh, b)
			}
		}
		if len(fresh) > 0 {
			broken = append(broken, fmt.Sprintf("round %d (%s):\n  %s", round, o.Number, strings.Join(fresh, "\n  ")))
		}
	}
	if len(broken) > 0 {
		t.Fatalf("%d of %d rounds broke the stock invariants:\n%s", len(broken), rounds, strings.Join(broken, "\n"))
	}
	var status string
	if err := e.store.GetContext(t.Context(), &status, `SELECT string_agg(DISTINCT status, ',') FROM sales_orders`); err != nil {
		t.Fatal(err)
	}
	if status != "CANCELLED" {
		t.Fatalf("every raced order should end cancelled, statuses: %s", status)
	}
}
