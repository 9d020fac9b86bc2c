package graph_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"salesgraph/graph/gqltest"
	"salesgraph/live"
	"salesgraph/sales"
)

// serverSocketGoroutines counts the goroutines of the server side of the
// sockets: those started by package graph, its gorillaws, or gqlgen (the
// test's clients, started by gqltest, are left out).
func serverSocketGoroutines() int {
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		_, created, _ := strings.Cut(g, "\ncreated by ")
		if strings.Contains(created, "salesgraph/graph/gqltest") {
			continue
		}
		if strings.HasPrefix(created, "salesgraph/graph") || strings.HasPrefix(created, "github.com/99designs/gqlgen") {
			n++
		}
	}
	return n
}

// TestFeedIdleSubscriberCostsOneGoroutine: a dashboard watching the feed
// costs the server one goroutine, the one reading its socket, and no more
// while nothing happens. gqlgen's transport kept three per subscriber (a
// read loop, a close-on-cancel and the subscription's pump): at 10,000
// subscribers their stacks were most of the server's memory. Delivering an
// event starts a goroutine per socket that ends once the event is written.
func TestFeedIdleSubscriberCostsOneGoroutine(t *testing.T) {
	const subscribers = 40
	e := newFeedEnv(t, live.Options{})
	orders := e.rawOrders(t, 1)
	base := serverSocketGoroutines()
	subs := make([]*gqltest.Subscription, subscribers)
	for i := range subs {
		subs[i] = e.dial(t, sales.RoleAdmin).Subscribe(t, "feed", feedSubscription, nil)
	}
	e.joined(t, subscribers)

	// A handful besides the sockets' own: the ping and recheck loops.
	const slack = 5
	idle := func(when string) {
		t.Helper()
		var n int
		deadline := time.Now().Add(5 * time.Second)
		for {
			n = serverSocketGoroutines() - base
			if n <= subscribers+slack || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s: %d server goroutines for %d idle subscribers", when, n, subscribers)
		if n > subscribers+slack {
			t.Fatalf("%s: %d server goroutines for %d idle subscribers, want at most %d", when, n, subscribers, subscribers+slack)
		}
	}
	idle("subscribed")

	e.rawChange(t, orders[0], 1)
	for i, sub := range subs {
		if ev := next(t, sub, 5*time.Second); ev.Reason != "1" {
			t.Fatalf("subscriber %d got reason %q, want 1", i, ev.Reason)
		}
	}
	idle("after an event")
}
