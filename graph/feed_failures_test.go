package graph_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/graph/gqltest"
	"salesgraph/live"
	"salesgraph/sales"
)

// A live subscription that fails for any reason but the client's own must
// end in close 1013, which clients retry (resuming from their cursor): a
// complete would tell them the stream is over, and they would stop.

// newStoppableFeedEnv is newFeedEnv whose broker reads wrap(the events
// store) (wrap may be nil) and can be stopped alone, with the server left
// running: stop cancels the broker's Run and waits for it to return.
func newStoppableFeedEnv(t *testing.T, opts live.Options, wrap func(live.Source) live.Source) (e *feedEnv, stop func()) {
	t.Helper()
	e = newFeedEnvWith(t, opts, func(fe *feedEnv) {
		fe.wrap = wrap
		fe.runCtx = context.WithValue(context.Background(), brokerReadKey{}, true)
	})
	return e, e.stopFeed
}

// brokerReadKey marks the context of the broker's own reads (its Run), so
// that replayFailer fails only subscribers' replays.
type brokerReadKey struct{}

var errReplayRead = errors.New("test: replay read failed")

// replayFailer is a live.Source whose FeedRange fails, while failing is set,
// for every read but the broker's own.
type replayFailer struct {
	live.Source
	failing atomic.Bool
	failed  atomic.Int64 // replay reads failed
}

func (s *replayFailer) FeedRange(ctx context.Context, after, through int64, limit int) ([]*db.FeedEvent, error) {
	if s.failing.Load() && ctx.Value(brokerReadKey{}) == nil {
		s.failed.Add(1)
		return nil, errReplayRead
	}
	return s.Source.FeedRange(ctx, after, through, limit)
}

// want1013 waits for the server to close ws and checks it closed with 1013
// and sent sub nothing first (no complete, no error).
func want1013(t *testing.T, name string, ws *gqltest.WS, sub *gqltest.Subscription) {
	t.Helper()
	if ce := ws.WaitClose(t, 10*time.Second); ce.Code != 1013 {
		t.Fatalf("%s: socket closed with %d %q, want 1013", name, ce.Code, ce.Text)
	}
	sub.Quiet(t, 0) // the socket is closed: this only sees what was queued before
}

// The feed stopping while the server runs on (its broker's Run ended, not a
// shutdown) closes every subscriber's socket with 1013, so that each
// retries, instead of completing their streams.
func TestFeedBrokerStopCloses1013(t *testing.T) {
	t.Parallel()
	e, stop := newStoppableFeedEnv(t, live.Options{}, nil)
	o := e.rawOrders(t, 1)[0]
	ws1 := e.dial(t, sales.RoleAdmin)
	sub1 := ws1.Subscribe(t, "1", feedSubscription, nil)
	ws2 := e.dial(t, sales.RoleSalesManager)
	sub2 := ws2.Subscribe(t, "2", feedSubscription, nil)
	waitFor(t, func() bool { return e.feed.Subscribers() == 2 })
	e.rawChange(t, o, 1)
	for _, sub := range []*gqltest.Subscription{sub1, sub2} {
		if got := next(t, sub, 5*time.Second); got.Reason != "1" {
			t.Fatalf("subscription %s before the stop: %+v", sub.ID, got)
		}
	}

	stop()
	want1013(t, "first subscriber", ws1, sub1)
	want1013(t, "second subscriber", ws2, sub2)
	if n := e.feed.Subscribers(); n != 0 {
		t.Fatalf("%d subscriptions left on the stopped broker", n)
	}
	// Not the shutdown path: the server still serves sockets.
	e.dial(t, sales.RoleAdmin).Ping(t, 5*time.Second)
}

// A resume whose replay cannot be read closes with 1013, not a complete and
// not silence; once reads work again, resuming with the same cursor gets
// what was missed exactly once, then the live stream. A live subscriber on
// the same broker is not disturbed.
func TestFeedResumeReplayFailureCloses1013(t *testing.T) {
	t.Parallel()
	src := &replayFailer{}
	e, _ := newStoppableFeedEnv(t, live.Options{}, func(s live.Source) live.Source {
		src.Source = s
		return src
	})
	o := e.rawOrders(t, 1)[0]
	bystander := e.dial(t, sales.RoleAdmin).Subscribe(t, "b", feedSubscription, nil)

	ws := e.dial(t, sales.RoleAdmin)
	sub := ws.Subscribe(t, "1", feedSubscription, nil)
	e.joined(t, 2)
	e.rawChange(t, o, 1)
	e.rawChange(t, o, 2)
	first, second := next(t, sub, 5*time.Second), next(t, sub, 5*time.Second)
	if first.Reason != "1" || second.Reason != "2" {
		t.Fatalf("live: %q %q", first.Reason, second.Reason)
	}
	ws.Close()
	cursor := second.Cursor
	for want := 1; want <= 2; want++ {
		if got := next(t, bystander, 5*time.Second); got.Reason != strconv.Itoa(want) {
			t.Fatalf("bystander: change %q, want %d", got.Reason, want)
		}
	}

	// While away: three more changes, all delivered by the broker, so that a
	// resume must read them from the table.
	for i := 3; i <= 5; i++ {
		e.rawChange(t, o, i)
	}
	var last int64
	if err := e.store.GetContext(t.Context(), &last, `SELECT max(id) FROM order_events`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.feed.Delivered() >= last })

	src.failing.Store(true)
	failedWS := e.dial(t, sales.RoleAdmin)
	failedSub := failedWS.Subscribe(t, "1", feedSubscription, map[string]any{"after": cursor})
	want1013(t, "resume with a failing replay", failedWS, failedSub)
	if src.failed.Load() == 0 {
		t.Fatal("the socket closed, but not because the replay read failed")
	}
	src.failing.Store(false)

	resumed := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, map[string]any{"after": cursor})
	for want := 3; want <= 5; want++ {
		if got := next(t, resumed, 5*time.Second); got.Reason != strconv.Itoa(want) {
			t.Fatalf("after the retry got change %q, want %d", got.Reason, want)
		}
	}
	resumed.Quiet(t, 300*time.Millisecond)
	e.rawChange(t, o, 6)
	if got := next(t, resumed, 5*time.Second); got.Reason != "6" {
		t.Fatalf("live after the retry: change %q, want 6", got.Reason)
	}
	resumed.Quiet(t, 300*time.Millisecond)
	for want := 3; want <= 6; want++ {
		if got := next(t, bystander, 5*time.Second); got.Reason != strconv.Itoa(want) {
			t.Fatalf("bystander: change %q, want %d", got.Reason, want)
		}
	}
}
