package graph_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/live"
	"salesgraph/sales"
)

// Twenty dashboards watching cost the database what one does: an event's
// payload is rendered once for every subscriber with the same query and the
// same view of the data, not once per subscriber (each render loads the
// order and its customer).
func TestFeedRendersEachEventOncePerKind(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	orders := e.rawOrders(t, 2)
	subs := []*gqltest.Subscription{e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, nil)}
	waitFor(t, func() bool { return e.feed.Subscribers() == 1 })
	// round changes o and returns the statements run until every subscriber
	// has the event: the write's own, the broker's reads, and the renders.
	round := func(o rawOrder, n int) int64 {
		before := e.store.Statements()
		e.rawChange(t, o, n)
		for i, s := range subs {
			ev := next(t, s, 5*time.Second)
			if ev.Order.ID != o.global || ev.Reason != strconv.Itoa(n) || ev.Order.Customer.Code != "RAW-1" || ev.Status != "ON_HOLD" {
				t.Fatalf("subscriber %d got %+v, want change %d of order %s", i, ev, n, o.global)
			}
		}
		return e.store.Statements() - before
	}
	one := round(orders[0], 1)
	for i := 1; i < 20; i++ {
		var vars map[string]any
		if i%2 == 0 { // the filter decides which events come, not how they look
			vars = map[string]any{"filter": map[string]any{"statuses": []string{"ON_HOLD", "CONFIRMED"}}}
		}
		subs = append(subs, e.dial(t, sales.RoleAdmin).Subscribe(t, strconv.Itoa(i), feedSubscription, vars))
	}
	waitFor(t, func() bool { return e.feed.Subscribers() == 20 })
	twenty := round(orders[1], 2)
	// Rendered per subscriber, 19 more would have cost at least 38 more
	// statements; the broker's own reads vary by a few.
	if twenty > one+10 {
		t.Fatalf("one event cost %d statements with 20 subscribers against %d with one: rendered per subscriber", twenty, one)
	}
}

// What a payload shows depends on who asks and on the variables used
// beneath the root field: subscribers that differ in either never get each
// other's render.
func TestFeedRenderKeepsViewersApart(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	orders := e.rawOrders(t, 1)
	const query = `subscription($withOrder: Boolean!) {
	  orderStatusChanged { reason order @include(if: $withOrder) { number payments { id } } }
	}`
	type viewer struct {
		name      string
		role      sales.Role
		withOrder bool
		sub       *gqltest.Subscription
	}
	viewers := []*viewer{
		{name: "admin with order", role: sales.RoleAdmin, withOrder: true},
		{name: "warehouse with order", role: sales.RoleWarehouse, withOrder: true},
		{name: "admin without order", role: sales.RoleAdmin, withOrder: false},
	}
	for i, v := range viewers {
		v.sub = e.dial(t, v.role).Subscribe(t, strconv.Itoa(i), query, map[string]any{"withOrder": v.withOrder})
	}
	waitFor(t, func() bool { return e.feed.Subscribers() == len(viewers) })
	for n := 1; n <= 3; n++ { // whoever renders first, no one gets another's payload
		e.rawChange(t, orders[0], n)
		for _, v := range viewers {
			r, ok := v.sub.Next(t, 5*time.Second)
			if !ok {
				t.Fatalf("%s: the subscription completed", v.name)
			}
			var data struct {
				OrderStatusChanged map[string]json.RawMessage
			}
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Fatalf("%s: %s: %v", v.name, r.Data, err)
			}
			_, hasOrder := data.OrderStatusChanged["order"]
			forbidden := len(r.Errors) == 1 && r.Errors[0].Code() == "FORBIDDEN"
			switch {
			case v.role == sales.RoleAdmin && v.withOrder && (!hasOrder || len(r.Errors) > 0):
				t.Fatalf("change %d: %s got %s %+v, want the order and its payments", n, v.name, r.Data, r.Errors)
			case v.role == sales.RoleWarehouse && !forbidden:
				t.Fatalf("change %d: %s got %s %+v, want payments refused with FORBIDDEN", n, v.name, r.Data, r.Errors)
			case !v.withOrder && (hasOrder || len(r.Errors) > 0):
				t.Fatalf("change %d: %s got %s %+v, want no order", n, v.name, r.Data, r.Errors)
			}
		}
	}
}

// A subscription is served over a websocket only; over HTTP it is refused
// at once instead of holding the request open until an event comes.
func TestFeedOverHTTPRefused(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	r := gqltest.Post(t, e.url+"/graphql", e.tokens[sales.RoleAdmin], `subscription { orderStatusChanged { status } }`, nil)
	if len(r.Errors) == 0 {
		t.Fatalf("a subscription over POST answered %s, want an error", r.Data)
	}
}

// An event's order, the levels below it and its actor load at once: every
// subscriber sharing the payload waits for its render, so a render must not
// wait out the loaders' batching window. With that window at a minute, the
// event still comes at once.
func TestFeedRenderDoesNotWaitForTheLoaderWindow(t *testing.T) {
	t.Parallel()
	e := newTunedFeedEnv(t, live.Options{}, func(c *graph.HandlerConfig) { c.LoaderWait = time.Minute })
	orders := e.rawOrders(t, 1)
	sub := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, nil)
	waitFor(t, func() bool { return e.feed.Subscribers() == 1 })
	start := time.Now()
	e.rawChange(t, orders[0], 1)
	ev := next(t, sub, 20*time.Second)
	if ev.Order.ID != orders[0].global || ev.Order.Customer.Code != "RAW-1" {
		t.Fatalf("got %+v", ev)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the event took %v: its render waited for the loaders' batching window", took)
	}
}
