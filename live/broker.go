// Package live is the order feed's broker: one LISTEN connection per
// process, woken by the order_events outbox's doorbell, reads each new
// outbox row once and fans it out in-process to every matching subscriber
// (docs/live-feed.md).
package live

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"salesgraph/db"
	"salesgraph/sales"
)

// Channel is the NOTIFY channel the outbox's trigger rings.
const Channel = "order_events"

// ErrOverflow ends a subscription whose consumer fell a whole buffer behind:
// its transport closes with 1013 so that the client resumes from its cursor.
var ErrOverflow = errors.New("live: subscriber fell behind")

// ErrClosed ends every subscription when the broker stops.
var ErrClosed = errors.New("live: feed stopped")

// Source is what the broker reads; *db.EventStore is one.
type Source interface {
	Checkpoint(ctx context.Context) (db.FeedCheckpoint, error)
	Running(ctx context.Context, vxids []string) ([]string, error)
	FeedRange(ctx context.Context, after, through int64, limit int) ([]*db.FeedEvent, error)
	FeedCursorAge(ctx context.Context, id int64) (time.Time, bool, error)
}

// Options tune a Broker; zero fields take the defaults below.
type Options struct {
	// ConnString is the lib/pq connection string of the LISTEN connection.
	ConnString string
	// Buffer is how many events a subscriber may fall behind before it is
	// dropped with ErrOverflow (default 256).
	Buffer int
	// Retention is how old an event a resume cursor may name (default 24h):
	// older, and Subscribe answers CURSOR_EXPIRED.
	Retention time.Duration
	// IdlePing is how long the LISTEN connection may stay silent before it
	// is pinged (default 30s); PingTimeout how long the ping may take before
	// the connection is taken for half-open and replaced (default 10s).
	IdlePing, PingTimeout time.Duration
	// MinReconnect and MaxReconnect bound lib/pq's reconnect backoff
	// (defaults 100ms and 10s).
	MinReconnect, MaxReconnect time.Duration
	// Settle is the first wait before reading again while rows are not yet
	// final; it doubles up to one second (default 20ms).
	Settle time.Duration
	// ReadGap is the least time between the starts of two reads (default
	// 5ms): under a heavy write load each read then takes the commits of a
	// few milliseconds at once, instead of competing with the writers for
	// the database one commit at a time. An idle feed reads at once.
	ReadGap time.Duration
	// Page is how many rows one read takes (default 500).
	Page   int
	Logger *slog.Logger

	// PruneEvery is how often delivered outbox rows older than Retention are
	// deleted (default Retention/24, within 1s..1h; negative: never; prune.go).
	PruneEvery time.Duration
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	if o.Page <= 0 {
		o.Page = 500
	}
	def(&o.Retention, 24*time.Hour)
	def(&o.IdlePing, 30*time.Second)
	def(&o.PingTimeout, 10*time.Second)
	def(&o.MinReconnect, 100*time.Millisecond)
	def(&o.MaxReconnect, 10*time.Second)
	def(&o.Settle, 20*time.Millisecond)
	def(&o.ReadGap, 5*time.Millisecond)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Filter selects events; an empty list matches everything.
type Filter struct {
	CustomerIDs []int64
	Statuses    []sales.OrderStatus
	SalesRepIDs []int64
	// RepScope, if set, limits the events to customers of this sales rep
	// whatever the lists above say.
	RepScope *int64
}

func (f *Filter) match(e *db.FeedEvent) bool {
	if f.RepScope != nil && (e.SalesRepID == nil || *e.SalesRepID != *f.RepScope) {
		return false
	}
	if len(f.CustomerIDs) > 0 && !slices.Contains(f.CustomerIDs, e.CustomerID) {
		return false
	}
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, e.Status) {
		return false
	}
	if len(f.SalesRepIDs) > 0 && (e.SalesRepID == nil || !slices.Contains(f.SalesRepIDs, *e.SalesRepID)) {
		return false
	}
	return true
}

// Broker delivers the outbox to subscribers. Create it with New, run it with
// Run; Subscribe waits until Run has found its starting point.
type Broker struct {
	src  Source
	opts Options
	log  *slog.Logger

	ready chan struct{} // closed once delivered is set
	kick  chan struct{} // a wake-up besides NOTIFY (Poke)

	listening atomic.Bool // the LISTEN connection is up; while not, Run reads every second

	mu        sync.Mutex
	delivered int64 // every row with id <= delivered has been fanned out (or never will exist)
	subs      map[*Subscription]struct{}
	stopped   bool
	recent    recentEvents
}

