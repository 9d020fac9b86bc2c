package graph_test

import (
	"testing"
	"time"

	"github.com/lib/pq"

	"salesgraph/live"
	"salesgraph/relay"
	"salesgraph/sales"
)

// pruned waits until the running broker's pruner has deleted these outbox
// rows (it runs every 20ms in these tests).
func (e *feedEnv) pruned(t *testing.T, ids ...int64) {
	t.Helper()
	waitFor(t, func() bool {
		var n int
		if err := e.store.GetContext(t.Context(), &n, `SELECT count(*) FROM order_events WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// The pruner deletes a delivered event older than the retention; resuming
// after its cursor is CURSOR_EXPIRED, while a newer cursor still resumes.
func TestFeedCursorOfPrunedEventExpires(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{Retention: time.Hour, PruneEvery: 20 * time.Millisecond})
	o := e.rawOrders(t, 1)[0]
	old, recent, oldID := e.oldAndRecent(t, o)
	_, recentKeys, _ := relay.Parse("after", recent.Cursor)
	e.pruned(t, oldID)
	var kept int
	if err := e.store.GetContext(t.Context(), &kept, `SELECT count(*) FROM order_events WHERE id = $1`, recentKeys[0]); err != nil || kept != 1 {
		t.Fatalf("the recent event's row: %d kept (%v), want 1", kept, err)
	}

	s := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, map[string]any{"after": old.Cursor})
	ev := s.Recv(t, 5*time.Second)
	errs := ev.Errors
	if ev.Type == "next" {
		errs = ev.Response.Errors
	}
	if len(errs) != 1 || errs[0].Code() != "CURSOR_EXPIRED" || errs[0].Field() != "after" {
		t.Fatalf("after a pruned cursor: %+v, want CURSOR_EXPIRED on after", errs)
	}

	s = e.dial(t, sales.RoleAdmin).Subscribe(t, "2", feedSubscription, map[string]any{"after": recent.Cursor})
	e.rawChange(t, o, 3)
	if got := next(t, s, 5*time.Second); got.Reason != "3" {
		t.Fatalf("after the recent cursor: %+v", got)
	}
}

// An order's statusEvents are its whole history, with the cursors the feed
// sent, after the pruner has deleted its outbox rows.
func TestStatusEventsSurvivePruning(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{Retention: time.Hour, PruneEvery: 20 * time.Millisecond})
	s := e.salesSetup(t, map[string]string{"widget": "10"})
	sub := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, nil)
	o := e.createOrder(t, sales.RoleSalesRep, s.order(nil, line(s.widget, "4")))
	var c struct{ ConfirmOrder orderOut }
	e.with(t).must(sales.RoleSalesRep, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
	var x struct{ CancelOrder orderOut }
	e.with(t).must(sales.RoleSalesRep, cancelOrderMutation, map[string]any{"id": o.ID, "v": c.ConfirmOrder.Version, "reason": "customer changed mind"}, &x)
	var sent []string
	for range 3 {
		sent = append(sent, next(t, sub, 5*time.Second).Cursor)
	}

	const query = `query($id: ID!) { order(id: $id) { statusEvents {
	  cursor previousStatus status reason occurredAt actor { email } order { id } } } }`
	type event struct {
		Cursor, Status, Reason, OccurredAt string
		PreviousStatus                     *string
		Actor                              *struct{ Email string }
		Order                              struct{ ID string }
	}
	read := func() []event {
		var out struct {
			Order struct{ StatusEvents []event }
		}
		e.with(t).must(sales.RoleAdmin, query, map[string]any{"id": o.ID}, &out)
		return out.Order.StatusEvents
	}
	before := read()
	if len(before) != 3 || before[0].Status != "DRAFT" || before[1].Status != "CONFIRMED" || before[2].Status != "CANCELLED" ||
		before[2].Reason != "customer changed mind" || before[2].Actor == nil || before[2].Actor.Email != e.users[sales.RoleSalesRep].Email ||
		before[2].Order.ID != o.ID {
		t.Fatalf("statusEvents before pruning: %+v", before)
	}
	for i, ev := range before {
		if ev.Cursor != sent[i] {
			t.Fatalf("statusEvents[%d].cursor = %s, the feed sent %s", i, ev.Cursor, sent[i])
		}
	}

	var ids []int64
	if err := e.store.SelectContext(t.Context(), &ids, `UPDATE order_events SET occurred_at = occurred_at - interval '2 hours'
		WHERE order_id = (SELECT id FROM sales_orders WHERE number = $1) RETURNING id`, o.Number); err != nil || len(ids) != 3 {
		t.Fatalf("aging the order's outbox rows: %v, %v", ids, err)
	}
	e.pruned(t, ids...)
	after := read()
	if len(after) != len(before) {
		t.Fatalf("after pruning its outbox rows, statusEvents has %d events, want the %d of its history: %+v", len(after), len(before), after)
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.Cursor != b.Cursor || a.Status != b.Status || a.Reason != b.Reason || a.OccurredAt != b.OccurredAt ||
			(a.PreviousStatus == nil) != (b.PreviousStatus == nil) || (a.Actor == nil) != (b.Actor == nil) {
			t.Fatalf("statusEvents[%d] after pruning %+v, before %+v", i, a, b)
		}
	}
}
