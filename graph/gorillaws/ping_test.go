package gorillaws_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"salesgraph/graph/gorillaws"
	"salesgraph/graph/gqltest"
)

// goroutinesIn counts the goroutines whose stack mentions fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// Many idle sockets are pinged by one loop, not a goroutine each, and a
// socket that answers stays open for many intervals; the loop ends with the
// last socket.
func TestPingLoop_OneForAllSockets(t *testing.T) {
	const interval = 50 * time.Millisecond
	s := newServer(t, gorillaws.Options{PingInterval: interval}, nil)
	var clients []*gqltest.WS
	for range 20 {
		clients = append(clients, gqltest.DialWS(t, s.url, nil, nil)) // answers pings
	}
	time.Sleep(8 * interval)
	for _, c := range clients {
		c.Ping(t, wait) // still open and served
	}
	if n := s.impl.Open(); n != len(clients) {
		t.Fatalf("Open() = %d after 8 intervals, want %d: sockets that answer pings were dropped", n, len(clients))
	}
	if n := goroutinesIn("transport.(*wsConnection).ping("); n != 0 {
		t.Errorf("%d of gqlgen's per-socket ping goroutines run, want none", n)
	}
	if n := goroutinesIn("gorillaws.(*Implementation).pingLoop"); n != 1 {
		t.Errorf("%d ping loops run for %d sockets, want 1", n, len(clients))
	}
	for _, c := range clients {
		c.Close()
	}
	waitOpen(t, s.impl, 0)
	deadline := time.Now().Add(5 * time.Second)
	for goroutinesIn("gorillaws.(*Implementation).pingLoop") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the ping loop still runs after the last socket closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
