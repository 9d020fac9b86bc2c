package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/graph"
	"salesgraph/sales"
)

// envOn is newEnv over a store the test opened itself (pool size, timeouts).
func envOn(t *testing.T, store *db.Store) *env {
	t.Helper()
	store.SetUserCacheTTL(time.Hour) // as newEnv
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := &graph.Authenticator{Secret: testSecret, Users: store.Users, Logger: logger}
	srv := httptest.NewServer(graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger}))
	t.Cleanup(srv.Close)
	e := &env{t: t, store: store, url: srv.URL, tokens: map[sales.Role]string{}, users: map[sales.Role]*sales.User{}}
	for _, r := range sales.Roles {
		e.addUser(strings.ToLower(string(r))+"@test.example", r)
	}
	return e
}

func openStore(t *testing.T, url string, opts db.Options) *db.Store {
	t.Helper()
	d, err := db.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return db.NewStore(d)
}

const searchCustomers = `query($s: String, $after: String, $c: String) { customers(search: $s, after: $after, filter: {code: $c}) { totalCount } }`

// Item 8: a long string never reaches SQL. The 1 MB search from ten
// viewers held the whole pool for 86 s.
func TestLongStringsAreRefusedBeforeSQL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// What a request costs before any resolver runs (the user lookup), measured
	// on a request the GraphQL layer refuses.
	before := e.store.Statements()
	_ = e.as(sales.RoleViewer, `{ nosuchfield }`, nil)
	baseline := e.store.Statements() - before

	for _, tc := range []struct {
		name, field string
		vars        map[string]any
	}{
		{"MegabyteSearch", "search", map[string]any{"s": strings.Repeat("x", 1_000_000)}},
		{"SearchOverItsLimit", "search", map[string]any{"s": strings.Repeat("x", 201)}},
		{"CursorOverTheGeneralLimit", "after", map[string]any{"after": strings.Repeat("x", 10_001)}},
		{"FilterOverTheGeneralLimit", "filter.code", map[string]any{"c": strings.Repeat("x", 10_001)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.store.Statements()
			start := time.Now()
			r := e.as(sales.RoleViewer, searchCustomers, tc.vars)
			wantError(t, r, "VALIDATION", tc.field)
			if n := e.store.Statements() - before; n > baseline {
				t.Fatalf("the refused request sent %d statements, a request refused before any resolver sends %d", n, baseline)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("refusing took %v", d)
			}
		})
	}
	t.Run("LiteralInTheQuery", func(t *testing.T) {
		r := e.as(sales.RoleViewer, `{ customers(search: "`+strings.Repeat("y", 300)+`") { totalCount } }`, nil)
		wantError(t, r, "VALIDATION", "search")
	})
	t.Run("NestedInputField", func(t *testing.T) {
		in := validCustomer("LONG-1")
		in["billingAddress"] = map[string]any{"line1": strings.Repeat("z", 10_001), "city": "Berlin", "country": "DE"}
		unchanged(t, e.store, func() {
			wantError(t, e.as(sales.RoleSalesManager, createCustomerMutation, map[string]any{"input": in}), "VALIDATION", "input.billingAddress.line1")
		})
	})
	t.Run("ShortSearchStillWorks", func(t *testing.T) {
		e.with(t).must(sales.RoleViewer, searchCustomers, map[string]any{"s": strings.Repeat("x", 200)}, nil)
	})
}

