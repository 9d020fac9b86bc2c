package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"salesgraph/db"
	"salesgraph/graph"
)

// The scenarios, in the order they run; -scenarios picks some.
var allScenarios = []string{"orders", "replay", "bynumber", "customers", "confirm"}

func parseScenarios(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(strings.ToLower(name))
		switch {
		case name == "":
		case name == "all":
			for _, n := range allScenarios {
				out[n] = true
			}
		case slices.Contains(allScenarios, name):
			out[name] = true
		default:
			return nil, fmt.Errorf("-scenarios: unknown scenario %q: choose from %s, or all", name, strings.Join(allScenarios, ", "))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-scenarios: name at least one scenario")
	}
	return out, nil
}

// ordersPageQuery is the dashboard's page: the newest orders with their
// customer, lines and products, and deliveries (issue 7's measurement).
const ordersPageQuery = `query %s($first: Int!) {
  orders(first: $first) {
    edges { node {
      number
      customer { name }
      lines { quantity unitPrice total product { sku name } }
      deliveries { number status }
    } }
  }
}`

const orderByNumberQuery = `query %s($n: String!) {
  orders(first: 1, filter: {number: $n}) { nodes { number status total customer { name } } }
}`

const customersSearchQuery = `query %s($s: String!) {
  customers(first: 20, search: $s) { edges { node { code name currency creditLimit salesRep { name } } } }
}`

const draftInputsQuery = `query BenchDraftInputs {
  customers(first: 100, filter: {archived: false, creditHold: false}) { nodes { id } }
  products(first: 100, filter: {active: true}) { nodes { id } }
  warehouses(first: 10, filter: {active: true}) { nodes { id } }
}`

const createOrderMutation = `mutation %s($in: CreateOrderInput!) { createOrder(input: $in) { id version status } }`

const confirmOrderMutation = `mutation %s($id: ID!, $v: Int!) { confirmOrder(id: $id, version: $v) { id status version } }`

func gqlBody(doc, op string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": fmt.Sprintf(doc, op), "operationName": op, "variables": vars})
	if err != nil {
		panic(err)
	}
	return b
}

// opNames gives a scenario's warm-up and measured requests different
// operation names, so the request log tells them apart.
func opNames(name string) (warm, measured string) { return "Warm" + name, name }

// checkOrdersPage checks the page's shape: n orders, each with a customer
// name, lines with products, and a deliveries list.
func checkOrdersPage(n int) func(json.RawMessage) error {
	return func(data json.RawMessage) error {
		var d struct {
			Orders struct {
				Edges []struct {
					Node struct {
						Number   string
						Customer struct{ Name string }
						Lines    []struct {
							Quantity, UnitPrice, Total string
							Product                    struct{ SKU, Name string }
						}
						Deliveries *[]struct{ Number, Status string }
					}
				}
			}
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return fmt.Errorf("orders page: %v", err)
		}
		if len(d.Orders.Edges) != n {
			return fmt.Errorf("orders page: %d edges, want %d", len(d.Orders.Edges), n)
		}
		for _, e := range d.Orders.Edges {
			o := e.Node
			if o.Number == "" || o.Customer.Name == "" || len(o.Lines) == 0 || o.Deliveries == nil {
				return fmt.Errorf("orders page: order %q lacks its number, customer, lines or deliveries", o.Number)
			}
			for _, l := range o.Lines {
				if l.Quantity == "" || l.UnitPrice == "" || l.Total == "" || l.Product.SKU == "" || l.Product.Name == "" {
					return fmt.Errorf("orders page: order %s has a line without quantity, price, total or product", o.Number)
				}
			}
		}
		return nil
	}
}

