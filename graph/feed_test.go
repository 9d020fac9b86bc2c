package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/live"
	"salesgraph/relay"
	"salesgraph/sales"
)

// feedEnv is env with the live feed running: its broker's LISTEN connection
// goes to the test's own database, named feedApp in pg_stat_activity.
type feedEnv struct {
	*env
	dbURL   string
	handler *graph.Handler
	feed    *live.Broker
	// stopFeed stops the first instance's broker alone, the server left
	// running (it waits for Run to return).
	stopFeed func()

	// Set before the first instance starts (newFeedEnvWith), all optional:
	tune   func(*graph.HandlerConfig)    // applied to each instance's handler
	wrap   func(live.Source) live.Source // what each broker reads instead of the events store
	runCtx context.Context               // the brokers' Run context (Background)
}

const feedApp = "salesgraph-feed-test"

func newFeedEnv(t *testing.T, opts live.Options) *feedEnv {
	t.Helper()
	return newFeedEnvWith(t, opts, nil)
}

// newTunedFeedEnv is newFeedEnv with tune applied to the handler's config.
func newTunedFeedEnv(t *testing.T, opts live.Options, tune func(*graph.HandlerConfig)) *feedEnv {
	t.Helper()
	return newFeedEnvWith(t, opts, func(fe *feedEnv) { fe.tune = tune })
}