// Item 8: a statement over the timeout is TIMEOUT, not INTERNAL.
func TestStatementTimeoutIsTIMEOUT(t *testing.T) {
	t.Parallel()
	store := openStore(t, dbtest.URL(t), db.Options{StatementTimeout: 300 * time.Millisecond})
	e := envOn(t, store)
	p, w := e.product("SKU-T"), e.warehouse("WHT")
	e.must(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "1", "reference": "PO-1"}}, nil)

	// Another session holds the stock level's row lock, so the receipt's
	// SELECT … FOR UPDATE waits until the statement timeout cancels it.
	holder, err := store.DB.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.Exec(`SET LOCAL statement_timeout = 0; SELECT 1 FROM stock_levels FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := e.as(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "1", "reference": "PO-2"}})
	wantError(t, r, "TIMEOUT", "")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %v", d)
	}
}

// Item 8: with every connection taken, a request fails fast with UNAVAILABLE
// instead of queueing behind them.
func TestFullPoolFailsFastWithUNAVAILABLE(t *testing.T) {
	t.Parallel()
	store := openStore(t, dbtest.URL(t), db.Options{MaxOpenConns: 3, AcquireTimeout: 500 * time.Millisecond})
	e := envOn(t, store)
	e.must(sales.RoleViewer, `{ customers { totalCount } }`, nil, nil)

	// Three long statements fill the pool.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = store.ExecContext(ctx, `SELECT pg_sleep(20)`)
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	waitFor(t, func() bool { return store.DB.Stats().InUse == 3 })

	start := time.Now()
	r := send(t, "POST", e.url+"/graphql", "application/json", e.tokens[sales.RoleViewer], `{"query": "{ customers { totalCount } }"}`)
	took := time.Since(start)
	if len(r.resp.Errors) == 0 || r.resp.Errors[0].Code() != "UNAVAILABLE" {
		t.Fatalf("HTTP %d after %v: %.300s, want UNAVAILABLE", r.status, took, r.body)
	}
	assertNoLeak(t, r.resp.Errors[0])
	assertBodyNoLeak(t, r.body)
	if took > 3*time.Second {
		t.Fatalf("a request waited %v for a connection", took)
	}
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("HTTP %d, want 503", r.status)
	}

	cancel()
	wg.Wait()
	e.must(sales.RoleViewer, `{ customers { totalCount } }`, nil, nil)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proxy forwards TCP connections to the test database until stopped, which
// then behaves like a server that went away: open connections break and new
// ones are refused.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, dial func() (net.Conn, error)) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := dial()
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) stop() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// Item 9: with PostgreSQL gone, requests get UNAVAILABLE (retryable), never
// INTERNAL and never the driver's text.
func TestDatabaseDownIsUNAVAILABLE(t *testing.T) {
	t.Parallel()
	direct := dbtest.URL(t)
	store := openStore(t, direct, db.Options{})
	var sockDir, port string
	var tcpAddr *string
	if err := store.QueryRowContext(context.Background(),
		`SELECT current_setting('unix_socket_directories'), current_setting('port'), host(inet_server_addr())`).Scan(&sockDir, &port, &tcpAddr); err != nil {
		t.Fatal(err)
	}
	dial := func() (net.Conn, error) {
		if tcpAddr != nil {
			return net.Dial("tcp", net.JoinHostPort(*tcpAddr, port))
		}
		return net.Dial("unix", strings.Split(sockDir, ",")[0]+"/.s.PGSQL."+port)
	}
	px := startProxy(t, dial)
	host, pport, _ := net.SplitHostPort(px.ln.Addr().String())
	proxied := direct + " host=" + host + " port=" + pport
	if strings.HasPrefix(direct, "postgres") {
		u, err := url.Parse(direct)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = px.ln.Addr().String()
		proxied = u.String()
	}
	e := envOn(t, openStore(t, proxied, db.Options{}))
	e.must(sales.RoleViewer, `{ customers { totalCount } }`, nil, nil)

	px.stop()
	for _, tc := range []struct{ name, query string }{
		{"Query", `{ customers { totalCount } }`},
		{"Mutation", `mutation { createWarehouse(input: {code: "W9", name: "Nine"}) { id } }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := send(t, "POST", e.url+"/graphql", "application/json", e.tokens[sales.RoleAdmin], `{"query": `+strconvQuote(tc.query)+`}`)
			if len(r.resp.Errors) == 0 || r.resp.Errors[0].Code() != "UNAVAILABLE" {
				t.Fatalf("HTTP %d: %.300s, want UNAVAILABLE", r.status, r.body)
			}
			assertNoLeak(t, r.resp.Errors[0])
			assertBodyNoLeak(t, r.body)
			t.Logf("HTTP %d: %s", r.status, r.body)
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