// recentEvents are the last events the broker handed out, by id: resuming
// subscribers take these same *Event values rather than each building its
// own from the rows it reads, so that, after a restart or a network blip,
// thousands of dashboards replaying the same minute share each event's
// payload (Event.Shared) instead of rendering it once each.
type recentEvents struct {
	byID map[int64]*Event
	ring []int64 // ids in the order kept; next is where the next goes
	next int
}

// keepRecent is how many events recentEvents holds.
const keepRecent = 4096

// share returns the kept event for row's id, keeping row's if there is none.
func (r *recentEvents) share(row *db.FeedEvent) *Event {
	if e, ok := r.byID[row.ID]; ok {
		return e
	}
	e := newEvent(row)
	r.keep(e)
	return e
}

func (r *recentEvents) keep(e *Event) {
	if r.byID == nil {
		r.byID = make(map[int64]*Event, keepRecent)
		r.ring = make([]int64, 0, keepRecent)
	}
	if _, ok := r.byID[e.ID]; ok {
		return
	}
	if len(r.ring) < keepRecent {
		r.ring = append(r.ring, e.ID)
	} else {
		delete(r.byID, r.ring[r.next])
		r.ring[r.next] = e.ID
		r.next = (r.next + 1) % keepRecent
	}
	r.byID[e.ID] = e
}

// New returns a broker reading src.
func New(src Source, opts Options) *Broker {
	opts = opts.withDefaults()
	return &Broker{src: src, opts: opts, log: opts.Logger, ready: make(chan struct{}),
		kick: make(chan struct{}, 1), subs: map[*Subscription]struct{}{}}
}

// Poke wakes the broker as a NOTIFY would.
func (b *Broker) Poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Delivered returns the broker's watermark: every event with an id up to it
// has been fanned out.
func (b *Broker) Delivered() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.delivered
}

// Subscribers returns how many subscriptions are live.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Run listens and delivers until ctx ends, then ends every subscription
// with ErrClosed. It returns ctx's error.
func (b *Broker) Run(ctx context.Context) error {
	defer b.stop()
	w := &watcher{b: b}
	if err := w.start(ctx); err != nil {
		return err
	}
	defer b.startPruning(ctx)()
	sockets := &dialer{}
	l := b.listen(sockets)
	defer func() {
		// lib/pq's Close waits for an outstanding Ping, which a half-open
		// connection never answers: cut the socket first.
		sockets.closeAll()
		_ = l.Close()
	}()

	settle := b.opts.Settle
	timer := time.NewTimer(b.opts.IdlePing)
	defer timer.Stop()
	var pinging chan error // non-nil while a ping is out
	var pingDeadline <-chan time.Time
	due := true // read at once: a row may have committed before LISTEN began
	var lastRead time.Time
	var gapOver <-chan time.Time // non-nil while a read waits out ReadGap
	for {
		switch gap := b.opts.ReadGap - time.Since(lastRead); {
		case due && gapOver != nil:
			due = false // the read waiting out the gap covers it
		case due && gap > 0:
			gapOver = time.After(gap)
			due = false // set again when gapOver fires
		}
		if due {
			due = false
			lastRead = time.Now()
			if err := w.poll(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				b.log.Warn("live feed: read failed; retrying", "err", err)
				settle = min(max(settle*2, b.opts.Settle), time.Second)
				resetTimer(timer, settle)
			} else if len(w.pending) > 0 {
				// Rows not yet final: read again shortly, whether or not
				// another NOTIFY comes (the transaction holding them back
				// may not write to the outbox at all).
				resetTimer(timer, settle)
				settle = min(settle*2, time.Second)
			} else {
				settle = b.opts.Settle
				resetTimer(timer, b.idleWait())
			}
		}
		select {
		case <-gapOver:
			gapOver, due = nil, true
		case <-ctx.Done():
			return ctx.Err()
		case n := <-l.Notify:
			// nil after a reconnect: anything may have been missed, and
			// reading from the watermark catches up. One read covers every
			// doorbell already here too: each rang after its commit, and the
			// read begins after this. Under a heavy write load that is one
			// read per batch of commits, not one per commit.
			due = true
			for open := true; open; {
				if n == nil {
					b.log.Info("live feed: listener reconnected; catching up")
				}
				select {
				case n, open = <-l.Notify:
				default:
					open = false
				}
			}
		case <-b.kick:
			due = true
		case <-timer.C:
			if len(w.pending) > 0 || settle != b.opts.Settle || !b.listening.Load() {
				due = true // rows pending, a failed read, or no doorbell: read
				continue
			}
			if pinging == nil {
				pinging = make(chan error, 1)
				go func(l *pq.Listener, out chan<- error) { out <- l.Ping() }(l, pinging)
				pingDeadline = time.After(b.opts.PingTimeout)
			}
			timer.Reset(b.opts.IdlePing)
		case err := <-pinging:
			pinging, pingDeadline = nil, nil
			if err != nil {
				b.log.Warn("live feed: listener ping failed", "err", err)
				due = true // lib/pq reconnects; read anyway
			}
		case <-pingDeadline:
			// Half-open: the ping never came back. Cut the socket: the ping
			// fails, and lib/pq reconnects, LISTENs again and sends nil,
			// upon which the broker catches up from the table.
			b.log.Warn("live feed: listener ping timed out; reconnecting")
			pingDeadline = nil
			b.listening.Store(false)
			sockets.closeAll()
			due = true
		}
	}
}