// newFeedEnvWith is newFeedEnv with set called on the env before its first
// instance starts (to set tune, wrap or runCtx).
func newFeedEnvWith(t *testing.T, opts live.Options, set func(*feedEnv)) *feedEnv {
	t.Helper()
	url := dbtest.URL(t)
	d, err := db.Open(context.Background(), url, db.Options{ApplicationName: "salesgraph-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	store := db.NewStore(d)
	store.SetUserCacheTTL(time.Hour)
	e := &env{t: t, store: store, tokens: map[sales.Role]string{}, users: map[sales.Role]*sales.User{}}
	fe := &feedEnv{env: e, dbURL: url}
	if set != nil {
		set(fe)
	}
	fe.url, fe.handler, fe.feed, fe.stopFeed = fe.instance(t, opts)
	for _, r := range sales.Roles {
		e.addUser(strings.ToLower(string(r))+"@test.example", r)
	}
	return fe
}

// instance starts a server with a broker of its own on e's database, as a
// second process would, and returns its URL and what stops its broker alone.
func (e *feedEnv) instance(t *testing.T, opts live.Options) (string, *graph.Handler, *live.Broker, func()) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	switch {
	case !strings.Contains(e.dbURL, "://"): // key=value pairs
		opts.ConnString = e.dbURL + " application_name=" + feedApp
	case strings.Contains(e.dbURL, "?"):
		opts.ConnString = e.dbURL + "&application_name=" + feedApp
	default:
		opts.ConnString = e.dbURL + "?application_name=" + feedApp
	}
	opts.Logger = logger
	if os.Getenv("FEED_DEBUG") != "" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.MaxReconnect == 0 {
		opts.MaxReconnect = 500 * time.Millisecond
	}
	var src live.Source = e.store.Events
	if e.wrap != nil {
		src = e.wrap(src)
	}
	feed := live.New(src, opts)
	runCtx := e.runCtx
	if runCtx == nil {
		runCtx = context.Background()
	}
	ctx, cancel := context.WithCancel(runCtx)
	done := make(chan struct{})
	go func() { defer close(done); _ = feed.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	authn := &graph.Authenticator{Secret: testSecret, Users: e.store.Users, Logger: logger}
	cfg := graph.HandlerConfig{Store: e.store, Auth: authn, Logger: logger, Feed: feed}
	if e.tune != nil {
		e.tune(&cfg)
	}
	h := graph.NewHandler(cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Sockets.CloseAll(1001, "test over")
		stop()
		srv.Close()
	})
	return srv.URL, h, feed, stop
}

// joined waits until the first instance's broker has n subscribers: a
// subscription without after gets only what commits after it joins, and it
// joins after the client's subscribe message, not with it.
func (e *feedEnv) joined(t *testing.T, n int) {
	t.Helper()
	waitFor(t, func() bool { return e.feed.Subscribers() >= n })
}

func (e *feedEnv) dial(t *testing.T, role sales.Role) *gqltest.WS {
	t.Helper()
	return gqltest.DialWS(t, e.url+"/graphql", map[string]any{"Authorization": "Bearer " + e.tokens[role]}, nil)
}

const feedSubscription = `subscription($filter: OrderStatusFilter, $after: String) {
  orderStatusChanged(filter: $filter, after: $after) {
    cursor previousStatus status reason occurredAt
    actor { email }
    order { id number status customer { code } }
  }
}`

type feedEvent struct {
	Cursor         string
	PreviousStatus *string
	Status         string
	Reason         string
	OccurredAt     string
	Actor          *struct{ Email string }
	Order          struct {
		ID, Number, Status string
		Customer           struct{ Code string }
	}
}

// next reads one event of sub, failing the test on an error or a timeout.
func next(t *testing.T, sub *gqltest.Subscription, timeout time.Duration) feedEvent {
	t.Helper()
	r, ok := sub.Next(t, timeout)
	if !ok {
		t.Fatal("the subscription completed; want an event")
	}
	var out struct{ OrderStatusChanged feedEvent }
	if err := json.Unmarshal(r.Data, &out); err != nil || len(r.Errors) > 0 {
		t.Fatalf("event %s %+v: %v", r.Data, r.Errors, err)
	}
	return out.OrderStatusChanged
}

// feedCustomer adds a customer of the given rep (nil: none) and returns its global ID.
func (e *feedEnv) feedCustomer(t *testing.T, code string, rep *sales.User) string {
	t.Helper()
	in := validCustomer(code)
	if rep != nil {
		in["salesRepId"] = userID(rep.ID)
	}
	return e.with(t).createCustomer(sales.RoleAdmin, in).ID
}

// A status change reaches a subscriber as it commits, with the full order
// resolvable beneath it; filters and a sales rep's scope decide who gets it.
func TestFeedDeliversStatusChanges(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	s := e.salesSetup(t, map[string]string{"widget": "100"}) // s.customer belongs to the sales rep
	other := e.feedCustomer(t, "CUST-OTHER", nil)

	all := e.dial(t, sales.RoleAdmin).Subscribe(t, "all", feedSubscription, nil)
	onlyCancelled := e.dial(t, sales.RoleSalesManager).Subscribe(t, "c", feedSubscription,
		map[string]any{"filter": map[string]any{"statuses": []string{"CANCELLED"}}})
	onlyOther := e.dial(t, sales.RoleAdmin).Subscribe(t, "o", feedSubscription,
		map[string]any{"filter": map[string]any{"customerIds": []string{other}}})
	rep := e.dial(t, sales.RoleSalesRep).Subscribe(t, "r", feedSubscription, nil)
	// A rep asking for another rep's customers gets none of theirs.
	repAsksOthers := e.dial(t, sales.RoleSalesRep).Subscribe(t, "r2", feedSubscription,
		map[string]any{"filter": map[string]any{"salesRepIds": []string{userID(e.users[sales.RoleAdmin].ID)}}})
	e.joined(t, 5)

	mine := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "2")))
	var conf struct{ ConfirmOrder orderOut }
	e.must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": mine.ID, "v": mine.Version}, &conf)

	// Creating the order is its first status change: DRAFT, from nothing.
	if ev := next(t, all, 5*time.Second); ev.Order.ID != mine.ID || ev.Status != "DRAFT" || ev.PreviousStatus != nil {
		t.Fatalf("admin's first event: %+v, want the order's creation", ev)
	}
	ev := next(t, all, 5*time.Second)
	if ev.Order.ID != mine.ID || ev.Status != "CONFIRMED" || ev.PreviousStatus == nil || *ev.PreviousStatus != "DRAFT" ||
		ev.Order.Status != "CONFIRMED" || ev.Order.Customer.Code != "CUST-1" || ev.Actor == nil || ev.Actor.Email != "admin@test.example" ||
		ev.Cursor == "" || ev.OccurredAt == "" {
		t.Fatalf("admin's event: %+v", ev)
	}
	for _, want := range []string{"DRAFT", "CONFIRMED"} {
		if got := next(t, rep, 5*time.Second); got.Order.ID != mine.ID || got.Status != want {
			t.Fatalf("rep's event for their own customer: %+v, want %s", got, want)
		}
	}

	theirs := e.createOrder(t, sales.RoleAdmin, map[string]any{"input": map[string]any{"customerId": other, "warehouseId": s.warehouse,
		"lines": []any{line(s.widget, "1")}}})
	e.must(sales.RoleAdmin, cancelOrderMutation, map[string]any{"id": theirs.ID, "v": theirs.Version, "reason": "changed their mind"}, nil)

	if ev = next(t, all, 5*time.Second); ev.Order.ID != theirs.ID || ev.Status != "DRAFT" {
		t.Fatalf("admin's third event: %+v", ev)
	}
	ev = next(t, all, 5*time.Second)
	if ev.Order.ID != theirs.ID || ev.Status != "CANCELLED" || ev.Reason != "changed their mind" {
		t.Fatalf("admin's second event: %+v", ev)
	}
	if got := next(t, onlyCancelled, 5*time.Second); got.Order.ID != theirs.ID || got.Status != "CANCELLED" {
		t.Fatalf("status filter: %+v, want only the cancellation", got)
	}
	for _, want := range []string{"DRAFT", "CANCELLED"} {
		if got := next(t, onlyOther, 5*time.Second); got.Order.ID != theirs.ID || got.Status != want {
			t.Fatalf("customer filter: %+v, want only the other customer's order (%s)", got, want)
		}
	}
	// The admin's stream is in order and had both; the rep's must not have
	// the other customer's, and the filtered ones nothing more.
	// The rep who asked for another rep's customers got nothing: the scope
	// and the filter must both match.
	for _, sub := range []*gqltest.Subscription{all, rep, repAsksOthers, onlyCancelled, onlyOther} {
		sub.Quiet(t, 300*time.Millisecond)
	}
}