// runScenarios runs the chosen scenarios in order and adds their results to rep.
func runScenarios(ctx context.Context, e *env, scen map[string]bool, rep *Report) error {
	rep.RSSReset = resetPeakRSS(e.server.pid)
	if scen["orders"] {
		runs := []struct{ conns, page int }{{1, e.opts.Page}, {16, e.opts.Page}, {64, e.opts.Page}}
		for _, p := range e.opts.PageSizes {
			runs = append(runs, struct{ conns, page int }{16, p})
		}
		for _, c := range runs {
			name := fmt.Sprintf("OrdersPage%dC%d", c.page, c.conns)
			warm, meas := opNames(name)
			bodies := map[bool][]byte{false: gqlBody(ordersPageQuery, warm, map[string]any{"first": c.page}),
				true: gqlBody(ordersPageQuery, meas, map[string]any{"first": c.page})}
			check := checkOrdersPage(c.page)
			res, err := e.graphqlScenario(ctx, scenarioMeta{ID: "orders", Name: fmt.Sprintf("orders page, %d per page", c.page),
				Operation: meas, Connections: c.conns, PageSize: c.page}, func(_ int, _ *rand.Rand, m bool) (request, bool) {
				return request{body: bodies[m], check: check}, true
			})
			if err != nil {
				return err
			}
			rep.Results = append(rep.Results, res)
		}
	}
	if scen["replay"] {
		if err := e.replayScenarios(ctx, rep); err != nil {
			return err
		}
	}
	if scen["bynumber"] {
		res, err := e.byNumberScenario(ctx)
		if err != nil {
			return err
		}
		rep.Results = append(rep.Results, res)
	}
	if scen["customers"] {
		res, err := e.customersScenario(ctx)
		if err != nil {
			return err
		}
		rep.Results = append(rep.Results, res)
	}
	if scen["confirm"] {
		res, err := e.confirmScenarios(ctx)
		if err != nil {
			return err
		}
		rep.Results = append(rep.Results, res...)
	}
	return nil
}

type scenarioMeta struct {
	ID, Name, Operation string
	Connections         int
	PageSize            int
}

// graphqlScenario drives the server with work and gathers every figure of one scenario.
func (e *env) graphqlScenario(ctx context.Context, m scenarioMeta, work workload) (*Result, error) {
	return e.graphqlScenarioFor(ctx, m, e.opts.Warmup, e.opts.Duration, work)
}

func (e *env) graphqlScenarioFor(ctx context.Context, m scenarioMeta, warmup, duration time.Duration, work workload) (*Result, error) {
	e.logf("scenario %s at %d connections (%s warm-up, %s measured)", m.Name, m.Connections, warmup, duration)
	reset := resetPeakRSS(e.server.pid)
	lr, err := drive(ctx, e, m.Connections, warmup, duration, work)
	if err != nil {
		return nil, err
	}
	r := newResult(m, "graphql", lr)
	if rss, err := peakRSS(e.server.pid); err == nil {
		r.PeakRSSMB = float64(rss) / (1 << 20)
		r.PeakRSSSinceStart = !reset
	}
	if lr.requests > 0 {
		r.ServerCPUMsPerRequest = round2(float64(lr.cpu.Microseconds()) / 1000 / float64(lr.requests))
		st := e.server.opStatsFor(m.Operation, lr.requests)
		r.LoggedResponses = st.Responses
		if st.Responses > 0 {
			r.SQLStatementsPerRequest = round2(float64(st.Statements) / float64(st.Responses))
			r.SQLStatementsMax = st.MaxStmts
			r.SQLMsPerRequest = round2(st.SQLMs / float64(st.Responses))
		}
	}
	e.logf("  %s", r.Summary())
	return r, nil
}

func (e *env) sqlDB() (*sql.DB, error) { return sql.Open("postgres", e.dbURL) }

