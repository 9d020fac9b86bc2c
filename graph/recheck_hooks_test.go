package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

// More distinct users than a batch cost one statement per batch.
func TestWebsocketRecheckBatchesUsers(t *testing.T) {
	t.Parallel()
	var authn *graph.Authenticator
	e := recheckEnv(t, 100*time.Millisecond, func(a *graph.Authenticator) {
		authn = a
		graph.SetRecheckBatch(a, 2)
	})
	var last *sales.User
	var lastWS []*gqltest.WS
	for i := range 5 {
		u, tok := e.addUser(fmt.Sprintf("recheck-batch-%d@test.example", i), sales.RoleViewer)
		last, lastWS = u, openSockets(t, e, tok, 3)
	}
	// A recheck may be under way at either read: count whole ones around it.
	stmts, rounds := e.store.Statements(), graph.Rechecks(authn)
	waitRechecks(t, authn, 5)
	n, d := e.store.Statements()-stmts, graph.Rechecks(authn)-rounds
	t.Logf("%d statements over %d rechecks of 5 users in batches of 2", n, d)
	if n < 3*(d-1) || n > 3*(d+1) {
		t.Fatalf("%d statements over %d rechecks: want 3 a recheck (5 users in batches of 2)", n, d)
	}
	// The last batch is read too: its user's sockets close when deactivated.
	deactivate(t, e, last)
	for _, ws := range lastWS {
		if code := ws.CloseCode(t, 5*time.Second); code != 4403 {
			t.Fatalf("close code %d, want 4403", code)
		}
	}
}

// A recheck that cannot read the users (here: the table is gone for a
// while) closes nothing; once it can again, a deactivation closes as usual.
func TestWebsocketRecheckFailureClosesNothing(t *testing.T) {
	t.Parallel()
	var authn *graph.Authenticator
	e := recheckEnv(t, 100*time.Millisecond, func(a *graph.Authenticator) { authn = a })
	u, tok := e.addUser("recheck-dbdown@test.example", sales.RoleViewer)
	sockets := openSockets(t, e, tok, 3)
	ctx := context.Background()
	if _, err := e.store.ExecContext(ctx, `ALTER TABLE users RENAME TO users_away`); err != nil {
		t.Fatal(err)
	}
	renamed := true
	t.Cleanup(func() {
		if renamed {
			_, _ = e.store.ExecContext(ctx, `ALTER TABLE users_away RENAME TO users`)
		}
	})
	waitRechecks(t, authn, 3)
	for _, ws := range sockets {
		ws.Ping(t, 5*time.Second)
	}
	if _, err := e.store.ExecContext(ctx, `ALTER TABLE users_away RENAME TO users`); err != nil {
		t.Fatal(err)
	}
	renamed = false
	deactivate(t, e, u)
	for _, ws := range sockets {
		if code := ws.CloseCode(t, 5*time.Second); code != 4403 {
			t.Fatalf("close code %d, want 4403", code)
		}
	}
}

// waitRechecks waits until a has begun n more rechecks.
func waitRechecks(t *testing.T, a *graph.Authenticator, n int64) {
	t.Helper()
	from := graph.Rechecks(a)
	deadline := time.Now().Add(10 * time.Second)
	for graph.Rechecks(a)-from < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d rechecks in 10 s, want %d", graph.Rechecks(a)-from, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