// Resuming with the last cursor replays exactly what was missed, then the
// live stream follows: no gap and no repeat at the seam.
func TestFeedResume(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	orders := e.rawOrders(t, 1)
	o := orders[0]

	ws := e.dial(t, sales.RoleAdmin)
	sub := ws.Subscribe(t, "1", feedSubscription, nil)
	e.joined(t, 1)
	e.rawChange(t, o, 1)
	e.rawChange(t, o, 2)
	first := next(t, sub, 5*time.Second)
	second := next(t, sub, 5*time.Second)
	if first.Reason != "1" || second.Reason != "2" {
		t.Fatalf("live: %q %q", first.Reason, second.Reason)
	}
	ws.Close()

	// While away: three more changes.
	for i := 3; i <= 5; i++ {
		e.rawChange(t, o, i)
	}
	resumed := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, map[string]any{"after": second.Cursor})
	// And changes race the replay at the seam.
	go func() {
		for i := 6; i <= 8; i++ {
			e.rawChange(t, o, i)
		}
	}()
	for want := 3; want <= 8; want++ {
		if got := next(t, resumed, 5*time.Second); got.Reason != strconv.Itoa(want) {
			t.Fatalf("after resume got change %q, want %d", got.Reason, want)
		}
	}
	resumed.Quiet(t, 300*time.Millisecond)

	// Resuming from the first cursor replays from there.
	again := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, map[string]any{"after": first.Cursor})
	for want := 2; want <= 8; want++ {
		if got := next(t, again, 5*time.Second); got.Reason != strconv.Itoa(want) {
			t.Fatalf("second resume got change %q, want %d", got.Reason, want)
		}
	}
}

