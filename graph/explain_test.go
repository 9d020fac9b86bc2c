package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/relay"
	"salesgraph/sales"
)

// explainOrders is the size of the scale load the plans are checked on:
// big enough that every document table, the ledger and the padded master
// tables pass bigTable rows, small enough to load in seconds.
const explainOrders = 15000

// bigTable is the row count (pg_class.reltuples) from which a sequential
// scan in a list or edge query is a failure: from here on a page should not
// cost a read of the whole table.
const bigTable = 5000

// TestReadPathUsesIndexes loads a company at scale, runs every connection
// with its default order, each sort and each filter, a second page of each,
// and queries that walk every edge, all through the real GraphQL handler
// with a recorder on the request. Then it EXPLAINs every SELECT the handler
// sent, with the arguments it sent, and fails on any sequential scan of a
// table with more than bigTable rows. It checks the statements the code
// sends, not SQL written here, so it keeps checking whatever the stores
// generate.
func TestReadPathUsesIndexes(t *testing.T) {
	t.Parallel()
	x := newExplainEnv(t)
	ctx := context.Background()

	ids := x.ids(t, ctx)
	for _, q := range readQueries(ids) {
		x.run(t, q)
	}
	if n := len(x.statements()); n < 100 {
		t.Fatalf("recorded %d statements; the recorder is not seeing the handler's SQL", n)
	}

	sizes := tableSizes(t, x.store)
	type finding struct {
		query string
		stmt  db.Statement
		scans []string
		plan  string
	}
	var found []finding
	seen := map[string]bool{}
	checked := 0
	for _, rec := range x.statements() {
		q := strings.TrimSpace(rec.stmt.Query)
		low := strings.ToLower(q)
		if !strings.HasPrefix(low, "select") && !strings.HasPrefix(low, "with") {
			continue
		}
		key := q + fmt.Sprint(rec.stmt.Args)
		if seen[key] {
			continue
		}
		seen[key] = true
		checked++
		plan := explain(t, x.store, rec.stmt)
		var scans []string
		for _, rel := range seqScans(t, plan) {
			if sizes[rel] > bigTable {
				scans = append(scans, fmt.Sprintf("%s (%.0f rows)", rel, sizes[rel]))
			}
		}
		if len(scans) > 0 {
			found = append(found, finding{rec.query, rec.stmt, scans, explainText(t, x.store, rec.stmt)})
		}
	}
	for _, f := range found {
		t.Errorf("sequential scan of %s\nGraphQL: %s\nSQL: %s\nargs: %v\nplan:\n%s",
			strings.Join(f.scans, ", "), f.query, oneLine(f.stmt.Query), f.stmt.Args, f.plan)
	}
	t.Logf("checked the plans of %d distinct statements; tables over %d rows: %v", checked, bigTable, bigTables(sizes))
}

// explainEnv is a test server whose every request records its SQL.
type explainEnv struct {
	store *db.Store
	url   string
	token string
	rep   string // the sales rep's token, once made

	mu       sync.Mutex
	recorded []recorded
	current  string
}

type recorded struct {
	query string // the GraphQL operation that sent it
	stmt  db.Statement
}

func newExplainEnv(t *testing.T) *explainEnv {
	t.Helper()
	ctx := context.Background()
	store := dbtest.New(t)
	start := time.Now()
	defer func() { t.Logf("loaded, padded and analysed in %s", time.Since(start).Round(time.Second)) }()
	if _, err := demo.LoadScale(ctx, store, demo.ScaleFor(explainOrders)); err != nil {
		t.Fatalf("load scale: %v", err)
	}
	t.Logf("scale load: %s", time.Since(start).Round(time.Second))
	padForExplain(t, store)
	t.Logf("padded: %s", time.Since(start).Round(time.Second))
	// What autovacuum would have done by now: statistics, the visibility
	// map, and GIN pending lists merged (their size counts in a plan's
	// cost). Statistics from every row, so the plans do not depend on
	// ANALYZE's random sample. One connection, for the SET.
	conn, err := store.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`SET default_statistics_target = 1000`, `VACUUM (ANALYZE)`, `RESET default_statistics_target`} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}

	x := &explainEnv{store: store}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := &graph.Authenticator{Secret: testSecret, Users: store.Users, Logger: logger}
	h := graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rctx, stats := db.WithRecorder(r.Context())
		h.ServeHTTP(w, r.WithContext(rctx))
		x.mu.Lock()
		for _, s := range stats.Recorded() {
			x.recorded = append(x.recorded, recorded{x.current, s})
		}
		x.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	x.url = srv.URL

	admin := "explain-admin@test.example"
	if _, err := store.Users.Create(ctx, nil, sales.User{Email: admin, Name: "Explain Admin", Role: sales.RoleAdmin, Active: true}, nil); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Issue(testSecret, admin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	x.token = tok
	return x
}

