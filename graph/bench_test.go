package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/graph"
)

// ordersPage is the dashboard's page of orders (issue 7): the newest 50 with
// their customer, lines and products, and deliveries.
const ordersPage = `{ orders(first: 50) { nodes { number status customer { name }
	lines { quantity unitPrice total product { sku name } }
	deliveries { number status } } } }`

// BenchmarkOrdersPage runs the orders page through the whole GraphQL HTTP
// handler (body checks, auth, limits, loaders, encoding) against a real
// database loaded at scale, in process, so that a CPU or memory profile
// shows the server's own cost per request. See README, "Profiling a request".
func BenchmarkOrdersPage(b *testing.B) {
	s := newBenchServer(b)
	var out struct {
		Orders struct {
			Nodes []struct {
				Number string
				Lines  []struct{ Total string }
			}
		}
	}
	s.check(ordersPage, &out)
	if len(out.Orders.Nodes) != 50 || len(out.Orders.Nodes[0].Lines) == 0 {
		b.Fatalf("the page has %d orders, the first %+v", len(out.Orders.Nodes), out.Orders.Nodes)
	}
	s.run(ordersPage)
}

// BenchmarkMe is the per-request floor: the signed-in user's email, one
// field and no list, so what it costs is the request path itself.
func BenchmarkMe(b *testing.B) {
	s := newBenchServer(b)
	var out struct{ Me struct{ Email string } }
	s.check(`{ me { email } }`, &out)
	if out.Me.Email != demo.AdminEmail {
		b.Fatalf("me = %+v", out.Me)
	}
	s.run(`{ me { email } }`)
}

type benchServer struct {
	b     *testing.B
	store *db.Store
	h     http.Handler
	token string
}

// newBenchServer is the GraphQL handler over a database with 500 orders
// (about 2,000 lines) loaded by seed --scale, signed in as the demo admin.
func newBenchServer(b *testing.B) *benchServer {
	store := dbtest.New(b)
	if _, err := demo.LoadScale(context.Background(), store, demo.ScaleFor(500)); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := &graph.Authenticator{Secret: testSecret, Users: store.Users, Logger: logger}
	// The orders page's worst case (500 lines an order) costs more than the
	// default limit allows; the benchmark measures the path, not the cost model.
	h := graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger, Limits: graph.Limits{MaxCost: 1_000_000}})
	tok, err := auth.Issue(testSecret, demo.AdminEmail, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return &benchServer{b: b, store: store, h: h, token: tok}
}

func (s *benchServer) do(body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

// check runs query once and decodes its data into out, failing on any error.
func (s *benchServer) check(query string, out any) {
	body, _ := json.Marshal(map[string]any{"query": query})
	rec := s.do(body)
	var resp struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Errors) > 0 || json.Unmarshal(resp.Data, out) != nil {
		s.b.Fatalf("HTTP %d, %v: %.500s", rec.Code, err, rec.Body)
	}
}

// run is the timed loop. Besides ns/op (which includes waiting for the
// database and for the loaders' batches) it reports the statements sent and
// the process's CPU time per request: the server's own work, as the client
// side here is a recorder, not a network client.
func (s *benchServer) run(query string) {
	b := s.b
	body, _ := json.Marshal(map[string]any{"query": query})
	statements, cpu, n := s.store.Statements(), processCPU(), 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n++
		rec := s.do(body)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("HTTP %d: %.500s", rec.Code, strings.TrimSpace(rec.Body.String()))
		}
	}
	b.ReportMetric(float64(s.store.Statements()-statements)/float64(n), "stmts/op")
	b.ReportMetric(float64(processCPU()-cpu)/float64(n), "cpu-ns/op")
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