// dialer is lib/pq's dialer for the LISTEN connection, keeping its sockets
// so that a half-open one can be cut (lib/pq's own Close waits for it).
type dialer struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (d *dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d *dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 {
		return d.Dial(network, address)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conns == nil {
		d.conns = map[net.Conn]struct{}{}
	}
	d.conns[c] = struct{}{}
	return &trackedConn{Conn: c, d: d}, nil
}

// closeAll closes every socket the dialer opened that is still open.
func (d *dialer) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c := range d.conns {
		_ = c.Close()
	}
	clear(d.conns)
}

type trackedConn struct {
	net.Conn
	d *dialer
}

func (c *trackedConn) Close() error {
	c.d.mu.Lock()
	delete(c.d.conns, c.Conn)
	c.d.mu.Unlock()
	return c.Conn.Close()
}

// idleWait is how long Run waits with nothing pending: until the idle ping,
// or a second while the LISTEN connection is down (no doorbell then).
func (b *Broker) idleWait() time.Duration {
	if b.listening.Load() {
		return b.opts.IdlePing
	}
	return min(time.Second, b.opts.IdlePing)
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}

func (b *Broker) listen(d *dialer) *pq.Listener {
	l := pq.NewDialListener(d, b.opts.ConnString, b.opts.MinReconnect, b.opts.MaxReconnect,
		func(ev pq.ListenerEventType, err error) {
			switch ev {
			case pq.ListenerEventConnected, pq.ListenerEventReconnected:
				// LISTEN holds from now: read, in case a commit came
				// before (lib/pq sends no nil on a first connection).
				b.listening.Store(true)
				b.Poke()
			default:
				b.listening.Store(false)
			}
			if err != nil {
				b.log.Warn("live feed: listener", "event", ev, "err", err)
			}
		})
	// lib/pq's Listen waits until the connection is up; it registers the
	// channel first, so LISTEN is issued on every (re)connection. Waiting
	// here would stop Run from returning while the database is down.
	go func() {
		if err := l.Listen(Channel); err != nil && !errors.Is(err, pq.ErrChannelAlreadyOpen) {
			b.log.Debug("live feed: LISTEN ended", "err", err)
			return
		}
		// The connected event can come before this LISTEN holds: a commit
		// in between rang no bell this broker heard, so read once more now
		// that it does (else the row waited for the next commit).
		b.Poke()
	}()
	return l
}

// stop ends every subscription.
func (b *Broker) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	for s := range b.subs {
		s.end(ErrClosed)
	}
	clear(b.subs)
}

// watcher is Run's reading state.
type watcher struct {
	b       *Broker
	pending []db.FeedCheckpoint // taken, not yet final
}

