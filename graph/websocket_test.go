package graph_test

import (
	"testing"
	"time"

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
