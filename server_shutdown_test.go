package main

import (
	"database/sql"
	"runtime"
	"strings"
	"testing"
	"time"

	"salesgraph/db/dbtest"
	"salesgraph/graph/gqltest"
)

// brokerGoroutines returns the stacks of goroutines running the live feed's
// broker (Run, its listener and its pruner).
func brokerGoroutines() []string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "salesgraph/live.") {
			out = append(out, g)
		}
	}
	return out
}

// A graceful shutdown (what SIGTERM does: serve's context ends) closes a
// live orderStatusChanged subscription with 1001, which clients retry,
// without completing it first; stops the feed's broker, LISTEN connection
// and all; and ends within its grace period.
//
// Not parallel: it counts the process's broker goroutines, and parallel
// tests in this package start servers of their own (they wait until the
// sequential tests are done).
func TestShutdownClosesFeedAndStopsBroker(t *testing.T) {
	url := dbtest.URL(t)
	if _, err := runCmd(t, url, "user", "add", "--email", "boss@example.com", "--name", "The Boss", "--role", "ADMIN"); err != nil {
		t.Fatalf("user add: %v", err)
	}
	out, err := runCmd(t, url, "token", "--user", "boss@example.com", "--ttl", "1h")
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	token := strings.TrimSpace(out)
	sqlDB, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	feedConnections := func() int {
		t.Helper()
		var n int
		if err := sqlDB.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'salesgraph-feed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	const grace = 5 * time.Second
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret,
		"--log-format", "json", "--shutdown-grace", grace.String())
	ws := gqltest.DialWS(t, s.base+"/graphql", map[string]any{"Authorization": "Bearer " + token}, nil)
	sub := ws.Subscribe(t, "1", `subscription { orderStatusChanged { cursor status order { number } } }`, nil)

	// The subscription is live: a committed status change reaches it.
	if _, err := sqlDB.Exec(`WITH c AS (INSERT INTO customers (code, name, currency) VALUES ('SD', 'Shutdown', 'EUR') RETURNING id),
		w AS (INSERT INTO warehouses (code, name) VALUES ('SD', 'Shutdown') RETURNING id),
		o AS (INSERT INTO sales_orders (number, customer_id, warehouse_id, order_date, ship_to, currency, payment_terms_days)
		      SELECT 'SD-1', c.id, w.id, current_date, '{}', 'EUR', 30 FROM c, w RETURNING id)
		INSERT INTO order_events (order_id, status) SELECT id, 'CONFIRMED' FROM o`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev := sub.Recv(t, 10*time.Second)
		if ev.Type != "next" || len(ev.Response.Errors) > 0 {
			t.Fatalf("subscription: %+v", ev)
		}
		if strings.Contains(string(ev.Response.Data), `"SD-1"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the order's status change never reached the subscription")
		}
	}
	if n := feedConnections(); n != 1 {
		t.Fatalf("%d feed LISTEN connections while serving, want 1", n)
	}

	began := time.Now()
	s.stop(t) // cancels serve's context, as SIGTERM does, and waits for serve to return
	if took := time.Since(began); took > grace {
		t.Errorf("shutdown took %v, more than its %v grace", took, grace)
	}
	if code := ws.CloseCode(t, time.Second); code != 1001 {
		t.Errorf("the subscription's socket closed with %d, want 1001 (going away, which clients retry)", code)
	}
	// No complete (or error) before the close: that would tell the client the
	// feed ended instead of to reconnect and resume.
	sub.Quiet(t, 100*time.Millisecond)

	// serve has returned: the broker's Run must have, too.
	deadline = time.Now().Add(3 * time.Second)
	for {
		left, conns := brokerGoroutines(), feedConnections()
		if len(left) == 0 && conns == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after serve returned, %d feed LISTEN connections and %d broker goroutines remain:\n\n%s",
				conns, len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