func (x *explainEnv) statements() []recorded {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]recorded(nil), x.recorded...)
}

// padForExplain adds what the scale load lacks or has too little of for a
// scan to matter: quotes with lines (a few converted to orders), and enough
// customers, products and users that their searches are checked at a size
// where reading the table would show. Padding text is md5 hex, so a search
// for a piece of it is selective, as a search for a name usually is.
func padForExplain(t *testing.T, store *db.Store) {
	t.Helper()
	for _, s := range []string{
		// Reps and currencies shared out as among the scale customers, so
		// a filter on either selects the share it selects among them.
		`INSERT INTO customers (code, name, email, currency, sales_rep_id, created_at, updated_at)
		 SELECT 'PAD' || lpad(g::text, 6, '0'), 'Padding ' || md5(g::text), 'pad' || g || '@' || md5((-g)::text) || '.example',
		        c.currencies[1 + g % array_length(c.currencies, 1)], c.reps[1 + g % array_length(c.reps, 1)],
		        now() - make_interval(mins => g), now()
		   FROM generate_series(1, 20000) g,
		        (SELECT array_agg(currency ORDER BY id) AS currencies, array_agg(sales_rep_id ORDER BY id) AS reps FROM customers) c`,
		`INSERT INTO products (sku, name, description, unit_of_measure, tax_rate, created_at, updated_at)
		 SELECT 'PAD-' || lpad(g::text, 6, '0'), 'Padding ' || md5(g::text), 'Made of ' || md5((-g)::text), 'EA', 0.2,
		        now() - make_interval(mins => g), now()
		   FROM generate_series(1, 10000) g`,
		`INSERT INTO users (email, name, role)
		 SELECT 'pad' || g || '@' || md5(g::text) || '.example', 'Padding ' || md5((-g)::text), 'VIEWER'
		   FROM generate_series(1, 8000) g`,
		`INSERT INTO quotes (number, customer_id, currency, valid_until, status, subtotal, tax_total, total, created_at, updated_at)
		 SELECT 'QT-2026-' || lpad(g::text, 6, '0'), c.ids[1 + g % array_length(c.ids, 1)], 'EUR', current_date + g % 90,
		        (ARRAY['DRAFT','SENT','ACCEPTED','REJECTED','EXPIRED','CANCELLED'])[1 + g % 6],
		        100 + g % 1000, 20, 120 + g % 1000, now() - make_interval(mins => 7 * g), now()
		   FROM generate_series(1, 12000) g, (SELECT array_agg(id ORDER BY id) AS ids FROM customers WHERE code NOT LIKE 'PAD%') c`,
		`INSERT INTO quote_lines (quote_id, line_no, product_id, quantity, unit_price, tax_rate, subtotal, tax, total)
		 SELECT q.id, l, 1 + (q.id * 7 + l) % 2000, 1, 50, 0.2, 50, 10, 60
		   FROM quotes q, generate_series(1, 2) l`,
		`UPDATE sales_orders o SET quote_id = q.id
		   FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM quotes WHERE status = 'ACCEPTED') q
		  WHERE o.id = q.n * 7`,
	} {
		if _, err := store.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("pad: %v\n%s", err, s)
		}
	}
}

