package gorillaws_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"salesgraph/graph/gorillaws"
	"salesgraph/graph/gqltest"
)

// TestProtocolCloseCodes checks that graphql-transport-ws protocol errors close with the
// spec's codes (RELIABILITY.md §1.2), which gqlgen v0.17.98 alone does not send (it answers
// 1002 or 1000); the adapter's guard enforces them. The missing-pong subtest pins what gqlgen
// still does its own way.
func TestProtocolCloseCodes(t *testing.T) {
	s := newServer(t, gorillaws.Options{}, func(ws *gorillaws.Transport) { ws.InitTimeout = 200 * time.Millisecond })
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
			want: websocket.CloseError{Code: 4429, Text: "Too many initialisation requests"},
		},
		{
			name: "subscribe before connection_init",
			spec: 4401,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.OpenWS(t, s.url, nil)
				c.Subscribe(t, "1", "subscription { name }", nil)
				return c
			},
			want: websocket.CloseError{Code: 4401, Text: "Unauthorized"},
		},
		{
			name: "no connection_init within InitTimeout",
			spec: 4408,
			run:  func(t *testing.T) *gqltest.WS { return gqltest.OpenWS(t, s.url, nil) },
			want: websocket.CloseError{Code: 4408, Text: "connection initialisation timeout"},
		},
		{
			name: "invalid JSON before connection_init",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.OpenWS(t, s.url, nil)
				c.SendRaw(t, []byte("{"))
				return c
			},
			want: websocket.CloseError{Code: 4400, Text: "Invalid message received"},
		},
		{
			name: "invalid JSON",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.DialWS(t, s.url, nil, nil)
				c.SendRaw(t, []byte("{"))
				return c
			},
			want: websocket.CloseError{Code: 4400, Text: "Invalid message received"},
		},
		{
			name: "unknown message type",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.DialWS(t, s.url, nil, nil)
				c.Send(t, gqltest.Message{Type: "nope"})
				return c
			},
			want: websocket.CloseError{Code: 4400, Text: "Invalid message received"},
		},
		{
			name: "server-to-client type sent by the client",
			spec: 4400,
			run: func(t *testing.T) *gqltest.WS {
				c := gqltest.DialWS(t, s.url, nil, nil)
				c.Send(t, gqltest.Message{Type: "next", ID: "1"})
				return c
			},
			want: websocket.CloseError{Code: 4400, Text: "Invalid message received"},
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
		ps := newServer(t, gorillaws.Options{PingInterval: interval}, nil)
		conn, _, err := gqltest.DialRaw(t, ps.url, gqltest.Subprotocol, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now() // before the server's deadline is set, which is after the ack
		writeJSON(t, conn, gqltest.Message{Type: "connection_init"})
		expect(t, conn, gqltest.Message{Type: "connection_ack"})
		code := readClose(t, conn) // reads, and ignores, the pings
		// The read deadline the ping loop keeps ends gqlgen's read loop, which closes
		// normally.
		if code != websocket.CloseNormalClosure {
			t.Errorf("close code = %d, want 1000", code)
		}
		if elapsed := time.Since(start); elapsed < 2*interval {
			t.Errorf("closed after %v, want no earlier than 2×PingInterval", elapsed)
		}
	})

	t.Run("error is final", func(t *testing.T) {
		// Spec: error is final, no complete follows. gqlgen sends one; the adapter drops it.
		c := gqltest.DialWS(t, s.url, nil, nil)
		for range 2 { // the second round reuses the id
			sub := c.Subscribe(t, "v", "subscription { nope }", nil)
			errs := sub.Errors(t, wait)
			if len(errs) != 1 || errs[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
				t.Errorf("errors = %+v, want one GRAPHQL_VALIDATION_FAILED", errs)
			}
			sub.Quiet(t, 300*time.Millisecond)
		}
		// The id is free again, and a normal operation still completes.
		q := c.Subscribe(t, "v", "query { name }", nil)
		if res, ok := q.Next(t, wait); !ok || string(res.Data) != nameEvent {
			t.Fatalf("query after errors: %s, %v", res.Data, ok)
		}
		if _, more := q.Next(t, wait); more {
			t.Fatal("a query completes after its result")
		}
	})

	t.Run("subscribe without id", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		c.Subscribe(t, "", "query { name }", nil)
		if got := c.WaitClose(t, wait); got.Code != 4400 {
			t.Errorf("close = %+v, want 4400", got)
		}
	})

	t.Run("duplicate id", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		c.Subscribe(t, "1", "subscription { name }", nil)
		c.Subscribe(t, "1", "subscription { name }", nil)
		if got := c.WaitClose(t, wait); got.Code != 4409 || got.Text != "Subscriber for 1 already exists" {
			t.Errorf("close = %+v, want 4409", got)
		}
	})

	t.Run("id reusable after complete", func(t *testing.T) {
		c := gqltest.DialWS(t, s.url, nil, nil)
		q := c.Subscribe(t, "1", "query { name }", nil)
		if _, ok := q.Next(t, wait); !ok {
			t.Fatal("no result")
		}
		if _, more := q.Next(t, wait); more {
			t.Fatal("a query completes after its result")
		}
		again := c.Subscribe(t, "1", "query { name }", nil)
		if res, ok := again.Next(t, wait); !ok || string(res.Data) != nameEvent {
			t.Errorf("second use of id 1: %s, %v", res.Data, ok)
		}
	})

	t.Run("operations per socket are bounded", func(t *testing.T) {
		// A server of its own: its subscriptions would take other tests' events.
		bs := newServer(t, gorillaws.Options{}, nil)
		c := gqltest.DialWS(t, bs.url, nil, nil)
		for i := range gorillaws.MaxOperations {
			c.Subscribe(t, strconv.Itoa(i), "subscription { name }", nil)
		}
		over := c.Subscribe(t, "over", "subscription { name }", nil)
		errs := over.Errors(t, wait)
		if len(errs) != 1 || errs[0].Code() != "TOO_MANY_OPERATIONS" {
			t.Fatalf("subscribe past %d running: errors %+v, want one TOO_MANY_OPERATIONS", gorillaws.MaxOperations, errs)
		}
		// Reusing the refused id does not walk around the bound.
		again := c.Subscribe(t, "over", "subscription { name }", nil)
		if errs := again.Errors(t, wait); len(errs) != 1 || errs[0].Code() != "TOO_MANY_OPERATIONS" {
			t.Fatalf("the refused id again: errors %+v, want TOO_MANY_OPERATIONS", errs)
		}
		// Completing one makes room for one.
		c.Send(t, gqltest.Message{Type: "complete", ID: "0"})
		c.Ping(t, wait)
		waitFor := time.Now().Add(wait)
		for {
			room := c.Subscribe(t, "room", "query { name }", nil)
			ev := room.Recv(t, wait)
			if ev.Type == "next" {
				break
			}
			if time.Now().After(waitFor) {
				t.Fatalf("no room after a complete: got %s", ev.Type)
			}
			time.Sleep(10 * time.Millisecond) // the completed operation is still winding down
		}
	})

	t.Run("init payload that is not an object", func(t *testing.T) {
		ls := newServer(t, gorillaws.Options{WriteWait: 100 * time.Millisecond}, nil)
		c := gqltest.OpenWS(t, ls.url, nil)
		c.Send(t, gqltest.Message{Type: "connection_init", Payload: json.RawMessage(`"not an object"`)})
		if code := c.CloseCode(t, wait); code != 4400 {
			t.Errorf("close code = %d, want 4400", code)
		}
		waitOpen(t, ls.impl, 0)
	})
}
