package gorillaws_test

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"salesgraph/graph/gorillaws"
	"salesgraph/graph/gqltest"
	"salesgraph/internal/connlimit"
)

// serverReaders returns the stacks of the goroutines reading the server's
// graphql-transport-ws sockets.
func serverReaders() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var readers []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "gorillaws.(*socket).serve(") {
			readers = append(readers, g)
		}
	}
	return readers
}

// TestIdleSocketWaitsOutsideGorilla: an idle socket's reader waits for the
// socket to become readable a few frames deep, not inside gorilla's read
// path, whose depth would keep a 4 KiB stack per socket instead of 2 KiB
// (10,000 subscribers: 40 MB of stacks instead of 20). Behind the
// server's connection cap too, whose connections must keep the socket's
// file descriptor reachable.
func TestIdleSocketWaitsOutsideGorilla(t *testing.T) {
	s := startServer(t, gorillaws.Options{}, nil, func(l net.Listener) net.Listener { return connlimit.Listen(l, 10) })
	const sockets = 3
	for range sockets {
		c := gqltest.DialWS(t, s.url, nil, nil)
		c.Ping(t, wait) // acknowledged, served, now idle
	}
	var readers []string
	deadline := time.Now().Add(wait)
	for {
		readers = serverReaders()
		waiting := 0
		for _, g := range readers {
			if strings.Contains(g, "gorillaws.(*Conn).awaitMessage(") && !strings.Contains(g, "websocket.(*Conn).NextReader(") {
				waiting++
			}
		}
		if len(readers) == sockets && waiting == sockets {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d socket readers, %d of them waiting in awaitMessage outside gorilla; stacks:\n%s", len(readers), waiting, strings.Join(readers, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// heldConn holds its writes while held is set and sends them in one write
// when it is cleared, so that the server reads several frames at once.
type heldConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  bytes.Buffer
}

func (c *heldConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		return c.buf.Write(p)
	}
	return c.Conn.Write(p)
}

func (c *heldConn) hold() { c.mu.Lock(); c.held = true; c.mu.Unlock() }

func (c *heldConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = false
	_, err := c.Conn.Write(c.buf.Bytes())
	c.buf.Reset()
	return err
}

// TestMessagesArrivingTogetherAreAllRead: client messages that arrive in
// one segment are all answered, though after the first the socket has
// nothing left to read (the rest wait in the reader's buffer).
func TestMessagesArrivingTogetherAreAllRead(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, nil)
	var held *heldConn
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: wait,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			held = &heldConn{Conn: c}
			return held, nil
		}}
	ws, _, err := d.Dial(strings.Replace(s.url, "http", "ws", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	send := func(m string) {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() string {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for the server: %v", err)
		}
		return string(b)
	}
	send(`{"type":"connection_init"}`)
	if m := recv(); !strings.Contains(m, `"connection_ack"`) {
		t.Fatalf("got %s, want connection_ack", m)
	}
	held.hold()
	send(`{"type":"ping","payload":{"n":1}}`)
	send(`{"type":"ping","payload":{"n":2}}`)
	send(`{"type":"ping","payload":{"n":3}}`)
	if err := held.release(); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		if m := recv(); !strings.Contains(m, `"pong"`) || !strings.Contains(m, `"n":`+string(rune('0'+n))) {
			t.Fatalf("reply %d: %s, want the pong of ping %d", n, m, n)
		}
	}
}