// start sets the watermark: the first checkpoint, once final. Events up to
// it are history (a resume cursor reaches them); later ones are live.
func (w *watcher) start(ctx context.Context) error {
	wait := w.b.opts.Settle
	var cp *db.FeedCheckpoint
	for {
		var err error
		if cp == nil {
			var c db.FeedCheckpoint
			if c, err = w.b.src.Checkpoint(ctx); err == nil {
				cp = &c
			}
		}
		if cp != nil {
			var running []string
			if running, err = w.b.src.Running(ctx, cp.Writers); err == nil && len(running) == 0 {
				break
			}
		}
		if err != nil {
			w.b.log.Warn("live feed: cannot start; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
	w.b.mu.Lock()
	w.b.delivered = cp.Through
	w.b.mu.Unlock()
	close(w.b.ready)
	return nil
}

// poll takes a checkpoint, then delivers every row up to the newest final
// checkpoint. A row is delivered only once every lower id is final, so the
// feed is in id order, which for one order is its commit order (the order's
// row lock is held from the row's id to the commit).
func (w *watcher) poll(ctx context.Context) error {
	cp, err := w.b.src.Checkpoint(ctx)
	if err != nil {
		return err
	}
	w.b.mu.Lock()
	from := w.b.delivered
	w.b.mu.Unlock()
	if cp.Through > from {
		w.pending = append(w.pending, cp)
	}
	var writers []string
	for _, p := range w.pending {
		writers = append(writers, p.Writers...)
	}
	running := map[string]bool{}
	if len(writers) > 0 {
		still, err := w.b.src.Running(ctx, writers)
		if err != nil {
			return err
		}
		for _, v := range still {
			running[v] = true
		}
	}
	// A final checkpoint makes every id up to its Through final, whatever
	// an older one still waits for.
	through := from
	for _, p := range w.pending {
		if !slices.ContainsFunc(p.Writers, func(v string) bool { return running[v] }) {
			through = max(through, p.Through)
		}
	}
	w.pending = slices.DeleteFunc(w.pending, func(p db.FeedCheckpoint) bool { return p.Through <= through })
	w.b.log.Debug("live feed: poll", "checkpoint", cp.Through, "writers", len(cp.Writers), "pending", len(w.pending), "delivered", from, "through", through)
	for from < through {
		rows, err := w.b.src.FeedRange(ctx, from, through, w.b.opts.Page)
		if err != nil {
			return err
		}
		upto := through
		if len(rows) == w.b.opts.Page {
			upto = rows[len(rows)-1].ID
		}
		w.b.fanOut(events(rows), upto)
		from = upto
	}
	return nil
}

// fanOut hands rows to every matching subscriber and moves the watermark to
// upto, under one lock, so that a subscriber joining sees either all of it
// or none. It never blocks: a subscriber whose buffer is full is dropped.
func (b *Broker) fanOut(rows []*Event, upto int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range rows {
		b.recent.keep(e)
		for s := range b.subs {
			if !s.filter.match(e.FeedEvent) {
				continue
			}
			if !s.push(e) {
				b.log.Info("live feed: subscriber fell behind; dropping it", "buffer", b.opts.Buffer)
				delete(b.subs, s)
				s.end(ErrOverflow)
			}
		}
	}
	b.delivered = upto
}

// events wraps rows read from the outbox for fanning out.
func events(rows []*db.FeedEvent) []*Event {
	out := make([]*Event, len(rows))
	for i, r := range rows {
		out[i] = newEvent(r)
	}
	return out
}

// Subscription is one subscriber's stream: events from the table after its
// cursor, then live ones.
type Subscription struct {
	b      *Broker
	filter Filter
	read   int64 // the table has been read up to this id (or the cursor)
	replay []*Event
	live   bool

	// The live events fanned out to it and not yet taken, at most the
	// broker's Buffer. A slice that is dropped when emptied rather than a
	// channel of Buffer slots: an idle subscriber holds no buffer at all.
	mu     sync.Mutex
	queue  []*Event
	err    error         // why it ended; set once
	wake   chan struct{} // a token after each push and at the end, once Next waits
	notify func()        // called after each push and at the end (Notify)
}

// Notify has s call notify, which must not block, whenever it has a new
// event or ends: a transport that pushes instead of waiting in Next then
// calls Poll. The first call happens at once if s already has something.
func (s *Subscription) Notify(notify func()) {
	s.mu.Lock()
	s.notify = notify
	s.mu.Unlock()
	notify()
}

// push queues e without blocking; false if s is a whole buffer behind.
func (s *Subscription) push(e *Event) bool {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return true // ended: nobody will take it
	}
	if len(s.queue) >= s.b.opts.Buffer {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	s.signal()
	return true
}

// end ends s with err (the first reason wins); what it had queued is still
// taken first.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) signal() {
	s.mu.Lock()
	notify, wake := s.notify, s.wake
	s.mu.Unlock()
	if notify != nil {
		notify()
	}
	if wake != nil {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// take returns the next queued event, or s's end (nil, err), or (nil, nil)
// when there is nothing yet.
func (s *Subscription) take() (*Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil, s.err
	}
	e := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	if len(s.queue) == 0 {
		s.queue = nil // let the backing array go
	}
	return e, nil
}

// Pending returns how many events s has ready to take at once (replayed or
// live): its transport may hold its writes back while more follow. Call it
// where Next or Poll is called, never at the same time as they are.
func (s *Subscription) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.replay) + len(s.queue)
}

// Subscribe starts a subscription. after, if set, is the id of the last
// event the subscriber received: it gets every later one that matches,
// first from the table. A cursor older than the retention, or no longer
// kept, is CURSOR_EXPIRED; one the feed has not reached is VALIDATION.
func (b *Broker) Subscribe(ctx context.Context, f Filter, after *int64) (*Subscription, error) {
	select {
	case <-b.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s := &Subscription{b: b, filter: f}
	if after == nil {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.stopped {
			return nil, ErrClosed
		}
		s.read, s.live = b.delivered, true
		b.subs[s] = struct{}{}
		return s, nil
	}
	occurred, found, err := b.src.FeedCursorAge(ctx, *after)
	if err != nil {
		return nil, err
	}
	if !found && *after > b.Delivered() {
		return nil, sales.Errorf(sales.CodeValidation, "after", "this cursor is not one the feed has sent")
	}
	if !found || time.Since(occurred) > b.opts.Retention {
		return nil, sales.Errorf(sales.CodeCursorExpired, "after",
			"this cursor is older than the %s the feed keeps: reload, then subscribe without after", b.opts.Retention)
	}
	// A cursor from another instance may be ahead of this one's watermark:
	// live events up to it are skipped (Next), so none repeats.
	s.read = *after
	return s, nil
}

// Next returns the subscription's next event, waiting for it. It returns
// ErrOverflow once the subscriber has fallen a whole buffer behind (after
// the events it did receive), ErrClosed when the broker stops, or ctx's
// error.
func (s *Subscription) Next(ctx context.Context) (*Event, error) {
	// A pushed subscription (Notify) never waits here: it has no channel.
	s.mu.Lock()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	wake := s.wake
	s.mu.Unlock()
	for {
		e, err := s.Poll(ctx)
		if e != nil || err != nil {
			return e, err
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Poll is Next without the wait for a live event: nil, nil when none is
// ready. Until the subscription has caught up with the live stream it reads
// the table, which ctx bounds.
func (s *Subscription) Poll(ctx context.Context) (*Event, error) {
	for !s.live && len(s.replay) == 0 {
		if err := s.catchUp(ctx); err != nil {
			return nil, err
		}
	}
	if len(s.replay) > 0 {
		e := s.replay[0]
		s.replay = s.replay[1:]
		return e, nil
	}
	for {
		e, err := s.take()
		if e != nil && e.ID <= s.read {
			continue // already read from the table (a cursor ahead of this instance)
		}
		return e, err
	}
}

// catchUp reads the next page after read from the table, or, when read has
// reached the broker's watermark, joins the live stream: under the broker's
// lock, so that nothing is fanned out between the last row read and the
// joining. No gap, no duplicate at the seam.
func (s *Subscription) catchUp(ctx context.Context) error {
	b := s.b
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return ErrClosed
	}
	w := b.delivered
	if s.read >= w {
		s.live = true
		b.subs[s] = struct{}{}
		b.mu.Unlock()
		return nil
	}
	b.mu.Unlock()
	rows, err := b.src.FeedRange(ctx, s.read, w, b.opts.Page)
	if err != nil {
		return err
	}
	if len(rows) < b.opts.Page {
		s.read = w // nothing more up to w
	} else {
		s.read = rows[len(rows)-1].ID
	}
	b.mu.Lock()
	for _, e := range rows {
		if s.filter.match(e) {
			s.replay = append(s.replay, b.recent.share(e))
		}
	}
	b.mu.Unlock()
	return nil
}

// Close ends the subscription.
func (s *Subscription) Close() {
	b := s.b
	b.mu.Lock()
	delete(b.subs, s)
	b.mu.Unlock()
	s.end(ErrClosed)
}