// A cursor older than the retention is refused with CURSOR_EXPIRED, and so is
// one whose event is no longer kept; a made-up one is VALIDATION.
func TestFeedCursorExpired(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{Retention: time.Hour})
	o := e.rawOrders(t, 1)[0]
	old, recent, oldID := e.oldAndRecent(t, o)

	expect := func(name string, after, code string) {
		t.Run(name, func(t *testing.T) {
			s := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, map[string]any{"after": after})
			// gqlgen reports a subscription's resolver error as a next with
			// errors (and then completes); graphql-transport-ws allows that.
			ev := s.Recv(t, 5*time.Second)
			errs := ev.Errors
			if ev.Type == "next" {
				errs = ev.Response.Errors
			}
			if len(errs) != 1 || errs[0].Code() != code || errs[0].Field() != "after" {
				t.Fatalf("after %s: %+v, want %s on after", after, errs, code)
			}
		})
	}
	expect("OlderThanRetention", old.Cursor, "CURSOR_EXPIRED")
	if _, err := e.store.ExecContext(t.Context(), `DELETE FROM order_events WHERE id = $1`, oldID); err != nil {
		t.Fatal(err)
	}
	expect("NoLongerKept", old.Cursor, "CURSOR_EXPIRED")
	expect("NeverSent", relay.FeedCursor("OrderEvent", 1_000_000), "VALIDATION")
	expect("NotACursor", "nonsense", "VALIDATION")

	// A recent cursor still resumes (with nothing to replay).
	s := e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, map[string]any{"after": recent.Cursor})
	e.rawChange(t, o, 3)
	if got := next(t, s, 5*time.Second); got.Reason != "3" {
		t.Fatalf("after a recent cursor: %+v", got)
	}
}

// Many writers, whose transactions take their ids and commit out of order
// (each takes its transaction id early, waits, and commits after others):
// every subscriber receives every change exactly once, and each order's
// changes in their commit order.
func TestFeedConcurrentWritersExactlyOnce(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{Buffer: 10_000})
	const writers, changes, nOrders = 20, 25, 8
	orders := e.rawOrders(t, nOrders)
	subs := make([]*gqltest.Subscription, 3)
	for i := range subs {
		subs[i] = e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, nil)
	}
	e.joined(t, len(subs))
	e.writeConcurrently(t, orders, writers, changes, nil)
	for i, sub := range subs {
		e.checkStream(t, fmt.Sprint("subscriber ", i), sub, orders, writers*changes)
	}
}

