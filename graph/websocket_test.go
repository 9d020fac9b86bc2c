package graph_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

// Mutations and queries travel over the websocket too (graphql-transport-ws),
// authenticated by the connection_init payload.
func TestWebsocket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bearer := func(role sales.Role) map[string]any {
		return map[string]any{"Authorization": "Bearer " + e.tokens[role]}
	}

	t.Run("QueryAndMutation", func(t *testing.T) {
		ws := gqltest.DialWS(t, e.url+"/graphql", bearer(sales.RoleAdmin), nil)
		me := ws.Subscribe(t, "1", `{ me { email role } }`, nil)
		r, ok := me.Next(t, 5*time.Second)
		if !ok || len(r.Errors) > 0 || string(r.Data) != `{"me":{"email":"admin@test.example","role":"ADMIN"}}` {
			t.Fatalf("me over websocket: %s %+v", r.Data, r.Errors)
		}
		if _, more := me.Next(t, 5*time.Second); more {
			t.Fatal("a query should complete after its one result")
		}
		vars := map[string]any{"input": map[string]any{"sku": "WS-1", "name": "Over the socket", "unitOfMeasure": "EA"}, "key": "ws-1"}
		first := ws.Subscribe(t, "2", createProductMutation, vars)
		a, _ := first.Next(t, 5*time.Second)
		again := ws.Subscribe(t, "3", createProductMutation, vars)
		b, _ := again.Next(t, 5*time.Second)
		if len(a.Errors) > 0 || string(a.Data) != string(b.Data) {
			t.Fatalf("idempotent create over websocket: %s / %s %+v", a.Data, b.Data, a.Errors)
		}
	})

	t.Run("ForbiddenMutation", func(t *testing.T) {
		ws := gqltest.DialWS(t, e.url+"/graphql", bearer(sales.RoleViewer), nil)
		sub := ws.Subscribe(t, "1", createProductMutation, map[string]any{"input": map[string]any{"sku": "WS-2", "name": "x", "unitOfMeasure": "EA"}})
		r, _ := sub.Next(t, 5*time.Second)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
			t.Fatalf("viewer's mutation over websocket: %s %+v", r.Data, r.Errors)
		}
	})

	t.Run("BadTokenClosesWith4403", func(t *testing.T) {
		for name, payload := range map[string]map[string]any{
			"Garbage":   {"Authorization": "Bearer nonsense"},
			"NoPayload": nil,
		} {
			t.Run(name, func(t *testing.T) {
				ws := gqltest.OpenWS(t, e.url+"/graphql", nil)
				msg := gqltest.Message{Type: "connection_init"}
				if payload != nil {
					msg.Payload = mustJSON(t, payload)
				}
				ws.Send(t, msg)
				if code := ws.CloseCode(t, 5*time.Second); code != 4403 {
					t.Fatalf("close code %d, want 4403", code)
				}
			})
		}
	})
}

