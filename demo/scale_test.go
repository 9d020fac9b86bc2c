package demo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/sales"
)

// TestLoadScale loads a small company at scale and checks it as its users
// would: sizes, the books adding up, the ledger explaining the stock, and
// the numbering carrying on where the load stopped.
func TestLoadScale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.New(t)
	const orders = 500
	sum, err := demo.LoadScale(ctx, store, demo.ScaleFor(orders))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", sum)
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := store.GetContext(ctx, &n, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	// The load leaves the planner's statistics current, so the first page
	// served after it is planned on the real sizes (an unanalysed load had
	// every loader query scan whole tables).
	if n := count(`SELECT count(*) FROM pg_stat_user_tables
		WHERE relname IN ('sales_orders', 'order_lines', 'deliveries', 'customers', 'products') AND last_analyze IS NULL`); n > 0 {
		t.Fatalf("%d loaded tables have never been analysed", n)
	}
	for table, want := range map[string][2]int{
		"sales_orders": {orders, orders}, "order_lines": {orders * 3, orders * 5}, "customers": {orders / 50, 20},
		"products": {2000, 2000}, "warehouses": {3, 3}, "price_lists": {5, 5}, "deliveries": {orders / 2, orders},
		"delivery_lines": {orders, orders * 5}, "returns": {1, orders / 10}, "stock_levels": {6000, 6000},
		"order_events": {orders * 2, orders * 5}, "users": {len(demo.Users), len(demo.Users)},
		"invoices": {orders / 2, orders}, "invoice_lines": {orders, orders * 5}, "payments": {orders / 3, orders},
		"payment_allocations": {orders / 3, orders},
	} {
		if n := count(`SELECT count(*) FROM ` + table); n < want[0] || n > want[1] {
			t.Errorf("%s: %d rows, want %d to %d", table, n, want[0], want[1])
		}
	}
	for _, st := range sales.OrderStatuses {
		if n := count(`SELECT count(*) FROM sales_orders WHERE status = $1`, string(st)); n == 0 {
			t.Errorf("no %s order", st)
		}
	}
	if old, late := count(`SELECT count(*) FROM sales_orders WHERE order_date < current_date - 60 AND status IN ('DELIVERED', 'COMPLETED', 'CLOSED')`),
		count(`SELECT count(*) FROM sales_orders WHERE order_date < current_date - 60`); old*10 < late*9 {
		t.Errorf("%d of %d orders older than 60 days are delivered or closed, want most", old, late)
	}
	if n := count(`SELECT count(*) FROM sales_orders WHERE order_date > current_date - 14 AND status IN ('DRAFT', 'CONFIRMED')`); n == 0 {
		t.Error("no recent order is still open")
	}
	var first, last time.Time
	if err := store.QueryRowxContext(ctx, `SELECT min(order_date), max(order_date) FROM sales_orders`).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	if span := last.Sub(first); span < 2*365*24*time.Hour || last.After(time.Now()) {
		t.Errorf("orders run from %s to %s, want about three years up to today", first.Format(time.DateOnly), last.Format(time.DateOnly))
	}

	// Each check names what went wrong and counts the rows that break it.
	for what, query := range map[string]string{
		"stock level differs from its ledger": `SELECT count(*) FROM stock_levels s
			LEFT JOIN (SELECT product_id, warehouse_id, sum(quantity) AS q, sum(reserved_change) AS r FROM stock_movements GROUP BY 1, 2) m
			USING (product_id, warehouse_id) WHERE s.on_hand <> coalesce(m.q, 0) OR s.reserved <> coalesce(m.r, 0)`,
		"ledger row's running balance is wrong": `SELECT count(*) FROM (SELECT on_hand_after, reserved_after,
			sum(quantity) OVER w AS q, sum(reserved_change) OVER w AS r FROM stock_movements
			WINDOW w AS (PARTITION BY product_id, warehouse_id ORDER BY id)) x WHERE on_hand_after <> q OR reserved_after <> r`,
		"ledger row reserves more than is on hand": `SELECT count(*) FROM stock_movements WHERE reserved_after > on_hand_after`,
		"stock level's reserved differs from its open order lines": `SELECT count(*) FROM stock_levels s
			LEFT JOIN (SELECT l.product_id, o.warehouse_id, sum(l.reserved_quantity) AS r FROM order_lines l JOIN sales_orders o ON o.id = l.order_id
			GROUP BY 1, 2) x USING (product_id, warehouse_id) WHERE s.reserved <> coalesce(x.r, 0)`,
		"order total differs from its lines": `SELECT count(*) FROM sales_orders o JOIN (SELECT order_id, sum(subtotal) AS s, sum(tax) AS t
			FROM order_lines GROUP BY order_id) l ON l.order_id = o.id WHERE o.subtotal <> l.s OR o.tax_total <> l.t OR o.total <> l.s + l.t`,
		"order without lines":      `SELECT count(*) FROM sales_orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines WHERE order_id = o.id)`,
		"line delivered > ordered": `SELECT count(*) FROM order_lines WHERE delivered_quantity > quantity OR reserved_quantity > quantity - delivered_quantity`,
		"line's deliveries differ": `SELECT count(*) FROM order_lines l WHERE delivered_quantity <> (SELECT coalesce(sum(quantity), 0) FROM delivery_lines WHERE order_line_id = l.id)`,
		"line's returns differ":    `SELECT count(*) FROM order_lines l WHERE returned_quantity <> (SELECT coalesce(sum(rl.quantity), 0) FROM return_lines rl JOIN returns r ON r.id = rl.return_id WHERE rl.order_line_id = l.id AND r.status = 'RECEIVED')`,
		"status disagrees with lines": `SELECT count(*) FROM sales_orders o JOIN (SELECT order_id, sum(delivered_quantity) AS d, sum(quantity) AS q FROM order_lines GROUP BY 1) l
			ON l.order_id = o.id WHERE (o.status IN ('DELIVERED', 'COMPLETED')) <> (l.d = l.q) OR (o.status IN ('PARTIALLY_DELIVERED', 'CLOSED')) <> (l.d > 0 AND l.d < l.q)`,
		"line priced off its list": `SELECT count(*) FROM order_lines l JOIN sales_orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id
			WHERE NOT EXISTS (SELECT 1 FROM price_list_items i WHERE i.product_id = l.product_id AND i.unit_price = l.unit_price
			AND i.price_list_id = coalesce(c.price_list_id, (SELECT id FROM price_lists WHERE is_default AND currency = c.currency)))`,
		"order history does not end in its status": `SELECT count(*) FROM sales_orders o WHERE o.status <> (SELECT status FROM order_events
			WHERE order_id = o.id ORDER BY id DESC LIMIT 1) OR o.status <> (SELECT to_status FROM document_events
			WHERE doc_type = 'ORDER' AND doc_id = o.id ORDER BY id DESC LIMIT 1)`,
		"order history row not linked to its outbox row": `SELECT count(*) FROM document_events d WHERE doc_type = 'ORDER' AND NOT EXISTS
			(SELECT 1 FROM order_events e WHERE e.id = d.order_event_id AND e.order_id = d.doc_id AND e.status = d.to_status)`,
		"order version differs from its history": `SELECT count(*) FROM sales_orders o WHERE version <> (SELECT count(*) FROM order_events WHERE order_id = o.id)`,
		"delivery history does not end in its status": `SELECT count(*) FROM deliveries d WHERE d.status <> (SELECT to_status FROM document_events
			WHERE doc_type = 'DELIVERY' AND doc_id = d.id ORDER BY id DESC LIMIT 1)`,
		"event before its document or in the future": `SELECT count(*) FROM order_events e JOIN sales_orders o ON o.id = e.order_id
			WHERE e.occurred_at < o.created_at OR e.occurred_at > now() OR e.occurred_at::date < o.order_date`,
		"invoice total differs from its lines": `SELECT count(*) FROM invoices i JOIN (SELECT invoice_id, sum(subtotal) AS s, sum(tax) AS t
			FROM invoice_lines GROUP BY invoice_id) l ON l.invoice_id = i.id WHERE i.subtotal <> l.s OR i.tax_total <> l.t OR i.total <> l.s + l.t`,
		"line's invoiced quantity differs from its invoice lines": `SELECT count(*) FROM order_lines l
			WHERE invoiced_quantity <> (SELECT coalesce(sum(quantity), 0) FROM invoice_lines WHERE order_line_id = l.id)`,
		"invoice line priced off its order line": `SELECT count(*) FROM invoice_lines il JOIN order_lines l ON l.id = il.order_line_id
			WHERE il.unit_price <> l.unit_price OR il.discount_percent <> l.discount_percent OR il.tax_rate <> l.tax_rate
			   OR (il.quantity = l.quantity AND il.total <> l.total)`,
		"invoice paid differs from its allocations, or its status from what is paid": `SELECT count(*) FROM invoices i
			WHERE paid_amount <> (SELECT coalesce(sum(amount), 0) FROM payment_allocations WHERE invoice_id = i.id AND reversed_at IS NULL)
			   OR status <> CASE WHEN paid_amount = 0 THEN 'ISSUED' WHEN paid_amount = total THEN 'PAID' ELSE 'PARTIALLY_PAID' END`,
		"payment allocated differs from its allocations": `SELECT count(*) FROM payments p
			WHERE allocated_amount <> (SELECT coalesce(sum(amount), 0) FROM payment_allocations WHERE payment_id = p.id AND reversed_at IS NULL)`,
		"invoice of another customer or currency than its order": `SELECT count(*) FROM invoices i JOIN sales_orders o ON o.id = i.order_id
			WHERE i.customer_id <> o.customer_id OR i.currency <> o.currency OR i.due_date <> i.issue_date + o.payment_terms_days`,
		"completed order not invoiced in full": `SELECT count(*) FROM sales_orders o WHERE status = 'COMPLETED'
			AND EXISTS (SELECT 1 FROM order_lines WHERE order_id = o.id AND invoiced_quantity <> quantity)`,
		"invoice history does not end in issue": `SELECT count(*) FROM invoices i WHERE 'ISSUED' <> (SELECT to_status FROM document_events
			WHERE doc_type = 'INVOICE' AND doc_id = i.id ORDER BY id DESC LIMIT 1)`,
		"number out of format": `SELECT (SELECT count(*) FROM sales_orders WHERE number !~ '^SO-\d{4}-\d{6}$' OR substr(number, 4, 4)::int <> extract(year FROM order_date))
			+ (SELECT count(*) FROM deliveries WHERE number !~ '^DN-\d{4}-\d{6}$' OR bol_number !~ '^BOL-\d{4}-\d{6}$')
			+ (SELECT count(*) FROM returns WHERE number !~ '^RMA-\d{4}-\d{6}$')
			+ (SELECT count(*) FROM invoices WHERE number !~ '^INV-\d{4}-\d{6}$' OR substr(number, 5, 4)::int <> extract(year FROM issue_date))
			+ (SELECT count(*) FROM payments WHERE number !~ '^PAY-\d{4}-\d{6}$' OR substr(number, 5, 4)::int <> extract(year FROM received_date))`,
		"number sequence has a gap or a number past its counter": `SELECT count(*) FROM (
			SELECT 'SO' AS t, substr(number, 4, 4)::int AS y, count(*) AS n, max(substr(number, 9)::int) AS m FROM sales_orders GROUP BY 1, 2
			UNION ALL SELECT 'DN', substr(number, 4, 4)::int, count(*), max(substr(number, 9)::int) FROM deliveries GROUP BY 1, 2
			UNION ALL SELECT 'BOL', substr(bol_number, 5, 4)::int, count(*), max(substr(bol_number, 10)::int) FROM deliveries GROUP BY 1, 2
			UNION ALL SELECT 'RMA', substr(number, 5, 4)::int, count(*), max(substr(number, 10)::int) FROM returns GROUP BY 1, 2
			UNION ALL SELECT 'INV', substr(number, 5, 4)::int, count(*), max(substr(number, 10)::int) FROM invoices GROUP BY 1, 2
			UNION ALL SELECT 'PAY', substr(number, 5, 4)::int, count(*), max(substr(number, 10)::int) FROM payments GROUP BY 1, 2) x
			LEFT JOIN document_counters c ON c.doc_type = x.t AND c.year = x.y WHERE x.n <> x.m OR c.last IS DISTINCT FROM x.m`,
	} {
		if n := count(query); n != 0 {
			t.Errorf("%s: %d rows", what, n)
		}
	}

	// The next order through the store continues this year's numbering.
	var manager sales.User
	if err := store.GetContext(ctx, &manager, `SELECT id, email, name, role, active, version, created_at, updated_at FROM users WHERE role = 'SALES_MANAGER' LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	var customerID, productID, warehouseID int64
	_ = store.GetContext(ctx, &customerID, `SELECT id FROM customers WHERE NOT credit_hold ORDER BY id LIMIT 1`)
	_ = store.GetContext(ctx, &productID, `SELECT id FROM products WHERE active ORDER BY id LIMIT 1`)
	_ = store.GetContext(ctx, &warehouseID, `SELECT id FROM warehouses ORDER BY id LIMIT 1`)
	year := time.Now().Year()
	wantNext := count(`SELECT count(*) FROM sales_orders WHERE order_date >= make_date($1, 1, 1)`, year) + 1
	o, err := store.Orders.Create(ctx, &manager, sales.NewOrder{CustomerID: customerID, Terms: sales.OrderTerms{WarehouseID: warehouseID},
		Lines: []sales.LineInput{{ProductID: productID, Quantity: decimal.NewFromInt(3)}}}, nil)
	if err != nil {
		t.Fatalf("an order after the load: %v", err)
	}
	if want := fmt.Sprintf("SO-%d-%06d", year, wantNext); o.Number != want {
		t.Errorf("the next order is %s, want %s", o.Number, want)
	}
	if o.ID <= int64(orders) {
		t.Errorf("the next order has ID %d, one the load used", o.ID)
	}

	// A second load is refused, and changes nothing.
	before := count(`SELECT count(*) FROM order_lines`)
	if _, err := demo.LoadScale(ctx, store, demo.ScaleFor(orders)); err == nil || !strings.Contains(err.Error(), "already has sales orders") {
		t.Errorf("second load: err = %v, want a refusal naming the orders", err)
	}
	if n := count(`SELECT count(*) FROM order_lines`); n != before {
		t.Errorf("the refused load changed order lines: %d, then %d", before, n)
	}
}

// TestLoadScaleRefusesTheDemoCompany: the demo company's orders would
// collide with the generated numbers and codes.
func TestLoadScaleRefusesTheDemoCompany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.New(t)
	if _, err := demo.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	_, err := demo.LoadScale(ctx, store, demo.ScaleFor(50))
	if err == nil || !strings.Contains(err.Error(), "already has") {
		t.Fatalf("err = %v, want a refusal", err)
	}
}
