package gorillaws_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"salesgraph/graph/gorillaws"
	"salesgraph/graph/gqltest"
)

// TestGqlgenProtocol pins how gqlgen v0.17.98 answers graphql-transport-ws protocol errors
// through this adapter, next to what the spec asks (RELIABILITY.md §1.2). These are
// observations, not requirements: when an upgrade changes one, this test fails and the table
// in RELIABILITY.md needs the new value. They also show the adapter delivers gqlgen's close
// frame (a close racing it would turn each of these into 1006).
func TestGqlgenProtocol(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, func(ws *transport.Websocket) { ws.InitTimeout = 200 * time.Millisecond })
	closes := []struct {
		name string
		spec int // what the graphql-transport-ws spec asks for
		run  func(t *testing.T) *gqltest.WS
		want websocket.CloseError
	}{
		{
			name: "second connection_init",
			spec: 4429,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.DialWS(t, s.url, nil, nil)
				c.Send(t, gqltest.Message{Type: "connection_init"})
				return c
			},
			want: websocket.CloseError{Code: 1002, Text: "unexpected message"},
		},
		{
			name: "subscribe before connection_init",
			spec: 4401,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.OpenWS(t, s.url, nil)
				c.Subscribe(t, "1", "subscription { name }", nil)
				return c
			},
			want: websocket.CloseError{Code: 1002, Text: "unexpected message"},
		},
		{
			name: "no connection_init within InitTimeout",
			spec: 4408,
			run:  func(t *testing.T) *gqltest.WS { return gqltest.OpenWS(t, s.url, nil) },
			want: websocket.CloseError{Code: 1002, Text: "connection initialisation timeout"},
		},
		{
			name: "invalid JSON before connection_init",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.OpenWS(t, s.url, nil)
				c.SendRaw(t, []byte("{"))
				return c
			},
			want: websocket.CloseError{Code: 1002, Text: "decoding error"},
		},
		{
			name: "invalid JSON",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.DialWS(t, s.url, nil, nil)
				c.SendRaw(t, []byte("{"))
				return c
			},
			want: websocket.CloseError{Code: 1000, Text: "terminated"},
		},
		{
			name: "unknown message type",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.DialWS(t, s.url, nil, nil)
				c.Send(t, gqltest.Message{Type: "nope"})
				return c
			},
			want: websocket.CloseError{Code: 1000, Text: "terminated"},
		},
		{
			name: "server-to-client type sent by the client",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.DialWS(t, s.url, nil, nil)
				c.Send(t, gqltest.Message{Type: "next", ID: "1"})
				return c
			},
			want: websocket.CloseError{Code: 1000, Text: "terminated"},
		},
	}
	for _, tt := range closes {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.run(t).WaitClose(t, wait)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("close (-want +got):\n%s\n(the spec asks for %d)", diff, tt.spec)
			}
		})
	}

	t.Run("missing pong", func(t *testing.T) {
		const interval = 100 * time.Millisecond
		ps := newServer(t, gorillaws.Options{}, func(ws *transport.Websocket) { ws.PingPongInterval = interval })
		conn, _, err := gqltest.DialRaw(t, ps.url, gqltest.Subprotocol, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now() // before the server's deadline is set, which is after the ack
		writeJSON(t, conn, gqltest.Message{Type: "connection_init"})
		expect(t, conn, gqltest.Message{Type: "connection_ack"})
		code := readClose(t, conn) // reads, and ignores, the pings
		// gqlgen's comment says 1006; through this adapter the read deadline ends its
		// read loop and it closes normally.
		if code != websocket.CloseNormalClosure {
			t.Errorf("close code = %d, want 1000", code)
		}
		if elapsed := time.Since(start); elapsed < 2*interval {
			t.Errorf("closed after %v, want no earlier than 2×PingPongInterval", elapsed)
		}
	})

	t.Run("error is followed by complete", func(t *testing.T) {
		// Spec: error is final, no complete follows.
		c := gqltest.DialWS(t, s.url, nil, nil)
		sub := c.Subscribe(t, "v", "subscription { nope }", nil)
		errs := sub.Errors(t, wait)
		if len(errs) != 1 || errs[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("errors = %+v, want one GRAPHQL_VALIDATION_FAILED", errs)
		}
		if ev := sub.Recv(t, wait); ev.Type != "complete" {
			t.Errorf("after error got %s, want gqlgen's complete", ev.Type)
		}
	})

	t.Run("subscribe without id is served", func(t *testing.T) {
		// Spec: id is required, so this is an invalid message (4400).
		c := gqltest.DialWS(t, s.url, nil, nil)
		sub := c.Subscribe(t, "", "query { name }", nil)
		if res, ok := sub.Next(t, wait); !ok || string(res.Data) != nameEvent {
			t.Errorf("Next = %s, %v; want %s", res.Data, ok, nameEvent)
		}
	})

	t.Run("duplicate id orphans the first subscription", func(t *testing.T) {
		// Spec: 4409 "Subscriber for <id> already exists". gqlgen overwrites its cancel
		// func for the id, so the first stream keeps running and cannot be stopped.
		c := gqltest.DialWS(t, s.url, nil, nil)
		sub := c.Subscribe(t, "1", "subscription { name }", nil)
		c.Subscribe(t, "1", "subscription { name }", nil)
		c.Ping(t, wait) // still open: no 4409
		sub.Complete(t)
		if ev := sub.Recv(t, wait); ev.Type != "complete" {
			t.Fatalf("after complete got %s, want complete", ev.Type)
		}
		for range 2 {
			// Each complete for "1" now finds nothing to cancel; the orphan still streams.
			sub.Complete(t)
			if got := s.next(t, sub); got != nameEvent {
				t.Errorf("orphan event = %s, want %s", got, nameEvent)
			}
		}
	})

	t.Run("init payload that is not an object", func(t *testing.T) {
		// gqlgen returns without closing the socket or answering; the adapter closes it
		// one WriteWait after the handler returns, without a close frame.
		ls := newServer(t, gorillaws.Options{WriteWait: 100 * time.Millisecond}, nil)
		c := gqltest.OpenWS(t, ls.url, nil)
		c.Send(t, gqltest.Message{Type: "connection_init", Payload: json.RawMessage(`"not an object"`)})
		if code := c.CloseCode(t, wait); code != websocket.CloseAbnormalClosure {
			t.Errorf("close code = %d, want 1006", code)
		}
		waitOpen(t, ls.impl, 0)
	})
}
