package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/db"
	"salesgraph/sales"
)

// fakeSource is an outbox in memory. Rows appended with add are final at
// once unless held, which models their transaction still running: a held id
// is a writer of every checkpoint taken while it is held.
type fakeSource struct {
	mu   sync.Mutex
	rows []*db.FeedEvent // by id, ids 1, 2, 3…
	held map[int64]bool  // ids whose transaction is still running
}

func (f *fakeSource) add(order int64, status sales.OrderStatus, held bool) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := int64(len(f.rows) + 1)
	f.rows = append(f.rows, &db.FeedEvent{OrderEvent: sales.OrderEvent{ID: id, OrderID: order, Status: status, OccurredAt: time.Now()}, CustomerID: order})
	if held {
		if f.held == nil {
			f.held = map[int64]bool{}
		}
		f.held[id] = true
	}
	return id
}

func (f *fakeSource) release(id int64) {
	f.mu.Lock()
	delete(f.held, id)
	f.mu.Unlock()
}

// Checkpoint names every held id as a writer ("vx<id>").
func (f *fakeSource) Checkpoint(context.Context) (db.FeedCheckpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := db.FeedCheckpoint{Through: int64(len(f.rows))}
	for id := range f.held {
		cp.Writers = append(cp.Writers, "vx"+strconv.FormatInt(id, 10))
	}
	return cp, nil
}

