package graph_test

import (
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
	deadline := time.Now().Add(10 * time.Second)
	for graph.Rechecks(authn)-rounds < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("%d rechecks in 10 s, want 5", graph.Rechecks(authn)-rounds)
		}
		time.Sleep(10 * time.Millisecond)
	}
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
