package graph_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

// The open websockets' users are rechecked by one loop per server, one
// lookup per distinct user and period: the cost follows the users, not the
// sockets, and an idle socket costs no goroutine of its own.

// recheckEnv is a test server whose sockets' users are rechecked every period.
func recheckEnv(t *testing.T, period time.Duration, tune ...func(*graph.Authenticator)) *env {
	t.Helper()
	return newEnv(t).retuned(t, func(c *graph.HandlerConfig) {
		c.Auth.SocketRecheck = period
		for _, f := range tune {
			f(c.Auth)
		}
	})
}

// openSockets signs n sockets in with token, each acknowledged.
func openSockets(t *testing.T, e *env, token string, n int) []*gqltest.WS {
	t.Helper()
	out := make([]*gqltest.WS, n)
	for i := range out {
		out[i] = gqltest.DialWS(t, e.url+"/graphql", map[string]any{"Authorization": "Bearer " + token}, nil)
	}
	return out
}

// deactivate turns u off through the store, as updateUser does.
func deactivate(t *testing.T, e *env, u *sales.User) {
	t.Helper()
	ctx := context.Background()
	cur, err := e.store.Users.ByEmail(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Users.Update(ctx, cur.ID, cur.Version, func(u *sales.User) { u.Active = false }); err != nil {
		t.Fatal(err)
	}
}

// Every socket of a deactivated user closes with 4403 within a couple of
// periods; another user's sockets on the same server stay open and served.
func TestWebsocketRecheckClosesEverySocketOfDeactivatedUser(t *testing.T) {
	t.Parallel()
	const period = 250 * time.Millisecond
	e := recheckEnv(t, period)
	gone, goneTok := e.addUser("recheck-gone@test.example", sales.RoleViewer)
	_, staysTok := e.addUser("recheck-stays@test.example", sales.RoleViewer)
	goneWS := openSockets(t, e, goneTok, 50)
	staysWS := openSockets(t, e, staysTok, 10)

	deactivate(t, e, gone)
	start := time.Now()
	// Two periods, and a second for 50 closing handshakes on a busy machine.
	deadline := start.Add(2*period + time.Second)
	for i, ws := range goneWS {
		ce := ws.WaitClose(t, max(time.Until(deadline), time.Millisecond))
		if ce.Code != 4403 || ce.Text != "Forbidden: user inactive" {
			t.Fatalf("socket %d of the deactivated user: close %d %q, want 4403 \"Forbidden: user inactive\"", i, ce.Code, ce.Text)
		}
	}
	t.Logf("50 sockets closed %v after the deactivation (period %v)", time.Since(start).Round(time.Millisecond), period)

	// Let two more rechecks pass over the active user's sockets.
	time.Sleep(2 * period)
	for _, ws := range staysWS {
		ws.Ping(t, 5*time.Second)
	}
	assertMe(t, staysWS[0], "1", "recheck-stays@test.example")
}

// One recheck reads each distinct user once, however many sockets they
// hold: 200 sockets of 3 users cost one statement a period, not 200.
func TestWebsocketRecheckCostFollowsUsersNotSockets(t *testing.T) {
	t.Parallel()
	const period = 100 * time.Millisecond
	e := recheckEnv(t, period)
	var sockets []*gqltest.WS
	for i, n := range []int{67, 67, 66} {
		_, tok := e.addUser(fmt.Sprintf("recheck-cost-%d@test.example", i), sales.RoleViewer)
		sockets = append(sockets, openSockets(t, e, tok, n)...)
	}

	// Nothing else uses this database now (sign-ins are cached for the
	// test, pings do not read it): every statement is a recheck's.
	before, t0 := e.store.Statements(), time.Now()
	time.Sleep(10 * period) // the window measured, not an assertion
	n, elapsed := e.store.Statements()-before, time.Since(t0)
	rechecks := int64(elapsed/period) + 1 // a tick may fall on either edge
	t.Logf("%d statements in %v (period %v) with %d sockets of 3 users", n, elapsed.Round(time.Millisecond), period, len(sockets))
	if n > rechecks {
		t.Fatalf("%d statements in %v: more than one per recheck period (%d periods) for 3 users; the recheck reads per socket", n, elapsed, rechecks)
	}
	if n == 0 {
		t.Fatalf("no statement in %v: the sockets' users were not rechecked", elapsed)
	}
	for _, ws := range sockets {
		ws.Ping(t, 5*time.Second) // all still open: their users are active
	}
}

// Not parallel: it counts the process's goroutines. An idle socket costs no
// goroutine of the auth code (the old per-socket watcher), and the one
// recheck loop ends with the last socket.
func TestWebsocketSessionsCostNoGoroutineEach(t *testing.T) {
	const sockets = 100
	e := recheckEnv(t, 200*time.Millisecond)
	_, tokA := e.addUser("recheck-goroutines-a@test.example", sales.RoleViewer)
	_, tokB := e.addUser("recheck-goroutines-b@test.example", sales.RoleViewer)
	base := runtime.NumGoroutine()
	open := append(openSockets(t, e, tokA, sockets/2), openSockets(t, e, tokB, sockets/2)...)
	t.Logf("%.1f goroutines per socket, client and server sides together", float64(runtime.NumGoroutine()-base)/sockets)

	if ours := authGoroutines(); len(ours) >= sockets/4 {
		t.Fatalf("%d goroutines started by the graph package with %d sockets open: one per socket; the first:\n%s", len(ours), sockets, ours[0])
	}
	for _, ws := range open {
		ws.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		loops := 0
		for _, g := range authGoroutines() {
			if strings.Contains(g, "(*Authenticator).recheckLoop") {
				loops++
			}
		}
		if loops == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d recheck loops still running 5 s after every socket closed", loops)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// authGoroutines returns the stacks of the goroutines that code of package
// graph started (a socket's reader runs graph's handlers, but net/http started it).
func authGoroutines() []string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		// The goroutine reading each socket is gorillaws's, not the auth code's.
		if strings.Contains(g, "created by salesgraph/graph.") {
			out = append(out, g)
		}
	}
	return out
}