// explainIDs are real keys to filter by and start walks from.
type explainIDs struct {
	customer, rep, priceList, warehouse, product, quote, quoteWithOrder  int64
	order, orderWithReturn, delivery, returnID                           int64
	orderNumber, deliveryNumber, returnNumber, quoteNumber, customerCode string
	sku, commonSearch, rareCustomer, rareProduct, rareUser               string
}

func (x *explainEnv) ids(t *testing.T, ctx context.Context) explainIDs {
	t.Helper()
	var v explainIDs
	must := func(dst any, q string) {
		if err := x.store.GetContext(ctx, dst, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A customer with a typical number of orders: for the few biggest (3 %
	// of all orders) a hash join over the whole delivery table is the
	// planner's honest choice at this size.
	must(&v.customer, `SELECT customer_id FROM (SELECT customer_id, row_number() OVER (ORDER BY count(*), customer_id) AS n,
		count(*) OVER () AS customers FROM sales_orders GROUP BY customer_id) c WHERE n = customers / 2`)
	must(&v.rep, `SELECT sales_rep_id FROM customers WHERE sales_rep_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)
	must(&v.priceList, `SELECT price_list_id FROM customers WHERE price_list_id IS NOT NULL ORDER BY id LIMIT 1`)
	must(&v.warehouse, `SELECT min(id) FROM warehouses`)
	must(&v.product, `SELECT product_id FROM order_lines ORDER BY id LIMIT 1`)
	must(&v.quote, `SELECT min(id) FROM quotes`)
	must(&v.quoteWithOrder, `SELECT min(quote_id) FROM sales_orders`)
	must(&v.order, `SELECT min(order_id) FROM deliveries`)
	must(&v.orderWithReturn, `SELECT min(order_id) FROM returns`)
	must(&v.delivery, `SELECT min(delivery_id) FROM returns`)
	must(&v.returnID, `SELECT min(id) FROM returns`)
	must(&v.orderNumber, `SELECT number FROM sales_orders ORDER BY id LIMIT 1`)
	must(&v.deliveryNumber, `SELECT number FROM deliveries ORDER BY id LIMIT 1`)
	must(&v.returnNumber, `SELECT number FROM returns ORDER BY id LIMIT 1`)
	must(&v.quoteNumber, `SELECT number FROM quotes ORDER BY id LIMIT 1`)
	must(&v.customerCode, `SELECT code FROM customers ORDER BY id LIMIT 1`)
	must(&v.sku, `SELECT sku FROM products ORDER BY id LIMIT 1`)
	// A word every scale customer shares, and pieces of padding text that
	// one row each has.
	must(&v.commonSearch, `SELECT split_part(name, ' ', 2) FROM customers ORDER BY id LIMIT 1`)
	must(&v.rareCustomer, `SELECT substr(md5('4321'), 3, 8)`)
	must(&v.rareProduct, `SELECT substr(md5('-777'), 5, 8)`)
	must(&v.rareUser, `SELECT substr(md5('99'), 2, 8)`)
	return v
}

// readQuery is one GraphQL operation; a list query names its connection
// (path) so the test fetches its second page too.
type readQuery struct {
	query string
	vars  map[string]any
	path  string // the connection's field, for a second page; "" for none
	rep   bool   // as the sales rep, whose lists are limited to their customers
}

const connFields = `pageInfo { endCursor hasNextPage } nodes { id }`

func list(field, args string, vars map[string]any) readQuery {
	return readQuery{
		query: fmt.Sprintf(`query($after: String) { %s(first: 20, after: $after%s) { %s } }`, field, args, connFields),
		vars:  vars, path: field,
	}
}

func readQueries(v explainIDs) []readQuery {
	id := relay.ID
	var qs []readQuery
	add := func(field string, sorts []string, filters ...string) {
		qs = append(qs, list(field, "", nil))
		for _, s := range sorts {
			qs = append(qs, list(field, ", orderBy: {field: "+s+"}", nil))
		}
		for _, f := range filters {
			qs = append(qs, list(field, ", "+f, nil))
		}
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }

	add("orders", []string{"NUMBER", "ORDER_DATE", "CREATED_AT", "TOTAL"},
		`filter: {status: [CONFIRMED]}`, `filter: {status: [DRAFT, ON_HOLD]}`,
		`filter: {customerId: `+q(id("Customer", v.customer))+`}`,
		`filter: {salesRepId: `+q(id("User", v.rep))+`}`,
		`filter: {quoteId: `+q(id("Quote", v.quoteWithOrder))+`}`,
		`filter: {warehouseId: `+q(id("Warehouse", v.warehouse))+`}`,
		`filter: {number: `+q(v.orderNumber)+`}`,
		`filter: {from: "2026-01-01", to: "2026-01-31"}`,
		`filter: {status: [CONFIRMED]}, orderBy: {field: ORDER_DATE}`)
	add("quotes", []string{"NUMBER", "CREATED_AT", "VALID_UNTIL", "TOTAL"},
		`filter: {status: [SENT]}`, `filter: {latestOnly: false}`,
		`filter: {customerId: `+q(id("Customer", v.customer))+`}`,
		`filter: {salesRepId: `+q(id("User", v.rep))+`}`,
		`filter: {number: `+q(v.quoteNumber)+`}`,
		`filter: {from: "2026-06-01", to: "2026-06-30"}`)
	add("deliveries", []string{"NUMBER", "SHIP_DATE", "CREATED_AT"},
		`filter: {status: [DRAFT]}`,
		`filter: {orderId: `+q(id("SalesOrder", v.order))+`}`,
		`filter: {customerId: `+q(id("Customer", v.customer))+`}`,
		`filter: {salesRepId: `+q(id("User", v.rep))+`}`,
		`filter: {warehouseId: `+q(id("Warehouse", v.warehouse))+`}`,
		`filter: {number: `+q(v.deliveryNumber)+`}`,
		`filter: {from: "2026-01-01", to: "2026-01-31"}`)
	add("returns", []string{"NUMBER", "CREATED_AT"},
		`filter: {status: [REQUESTED]}`,
		`filter: {orderId: `+q(id("SalesOrder", v.orderWithReturn))+`}`,
		`filter: {customerId: `+q(id("Customer", v.customer))+`}`,
		`filter: {salesRepId: `+q(id("User", v.rep))+`}`,
		`filter: {number: `+q(v.returnNumber)+`}`,
		`filter: {from: "2026-01-01", to: "2026-01-31"}`)
	add("customers", []string{"CODE", "NAME", "CREATED_AT", "CREDIT_LIMIT"},
		`search: `+q(v.commonSearch), `search: `+q(v.rareCustomer),
		`filter: {archived: true}`, `filter: {currency: "USD"}`, `filter: {creditHold: true}`,
		`filter: {salesRepId: `+q(id("User", v.rep))+`}`,
		`filter: {priceListId: `+q(id("PriceList", v.priceList))+`}`,
		`filter: {code: `+q(v.customerCode)+`}`)
	add("products", []string{"SKU", "NAME", "CREATED_AT"},
		`search: "nut"`, `search: `+q(v.rareProduct),
		`filter: {active: false}`, `filter: {sku: `+q(v.sku)+`}`)
	add("users", []string{"EMAIL", "NAME"},
		`filter: {role: SALES_REP}`, `filter: {active: false}`, `filter: {search: `+q(v.rareUser)+`}`)
	add("warehouses", []string{"CODE", "NAME"}, `filter: {active: true}`)
	add("priceLists", []string{"CODE", "NAME", "CREATED_AT"},
		`filter: {currency: "EUR"}`, `filter: {isDefault: true}`, `filter: {validOn: "2026-06-01"}`)
	add("stockLevels", []string{"PRODUCT", "AVAILABLE", "UPDATED_AT"},
		`filter: {productId: `+q(id("Product", v.product))+`}`,
		`filter: {warehouseId: `+q(id("Warehouse", v.warehouse))+`}`,
		`filter: {availableAtMost: "0"}`)
	add("stockMovements", []string{"OCCURRED_AT"},
		`filter: {productId: `+q(id("Product", v.product))+`}`,
		`filter: {warehouseId: `+q(id("Warehouse", v.warehouse))+`}`,
		`filter: {kind: RECEIPT}`,
		`filter: {from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"}`)

	// A sales rep's lists carry the owner condition.
	for _, field := range []string{"orders", "quotes", "deliveries", "returns", "customers"} {
		r := list(field, "", nil)
		r.rep = true
		qs = append(qs, r)
	}

	// Every edge, from the lists and from single objects.
	qs = append(qs,
		readQuery{query: `{ orders(first: 10, filter: {status: [DELIVERED]}) { nodes {
			customer { salesRep { id } priceList { id } shippingAddresses { id } quotes(first: 5) { nodes { id } } orders(first: 5) { nodes { id } } }
			quote { id } warehouse { id } createdBy { id }
			history { actor { id } } statusEvents { actor { id } }
			deliveries { id } returns { id } } } }`},
		readQuery{query: `{ orders(first: 2, filter: {status: [DELIVERED]}) { nodes { lines {
			product { id } quoteLine { id } deliveryLines { delivery { id } } returnLines { id } } } } }`},
		readQuery{query: fmt.Sprintf(`{ order(id: %q) { lines { order { id } } deliveries { warehouse { id } history { actor { id } }
			returns { id } lines { orderLine { id } product { id } delivery { id } } } } }`, id("SalesOrder", v.order))},
		readQuery{query: fmt.Sprintf(`{ order(id: %q) { returns { order { id } delivery { id } warehouse { id } history { actor { id } }
			lines { orderLine { id } product { id } return { id } } } } }`, id("SalesOrder", v.orderWithReturn))},
		readQuery{query: `{ deliveries(first: 10) { nodes { order { id } warehouse { id } returns { id } history { action }
			lines { orderLine { id } product { id } } } } }`},
		readQuery{query: fmt.Sprintf(`{ delivery(id: %q) { returns { id lines { id } } } }`, id("Delivery", v.delivery))},
		readQuery{query: `{ returns(first: 10) { nodes { order { id } delivery { id } warehouse { id } history { action }
			lines { orderLine { id } product { id } } } } }`},
		readQuery{query: fmt.Sprintf(`{ return(id: %q) { id } }`, id("Return", v.returnID))},
		readQuery{query: `{ quotes(first: 10) { nodes { customer { id } createdBy { id } supersededBy { id } revisions { id }
			order { id } history { actor { id } } lines { product { id } } changes { kind } } } }`},
		readQuery{query: fmt.Sprintf(`{ quote(id: %q) { order { id lines { quoteLine { id } } } } }`, id("Quote", v.quoteWithOrder))},
		readQuery{query: fmt.Sprintf(`{ customer(id: %q) { orders(first: 20) { nodes { id } } quotes(first: 20) { nodes { id } } shippingAddresses { id } } }`,
			id("Customer", v.customer))},
		readQuery{query: `{ customers(first: 20) { nodes { salesRep { id } priceList { id } shippingAddresses { id }
			orders(first: 3) { nodes { id } } quotes(first: 3) { nodes { id } } } } }`},
		readQuery{query: `{ products(first: 20) { nodes { stockLevels(first: 5) { nodes { warehouse { id } product { id } } } } } }`},
		readQuery{query: `{ warehouses(first: 10) { nodes { stockLevels(first: 20) { nodes { product { id } } } } } }`},
		readQuery{query: `{ stockLevels(first: 20) { nodes { product { id } warehouse { id } } } }`},
		readQuery{query: `{ stockMovements(first: 20) { nodes { product { id } warehouse { id } actor { id } } } }`},
		readQuery{query: `{ priceLists(first: 10) { nodes { items(first: 20) { nodes { product { id } priceList { id } } } } } }`},
		readQuery{query: fmt.Sprintf(`{ priceLists(first: 10) { nodes { items(productId: %q) { nodes { id } } } } }`, id("Product", v.product))},
		readQuery{query: fmt.Sprintf(`{ priceQuote(customerId: %q, productId: %q, quantity: "1") { unitPrice } }`,
			id("Customer", v.customer), id("Product", v.product))},
		readQuery{query: fmt.Sprintf(`{ nodes(ids: [%q, %q, %q, %q, %q, %q, %q, %q]) { id } }`,
			id("SalesOrder", v.order), id("Customer", v.customer), id("Product", v.product), id("Quote", v.quote),
			id("Delivery", v.delivery), id("Return", v.returnID), id("Warehouse", v.warehouse), id("PriceList", v.priceList))},
		readQuery{query: fmt.Sprintf(`{ node(id: %q) { id } }`, relay.CompositeID("StockLevel", v.product, v.warehouse))},
	)
	return qs
}

// run posts q (and, for a list with more, its second page) and fails on
// any GraphQL error: a plan is only worth checking for a query that works.
func (x *explainEnv) run(t *testing.T, q readQuery) {
	t.Helper()
	token := x.token
	if q.rep {
		token = x.repToken(t)
	}
	post := func(vars map[string]any) gqltest.Response {
		x.mu.Lock()
		x.current = oneLine(q.query)
		x.mu.Unlock()
		r := gqltest.Post(t, x.url+"/graphql", token, q.query, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", oneLine(q.query), r.Errors)
		}
		return r
	}
	r := post(q.vars)
	if q.path == "" {
		return
	}
	var data map[string]struct {
		PageInfo struct {
			EndCursor   *string
			HasNextPage bool
		}
	}
	r.Decode(t, &data)
	if p := data[q.path].PageInfo; p.HasNextPage && p.EndCursor != nil {
		vars := map[string]any{"after": *p.EndCursor}
		for k, v := range q.vars {
			vars[k] = v
		}
		post(vars)
	}
}

// repToken signs in as the sales rep with the most customers.
func (x *explainEnv) repToken(t *testing.T) string {
	t.Helper()
	if x.rep != "" {
		return x.rep
	}
	var email string
	if err := x.store.GetContext(context.Background(), &email, `SELECT u.email FROM users u JOIN customers c ON c.sales_rep_id = u.id
		GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Issue(testSecret, email, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	x.rep = tok
	return tok
}

// explain returns the JSON plan of one recorded statement with its arguments.
func explain(t *testing.T, store *db.Store, s db.Statement) string {
	t.Helper()
	var plan string
	if err := store.GetContext(context.Background(), &plan, "EXPLAIN (FORMAT JSON) "+s.Query, s.Args...); err != nil {
		t.Fatalf("EXPLAIN %s %v: %v", oneLine(s.Query), s.Args, err)
	}
	return plan
}

// explainText is the plan as EXPLAIN prints it, for a failure message.
func explainText(t *testing.T, store *db.Store, s db.Statement) string {
	t.Helper()
	var lines []string
	if err := store.SelectContext(context.Background(), &lines, "EXPLAIN "+s.Query, s.Args...); err != nil {
		t.Fatalf("EXPLAIN %s %v: %v", oneLine(s.Query), s.Args, err)
	}
	return strings.Join(lines, "\n")
}

// seqScans names the relations a JSON plan reads with a Seq Scan.
func seqScans(t *testing.T, plan string) []string {
	t.Helper()
	type node struct {
		NodeType string `json:"Node Type"`
		Relation string `json:"Relation Name"`
		Plans    []node `json:"Plans"`
	}
	var doc []struct {
		Plan node `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &doc); err != nil {
		t.Fatalf("plan: %v\n%s", err, plan)
	}
	var out []string
	var walk func(n node)
	walk = func(n node) {
		if n.NodeType == "Seq Scan" {
			out = append(out, n.Relation)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, d := range doc {
		walk(d.Plan)
	}
	return out
}

// tableSizes is the planner's row estimate of every table, after ANALYZE.
func tableSizes(t *testing.T, store *db.Store) map[string]float64 {
	t.Helper()
	var rows []struct {
		Name  string  `db:"relname"`
		Tuple float64 `db:"reltuples"`
	}
	if err := store.SelectContext(context.Background(), &rows, `SELECT relname, reltuples::float8 AS reltuples FROM pg_class
		WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, r := range rows {
		out[r.Name] = r.Tuple
	}
	return out
}

func bigTables(sizes map[string]float64) []string {
	var out []string
	for name, n := range sizes {
		if n > bigTable {
			out = append(out, fmt.Sprintf("%s=%.0f", name, n))
		}
	}
	sort.Strings(out)
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
