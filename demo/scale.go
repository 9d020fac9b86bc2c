package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"salesgraph/db"
)

// MaxScale bounds seed --scale: numbers keep six digits per year, and a
// load stays within an afternoon.
const MaxScale = 2_000_000

// Scale sizes a LoadScale: Orders sales orders (about four lines each) over
// Years years up to today, for Orders/50 customers and 2000 products.
type Scale struct {
	Orders   int
	Products int
	Years    int
}

// ScaleFor is the standard shape of a load of n orders.
func ScaleFor(n int) Scale {
	return Scale{Orders: n, Products: 2000, Years: 3}
}

func (sc Scale) customers() int { return max(20, sc.Orders/50) }

// ScaleSummary says what LoadScale wrote and how fast.
type ScaleSummary struct {
	Rows []TableRows
	// Preparing is the time spent on the temporary tables the rows derive
	// from, and on fix-ups (stock levels, counters).
	Preparing time.Duration
	Elapsed   time.Duration
}

// TableRows is how many rows a load step wrote into one table.
type TableRows struct {
	Table   string
	Rows    int64
	Elapsed time.Duration // the step's own time, where the load spends it
}

// Total is every row written.
func (s *ScaleSummary) Total() int64 {
	var n int64
	for _, r := range s.Rows {
		n += r.Rows
	}
	return n
}

func (s *ScaleSummary) String() string {
	var b strings.Builder
	counts := map[string]int64{}
	took := map[string]time.Duration{}
	var order []string
	for _, r := range s.Rows {
		if _, ok := counts[r.Table]; !ok {
			order = append(order, r.Table)
		}
		counts[r.Table] += r.Rows
		took[r.Table] += r.Elapsed
	}
	fmt.Fprintln(&b, "Loaded a company at scale:")
	for _, t := range order {
		fmt.Fprintf(&b, "  %-20s %10d rows %8.1fs\n", t, counts[t], took[t].Seconds())
	}
	fmt.Fprintf(&b, "  %-20s %15s %8.1fs\n", "(preparing)", "", s.Preparing.Seconds())
	secs := s.Elapsed.Seconds()
	fmt.Fprintf(&b, "%d rows in %s (%.0f rows/s).\n", s.Total(), s.Elapsed.Round(100*time.Millisecond), float64(s.Total())/max(secs, 0.001))
	fmt.Fprintln(&b, "Users are the demo staff (mint a token with: salesgraph token --user EMAIL), e.g.", AdminEmail)
	return b.String()
}

// scaleStep is one set-based statement of the load. table names what it
// fills (empty for a step that only prepares or fixes up); later documents
// (invoices, payments) add their steps to scaleSteps.
type scaleStep struct {
	table string
	sql   string
	args  func(sc Scale, a *actors) []any
}

// actors are the users the generated history names.
type actors struct {
	manager, warehouse, accountant int64
	reps                           []int64
}