// Killing the LISTEN connection mid-stream loses nothing: lib/pq reconnects,
// the broker catches up from the table, every subscriber gets every change.
func TestFeedListenerKilled(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{Buffer: 10_000, MinReconnect: 50 * time.Millisecond})
	const writers, changes, nOrders = 4, 25, 4
	orders := e.rawOrders(t, nOrders)
	subs := make([]*gqltest.Subscription, 2)
	for i := range subs {
		subs[i] = e.dial(t, sales.RoleAdmin).Subscribe(t, "1", feedSubscription, nil)
	}
	waitFor(t, func() bool { return e.feed.Subscribers() == len(subs) })
	waitFor(t, func() bool { return e.listenerPID(t) != 0 }) // connected: lib/pq connects in the background
	before := e.listenerPID(t)
	e.writeConcurrently(t, orders, writers, changes, func(n int) {
		if n == writers*changes/3 {
			var killed int
			if err := e.store.GetContext(context.Background(), &killed, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid)
				FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1) k`, feedApp); err != nil || killed != 1 {
				t.Errorf("terminate the listener: killed %d, %v", killed, err)
			}
		}
	})
	for i, sub := range subs {
		e.checkStream(t, fmt.Sprint("subscriber ", i), sub, orders, writers*changes)
	}
	deadline := time.Now().Add(5 * time.Second)
	for after := e.listenerPID(t); after == before || after == 0; after = e.listenerPID(t) {
		if time.Now().After(deadline) {
			t.Fatalf("the listener did not reconnect (backend %d before, %d now)", before, after)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Two subscriptions with one id on one socket: 4409, as graphql-transport-ws says.
func TestFeedDuplicateSubscriptionID(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	ws := e.dial(t, sales.RoleAdmin)
	ws.Subscribe(t, "same", feedSubscription, nil)
	ws.Subscribe(t, "same", feedSubscription, nil)
	if code := ws.CloseCode(t, 5*time.Second); code != 4409 {
		t.Fatalf("close code %d, want 4409", code)
	}
}

// Shutdown closes every live subscription's socket with 1001, which the
// graphql-ws client retries (and resumes with its cursor).
func TestFeedShutdownCloses1001(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	ws := e.dial(t, sales.RoleAdmin)
	ws.Subscribe(t, "1", feedSubscription, nil)
	ws2 := e.dial(t, sales.RoleSalesRep)
	ws2.Subscribe(t, "1", feedSubscription, nil)
	waitFor(t, func() bool { return e.feed.Subscribers() == 2 })
	e.handler.Sockets.CloseAll(1001, "server shutting down")
	for _, c := range []*gqltest.WS{ws, ws2} {
		if code := c.CloseCode(t, 5*time.Second); code != 1001 {
			t.Fatalf("close code %d, want 1001", code)
		}
	}
	waitFor(t, func() bool { return e.feed.Subscribers() == 0 })
}

// rawOrder is an order the raw writers change: its numeric id and global ID.
type rawOrder struct {
	id     int64
	global string
}

// rawOrders adds n draft orders of one customer straight in the database.
func (e *feedEnv) rawOrders(t *testing.T, n int) []rawOrder {
	t.Helper()
	ctx := context.Background()
	var customer, warehouse int64
	if err := e.store.GetContext(ctx, &customer, `INSERT INTO customers (code, name, currency)
		VALUES ('RAW-1', 'Raw writer', 'EUR') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := e.store.GetContext(ctx, &warehouse, `INSERT INTO warehouses (code, name) VALUES ('RAW', 'Raw') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	out := make([]rawOrder, n)
	for i := range out {
		if err := e.store.GetContext(ctx, &out[i].id, `INSERT INTO sales_orders (number, customer_id, warehouse_id, order_date, ship_to, currency, payment_terms_days)
			VALUES ($1, $2, $3, current_date, '{}', 'EUR', 30) RETURNING id`, fmt.Sprintf("RAW-%d", i), customer, warehouse); err != nil {
			t.Fatal(err)
		}
		out[i].global = relay.ID("SalesOrder", out[i].id)
	}
	return out
}

// rawChange writes order o's change number n as db's recordOrderStatus does,
// under the order's lock; its reason is n.
func (e *feedEnv) rawChange(t *testing.T, o rawOrder, n int) {
	if err := e.change(context.Background(), o, 0, func() string { return strconv.Itoa(n) }); err != nil {
		t.Error(err)
	}
}

// change runs one writer transaction: it takes its transaction id at once
// (the customer's FOR SHARE lock, as the documented lock order has it),
// waits, locks the order, bumps its version, writes the outbox row whose
// reason is the order's new version, waits again and commits.
func (e *feedEnv) change(ctx context.Context, o rawOrder, jitter time.Duration, reason func() string) error {
	tx, err := e.store.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM customers c JOIN sales_orders o ON o.customer_id = c.id WHERE o.id = $1 FOR SHARE OF c`, o.id); err != nil {
		return err
	}
	sleep := func() {
		if jitter > 0 {
			time.Sleep(rand.N(jitter))
		}
	}
	sleep()
	var version int
	if err := tx.GetContext(ctx, &version, `UPDATE sales_orders SET version = version + 1 WHERE id = $1 RETURNING version - 1`, o.id); err != nil {
		return err
	}
	r := strconv.Itoa(version)
	if reason != nil {
		r = reason()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_events (order_id, previous_status, status, reason) VALUES ($1, 'CONFIRMED', 'ON_HOLD', $2)`, o.id, r); err != nil {
		return err
	}
	sleep()
	return tx.Commit()
}

// writeConcurrently runs writers goroutines each making changes changes to
// random orders, with jitter inside each transaction; after each commit it
// calls afterEach (if set) with the running count.
func (e *feedEnv) writeConcurrently(t *testing.T, orders []rawOrder, writers, changes int, afterEach func(n int)) {
	t.Helper()
	var mu sync.Mutex
	count := 0
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range changes {
				o := orders[rand.N(len(orders))]
				if err := e.change(context.Background(), o, 3*time.Millisecond, nil); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				count++
				n := count
				mu.Unlock()
				if afterEach != nil {
					afterEach(n)
				}
			}
		})
	}
	wg.Wait()
}

// checkStream reads total events from sub and checks each order's changes
// came exactly once each, in order: the raw writers' reasons count 1, 2, 3…
// per order (the version before the change).
func (e *feedEnv) checkStream(t *testing.T, name string, sub *gqltest.Subscription, orders []rawOrder, total int) {
	t.Helper()
	next := map[string]int{}
	for _, o := range orders {
		next[o.global] = 1
	}
	cursors := map[string]bool{}
	for i := range total {
		ev := nextOrFail(t, sub, name, i)
		want, ok := next[ev.Order.ID]
		if !ok || ev.Reason != strconv.Itoa(want) || cursors[ev.Cursor] {
			t.Fatalf("%s, event %d: order %s change %s (cursor seen before: %v), want change %d", name, i, ev.Order.ID, ev.Reason, cursors[ev.Cursor], want)
		}
		cursors[ev.Cursor] = true
		next[ev.Order.ID] = want + 1
	}
	sub.Quiet(t, 200*time.Millisecond)
}

func nextOrFail(t *testing.T, sub *gqltest.Subscription, name string, i int) feedEvent {
	t.Helper()
	ev := sub.Recv(t, 10*time.Second)
	if ev.Type != "next" {
		t.Fatalf("%s, event %d: %s %+v", name, i, ev.Type, ev.Errors)
	}
	var out struct{ OrderStatusChanged feedEvent }
	if err := json.Unmarshal(ev.Response.Data, &out); err != nil {
		t.Fatal(err)
	}
	return out.OrderStatusChanged
}

// listenerPID is the backend of the broker's LISTEN connection (0: none).
func (e *feedEnv) listenerPID(t *testing.T) int {
	t.Helper()
	var pid int
	err := e.store.GetContext(context.Background(), &pid, `SELECT coalesce(max(pid), 0) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, feedApp)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// The token may come as authToken too, and the legacy graphql-ws subprotocol
// (start/data) carries the feed as well; no token closes with 4403.
func TestFeedAuthAndLegacyProtocol(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{})
	o := e.rawOrders(t, 1)[0]

	viaAuthToken := gqltest.DialWS(t, e.url+"/graphql", map[string]any{"authToken": e.tokens[sales.RoleAdmin]}, nil).
		Subscribe(t, "1", feedSubscription, nil)

	legacy, _, err := gqltest.DialRaw(t, e.url+"/graphql", "graphql-ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = legacy.SetReadDeadline(time.Now().Add(10 * time.Second))
	send := func(v any) {
		if err := legacy.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	type msg struct {
		Type    string          `json:"type"`
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}
	read := func() msg {
		for {
			var m msg
			if err := legacy.ReadJSON(&m); err != nil {
				t.Fatal(err)
			}
			if m.Type != "ka" {
				return m
			}
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + e.tokens[sales.RoleAdmin]}})
	if m := read(); m.Type != "connection_ack" {
		t.Fatalf("legacy init: %+v", m)
	}
	send(map[string]any{"type": "start", "id": "L", "payload": map[string]any{"query": feedSubscription}})
	waitFor(t, func() bool { return e.feed.Subscribers() == 2 })
	e.rawChange(t, o, 1)
	if got := next(t, viaAuthToken, 5*time.Second); got.Reason != "1" {
		t.Fatalf("authToken subscriber: %+v", got)
	}
	m := read()
	var data struct {
		Data struct{ OrderStatusChanged feedEvent }
	}
	if m.Type != "data" || m.ID != "L" || json.Unmarshal(m.Payload, &data) != nil || data.Data.OrderStatusChanged.Reason != "1" {
		t.Fatalf("legacy subscriber: %+v %s", m, m.Payload)
	}

	noToken := gqltest.OpenWS(t, e.url+"/graphql", nil)
	noToken.Send(t, gqltest.Message{Type: "connection_init"})
	if code := noToken.CloseCode(t, 5*time.Second); code != 4403 {
		t.Fatalf("no token: close %d, want 4403", code)
	}
}

// A subscriber that stops reading is dropped once its buffer is full and its
// socket closed with 1013, while another keeps receiving every event: the
// broker never waits for it.
func TestFeedSlowConsumerGets1013(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{Buffer: 4})
	o := e.rawOrders(t, 1)[0]
	good := e.dial(t, sales.RoleAdmin).Subscribe(t, "g", feedSubscription, nil)

	slow, _, err := gqltest.DialRaw(t, e.url+"/graphql", gqltest.Subprotocol, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := slow.WriteJSON(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + e.tokens[sales.RoleAdmin]}}); err != nil {
		t.Fatal(err)
	}
	var ack gqltest.Message
	if err := slow.ReadJSON(&ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("slow init: %+v %v", ack, err)
	}
	if err := slow.WriteJSON(map[string]any{"type": "subscribe", "id": "s", "payload": map[string]any{"query": `subscription { orderStatusChanged { reason } }`}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.feed.Subscribers() == 2 })

	// Large events fill the slow socket's TCP buffers within a few dozen; the
	// good subscriber reads each before the next is written.
	big := strings.Repeat("x", 200_000)
	n := 0
	for e.feed.Subscribers() == 2 {
		if n++; n > 500 {
			t.Fatal("the slow subscriber was never dropped")
		}
		if err := e.change(context.Background(), o, 0, func() string { return big + strconv.Itoa(n) }); err != nil {
			t.Fatal(err)
		}
		if got := next(t, good, 10*time.Second); got.Reason != big+strconv.Itoa(n) {
			t.Fatalf("good subscriber, change %d: got %d bytes", n, len(got.Reason))
		}
	}
	e.rawChange(t, o, 0)
	if got := next(t, good, 10*time.Second); got.Reason != "0" {
		t.Fatalf("good subscriber after the drop: %d bytes", len(got.Reason))
	}
	// The slow one reads again: what was sent, then close 1013.
	_ = slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := slow.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 1013 {
			t.Fatalf("slow subscriber's socket ended with %v, want close 1013", err)
		}
		break
	}
}