func (f *fakeSource) Running(_ context.Context, vxids []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range vxids {
		if id, err := strconv.ParseInt(strings.TrimPrefix(v, "vx"), 10, 64); err == nil && f.held[id] {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeSource) FeedRange(_ context.Context, after, through int64, limit int) ([]*db.FeedEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*db.FeedEvent
	for _, r := range f.rows {
		if r.ID > after && r.ID <= through && !f.held[r.ID] && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeSource) FeedCursorAge(_ context.Context, id int64) (time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id < 1 || id > int64(len(f.rows)) {
		return time.Time{}, false, nil
	}
	return f.rows[id-1].OccurredAt, true, nil
}

func startBroker(t *testing.T, src Source, opts Options) *Broker {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.ConnString = "host=/nonexistent" // no LISTEN: the tests wake the broker with Poke
	opts.MinReconnect, opts.MaxReconnect = time.Hour, time.Hour
	b := New(src, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return b
}

func recv(t *testing.T, s *Subscription) *Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return e
}

// A subscriber that does not read is dropped with ErrOverflow once its buffer
// is full, after the events it did get; the broker does not wait for it, and
// another subscriber receives everything.
func TestSlowSubscriberOverflows(t *testing.T) {
	src := &fakeSource{}
	b := startBroker(t, src, Options{Buffer: 4})
	ctx := context.Background()
	slow, err := b.Subscribe(ctx, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := b.Subscribe(ctx, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		for range 3 {
			src.add(1, sales.OrderConfirmed, false)
		}
		b.Poke()
		for i := range 3 {
			if e := recv(t, fast); e.ID != int64(round*3+i+1) {
				t.Fatalf("fast subscriber got %d, want %d", e.ID, round*3+i+1)
			}
		}
	}
	for want := int64(1); want <= 4; want++ {
		if e := recv(t, slow); e.ID != want {
			t.Fatalf("slow subscriber's buffered event %d, want %d", e.ID, want)
		}
	}
	if _, err := slow.Next(ctx); !errors.Is(err, ErrOverflow) {
		t.Fatalf("slow subscriber after its buffer: %v, want ErrOverflow", err)
	}
	if b.Subscribers() != 1 {
		t.Fatalf("%d subscribers, want the fast one only", b.Subscribers())
	}
}

// A row whose transaction is still running holds back every later id, so
// nothing is delivered out of id order (one order's changes stay in commit
// order) and nothing is skipped.
func TestHeldRowHoldsBackLaterIDs(t *testing.T) {
	src := &fakeSource{}
	b := startBroker(t, src, Options{Settle: 5 * time.Millisecond})
	ctx := context.Background()
	s, err := b.Subscribe(ctx, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	early := src.add(1, sales.OrderConfirmed, true) // committed later
	src.add(2, sales.OrderConfirmed, false)
	b.Poke()
	waitCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	if e, err := s.Next(waitCtx); err == nil {
		t.Fatalf("got %d while id %d is not final", e.ID, early)
	}
	cancel()
	src.release(early) // no NOTIFY: the broker reads again on its own while rows are pending
	for want := int64(1); want <= 2; want++ {
		if e := recv(t, s); e.ID != want {
			t.Fatalf("got %d, want %d", e.ID, want)
		}
	}
}

// Resuming joins the live stream without a gap or a repeat, even while the
// broker delivers; filters and the rep scope apply to the replay too.
func TestResumeSeam(t *testing.T) {
	src := &fakeSource{}
	b := startBroker(t, src, Options{Page: 3})
	ctx := context.Background()
	for range 10 {
		src.add(1, sales.OrderConfirmed, false)
	}
	b.Poke()
	for b.Delivered() < 10 {
		time.Sleep(5 * time.Millisecond)
	}
	after := int64(4)
	s, err := b.Subscribe(ctx, Filter{}, &after)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range 10 {
			src.add(1, sales.OrderConfirmed, false)
			b.Poke()
			time.Sleep(time.Millisecond)
		}
	}()
	for want := int64(5); want <= 20; want++ {
		if e := recv(t, s); e.ID != want {
			t.Fatalf("got %d, want %d", e.ID, want)
		}
	}

	rep := int64(7)
	src.mu.Lock()
	src.rows[5].SalesRepID = &rep // id 6
	src.mu.Unlock()
	zero := int64(0)
	scoped, err := b.Subscribe(ctx, Filter{RepScope: &rep}, &zero)
	if err == nil {
		t.Fatal("cursor 0 accepted; want an error")
	}
	from := int64(1)
	if scoped, err = b.Subscribe(ctx, Filter{RepScope: &rep}, &from); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, scoped); e.ID != 6 {
		t.Fatalf("rep's replay gave %d, want only 6", e.ID)
	}
}

func TestFilterMatch(t *testing.T) {
	rep, other := int64(7), int64(8)
	e := &db.FeedEvent{OrderEvent: sales.OrderEvent{Status: sales.OrderOnHold}, CustomerID: 3, SalesRepID: &rep}
	for _, c := range []struct {
		name string
		f    Filter
		want bool
	}{
		{"Empty", Filter{}, true},
		{"Customer", Filter{CustomerIDs: []int64{3}}, true},
		{"OtherCustomer", Filter{CustomerIDs: []int64{4}}, false},
		{"Status", Filter{Statuses: []sales.OrderStatus{sales.OrderOnHold}}, true},
		{"OtherStatus", Filter{Statuses: []sales.OrderStatus{sales.OrderCancelled}}, false},
		{"Rep", Filter{SalesRepIDs: []int64{7}}, true},
		{"OtherRep", Filter{SalesRepIDs: []int64{8}}, false},
		{"OwnScope", Filter{RepScope: &rep}, true},
		{"OtherScope", Filter{RepScope: &other}, false},
		{"ScopeAndFilterBoth", Filter{RepScope: &other, SalesRepIDs: []int64{7}}, false},
	} {
		if got := c.f.match(e); got != c.want {
			t.Errorf("%s: match = %v, want %v", c.name, got, c.want)
		}
	}
	noRep := &db.FeedEvent{CustomerID: 3}
	if (&Filter{RepScope: &rep}).match(noRep) || (&Filter{SalesRepIDs: []int64{7}}).match(noRep) {
		t.Error("an event of a customer without a rep matched a rep")
	}
}

// Subscribers resuming from cursors get the very events the live stream
// carried (and share their payloads), not copies of their own, as long as
// the broker keeps them; older ones are read and then shared between the
// resumers.
func TestResumersShareEvents(t *testing.T) {
	src := &fakeSource{}
	b := startBroker(t, src, Options{Page: 4})
	ctx := context.Background()
	stream, err := b.Subscribe(ctx, Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		src.add(1, sales.OrderConfirmed, false)
	}
	b.Poke()
	var seen []*Event
	for range 6 {
		seen = append(seen, recv(t, stream))
	}
	after := int64(2)
	var resumers []*Subscription
	for range 3 {
		s, err := b.Subscribe(ctx, Filter{}, &after)
		if err != nil {
			t.Fatal(err)
		}
		resumers = append(resumers, s)
	}
	for i, s := range resumers {
		for want := 3; want <= 6; want++ {
			if e := recv(t, s); e != seen[want-1] {
				t.Fatalf("resumer %d got event %d as its own copy, want the one the live stream carried", i, e.ID)
			}
		}
	}
	// Past what is kept: the first resumer's read is shared by the next.
	b.mu.Lock()
	b.recent = recentEvents{}
	b.mu.Unlock()
	a, _ := b.Subscribe(ctx, Filter{}, &after)
	c, _ := b.Subscribe(ctx, Filter{}, &after)
	if ea, ec := recv(t, a), recv(t, c); ea != ec {
		t.Fatalf("two resumers read event %d as two copies, want one shared", ea.ID)
	}
}