// LoadScale fills an empty, migrated database with a multi-year company of
// sc.Orders sales orders: warehouses, products, price lists, customers,
// orders in every state with their history and outbox rows, deliveries,
// returns and a stock ledger that adds up to the stock levels. It writes
// with INSERT … SELECT in one transaction, so a failure leaves nothing
// behind; explicit IDs are safe because every document table is empty.
// It refuses a database that already has business data.
func LoadScale(ctx context.Context, s *db.Store, sc Scale) (*ScaleSummary, error) {
	if sc.Orders < 1 || sc.Orders > MaxScale {
		return nil, fmt.Errorf("scale must be between 1 and %d orders, not %d", MaxScale, sc.Orders)
	}
	start := time.Now()
	tx, err := s.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, t := range []string{"sales_orders", "customers", "products", "warehouses", "price_lists"} {
		var n int64
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM `+t); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("the database already has %s (%d rows): seed --scale loads only into a freshly migrated, empty database", strings.ReplaceAll(t, "_", " "), n)
		}
	}
	// One long load: the pool's per-statement timeout is for requests.
	// Losing the last commit on a crash costs a seed nothing.
	// A fixed seed: every load of one size is the same company.
	for _, set := range []string{`SET LOCAL statement_timeout = 0`, `SET LOCAL synchronous_commit = off`,
		`SET LOCAL work_mem = '64MB'`, `SELECT setseed(0.2026)`} {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			return nil, fmt.Errorf("%s: %w", set, err)
		}
	}
	a, err := scaleUsers(ctx, tx)
	if err != nil {
		return nil, err
	}
	sum := &ScaleSummary{}
	for i, st := range scaleSteps {
		var args []any
		if st.args != nil {
			args = st.args(sc, a)
		}
		began := time.Now()
		res, err := tx.ExecContext(ctx, st.sql, args...)
		if err != nil {
			return nil, fmt.Errorf("scale step %d (%s): %w", i+1, firstLine(st.sql), err)
		}
		if st.table == "" {
			sum.Preparing += time.Since(began)
		} else {
			n, _ := res.RowsAffected()
			sum.Rows = append(sum.Rows, TableRows{st.table, n, time.Since(began)})
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	// The planner must know the new sizes before the first request: with
	// the statistics of empty tables it estimated ~180 rows per key for
	// order_id = ANY(50 orders) and scanned all of deliveries and order_lines
	// (15–20 ms per statement instead of 0.3) until autovacuum came by.
	if err := analyze(ctx, s); err != nil {
		return nil, fmt.Errorf("analyze the loaded tables: %w", err)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// analyze refreshes the planner's statistics of the whole database, on a
// connection of its own without the pool's per-statement timeout.
func analyze(ctx context.Context, s *db.Store) error {
	conn, err := s.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET statement_timeout = 0`); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `RESET statement_timeout`)
	return err
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// scaleUsers adds the demo staff (unless they exist) and returns who acts.
func scaleUsers(ctx context.Context, tx *sqlx.Tx) (*actors, error) {
	var emails, names, roles []string
	for _, u := range Users {
		emails, names, roles = append(emails, u.Email), append(names, u.Name), append(roles, string(u.Role))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, role)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (email) DO NOTHING`,
		pq.Array(emails), pq.Array(names), pq.Array(roles)); err != nil {
		return nil, err
	}
	a := &actors{}
	pick := func(role string) (int64, error) {
		var id int64
		err := tx.GetContext(ctx, &id, `SELECT id FROM users WHERE role = $1 AND active AND email = ANY($2) ORDER BY id LIMIT 1`, role, pq.Array(emails))
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("no active %s among the demo users", role)
		}
		return id, err
	}
	var err error
	if a.manager, err = pick("SALES_MANAGER"); err != nil {
		return nil, err
	}
	if a.warehouse, err = pick("WAREHOUSE"); err != nil {
		return nil, err
	}
	if a.accountant, err = pick("ACCOUNTANT"); err != nil {
		return nil, err
	}
	if err := tx.SelectContext(ctx, &a.reps, `SELECT id FROM users WHERE role = 'SALES_REP' AND email = ANY($1) ORDER BY id`, pq.Array(emails)); err != nil {
		return nil, err
	}
	if len(a.reps) == 0 {
		return nil, errors.New("no sales rep among the demo users")
	}
	return a, nil
}

// docNumber is the SQL for a document number, as db's nextNumber writes it:
// SO-2026-000123 (more digits past 999999, as fmt's %06d).
func docNumber(prefix, year, seq string) string {
	return fmt.Sprintf(`'%s-' || (%s)::int || '-' || CASE WHEN (%s) < 1000000 THEN lpad((%s)::text, 6, '0') ELSE (%s)::text END`,
		prefix, year, seq, seq, seq)
}

// Catalogue data shared with the demo company, as SQL arrays.
func familyArgs() []any {
	var prefix, name, uom, base, tax []string
	for _, f := range families {
		prefix, name, uom = append(prefix, f.prefix), append(name, f.name), append(uom, f.uom)
		base, tax = append(base, fmt.Sprintf("%.2f", f.base)), append(tax, f.tax)
	}
	return []any{pq.Array(prefix), pq.Array(name), pq.Array(uom), pq.Array(base), pq.Array(tax)}
}

func warehouseArgs() []any {
	var code, name, addr []string
	for _, w := range warehouses {
		b, _ := json.Marshal(w.Address)
		code, name, addr = append(code, w.Code), append(name, w.Name), append(addr, string(b))
	}
	return []any{pq.Array(code), pq.Array(name), pq.Array(addr)}
}

func customerArgs(sc Scale, a *actors) []any {
	var city, country, currency []string
	for _, c := range cities {
		city, country, currency = append(city, c.city), append(country, c.country), append(currency, c.currency)
	}
	return []any{sc.customers(), pq.Array(city), pq.Array(country), pq.Array(currency),
		pq.Array(companyWords.first), pq.Array(companyWords.second), pq.Array(companyWords.form), pq.Array(a.reps)}
}

// orderTransitions is each generated order's history, one row per status
// change, as setOrderStatus records it.
const orderTransitions = `
	SELECT id AS order_id, 1 AS seq, 'CREATE' AS action, NULL AS from_status, 'DRAFT' AS to_status, '' AS reason, rep_id AS actor_id, created_at AS at
	  FROM scale_orders
	UNION ALL
	SELECT id, 2, 'CANCEL', 'DRAFT', 'CANCELLED', 'Customer ordered by mistake', $1::bigint, cancel_at FROM scale_orders WHERE status = 'CANCELLED'
	UNION ALL
	SELECT id, 2, 'HOLD', 'DRAFT', 'ON_HOLD',
	       CASE WHEN hold_reason = 'CUSTOMER_ON_HOLD' THEN 'customer is on credit hold' ELSE 'order exceeds the customer''s credit limit' END,
	       $1::bigint, confirm_at FROM scale_orders WHERE status = 'ON_HOLD'
	UNION ALL
	SELECT id, 2, 'CONFIRM', 'DRAFT', 'CONFIRMED', '', $1::bigint, confirm_at
	  FROM scale_orders WHERE status IN ('CONFIRMED', 'PARTIALLY_DELIVERED', 'DELIVERED', 'CLOSED')
	UNION ALL
	SELECT id, 3, CASE WHEN status = 'DELIVERED' THEN 'DELIVER_ALL' ELSE 'DELIVER_PART' END, 'CONFIRMED',
	       CASE WHEN status = 'DELIVERED' THEN 'DELIVERED' ELSE 'PARTIALLY_DELIVERED' END, '', $2::bigint, ship_at
	  FROM scale_orders WHERE status IN ('PARTIALLY_DELIVERED', 'DELIVERED', 'CLOSED')
	UNION ALL
	SELECT id, 4, 'CLOSE', 'PARTIALLY_DELIVERED', 'CLOSED', 'Customer no longer needs the rest', $1::bigint, close_at
	  FROM scale_orders WHERE status = 'CLOSED'
	UNION ALL
	SELECT id, 4, 'COMPLETE', 'DELIVERED', 'COMPLETED', 'delivered and invoiced in full: invoice ' || invoice_number, $3::bigint, complete_at
	  FROM scale_orders WHERE complete_at IS NOT NULL`

// actorArgs are orderTransitions' parameters: who confirms and closes, who
// ships, who invoices.
func actorArgs(_ Scale, a *actors) []any { return []any{a.manager, a.warehouse, a.accountant} }

// billedOrder is the SQL condition on scale_orders o and its delivery d
// that the order is invoiced.
const billedOrder = `o.status IN ('DELIVERED', 'CLOSED') AND d.ship_date < current_date - 2
	AND NOT (d.ship_date > current_date - 45 AND o.id % 10 < 3)`

// invoicedLineSubtotal is the SQL of a scale_lines row l's delivered
// quantity priced as the line is, as sales prices an invoice line: rounded
// to the cent (the scale's currencies all have two minor digits); its tax
// is this times the rate, rounded again.
const invoicedLineSubtotal = `round(l.delivered_quantity * l.unit_price - l.delivered_quantity * l.unit_price * l.discount_percent / 100, 2)`

// scaleSteps build the company table by table. Temporary scale_* tables
// hold what several tables derive from (each order's status and dates,
// each line's quantities), so every table agrees with the others.
var scaleSteps = []scaleStep{
	{table: "warehouses", args: func(Scale, *actors) []any { return warehouseArgs() }, sql: `
	INSERT INTO warehouses (id, code, name, address) OVERRIDING SYSTEM VALUE
	SELECT ord, code, name, addr::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS w(code, name, addr, ord)`},

	{args: func(Scale, *actors) []any { return familyArgs() }, sql: `
	CREATE TEMP TABLE scale_families ON COMMIT DROP AS
	SELECT (ord - 1)::int AS k, prefix, name, uom, base::numeric AS base, tax::numeric AS tax
	  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS f(prefix, name, uom, base, tax, ord)`},

	{table: "products", args: func(sc Scale, _ *actors) []any { return []any{sc.Products, pq.Array(sizes), len(families)} }, sql: `
	INSERT INTO products (id, sku, name, description, unit_of_measure, tax_rate, active, created_at, updated_at) OVERRIDING SYSTEM VALUE
	SELECT g, f.prefix || '-' || lpad(g::text, 5, '0'),
	       f.name || ' ' || s.size || ' series ' || (1 + g / ($3 * 16)),
	       f.name || ', size ' || s.size || '. Scale catalogue item.', f.uom, f.tax, g % 50 <> 0,
	       now() - interval '4 years', now() - interval '4 years'
	  FROM generate_series(1, $1::int) g
	  JOIN scale_families f ON f.k = g % $3
	 CROSS JOIN LATERAL (SELECT ($2::text[])[1 + (g / $3) % cardinality($2::text[])] AS size) s
	 ORDER BY g`},

	// Five lists as in the demo company: a default per currency, and two
	// customer lists. Prices follow the family's base price and the size.
	{table: "price_lists", sql: `
	INSERT INTO price_lists (id, code, name, currency, is_default) OVERRIDING SYSTEM VALUE VALUES
	  (1, 'STD-EUR', 'Standard prices EUR', 'EUR', true), (2, 'STD-USD', 'Standard prices USD', 'USD', true),
	  (3, 'STD-GBP', 'Standard prices GBP', 'GBP', true), (4, 'WHOLESALE-EUR', 'Wholesale partners EUR', 'EUR', false),
	  (5, 'KEY-USD', 'Key accounts USD', 'USD', false)`},

	{args: func(Scale, *actors) []any { return []any{len(families)} }, sql: `
	CREATE TEMP TABLE scale_prices ON COMMIT DROP AS
	SELECT list_id, product_id, p1, round(p1 * 0.95, 2) AS p100
	  FROM (SELECT l.id AS list_id, p.id AS product_id,
	               greatest(0.01, round(f.base * (1 + ((p.id / $1) % 16) * 0.15) * l.factor, 2)) AS p1
	          FROM products p
	          JOIN scale_families f ON f.k = p.id % $1
	         CROSS JOIN (VALUES (1, 1.0), (2, 1.08), (3, 0.86), (4, 0.88), (5, 0.9936)) AS l(id, factor)) x`},
	{sql: `ANALYZE scale_prices`},

	{table: "price_list_items", sql: `
	INSERT INTO price_list_items (price_list_id, product_id, min_quantity, unit_price)
	SELECT list_id, product_id, 1, p1 FROM scale_prices
	UNION ALL
	SELECT list_id, product_id, 100, p100 FROM scale_prices`},

	// Customers (one per 50 orders) across currencies and reps; some on their
	// own list, some on credit hold.
	{table: "customers", args: customerArgs, sql: `
	INSERT INTO customers (id, code, name, email, phone, billing_address, currency, payment_terms_days, credit_limit, credit_hold,
	                       price_list_id, sales_rep_id, notes, created_at, updated_at) OVERRIDING SYSTEM VALUE
	SELECT g, 'C' || lpad(g::text, 6, '0'),
	       ($5::text[])[1 + g % 20] || ' ' || ($6::text[])[1 + (g / 20) % 10] || ' ' || ($7::text[])[1 + (g / 200) % 6],
	       'orders@' || lower(($5::text[])[1 + g % 20]) || g || '.example',
	       '+' || (30 + g % 20) || ' ' || lpad((100 + g % 900)::text, 3, '0') || ' ' || lpad((g * 7 % 10000)::text, 4, '0'),
	       jsonb_build_object('line1', (1 + g % 400) || ' Market Street', 'city', ($2::text[])[ci], 'postalCode',
	                          lpad((10000 + g * 37 % 89999)::text, 5, '0'), 'country', ($3::text[])[ci]),
	       ($4::text[])[ci], (ARRAY[14, 30, 30, 45, 60])[1 + g % 5], 5000 + 2500 * (g % 12), g % 17 = 0,
	       CASE WHEN ($4::text[])[ci] = 'EUR' AND g % 4 = 0 THEN 4 WHEN ($4::text[])[ci] = 'USD' AND g % 3 = 0 THEN 5 END,
	       ($8::bigint[])[1 + g % cardinality($8::bigint[])], 'Scale customer.', now() - interval '4 years', now() - interval '4 years'
	  FROM (SELECT g, 1 + g % cardinality($2::text[]) AS ci FROM generate_series(1, $1::int) g) x
	 ORDER BY g`},

	{table: "customer_addresses", sql: `
	INSERT INTO customer_addresses (customer_id, label, line1, city, postal_code, country, is_default)
	SELECT id, 'Main site', billing_address->>'line1', billing_address->>'city', billing_address->>'postalCode',
	       billing_address->>'country', true
	  FROM customers ORDER BY id`},
	{sql: `ANALYZE products, customers, price_lists`},

	// Orders: dates over the years up to today, more of them lately, on
	// weekdays; big customers order more. The status follows the age: old
	// orders are delivered (a few closed short or cancelled), recent ones
	// are still in every state. Every later date follows from the order's.
	{args: func(sc Scale, _ *actors) []any { return []any{sc.Orders, sc.customers(), sc.Years * 365} }, sql: `
	CREATE TEMP TABLE scale_orders ON COMMIT DROP AS
	WITH raw AS (
	    SELECT g, current_date - floor($3 * (1 - sqrt(random())))::int AS d0, random() AS r1, random() AS r2, random() AS r3,
	           random() AS r4, 1 + floor(power(random(), 1.6) * $2)::int AS customer_id, 1 + floor(random() * 7)::int AS nlines
	      FROM generate_series(1, $1::int) g
	), dated AS (
	    SELECT r.*, d0 - CASE extract(isodow FROM d0) WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 0 END AS order_date FROM raw r
	), placed AS (
	    SELECT d.*, current_date - d.order_date AS age, c.credit_hold, c.currency, c.payment_terms_days, c.billing_address AS ship_to,
	           c.sales_rep_id AS rep_id,
	           coalesce(c.price_list_id, CASE c.currency WHEN 'EUR' THEN 1 WHEN 'USD' THEN 2 ELSE 3 END) AS list_id,
	           CASE WHEN c.currency = 'USD' THEN 3 WHEN c.currency = 'GBP' OR d.r4 < 0.3 THEN 2 ELSE 1 END AS warehouse_id
	      FROM dated d JOIN customers c ON c.id = d.customer_id
	), statused AS (
	    SELECT row_number() OVER (ORDER BY order_date, g) AS id, p.*,
	           CASE
	             WHEN age > 60 THEN CASE WHEN r1 < 0.06 THEN 'CANCELLED' WHEN r1 < 0.11 THEN 'CLOSED' ELSE 'DELIVERED' END
	             WHEN age > 14 THEN CASE WHEN r1 < 0.07 THEN 'CANCELLED' WHEN r1 < 0.10 THEN 'CLOSED' WHEN r1 < 0.15 THEN 'ON_HOLD'
	                                     WHEN r1 < 0.25 THEN 'CONFIRMED' WHEN r1 < 0.40 THEN 'PARTIALLY_DELIVERED' ELSE 'DELIVERED' END
	             ELSE CASE WHEN r1 < 0.08 THEN 'CANCELLED' WHEN r1 < 0.15 THEN 'ON_HOLD' WHEN r1 < 0.35 THEN 'DRAFT'
	                       WHEN r1 < 0.70 THEN 'CONFIRMED' WHEN r1 < 0.85 THEN 'PARTIALLY_DELIVERED' ELSE 'DELIVERED' END
	           END AS status,
	           least(order_date + time '08:00' + r2 * interval '9 hours', now() - interval '1 minute') AS created_at
	      FROM placed p
	), timed AS (
	    SELECT s.*, row_number() OVER (PARTITION BY extract(year FROM order_date) ORDER BY id) AS seq,
	           least(created_at + r3 * interval '3 hours', now()) AS confirm_at,
	           least(current_date, order_date + 1 + floor(r3 * 4)::int) AS ship_date,
	           least(created_at + interval '1 day', now()) AS cancel_at,
	           CASE WHEN status = 'ON_HOLD' THEN CASE WHEN credit_hold THEN 'CUSTOMER_ON_HOLD' ELSE 'CREDIT_LIMIT' END END AS hold_reason
	      FROM statused s
	)
	SELECT t.*, ` + docNumber("SO", "extract(year FROM order_date)", "seq") + ` AS number,
	       greatest(confirm_at, least(ship_date + time '14:00', now())) AS ship_at,
	       least(greatest(confirm_at, least(ship_date + time '14:00', now())) + interval '10 days', now()) AS close_at
	  FROM timed t`},
	{sql: `ANALYZE scale_orders`},

	// Lines: popular products sell more, most quantities are small. A partly
	// delivered (or short-closed) order has half of each line shipped, and
	// its first line at least two units, so it is partly delivered indeed.
	{args: func(sc Scale, _ *actors) []any { return []any{sc.Products} }, sql: `
	CREATE TEMP TABLE scale_lines ON COMMIT DROP AS
	WITH raw AS (
	    SELECT o.id AS order_id, k AS line_no, o.status, o.list_id, o.warehouse_id,
	           1 + floor(power(random(), 2) * $1)::int AS product_id, 1 + floor(power(random(), 3) * 150)::int AS q0, random() AS rd
	      FROM scale_orders o CROSS JOIN LATERAL generate_series(1, o.nlines) k
	), q AS (
	    SELECT r.*, (CASE WHEN line_no = 1 AND status IN ('PARTIALLY_DELIVERED', 'CLOSED') THEN greatest(q0, 2) ELSE q0 END)::numeric AS quantity,
	           (CASE WHEN rd < 0.10 THEN 5 WHEN rd < 0.13 THEN 10 ELSE 0 END)::numeric AS discount_percent
	      FROM raw r
	), priced AS (
	    SELECT q.*, CASE WHEN q.quantity >= 100 THEN p.p100 ELSE p.p1 END AS unit_price, pr.tax_rate
	      FROM q JOIN scale_prices p ON p.list_id = q.list_id AND p.product_id = q.product_id
	      JOIN products pr ON pr.id = q.product_id
	), amounts AS (
	    SELECT pr.*, round(quantity * unit_price - quantity * unit_price * discount_percent / 100, 2) AS subtotal,
	           CASE WHEN status = 'DELIVERED' THEN quantity WHEN status IN ('PARTIALLY_DELIVERED', 'CLOSED') THEN floor(quantity / 2) ELSE 0 END
	               AS delivered_quantity
	      FROM priced pr
	)
	SELECT row_number() OVER (ORDER BY order_id, line_no) AS id, a.*, round(subtotal * tax_rate, 2) AS tax,
	       CASE WHEN status = 'CONFIRMED' THEN quantity WHEN status = 'PARTIALLY_DELIVERED' THEN quantity - delivered_quantity ELSE 0 END
	           AS reserved_quantity,
	       0::numeric AS returned_quantity
	  FROM amounts a`},
	{sql: `ANALYZE scale_lines`},

	// One delivery per shipped order; those a few days old are received.
	{sql: `
	CREATE TEMP TABLE scale_deliveries ON COMMIT DROP AS
	WITH d AS (
	    SELECT row_number() OVER (ORDER BY ship_at, id) AS id, id AS order_id, warehouse_id, ship_to, ship_date, ship_at, confirm_at,
	           nullif(least(ship_date + 1 + floor(r2 * 3)::int, current_date + 1), current_date + 1) AS delivered_date
	      FROM scale_orders WHERE status IN ('PARTIALLY_DELIVERED', 'DELIVERED', 'CLOSED')
	), n AS (
	    SELECT d.*, row_number() OVER (PARTITION BY extract(year FROM ship_date) ORDER BY id) AS seq FROM d
	)
	SELECT n.*, ` + docNumber("DN", "extract(year FROM ship_date)", "seq") + ` AS number,
	       ` + docNumber("BOL", "extract(year FROM ship_date)", "seq") + ` AS bol_number,
	       CASE WHEN delivered_date IS NULL THEN 'SHIPPED' ELSE 'DELIVERED' END AS status,
	       confirm_at + (ship_at - confirm_at) / 2 AS created_at,
	       least(delivered_date + time '11:00', now()) AS received_at,
	       (ARRAY['DHL Freight', 'DB Schenker', 'UPS', 'Kuehne+Nagel'])[1 + id % 4] AS carrier
	  FROM n`},
	{sql: `ANALYZE scale_deliveries`},

	// Returns: about one delivered order in thirty, one line each; most are
	// received back into stock, some rejected, the latest still open.
	{sql: `
	CREATE TEMP TABLE scale_returns ON COMMIT DROP AS
	WITH r AS (
	    SELECT o.id AS order_id, d.id AS delivery_id, o.warehouse_id, l.id AS order_line_id, l.product_id,
	           greatest(1, floor(l.delivered_quantity * 0.2)) AS quantity, random() AS rs,
	           least(d.ship_at + interval '5 days' + random() * interval '20 days', now() - interval '1 minute') AS created_at
	      FROM scale_orders o
	      JOIN scale_deliveries d ON d.order_id = o.id
	      JOIN scale_lines l ON l.order_id = o.id AND l.line_no = 1
	     WHERE o.status = 'DELIVERED' AND d.ship_date < current_date - 20 AND random() < 0.035
	), n AS (
	    SELECT row_number() OVER (ORDER BY created_at, order_id) AS id, r.*,
	           CASE WHEN rs < 0.75 THEN 'RECEIVED' WHEN rs < 0.85 THEN 'REJECTED' WHEN rs < 0.92 THEN 'APPROVED' ELSE 'REQUESTED' END AS status,
	           (ARRAY['Wrong size ordered', 'Damaged in transit', 'Customer ordered too many', 'Defective on arrival'])[1 + floor(rs * 4)::int]
	               AS reason
	      FROM r
	)
	SELECT n.*, row_number() OVER (PARTITION BY extract(year FROM created_at) ORDER BY id) AS seq,
	       least(created_at + interval '1 day', now()) AS decided_at,
	       least(created_at + interval '6 days', now()) AS received_at
	  FROM n`},
	{sql: `
	UPDATE scale_lines l SET returned_quantity = r.quantity
	  FROM scale_returns r WHERE r.order_line_id = l.id AND r.status = 'RECEIVED'`},

	// Billing: an order shipped two days ago or earlier has its delivered
	// goods invoiced the day after shipping, on the customer's terms (but
	// three in ten of those shipped in the last 45 days wait); a fully
	// delivered order so invoiced is COMPLETED. Most invoices past due are
	// paid (some in part, a few not at all: overdue), fewer of those not yet
	// due. Each payment is allocated to its invoice in full.
	{sql: `
	CREATE TEMP TABLE scale_invoice_lines ON COMMIT DROP AS
	SELECT l.order_id, l.id AS order_line_id, l.line_no, l.product_id, l.delivered_quantity AS quantity, l.unit_price,
	       l.discount_percent, l.tax_rate, ` + invoicedLineSubtotal + ` AS subtotal, round(` + invoicedLineSubtotal + ` * l.tax_rate, 2) AS tax
	  FROM scale_lines l JOIN scale_orders o ON o.id = l.order_id JOIN scale_deliveries d ON d.order_id = o.id
	 WHERE ` + billedOrder + ` AND l.delivered_quantity > 0`},
	{sql: `
	CREATE TEMP TABLE scale_invoices ON COMMIT DROP AS
	WITH i AS (
	    SELECT o.id AS order_id, o.customer_id, o.currency, o.status AS order_status, d.ship_date + 1 AS issue_date,
	           d.ship_date + 1 + o.payment_terms_days AS due_date, d.ship_date + 1 + time '10:00' AS issue_at,
	           o.payment_terms_days, t.subtotal, t.tax, random() AS rp, random() AS rd
	      FROM scale_orders o JOIN scale_deliveries d ON d.order_id = o.id
	      JOIN (SELECT order_id, sum(subtotal) AS subtotal, sum(tax) AS tax FROM scale_invoice_lines GROUP BY order_id) t ON t.order_id = o.id
	), n AS (
	    SELECT row_number() OVER (ORDER BY issue_at, order_id) AS id, i.*, subtotal + tax AS total,
	           CASE WHEN due_date < current_date THEN CASE WHEN rp < 0.85 THEN 'PAID' WHEN rp < 0.92 THEN 'PARTIALLY_PAID' ELSE 'ISSUED' END
	                ELSE CASE WHEN rp < 0.35 THEN 'PAID' WHEN rp < 0.45 THEN 'PARTIALLY_PAID' ELSE 'ISSUED' END
	           END AS outcome,
	           least(issue_date + floor(rd * (payment_terms_days + 10))::int, current_date) AS paid_date
	      FROM i
	), p AS (
	    SELECT n.*, row_number() OVER (PARTITION BY extract(year FROM issue_date) ORDER BY id) AS seq,
	           CASE outcome WHEN 'PAID' THEN total WHEN 'PARTIALLY_PAID' THEN floor(total * 50) / 100 ELSE 0 END AS paid,
	           greatest(issue_at + interval '1 hour', least(paid_date + time '09:30', now())) AS paid_at
	      FROM n
	)
	SELECT p.*, ` + docNumber("INV", "extract(year FROM issue_date)", "seq") + ` AS number,
	       CASE WHEN paid = 0 THEN 'ISSUED' WHEN paid = total THEN 'PAID' ELSE 'PARTIALLY_PAID' END AS status
	  FROM p`},
	{sql: `
	CREATE TEMP TABLE scale_payments ON COMMIT DROP AS
	SELECT i.*, row_number() OVER (PARTITION BY extract(year FROM paid_at) ORDER BY paid_at, id) AS pay_seq,
	       row_number() OVER (ORDER BY paid_at, id) AS payment_id
	  FROM scale_invoices i WHERE paid > 0`},
	{sql: `ANALYZE scale_invoices`},
	{sql: `ALTER TABLE scale_orders ADD COLUMN complete_at timestamptz, ADD COLUMN invoice_number text`},
	{sql: `
	UPDATE scale_orders o SET complete_at = i.issue_at, invoice_number = i.number
	  FROM scale_invoices i WHERE i.order_id = o.id AND o.status = 'DELIVERED'`},

	{table: "sales_orders", sql: `
	INSERT INTO sales_orders (id, number, customer_id, warehouse_id, order_date, requested_delivery_date, ship_to, currency,
	                          payment_terms_days, status, hold_reason, customer_reference, notes, subtotal, tax_total, total,
	                          created_by, version, created_at, updated_at) OVERRIDING SYSTEM VALUE
	SELECT o.id, o.number, o.customer_id, o.warehouse_id, o.order_date, o.order_date + 7, o.ship_to, o.currency,
	       o.payment_terms_days, CASE WHEN o.complete_at IS NULL THEN o.status ELSE 'COMPLETED' END, o.hold_reason,
	       'PO-' || (40000 + o.g), '', t.subtotal, t.tax, t.subtotal + t.tax,
	       o.rep_id,
	       CASE o.status WHEN 'DRAFT' THEN 1 WHEN 'CLOSED' THEN 4 WHEN 'PARTIALLY_DELIVERED' THEN 3 WHEN 'DELIVERED' THEN 3 ELSE 2 END
	           + CASE WHEN o.complete_at IS NULL THEN 0 ELSE 1 END,
	       o.created_at,
	       CASE WHEN o.complete_at IS NOT NULL THEN o.complete_at ELSE
	       CASE o.status WHEN 'DRAFT' THEN o.created_at WHEN 'CANCELLED' THEN o.cancel_at WHEN 'CLOSED' THEN o.close_at
	                     WHEN 'PARTIALLY_DELIVERED' THEN o.ship_at WHEN 'DELIVERED' THEN o.ship_at ELSE o.confirm_at END END
	  FROM scale_orders o
	  JOIN (SELECT order_id, sum(subtotal) AS subtotal, sum(tax) AS tax FROM scale_lines GROUP BY order_id) t ON t.order_id = o.id
	 ORDER BY o.id`},

	{table: "order_lines", sql: `
	INSERT INTO order_lines (id, order_id, line_no, product_id, quantity, reserved_quantity, delivered_quantity, returned_quantity,
	                         invoiced_quantity, unit_price, discount_percent, tax_rate, subtotal, tax, total) OVERRIDING SYSTEM VALUE
	SELECT l.id, l.order_id, l.line_no, l.product_id, l.quantity, l.reserved_quantity, l.delivered_quantity, l.returned_quantity,
	       coalesce(il.quantity, 0), l.unit_price, l.discount_percent, l.tax_rate, l.subtotal, l.tax, l.subtotal + l.tax
	  FROM scale_lines l LEFT JOIN scale_invoice_lines il ON il.order_line_id = l.id ORDER BY l.id`},

	{table: "document_events", args: actorArgs, sql: `
	INSERT INTO document_events (doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at)
	SELECT 'ORDER', order_id, action, from_status, to_status, reason, actor_id, at FROM (` + orderTransitions + `) t
	 ORDER BY at, order_id, seq`},
	{table: "order_events", args: actorArgs, sql: `
	INSERT INTO order_events (order_id, previous_status, status, reason, actor_id, occurred_at)
	SELECT order_id, from_status, to_status, reason, actor_id, at FROM (` + orderTransitions + `) t
	 ORDER BY at, order_id, seq`},
	// Each order history row names its outbox row: the event's feed cursor (migration 0019).
	{sql: `
	UPDATE document_events d SET order_event_id = e.id
	  FROM (SELECT id, doc_id, from_status, to_status, occurred_at,
	               row_number() OVER (PARTITION BY doc_id, from_status, to_status, occurred_at ORDER BY id) AS n
	          FROM document_events WHERE doc_type = 'ORDER' AND order_event_id IS NULL) h,
	       (SELECT id, order_id, previous_status, status, occurred_at,
	               row_number() OVER (PARTITION BY order_id, previous_status, status, occurred_at ORDER BY id) AS n
	          FROM order_events e WHERE NOT EXISTS (SELECT FROM document_events l WHERE l.order_event_id = e.id)) e
	 WHERE d.id = h.id AND e.order_id = h.doc_id AND e.status = h.to_status
	   AND e.previous_status IS NOT DISTINCT FROM h.from_status AND e.occurred_at = h.occurred_at AND e.n = h.n`},

	{table: "deliveries", args: func(_ Scale, a *actors) []any { return []any{a.warehouse} }, sql: `
	INSERT INTO deliveries (id, number, bol_number, order_id, warehouse_id, status, ship_to, carrier, tracking_number, ship_date,
	                        delivered_date, received_by, created_by, version, created_at, updated_at) OVERRIDING SYSTEM VALUE
	SELECT id, number, bol_number, order_id, warehouse_id, status, ship_to, carrier, 'JD' || lpad((1000000 + id)::text, 12, '0'),
	       ship_date, delivered_date, CASE WHEN status = 'DELIVERED' THEN 'Goods-in desk' ELSE '' END, $1::bigint,
	       CASE WHEN status = 'DELIVERED' THEN 3 ELSE 2 END, created_at,
	       CASE WHEN status = 'DELIVERED' THEN received_at ELSE ship_at END
	  FROM scale_deliveries ORDER BY id`},
	{table: "delivery_lines", sql: `
	INSERT INTO delivery_lines (delivery_id, order_line_id, quantity, accepted_quantity, refused_quantity)
	SELECT d.id, l.id, l.delivered_quantity,
	       CASE WHEN d.status = 'DELIVERED' THEN l.delivered_quantity END, CASE WHEN d.status = 'DELIVERED' THEN 0 END
	  FROM scale_lines l JOIN scale_deliveries d ON d.order_id = l.order_id
	 WHERE l.delivered_quantity > 0
	 ORDER BY d.id, l.id`},
	{table: "document_events", args: func(_ Scale, a *actors) []any { return []any{a.warehouse} }, sql: `
	INSERT INTO document_events (doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at)
	SELECT 'DELIVERY', id, action, from_status, to_status, '', $1::bigint, at FROM (
	    SELECT id, 1 AS seq, 'CREATE' AS action, NULL AS from_status, 'DRAFT' AS to_status, created_at AS at FROM scale_deliveries
	    UNION ALL SELECT id, 2, 'SHIP', 'DRAFT', 'SHIPPED', ship_at FROM scale_deliveries
	    UNION ALL SELECT id, 3, 'CONFIRM_RECEIPT', 'SHIPPED', 'DELIVERED', received_at FROM scale_deliveries WHERE status = 'DELIVERED'
	) t ORDER BY at, id, seq`},

	{table: "returns", args: func(_ Scale, a *actors) []any { return []any{a.manager} }, sql: `
	INSERT INTO returns (id, number, order_id, delivery_id, status, reason, warehouse_id, received_date, created_by, version,
	                     created_at, updated_at) OVERRIDING SYSTEM VALUE
	SELECT id, ` + docNumber("RMA", "extract(year FROM created_at)", "seq") + `, order_id, delivery_id, status, reason,
	       CASE WHEN status = 'RECEIVED' THEN warehouse_id END, CASE WHEN status = 'RECEIVED' THEN received_at::date END, $1::bigint,
	       CASE status WHEN 'REQUESTED' THEN 1 WHEN 'RECEIVED' THEN 3 ELSE 2 END, created_at,
	       CASE status WHEN 'REQUESTED' THEN created_at WHEN 'RECEIVED' THEN received_at ELSE decided_at END
	  FROM scale_returns ORDER BY id`},
	{table: "return_lines", sql: `
	INSERT INTO return_lines (return_id, order_line_id, quantity, reason)
	SELECT id, order_line_id, quantity, reason FROM scale_returns ORDER BY id`},
	{table: "document_events", args: func(_ Scale, a *actors) []any { return []any{a.manager, a.warehouse} }, sql: `
	INSERT INTO document_events (doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at)
	SELECT 'RETURN', id, action, from_status, to_status, reason, actor_id, at FROM (
	    SELECT id, 1 AS seq, 'CREATE' AS action, NULL AS from_status, 'REQUESTED' AS to_status, reason, $1::bigint AS actor_id, created_at AS at
	      FROM scale_returns
	    UNION ALL SELECT id, 2, 'APPROVE', 'REQUESTED', 'APPROVED', '', $1::bigint, decided_at FROM scale_returns WHERE status IN ('APPROVED', 'RECEIVED')
	    UNION ALL SELECT id, 2, 'REJECT', 'REQUESTED', 'REJECTED', 'Outside the 30-day return window', $1::bigint, decided_at
	                FROM scale_returns WHERE status = 'REJECTED'
	    UNION ALL SELECT id, 3, 'RECEIVE', 'APPROVED', 'RECEIVED', '', $2::bigint, received_at FROM scale_returns WHERE status = 'RECEIVED'
	) t ORDER BY at, id, seq`},

	{table: "invoices", args: func(_ Scale, a *actors) []any { return []any{a.accountant} }, sql: `
	INSERT INTO invoices (id, number, order_id, customer_id, kind, status, currency, issue_date, due_date, subtotal, tax_total, total,
	                      paid_amount, created_by, version, created_at, updated_at) OVERRIDING SYSTEM VALUE
	SELECT id, number, order_id, customer_id, 'INVOICE', status, currency, issue_date, due_date, subtotal, tax, total, paid,
	       $1::bigint, CASE WHEN paid > 0 THEN 3 ELSE 2 END, issue_at - interval '1 hour', CASE WHEN paid > 0 THEN paid_at ELSE issue_at END
	  FROM scale_invoices ORDER BY id`},
	{table: "invoice_lines", sql: `
	INSERT INTO invoice_lines (invoice_id, order_line_id, line_no, quantity, unit_price, discount_percent, tax_rate, subtotal, tax, total)
	SELECT i.id, l.order_line_id, row_number() OVER (PARTITION BY i.id ORDER BY l.line_no), l.quantity, l.unit_price, l.discount_percent,
	       l.tax_rate, l.subtotal, l.tax, l.subtotal + l.tax
	  FROM scale_invoice_lines l JOIN scale_invoices i ON i.order_id = l.order_id
	 ORDER BY i.id, l.line_no`},
	{table: "document_events", args: func(_ Scale, a *actors) []any { return []any{a.accountant} }, sql: `
	INSERT INTO document_events (doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at)
	SELECT 'INVOICE', id, action, from_status, to_status, '', $1::bigint, at FROM (
	    SELECT id, 1 AS seq, 'CREATE' AS action, NULL AS from_status, 'DRAFT' AS to_status, issue_at - interval '1 hour' AS at FROM scale_invoices
	    UNION ALL SELECT id, 2, 'ISSUE', 'DRAFT', 'ISSUED', issue_at FROM scale_invoices
	) t ORDER BY at, id, seq`},
	{table: "payments", args: func(_ Scale, a *actors) []any { return []any{a.accountant} }, sql: `
	INSERT INTO payments (id, number, customer_id, currency, amount, allocated_amount, status, received_date, method, reference,
	                      created_by, version, created_at, updated_at) OVERRIDING SYSTEM VALUE
	SELECT payment_id, ` + docNumber("PAY", "extract(year FROM paid_at)", "pay_seq") + `, customer_id, currency, paid, paid, 'ALLOCATED',
	       paid_at::date, (ARRAY['BANK_TRANSFER', 'BANK_TRANSFER', 'BANK_TRANSFER', 'CARD', 'CHEQUE'])[1 + payment_id % 5],
	       'Remittance for ' || number, $1::bigint, 1, paid_at, paid_at
	  FROM scale_payments ORDER BY payment_id`},
	{table: "payment_allocations", args: func(_ Scale, a *actors) []any { return []any{a.accountant} }, sql: `
	INSERT INTO payment_allocations (payment_id, invoice_id, amount, allocated_at, allocated_by)
	SELECT payment_id, id, paid, paid_at, $1::bigint FROM scale_payments ORDER BY payment_id`},
	{table: "document_events", args: func(_ Scale, a *actors) []any { return []any{a.accountant} }, sql: `
	INSERT INTO document_events (doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at)
	SELECT 'PAYMENT', payment_id, 'RECORD', NULL, 'ALLOCATED', 'allocated ' || number || ' ' || paid || ' ' || currency, $1::bigint, paid_at
	  FROM scale_payments ORDER BY paid_at, payment_id`},

	// The stock ledger, in time order, each row with the running on hand
	// and reserved of its level: an opening receipt per level (a buffer plus
	// what is still reserved), a receipt per level at the start of each
	// month for what the orders confirmed that month took (shipped or
	// released), then per line its reservation at confirmation, its
	// shipment, its release when the order closed short, and restocked
	// returns. So nothing is ever reserved beyond what is on hand. The
	// levels are then set from the ledger's sums.
	{table: "stock_levels", sql: `
	INSERT INTO stock_levels (product_id, warehouse_id, updated_at)
	SELECT p.id, w.id, now() FROM products p CROSS JOIN warehouses w ORDER BY p.id, w.id`},
	{table: "stock_movements", args: func(sc Scale, a *actors) []any { return []any{a.manager, a.warehouse, sc.Years * 365} }, sql: `
	INSERT INTO stock_movements (product_id, warehouse_id, kind, quantity, on_hand_after, reserved_change, reserved_after,
	                             order_id, reason, reference, actor_id, occurred_at)
	SELECT product_id, warehouse_id, kind, quantity, sum(quantity) OVER w, reserved_change, sum(reserved_change) OVER w,
	       order_id, reason, reference, actor_id, at
	  FROM (
	    SELECT s.product_id, s.warehouse_id, 'RECEIPT' AS kind, 100 + floor(random() * 400) + coalesce(o.reserved, 0) AS quantity,
	           0::numeric AS reserved_change, NULL::bigint AS order_id, 'opening stock' AS reason,
	           'PO-OPEN-' || s.warehouse_id || '-' || s.product_id AS reference, $2::bigint AS actor_id,
	           current_date - $3::int - 40 + time '06:00' AS at, 0 AS rank, 0::bigint AS sub
	      FROM stock_levels s
	      LEFT JOIN (SELECT product_id, warehouse_id, sum(reserved_quantity) AS reserved FROM scale_lines GROUP BY 1, 2) o
	             USING (product_id, warehouse_id)
	    UNION ALL
	    SELECT l.product_id, l.warehouse_id, 'RECEIPT', sum(l.quantity - l.reserved_quantity), 0, NULL, '',
	           'PO-' || to_char(date_trunc('month', o.confirm_at), 'YYYYMM') || '-' || l.warehouse_id || '-' || l.product_id, $2::bigint,
	           date_trunc('month', o.confirm_at), 0, 1
	      FROM scale_lines l JOIN scale_orders o ON o.id = l.order_id
	     WHERE o.status IN ('PARTIALLY_DELIVERED', 'DELIVERED', 'CLOSED') AND l.quantity > l.reserved_quantity
	     GROUP BY l.product_id, l.warehouse_id, date_trunc('month', o.confirm_at)
	    UNION ALL
	    SELECT l.product_id, l.warehouse_id, 'RESERVATION', 0, l.quantity, o.id, '', o.number, $1::bigint, o.confirm_at, 1, l.id
	      FROM scale_lines l JOIN scale_orders o ON o.id = l.order_id
	     WHERE o.status IN ('CONFIRMED', 'PARTIALLY_DELIVERED', 'DELIVERED', 'CLOSED')
	    UNION ALL
	    SELECT l.product_id, l.warehouse_id, 'SHIPMENT', -l.delivered_quantity, -l.delivered_quantity, d.order_id, '', d.number,
	           $2::bigint, d.ship_at, 2, l.id
	      FROM scale_lines l JOIN scale_deliveries d ON d.order_id = l.order_id
	     WHERE l.delivered_quantity > 0
	    UNION ALL
	    SELECT l.product_id, l.warehouse_id, 'RELEASE', 0, -(l.quantity - l.delivered_quantity), o.id,
	           'released: the order was closed', o.number, $1::bigint, o.close_at, 3, l.id
	      FROM scale_lines l JOIN scale_orders o ON o.id = l.order_id
	     WHERE o.status = 'CLOSED' AND l.quantity > l.delivered_quantity
	    UNION ALL
	    SELECT product_id, warehouse_id, 'RETURN', quantity, 0, order_id, reason, ` +
		docNumber("RMA", "extract(year FROM created_at)", "seq") + `, $2::bigint, received_at, 4, id
	      FROM scale_returns WHERE status = 'RECEIVED'
	  ) m
	WINDOW w AS (PARTITION BY product_id, warehouse_id ORDER BY at, rank, sub ROWS UNBOUNDED PRECEDING)
	 ORDER BY at, rank, sub`},
	{sql: `
	UPDATE stock_levels s SET on_hand = m.on_hand, reserved = m.reserved, updated_at = m.last
	  FROM (SELECT product_id, warehouse_id, sum(quantity) AS on_hand, sum(reserved_change) AS reserved, max(occurred_at) AS last
	          FROM stock_movements GROUP BY product_id, warehouse_id) m
	 WHERE m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id`},

	// Counters past every generated number, so the next real document
	// continues each year's sequence; and the ID sequences past our IDs.
	// Keep these two last: a new document type adds its prefix and table here.
	{sql: `
	INSERT INTO document_counters (doc_type, year, last)
	SELECT 'SO', extract(year FROM order_date)::int, max(seq) FROM scale_orders GROUP BY 2
	UNION ALL SELECT 'DN', extract(year FROM ship_date)::int, max(seq) FROM scale_deliveries GROUP BY 2
	UNION ALL SELECT 'BOL', extract(year FROM ship_date)::int, max(seq) FROM scale_deliveries GROUP BY 2
	UNION ALL SELECT 'RMA', extract(year FROM created_at)::int, max(seq) FROM scale_returns GROUP BY 2
	UNION ALL SELECT 'INV', extract(year FROM issue_date)::int, max(seq) FROM scale_invoices GROUP BY 2
	UNION ALL SELECT 'PAY', extract(year FROM paid_at)::int, max(pay_seq) FROM scale_payments GROUP BY 2
	ON CONFLICT (doc_type, year) DO UPDATE SET last = greatest(document_counters.last, excluded.last)`},
	{sql: `
	SELECT setval(pg_get_serial_sequence(t, 'id'), m) FROM (VALUES
	  ('warehouses', (SELECT max(id) FROM warehouses)), ('products', (SELECT max(id) FROM products)),
	  ('price_lists', (SELECT max(id) FROM price_lists)), ('customers', (SELECT max(id) FROM customers)),
	  ('sales_orders', (SELECT max(id) FROM sales_orders)), ('order_lines', (SELECT max(id) FROM order_lines)),
	  ('deliveries', (SELECT max(id) FROM deliveries)), ('returns', (SELECT max(id) FROM returns)),
	  ('invoices', (SELECT max(id) FROM invoices)), ('payments', (SELECT max(id) FROM payments))) AS s(t, m)
	 WHERE m IS NOT NULL`},
}
