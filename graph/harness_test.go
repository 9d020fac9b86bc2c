package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/relay"
	"salesgraph/sales"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var testSecret = []byte("test-secret-test-secret-test-secret!")

// env is one test's server: its own database, an HTTP server in front of the
// real GraphQL handler, and a signed-in user per role.
type env struct {
	t      *testing.T
	store  *db.Store
	url    string
	tokens map[sales.Role]string
	users  map[sales.Role]*sales.User
}

func newEnv(t *testing.T) *env {
	t.Helper()
	store := dbtest.New(t)
	// Sign-in lookups stay cached for the whole test, so that only the
	// invalidation can make a change to a user visible (and statement counts
	// do not depend on the clock).
	store.SetUserCacheTTL(time.Hour)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := &graph.Authenticator{Secret: testSecret, Users: store.Users, Logger: logger}
	h := graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{t: t, store: store, url: srv.URL, tokens: map[sales.Role]string{}, users: map[sales.Role]*sales.User{}}
	for _, r := range sales.Roles {
		e.addUser(strings.ToLower(string(r))+"@test.example", r)
	}
	return e
}

// retuned returns a copy of e whose requests go to a second server on the
// same database, its handler configured as tune says.
func (e *env) retuned(t *testing.T, tune func(*graph.HandlerConfig)) *env {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := graph.HandlerConfig{Store: e.store, Auth: &graph.Authenticator{Secret: testSecret, Users: e.store.Users, Logger: logger}, Logger: logger}
	tune(&cfg)
	srv := httptest.NewServer(graph.NewHandler(cfg))
	t.Cleanup(srv.Close)
	c := *e
	c.t, c.url = t, srv.URL
	return &c
}

// addUser creates a user directly in the store and returns a token for them.
func (e *env) addUser(email string, role sales.Role) (*sales.User, string) {
	e.t.Helper()
	u, err := e.store.Users.Create(context.Background(), nil, sales.User{Email: email, Name: "Test " + string(role), Role: role, Active: true}, nil)
	if err != nil {
		e.t.Fatalf("add user %s: %v", email, err)
	}
	tok, err := auth.Issue(testSecret, email, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, ok := e.tokens[role]; !ok {
		e.tokens[role], e.users[role] = tok, u
	}
	return u, tok
}

// as posts a query as a user of role.
func (e *env) as(role sales.Role, query string, vars map[string]any) gqltest.Response {
	e.t.Helper()
	return gqltest.Post(e.t, e.url+"/graphql", e.tokens[role], query, vars)
}

// must posts as role and fails the test on any GraphQL error, decoding data into out.
func (e *env) must(role sales.Role, query string, vars map[string]any, out any) {
	e.t.Helper()
	r := e.as(role, query, vars)
	if len(r.Errors) > 0 {
		e.t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if out != nil {
		r.Decode(e.t, out)
	}
}

// wantError asserts the response failed with code on field (field "" = don't care).
func wantError(t *testing.T, r gqltest.Response, code, field string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want error %s on %q, got data %s", code, field, r.Data)
	}
	e := r.Errors[0]
	if e.Code() != code || (field != "" && e.Field() != field) {
		t.Fatalf("error = %s on %q (%q), want %s on %q", e.Code(), e.Field(), e.Message, code, field)
	}
	assertNoLeak(t, e)
}

// assertNoLeak fails if an error message shows internals.
func assertNoLeak(t *testing.T, e gqltest.Error) {
	t.Helper()
	low := strings.ToLower(e.Message)
	for _, bad := range []string{"pq:", "sql", "select ", "insert ", "update ", "constraint", "violates", ".go:", "goroutine", "panic"} {
		if strings.Contains(low, bad) {
			t.Fatalf("error message leaks internals (%q): %q", bad, e.Message)
		}
	}
}

// notBusinessData are the public tables snapshot leaves out, with why.
var notBusinessData = map[string]string{
	"goose_db_version": "the migration tool's bookkeeping: no mutation writes it",
}

// snapshot returns every business table's rows, to prove a failed mutation
// changed nothing. The tables come from the catalog, so a table a new
// migration adds is compared without anyone remembering to list it.
func snapshot(t *testing.T, store *db.Store) string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	if err := store.SelectContext(ctx, &tables, `SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`); err != nil {
		t.Fatalf("snapshot: list tables: %v", err)
	}
	var b strings.Builder
	for _, table := range tables {
		if _, skip := notBusinessData[table]; skip {
			continue
		}
		var rows []byte
		if err := store.GetContext(ctx, &rows,
			`SELECT coalesce(json_agg(t ORDER BY t::text), '[]') FROM `+pq.QuoteIdentifier(table)+` t`); err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		b.WriteString(table + ":")
		b.Write(rows)
		b.WriteString("\n")
	}
	return b.String()
}

// unchanged runs fn and fails if any table changed.
func unchanged(t *testing.T, store *db.Store, fn func()) {
	t.Helper()
	before := snapshot(t, store)
	fn()
	if after := snapshot(t, store); after != before {
		t.Fatalf("the database changed:\nbefore: %s\nafter:  %s", before, after)
	}
}

// userID is the global ID of a user, as the API would show it.
func userID(id int64) string { return relay.ID("User", id) }

// with returns e reporting to t, for helpers called inside subtests.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gqlPost posts as role from any goroutine (no test helper state involved).
func gqlPost(e *env, role sales.Role, query string, vars map[string]any) gqltest.Response {
	return gqltest.Post(e.t, e.url+"/graphql", e.tokens[role], query, vars)
}

// relayID is the global ID of an object, as the API would show it.
func relayID(typ string, id int64) string { return relay.ID(typ, id) }