// Two server processes on one database each deliver every event to their own
// subscribers.
func TestFeedTwoInstances(t *testing.T) {
	t.Parallel()
	e := newFeedEnv(t, live.Options{Buffer: 10_000})
	otherURL, _, other, _ := e.instance(t, live.Options{Buffer: 10_000})
	const writers, changes, nOrders = 5, 10, 3
	orders := e.rawOrders(t, nOrders)
	bearer := map[string]any{"Authorization": "Bearer " + e.tokens[sales.RoleAdmin]}
	subs := []*gqltest.Subscription{
		gqltest.DialWS(t, e.url+"/graphql", bearer, nil).Subscribe(t, "1", feedSubscription, nil),
		gqltest.DialWS(t, otherURL+"/graphql", bearer, nil).Subscribe(t, "1", feedSubscription, nil),
	}
	waitFor(t, func() bool { return e.feed.Subscribers() == 1 && other.Subscribers() == 1 })
	e.writeConcurrently(t, orders, writers, changes, nil)
	for i, sub := range subs {
		e.checkStream(t, fmt.Sprint("instance ", i), sub, orders, writers*changes)
	}
}

// oldAndRecent makes two changes of o, received by a subscriber, and dates
// the first two hours back (past an hour's retention); it returns both
// events and the first's outbox id.
func (e *feedEnv) oldAndRecent(t *testing.T, o rawOrder) (old, recent feedEvent, oldID int64) {
	t.Helper()
	sub := e.dial(t, sales.RoleAdmin).Subscribe(t, "old-and-recent", feedSubscription, nil)
	e.joined(t, 1)
	e.rawChange(t, o, 1)
	old = next(t, sub, 5*time.Second)
	e.rawChange(t, o, 2)
	recent = next(t, sub, 5*time.Second)
	_, keys, err := relay.Parse("after", old.Cursor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ExecContext(t.Context(), `UPDATE order_events SET occurred_at = now() - interval '2 hours' WHERE id = $1`, keys[0]); err != nil {
		t.Fatal(err)
	}
	return old, recent, keys[0]
}