func (e *env) byNumberScenario(ctx context.Context) (*Result, error) {
	numbers, err := e.column(ctx, `SELECT number FROM sales_orders ORDER BY random() LIMIT 5000`)
	if err != nil {
		return nil, err
	}
	warm, meas := opNames("OrderByNumber")
	return e.graphqlScenario(ctx, scenarioMeta{ID: "bynumber", Name: "one order by number, with its customer", Operation: meas, Connections: 16},
		func(_ int, rng *rand.Rand, m bool) (request, bool) {
			n := numbers[rng.IntN(len(numbers))]
			op := warm
			if m {
				op = meas
			}
			return request{body: gqlBody(orderByNumberQuery, op, map[string]any{"n": n}), check: func(data json.RawMessage) error {
				var d struct {
					Orders struct {
						Nodes []struct {
							Number   string
							Customer struct{ Name string }
						}
					}
				}
				if err := json.Unmarshal(data, &d); err != nil {
					return err
				}
				if len(d.Orders.Nodes) != 1 || d.Orders.Nodes[0].Number != n || d.Orders.Nodes[0].Customer.Name == "" {
					return fmt.Errorf("order %s: got %d orders, want it with its customer", n, len(d.Orders.Nodes))
				}
				return nil
			}}, true
		})
}

func (e *env) customersScenario(ctx context.Context) (*Result, error) {
	names, err := e.column(ctx, `SELECT name FROM customers ORDER BY random() LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	// Search terms are words of real names (at least 3 letters), so each finds someone.
	var terms []string
	for _, n := range names {
		for _, w := range strings.FieldsFunc(n, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len([]rune(w)) >= 3 && !slices.Contains(terms, strings.ToLower(w)) {
				terms = append(terms, strings.ToLower(w))
			}
		}
	}
	if len(terms) == 0 {
		return nil, errors.New("customers: no names to search for")
	}
	warm, meas := opNames("CustomerSearch")
	return e.graphqlScenario(ctx, scenarioMeta{ID: "customers", Name: "customers page with search", Operation: meas, Connections: 200, PageSize: 20},
		func(_ int, rng *rand.Rand, m bool) (request, bool) {
			s := terms[rng.IntN(len(terms))]
			op := warm
			if m {
				op = meas
			}
			return request{body: gqlBody(customersSearchQuery, op, map[string]any{"s": s}), check: func(data json.RawMessage) error {
				var d struct {
					Customers struct {
						Edges []struct{ Node struct{ Code, Name string } }
					}
				}
				if err := json.Unmarshal(data, &d); err != nil {
					return err
				}
				if n := len(d.Customers.Edges); n < 1 || n > 20 {
					return fmt.Errorf("search %q: %d customers, want 1 to 20", s, n)
				}
				return nil
			}}, true
		})
}

// column reads one text column from the benchmark database.
func (e *env) column(ctx context.Context, query string) ([]string, error) {
	d, err := e.sqlDB()
	if err != nil {
		return nil, err
	}
	defer d.Close()
	rows, err := d.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no rows for %s", query)
	}
	return out, nil
}

type draft struct {
	ID      string
	Version int
}

// confirmScenarios creates DRAFT orders through createOrder (8 connections,
// reported as its own line) and then confirms them at 8 connections.
func (e *env) confirmScenarios(ctx context.Context) ([]*Result, error) {
	var inputs struct {
		Customers, Products, Warehouses struct{ Nodes []struct{ ID string } }
	}
	c := newClient()
	defer c.CloseIdleConnections()
	err := post(ctx, c, e.server.base+"/graphql", "Bearer "+e.token, request{body: gqlBody(draftInputsQuery+"%.0s", "BenchDraftInputs", nil),
		check: func(data json.RawMessage) error { return json.Unmarshal(data, &inputs) }})
	if err != nil {
		return nil, fmt.Errorf("read customers, products and warehouses for drafts: %w", err)
	}
	if len(inputs.Customers.Nodes) == 0 || len(inputs.Products.Nodes) < 2 || len(inputs.Warehouses.Nodes) == 0 {
		return nil, errors.New("no customers, products or warehouses to draft orders for")
	}
	// Enough drafts for a confirm rate well above today's (about 400/s on
	// the 2-core dev machine since confirming writes a 500-line order in a
	// fixed few statements; 400 drafts a second ran out); if they run out
	// early the result says so and counts the shorter period.
	secs := (e.opts.Warmup + e.opts.Duration).Seconds()
	want := int64(max(100, 1000*secs))
	drafts := make(chan draft, want)
	var made atomic.Int64
	warmC, measC := opNames("CreateDraftOrder")
	create := func(_ int, rng *rand.Rand, m bool) (request, bool) {
		if made.Add(1) > want {
			return request{}, false
		}
		p1 := rng.IntN(len(inputs.Products.Nodes))
		p2 := (p1 + 1 + rng.IntN(len(inputs.Products.Nodes)-1)) % len(inputs.Products.Nodes)
		in := map[string]any{
			"customerId":        inputs.Customers.Nodes[rng.IntN(len(inputs.Customers.Nodes))].ID,
			"warehouseId":       inputs.Warehouses.Nodes[rng.IntN(len(inputs.Warehouses.Nodes))].ID,
			"allowBackorder":    true,
			"customerReference": "bench",
			"lines": []map[string]any{
				{"productId": inputs.Products.Nodes[p1].ID, "quantity": "1"},
				{"productId": inputs.Products.Nodes[p2].ID, "quantity": "2"},
			},
		}
		op := warmC
		if m {
			op = measC
		}
		return request{body: gqlBody(createOrderMutation, op, map[string]any{"in": in}), check: func(data json.RawMessage) error {
			var d struct {
				CreateOrder struct {
					ID, Status string
					Version    int
				}
			}
			if err := json.Unmarshal(data, &d); err != nil {
				return err
			}
			if d.CreateOrder.ID == "" || d.CreateOrder.Status != "DRAFT" {
				return fmt.Errorf("createOrder: status %q, want DRAFT", d.CreateOrder.Status)
			}
			drafts <- draft{d.CreateOrder.ID, d.CreateOrder.Version}
			return nil
		}}, true
	}
	// Every draft counts: no warm-up, and the period ends when they are made.
	created, err := e.graphqlScenarioFor(ctx, scenarioMeta{ID: "create", Name: "createOrder (the drafts for confirmOrder)", Operation: measC, Connections: 8},
		0, 30*time.Minute, create)
	if err != nil {
		return nil, err
	}
	created.Note = fmt.Sprintf("setup of the write path: %d drafts of 2 lines each", created.Requests)
	close(drafts)

	warm, meas := opNames("ConfirmOrder")
	confirm := func(_ int, _ *rand.Rand, m bool) (request, bool) {
		d, ok := <-drafts
		if !ok {
			return request{}, false
		}
		op := warm
		if m {
			op = meas
		}
		return request{body: gqlBody(confirmOrderMutation, op, map[string]any{"id": d.ID, "v": d.Version}), check: func(data json.RawMessage) error {
			var r struct{ ConfirmOrder struct{ Status string } }
			if err := json.Unmarshal(data, &r); err != nil {
				return err
			}
			if s := r.ConfirmOrder.Status; s != "CONFIRMED" && s != "ON_HOLD" {
				return fmt.Errorf("confirmOrder: status %q, want CONFIRMED or ON_HOLD", s)
			}
			return nil
		}}, true
	}
	confirmed, err := e.graphqlScenario(ctx, scenarioMeta{ID: "confirm", Name: "confirmOrder (write path)", Operation: meas, Connections: 8}, confirm)
	if err != nil {
		return nil, err
	}
	if confirmed.Exhausted {
		confirmed.Note = fmt.Sprintf("the %d drafts ran out after %.1f s of the measured period", created.Requests, confirmed.Seconds)
	}
	return []*Result{created, confirmed}, nil
}

// replayScenarios captures the SQL of the orders page (-page, 50) by
// running the same GraphQL query through an in-process handler with a
// statement recorder, then replays those statements straight from Go with
// database/sql, in order, one page after another per client, at 1, 16 and 64
// connections: the design's ceiling, with no GraphQL, HTTP or server between.
func (e *env) replayScenarios(ctx context.Context, rep *Report) error {
	page := e.opts.Page
	stmts, err := e.captureOrdersPage(ctx, page)
	if err != nil {
		return fmt.Errorf("capture the orders page's SQL: %w", err)
	}
	rep.ReplayStatements = nil
	for _, s := range stmts {
		rep.ReplayStatements = append(rep.ReplayStatements, ReplayStatement{Query: s.Query, Args: len(s.Args)})
	}
	d, err := e.sqlDB()
	if err != nil {
		return err
	}
	defer d.Close()
	// One sequential pass gives each statement's expected row count.
	d.SetMaxOpenConns(1)
	want := make([]int, len(stmts))
	for i, s := range stmts {
		if want[i], err = runStatement(ctx, d, s); err != nil {
			return fmt.Errorf("replay %q: %w", s.Query, err)
		}
	}
	for _, conns := range []int{1, 16, 64} {
		e.logf("scenario orders page replayed as SQL at %d connections", conns)
		d.SetMaxOpenConns(conns)
		d.SetMaxIdleConns(conns)
		lr := replay(ctx, d, conns, e.opts.Warmup, e.opts.Duration, stmts, want)
		r := newResult(scenarioMeta{ID: "replay", Name: fmt.Sprintf("orders page's SQL replayed from Go, %d per page", page), Connections: conns, PageSize: page}, "replay", lr)
		r.SQLStatementsPerRequest = float64(len(stmts))
		r.SQLStatementsMax = int64(len(stmts))
		r.SQLMsPerRequest = meanMs(lr.lat) // the whole page is database time
		e.logf("  %s", r.Summary())
		rep.Results = append(rep.Results, r)
	}
	return nil
}

// captureOrdersPage runs the orders page through graph.NewHandler in this
// process with db.WithRecorder on the request context and returns its statements.
func (e *env) captureOrdersPage(ctx context.Context, page int) ([]db.Statement, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := db.Open(ctx, e.dbURL, db.Options{ApplicationName: "salesgraph-bench", Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	store := db.NewStore(d)
	authn := &graph.Authenticator{Secret: []byte(e.secret), Users: store.Users, Logger: quiet}
	// Only the statements matter here: a cost limit the served page may hit
	// (QUERY_TOO_COMPLEX, reported by the orders scenarios) must not hide the ceiling.
	h := graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: quiet, Limits: graph.Limits{MaxCost: 1 << 40}})
	rctx, stats := db.WithRecorder(ctx)
	req := httptest.NewRequestWithContext(rctx, http.MethodPost, "/graphql",
		strings.NewReader(string(gqlBody(ordersPageQuery, "ReplayCapture", map[string]any{"first": page}))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := checkAnswer(rec.Code, rec.Body.Bytes(), checkOrdersPage(page)); err != nil {
		return nil, err
	}
	stmts := stats.Recorded()
	if len(stmts) == 0 {
		return nil, errors.New("the recorder saw no statements")
	}
	return stmts, nil
}

// runStatement runs one recorded statement and reads every row; it returns how many.
func runStatement(ctx context.Context, d *sql.DB, s db.Statement) (int, error) {
	rows, err := d.QueryContext(ctx, s.Query, s.Args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// replay runs pages of stmts from conns clients in a closed loop; each page
// is the statements in order, and each must return the rows it did at capture.
func replay(ctx context.Context, d *sql.DB, conns int, warmup, duration time.Duration, stmts []db.Statement, want []int) *loadResult {
	start := time.Now()
	measureAt := start.Add(warmup)
	end := measureAt.Add(duration)
	samples := make([]sample, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &samples[w]
			for {
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					return
				}
				var err error
				for i, st := range stmts {
					var n int
					if n, err = runStatement(ctx, d, st); err == nil && n != want[i] {
						err = fmt.Errorf("statement %d returned %d rows, want %d", i+1, n, want[i])
					}
					if err != nil {
						break
					}
				}
				if ctx.Err() != nil {
					return
				}
				s.add(!t0.Before(measureAt), time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	res := &loadResult{elapsed: time.Since(measureAt)}
	res.merge(samples)
	return res
}