// A socket is a session like a run of HTTP requests: each operation reads its
// user and role afresh, and the socket closes with 4403 once its user is
// deactivated or its token expires, so a session cannot outlive its user.
func TestWebsocketSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bearer := func(token string) map[string]any { return map[string]any{"Authorization": "Bearer " + token} }
	ctx := context.Background()
	// signIn adds an admin of its own (the test changes it) and opens a socket for them.
	signIn := func(t *testing.T, name string) (*sales.User, *gqltest.WS) {
		t.Helper()
		u, tok := e.with(t).addUser(name+"@test.example", sales.RoleAdmin)
		ws := gqltest.DialWS(t, e.url+"/graphql", bearer(tok), nil)
		assertMe(t, ws, "0", u.Email)
		return u, ws
	}
	update := func(t *testing.T, u *sales.User, change func(*sales.User)) {
		t.Helper()
		cur, err := e.store.Users.ByEmail(ctx, u.Email)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Users.Update(ctx, cur.ID, cur.Version, change); err != nil {
			t.Fatal(err)
		}
	}
	const createUser = `mutation($input: CreateUserInput!) { createUser(input: $input) { email role } }`
	newAdmin := func(email string) map[string]any {
		return map[string]any{"input": map[string]any{"email": email, "name": "Made over a socket", "role": "ADMIN"}}
	}

	t.Run("DeactivatedUserRefused", func(t *testing.T) {
		// A server over the same database whose sockets do not recheck their
		// user on their own, so the operation itself must refuse.
		logger := slog.New(slog.DiscardHandler)
		authn := &graph.Authenticator{Secret: testSecret, Users: e.store.Users, Logger: logger, SocketRecheck: time.Hour}
		srv := httptest.NewServer(graph.NewHandler(graph.HandlerConfig{Store: e.store, Auth: authn, Logger: logger}))
		t.Cleanup(srv.Close)
		u, tok := e.with(t).addUser("ws-deactivated@test.example", sales.RoleAdmin)
		ws := gqltest.DialWS(t, srv.URL+"/graphql", bearer(tok), nil)
		assertMe(t, ws, "0", u.Email)
		update(t, u, func(u *sales.User) { u.Active = false })
		sub := ws.Subscribe(t, "1", createUser, newAdmin("ws-made-after-deactivation@test.example"))
		r, _ := sub.Next(t, 5*time.Second)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Fatalf("createUser by a deactivated user over an open socket: %s %+v, want UNAUTHENTICATED", r.Data, r.Errors)
		}
		if _, err := e.store.Users.ByEmail(ctx, "ws-made-after-deactivation@test.example"); sales.CodeOf(err) != sales.CodeNotFound {
			t.Fatalf("the refused createUser made a user anyway (err %v)", err)
		}
		// Reactivated, the same socket works again: each operation asks afresh.
		update(t, u, func(u *sales.User) { u.Active = true })
		assertMe(t, ws, "2", u.Email)
	})

	t.Run("RoleChangeAppliesToNextOperation", func(t *testing.T) {
		u, ws := signIn(t, "ws-demoted")
		update(t, u, func(u *sales.User) { u.Role = sales.RoleViewer })
		r, _ := ws.Subscribe(t, "1", `{ me { role } }`, nil).Next(t, 5*time.Second)
		if len(r.Errors) > 0 || string(r.Data) != `{"me":{"role":"VIEWER"}}` {
			t.Fatalf("me after demotion: %s %+v, want role VIEWER", r.Data, r.Errors)
		}
		r, _ = ws.Subscribe(t, "2", createUser, newAdmin("ws-made-after-demotion@test.example")).Next(t, 5*time.Second)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
			t.Fatalf("createUser by a demoted user over an open socket: %s %+v, want FORBIDDEN", r.Data, r.Errors)
		}
	})

	t.Run("DeactivationClosesIdleSocketWith4403", func(t *testing.T) {
		u, ws := signIn(t, "ws-idle")
		update(t, u, func(u *sales.User) { u.Active = false })
		start := time.Now()
		if code := ws.CloseCode(t, 5*time.Second); code != 4403 {
			t.Fatalf("close code %d, want 4403", code)
		}
		t.Logf("closed %v after the deactivation", time.Since(start).Round(time.Millisecond))
	})

	t.Run("ExpiryClosesSocketWith4403", func(t *testing.T) {
		u, _ := e.with(t).addUser("ws-expiring@test.example", sales.RoleAdmin)
		minted := time.Now()
		tok, err := auth.Issue(testSecret, u.Email, 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ws := gqltest.DialWS(t, e.url+"/graphql", bearer(tok), nil)
		assertMe(t, ws, "0", u.Email)
		// exp has whole seconds, so it falls between 2 s and 3 s after minting.
		if code := ws.CloseCode(t, 8*time.Second); code != 4403 {
			t.Fatalf("close code %d, want 4403", code)
		}
		if elapsed := time.Since(minted); elapsed < 2*time.Second {
			t.Fatalf("closed %v after minting a 3 s token, before it expired", elapsed)
		}
	})

	t.Run("ExpiredTokenRefusedAtInit", func(t *testing.T) {
		// Expired a few seconds ago: still inside the token parser's clock-skew
		// leeway, but a socket must not start on it.
		u, _ := e.with(t).addUser("ws-expired@test.example", sales.RoleAdmin)
		tok, err := auth.Issue(testSecret, u.Email, -5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ws := gqltest.OpenWS(t, e.url+"/graphql", nil)
		ws.Send(t, gqltest.Message{Type: "connection_init", Payload: mustJSON(t, bearer(tok))})
		if code := ws.CloseCode(t, 5*time.Second); code != 4403 {
			t.Fatalf("close code %d, want 4403", code)
		}
	})
}

// An error message ends its operation: graphql-transport-ws says no complete
// follows it, and the id is free again afterwards.
func TestWebsocketErrorIsFinal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ws := gqltest.DialWS(t, e.url+"/graphql", map[string]any{"Authorization": "Bearer " + e.tokens[sales.RoleAdmin]}, nil)
	for _, id := range []string{"bad", "bad"} { // the second round reuses the id
		sub := ws.Subscribe(t, id, `{ nope }`, nil)
		errs := sub.Errors(t, 5*time.Second)
		if len(errs) != 1 || errs[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("errors = %+v, want one GRAPHQL_VALIDATION_FAILED", errs)
		}
		sub.Quiet(t, 500*time.Millisecond)
		ws.Ping(t, 5*time.Second)
	}
	assertMe(t, ws, "bad", "admin@test.example")
}

// assertMe runs { me } as operation id and checks it names email and then completes.
func assertMe(t *testing.T, ws *gqltest.WS, id, email string) {
	t.Helper()
	sub := ws.Subscribe(t, id, `{ me { email } }`, nil)
	r, ok := sub.Next(t, 5*time.Second)
	if !ok || len(r.Errors) > 0 || string(r.Data) != `{"me":{"email":"`+email+`"}}` {
		t.Fatalf("me over websocket: %s %+v, want %s", r.Data, r.Errors, email)
	}
	if _, more := sub.Next(t, 5*time.Second); more {
		t.Fatal("a query should complete after its one result")
	}
}
