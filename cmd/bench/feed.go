package main

// The live feed's benchmark (issue 10): go run ./cmd/bench -feed.
//
// It starts `salesgraph serve` on a fresh database as the HTTP benchmark
// does, then, from this one process, opens many websockets (one
// subscription per connection: a subscriber is a client), changes order
// statuses through the GraphQL API (cancelOrder of prepared drafts, each
// with a reason that names it) and times each event from the writer's
// receipt of the mutation's answer to each subscriber's receipt of the event.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"salesgraph/relay"
)

// feedOptions are the feed benchmark's settings (flags -feed-*).
type feedOptions struct {
	// Subscribers are the counts measured, ascending: each adds subscribers
	// to the ones already connected.
	Subscribers []int
	// Burst is how many status changes each burst fires at once.
	Burst int
	// ThroughputSubs is the subscriber count the rate steps run at (one of
	// Subscribers), Rates the steps in changes per second, Step each
	// step's length.
	ThroughputSubs int
	Rates          []int
	Step           time.Duration
	// HeldRate is the rate held at the largest subscriber count, for Step.
	HeldRate int
	// WritePeriod is each period of the write path with the doorbell on or
	// off; WriteRounds how many on/off pairs.
	WritePeriod time.Duration
	WriteRounds int
	// Writers are the concurrent writers (HTTP connections).
	Writers int
	// WithOrder adds `order { id number status }` to each event, which the
	// server loads once per event (the payload is shared).
	WithOrder bool
	// Profile, if set, is a file for the server's CPU profile taken during
	// ProfilePhase; the bench's own (the subscribers' and writers') goes
	// beside it, with ".client" appended.
	Profile string
	// ProfilePhase is "step" (the first rate step) or "burst" (the first
	// burst).
	ProfilePhase string
	// SocketRecheck, if set, is the server's --socket-recheck: how often
	// the open websockets' users are re-read from the database (2 s by
	// default; one statement per 1,000 distinct users, whatever the number
	// of sockets).
	SocketRecheck time.Duration
}

func defaultFeedOptions() feedOptions {
	return feedOptions{Subscribers: []int{1000, 10000}, Burst: 50, ThroughputSubs: 1000,
		Rates: []int{2, 5, 10, 25, 50, 100, 200, 400}, Step: 10 * time.Second, HeldRate: 1,
		WritePeriod: 5 * time.Second, WriteRounds: 2, Writers: 8}
}

const cancelOrderMutation = `mutation %s($id: ID!, $v: Int!, $r: String!) { cancelOrder(id: $id, version: $v, reason: $r) { status } }`

const feedQueryLean = `subscription BenchFeed($after: String) { orderStatusChanged(after: $after) { cursor previousStatus status reason occurredAt } }`
const feedQueryOrder = `subscription BenchFeed($after: String) { orderStatusChanged(after: $after) { cursor previousStatus status reason occurredAt order { id number status } } }`

// FeedReport is one run of the feed benchmark.
type FeedReport struct {
	Date     time.Time    `json:"date"`
	Commit   string       `json:"commit"`
	Dirty    bool         `json:"dirty"`
	Machine  Machine      `json:"machine"`
	Settings FeedSettings `json:"settings"`
	Command  string       `json:"command"`
	Query    string       `json:"subscriptionQuery"`

	Writes      []WritePeriod `json:"writePeriods"`
	WriteOn     float64       `json:"writeChangesPerSecondFeedOn"`  // median of the periods
	WriteOff    float64       `json:"writeChangesPerSecondFeedOff"` // median of the periods
	WriteCostPc float64       `json:"writeCostPercent"`             // (off - on) / off
	// WriteDoorbellOnly is cancelOrder's median with the trigger ringing a
	// channel nobody listens to; DoorbellCostPc its cost against off.
	WriteDoorbellOnly float64        `json:"writeChangesPerSecondDoorbellOnly"`
	DoorbellCostPc    float64        `json:"doorbellCostPercent"`
	WriteMedians      []WriteMedian  `json:"writeMedians"`
	Memory            []FeedMemory   `json:"memory"`
	Bursts            []FeedPhase    `json:"bursts"`
	Steps             []FeedPhase    `json:"throughputSteps"`
	Held              *FeedPhase     `json:"held,omitempty"`
	BestRate          float64        `json:"highestRateUnder1sP99"`
	Lost              int64          `json:"lost"`
	Duplicated        int64          `json:"duplicated"`
	OutOfOrder        int64          `json:"outOfOrder"`
	Closed            map[string]int `json:"socketsClosed,omitempty"`
	Targets           []Target       `json:"targets"`
	Notes             []string       `json:"notes"`
	Probes            int            `json:"probes"`
	// DialRetries counts refused or failed websocket dials, by reason.
	DialRetries map[string]int `json:"dialRetries,omitempty"`
	// Stopped is why the run ended before its last phase, if it did.
	Stopped string `json:"stopped,omitempty"`
	// Resumed counts reconnections with after (each after a 1013).
	Resumed     int64     `json:"resumedAfter1013"`
	ConnectSecs []float64 `json:"connectSeconds"`
}

type FeedSettings struct {
	Scale          int     `json:"scale"`
	Subscribers    []int   `json:"subscribers"`
	Burst          int     `json:"burst"`
	ThroughputSubs int     `json:"throughputSubscribers"`
	Rates          []int   `json:"rates"`
	StepSec        float64 `json:"stepSeconds"`
	HeldRate       int     `json:"heldRate"`
	WritePeriodSec float64 `json:"writePeriodSeconds"`
	WriteRounds    int     `json:"writeRounds"`
	Writers        int     `json:"writers"`
	WithOrder      bool    `json:"withOrder"`
	// SocketRecheck is the server's --socket-recheck ("" for its default).
	SocketRecheck string `json:"socketRecheck,omitempty"`
}

// WritePeriod is one period of the write path: createOrder or cancelOrder
// at Writers connections, the doorbell trigger on or off, 0 subscribers.
type WritePeriod struct {
	Operation string `json:"operation"`
	// Feed is "on" (the doorbell trigger rings the broker's channel),
	// "doorbell only" (it rings a channel nobody listens to: the NOTIFY's
	// cost without the broker's reads) or "off" (trigger disabled).
	Feed      string  `json:"feed"`
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"perSecond"`
	P50Ms     float64 `json:"p50Ms"`
	P99Ms     float64 `json:"p99Ms"`
}

// FeedMemory is the server's resident memory with n idle subscribers.
type FeedMemory struct {
	Subscribers      int     `json:"subscribers"`
	RSSMB            float64 `json:"rssMB"`
	PerSubscriberKiB float64 `json:"perSubscriberKiB"` // (rss - rss with none) / n
	// From the server's profiler: goroutines, goroutine stacks and heap in use.
	Goroutines  int     `json:"goroutines"`
	StackMB     float64 `json:"stackInuseMB"`
	HeapInuseMB float64 `json:"heapInuseMB"`
}

// FeedPhase is one burst or rate step: what was written, what arrived.
type FeedPhase struct {
	Name          string  `json:"name"`
	Subscribers   int     `json:"subscribers"`
	TargetRate    float64 `json:"targetRate,omitempty"`
	Changes       int     `json:"changes"`
	WriteErrors   int64   `json:"writeErrors"`
	WriteSeconds  float64 `json:"writeSeconds"`
	WriteRate     float64 `json:"writeRate"`
	Deliveries    int64   `json:"deliveries"`
	DeliverySecs  float64 `json:"deliverySeconds"` // first write to last receipt
	DeliveryRate  float64 `json:"deliveriesPerSecond"`
	P50Ms         float64 `json:"p50Ms"`
	P90Ms         float64 `json:"p90Ms"`
	P99Ms         float64 `json:"p99Ms"`
	MaxMs         float64 `json:"maxMs"`
	P50FromSendMs float64 `json:"p50FromSendMs"` // from before the mutation was sent: an upper bound
	P99FromSendMs float64 `json:"p99FromSendMs"`
	// BeforeAnswer counts deliveries read before the writer had the
	// mutation's answer (their latency from the answer counts as 0).
	BeforeAnswer  int64   `json:"beforeAnswer"`
	Lost          int64   `json:"lost"`
	Duplicated    int64   `json:"duplicated"`
	OutOfOrder    int64   `json:"outOfOrder"`
	ServerCPUSecs float64 `json:"serverCpuSeconds"`
	// ClientCPUSecs is this process's CPU (subscribers and writers) over
	// the phase; DatabaseCPUSecs the private cluster's, when it is ours.
	// All three share the machine's cores.
	ClientCPUSecs   float64 `json:"clientCpuSeconds"`
	DatabaseCPUSecs float64 `json:"databaseCpuSeconds,omitempty"`
	RSSMB           float64 `json:"rssMB"`
}

// runFeed does the whole feed benchmark and writes its reports.
func runFeed(ctx context.Context, opts options, fo feedOptions) (*FeedReport, []string, error) {
	if !slices.IsSorted(fo.Subscribers) || (len(fo.Subscribers) > 0 && fo.Subscribers[0] < 1) {
		return nil, nil, errors.New("-feed-subscribers must be ascending counts of at least 1")
	}
	if fo.Burst < 1 || fo.Writers < 1 || fo.Step <= 0 || fo.WritePeriod <= 0 || fo.WriteRounds < 1 {
		return nil, nil, errors.New("-feed-burst, -feed-writers, -feed-step, -feed-write-period and -feed-write-rounds must be positive")
	}
	raiseFileLimit()
	e := &env{opts: opts, progress: opts.Progress}
	if e.progress == nil {
		e.progress = os.Stderr
	}
	var err error
	if e.opts.ModuleRoot == "" {
		if e.opts.ModuleRoot, err = moduleRoot(ctx); err != nil {
			return nil, nil, err
		}
	}
	if e.tmp, err = os.MkdirTemp("", "salesgraph-bench-"); err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(e.tmp)
	defer e.cleanup()

	base := newReport(ctx, e.opts)
	rep := &FeedReport{Date: base.Date, Commit: base.Commit, Dirty: base.Dirty, Machine: base.Machine, Closed: map[string]int{}, DialRetries: map[string]int{},
		Command: "go run ./cmd/bench " + strings.Join(os.Args[1:], " "),
		Settings: FeedSettings{Scale: opts.Scale, Subscribers: fo.Subscribers, Burst: fo.Burst, ThroughputSubs: fo.ThroughputSubs,
			Rates: fo.Rates, StepSec: fo.Step.Seconds(), HeldRate: fo.HeldRate, WritePeriodSec: fo.WritePeriod.Seconds(),
			WriteRounds: fo.WriteRounds, Writers: fo.Writers, WithOrder: fo.WithOrder}}
	if fo.SocketRecheck > 0 {
		rep.Settings.SocketRecheck = fo.SocketRecheck.String()
	}
	rep.Query = feedQueryLean
	if fo.WithOrder {
		rep.Query = feedQueryOrder
	}
	if err := e.prepare(ctx); err != nil {
		return nil, nil, err
	}
	rep.Machine.PostgreSQL = e.postgresVersion(ctx)
	// One socket per subscriber: the server's connection cap (3/4 of its
	// file limit, at most 10,000) must leave room for them and the writers.
	maxSubs := 0
	if len(fo.Subscribers) > 0 {
		maxSubs = fo.Subscribers[len(fo.Subscribers)-1]
	}
	e.serveArgs = []string{"--max-connections", strconv.Itoa(maxSubs + 200)}
	if fo.SocketRecheck > 0 {
		e.serveArgs = append(e.serveArgs, "--socket-recheck", fo.SocketRecheck.String())
	}
	// The profiler's listener tells goroutines and stacks apart from heap.
	pport, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	pprofAddr := fmt.Sprintf("127.0.0.1:%d", pport)
	e.serveEnv = []string{"PPROF_ADDR=" + pprofAddr}
	if err := e.startServer(ctx); err != nil {
		return nil, nil, err
	}
	f := &feedRun{e: e, fo: fo, rep: rep, pprof: "http://" + pprofAddr, url: strings.Replace(e.server.base, "http", "ws", 1) + "/graphql"}
	if err := f.run(ctx); err != nil {
		return nil, nil, err
	}
	rep.finish(fo)
	out := e.opts.Out
	if !strings.HasPrefix(out, "/") {
		out = e.opts.ModuleRoot + "/" + out
	}
	files, err := rep.write(out)
	return rep, files, err
}

// raiseFileLimit lifts this process's open-file limit to its hard limit:
// every subscriber is a socket.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

type feedRun struct {
	e   *env
	fo  feedOptions
	rep *FeedReport
	url string

	inputs struct {
		Customers, Products, Warehouses struct{ Nodes []struct{ ID string } }
	}
	drafts    []draft
	nextDraft atomic.Int64
	client    []*http.Client

	subs    []*subscriber
	init    []byte       // connection_init
	query   string       // the subscription
	resumed atomic.Int64 // reconnections with after, after a 1013
	retryMu sync.Mutex
	idleRSS int64  // the server's RSS with no subscriber
	pprof   string // the server's profiler
	phase   atomic.Pointer[phase]
	probe   atomic.Int64 // the latest probe number sent
	probes  int
	// profiled is set once -feed-profile's phase has begun.
	profiled bool
}

func (f *feedRun) logf(format string, args ...any) { f.e.logf("feed: "+format, args...) }

func (f *feedRun) run(ctx context.Context) error {
	f.client = make([]*http.Client, max(f.fo.Writers, 16))
	for i := range f.client {
		f.client[i] = newClient()
	}
	err := post(ctx, f.client[0], f.e.server.base+"/graphql", "Bearer "+f.e.token, request{body: gqlBody(draftInputsQuery+"%.0s", "BenchDraftInputs", nil),
		check: func(data json.RawMessage) error { return json.Unmarshal(data, &f.inputs) }})
	if err != nil {
		return fmt.Errorf("read customers, products and warehouses for drafts: %w", err)
	}
	if len(f.inputs.Customers.Nodes) == 0 || len(f.inputs.Products.Nodes) < 2 || len(f.inputs.Warehouses.Nodes) == 0 {
		return errors.New("no customers, products or warehouses to draft orders for")
	}
	defer f.closeAll()

	// The drafts every later phase cancels, made while measuring the write
	// path's createOrder with the doorbell on and off.
	need := 40*len(f.fo.Subscribers) + f.fo.Burst*len(f.fo.Subscribers) + int(float64(f.fo.HeldRate)*f.fo.Step.Seconds()*1.2) + 10
	if slices.Contains(f.fo.Subscribers, f.fo.ThroughputSubs) {
		for _, r := range f.fo.Rates {
			need += int(float64(r) * f.fo.Step.Seconds() * 1.1)
		}
	}
	if err := f.writePath(ctx, need); err != nil {
		return err
	}
	idle, err := rss(f.e.server.pid)
	if err != nil {
		return err
	}
	f.rep.Memory = append(f.rep.Memory, f.runtimeMemory(ctx, FeedMemory{Subscribers: 0, RSSMB: mb(idle)}))
	f.idleRSS = idle

	for _, n := range f.fo.Subscribers {
		if err := f.step(ctx, n); err != nil {
			if ctx.Err() != nil {
				return err
			}
			// Keep what was measured: the report says where and why it stopped.
			f.rep.Stopped = fmt.Sprintf("at %d subscribers: %v", n, err)
			f.logf("stopped %s", f.rep.Stopped)
			break
		}
	}
	for _, s := range f.subs {
		if c := s.closed.Load(); c != nil {
			f.rep.Closed[*c]++
		}
	}
	f.rep.Probes = f.probes
	f.rep.Resumed = f.resumed.Load()
	if !f.e.server.alive() {
		f.rep.Stopped += fmt.Sprintf("; salesgraph serve died: %v\n%s", f.e.server.exitE, f.e.server.lastLines())
	}
	return nil
}

// step grows the subscribers to n and measures them.
func (f *feedRun) step(ctx context.Context, n int) error {
	{
		t0 := time.Now()
		f.logf("connecting subscribers %d..%d", len(f.subs)+1, n)
		if err := f.connect(ctx, n); err != nil {
			return err
		}
		if err := f.allListening(ctx); err != nil {
			return err
		}
		f.rep.ConnectSecs = append(f.rep.ConnectSecs, round2(time.Since(t0).Seconds()))
		time.Sleep(3 * time.Second) // idle: let the connection churn settle
		r, err := rss(f.e.server.pid)
		if err != nil {
			return err
		}
		f.rep.Memory = append(f.rep.Memory, f.runtimeMemory(ctx, FeedMemory{Subscribers: n, RSSMB: mb(r), PerSubscriberKiB: round2(float64(r-f.idleRSS) / 1024 / float64(n))}))
		f.logf("%d subscribers: server RSS %.0f MB (%.1f KiB per subscriber over idle)", n, mb(r), float64(r-f.idleRSS)/1024/float64(n))

		b, err := f.measure(ctx, fmt.Sprintf("burst of %d", f.fo.Burst), f.fo.Burst, 0)
		if err != nil {
			return err
		}
		f.rep.Bursts = append(f.rep.Bursts, *b)
		if n == f.fo.ThroughputSubs {
			for _, rate := range f.fo.Rates {
				changes := int(float64(rate) * f.fo.Step.Seconds())
				s, err := f.measure(ctx, fmt.Sprintf("%d changes/s", rate), changes, float64(rate))
				if err != nil {
					return err
				}
				f.rep.Steps = append(f.rep.Steps, *s)
				if s.P99Ms >= 1000 || s.Lost > 0 || s.WriteRate < 0.9*float64(rate) {
					break // the rate did not hold: higher ones will not either
				}
			}
		}
		if n == f.fo.Subscribers[len(f.fo.Subscribers)-1] && f.fo.HeldRate > 0 {
			changes := int(float64(f.fo.HeldRate) * f.fo.Step.Seconds())
			h, err := f.measure(ctx, fmt.Sprintf("held %d change/s", f.fo.HeldRate), changes, float64(f.fo.HeldRate))
			if err != nil {
				return err
			}
			f.rep.Held = h
		}
	}
	return nil
}

// takeDraft hands out the next prepared draft.
func (f *feedRun) takeDraft() (draft, error) {
	i := f.nextDraft.Add(1) - 1
	if i >= int64(len(f.drafts)) {
		return draft{}, errors.New("the prepared drafts ran out")
	}
	return f.drafts[i], nil
}

// cancel cancels one draft with reason; sent and answered are when the
// request left and when its answer (after COMMIT) arrived.
func (f *feedRun) cancel(ctx context.Context, c *http.Client, reason string) (sent, answered time.Time, err error) {
	d, err := f.takeDraft()
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	sent = time.Now()
	err = post(ctx, c, f.e.server.base+"/graphql", "Bearer "+f.e.token, request{
		body: gqlBody(cancelOrderMutation, "BenchCancel", map[string]any{"id": d.ID, "v": d.Version, "r": reason}),
		check: func(data json.RawMessage) error {
			var r struct{ CancelOrder struct{ Status string } }
			if err := json.Unmarshal(data, &r); err != nil {
				return err
			}
			if r.CancelOrder.Status != "CANCELLED" {
				return fmt.Errorf("cancelOrder: status %q, want CANCELLED", r.CancelOrder.Status)
			}
			return nil
		}})
	return sent, time.Now(), err
}

func (f *feedRun) create(ctx context.Context, c *http.Client, rng *rand.Rand) (draft, error) {
	p1 := rng.IntN(len(f.inputs.Products.Nodes))
	p2 := (p1 + 1 + rng.IntN(len(f.inputs.Products.Nodes)-1)) % len(f.inputs.Products.Nodes)
	in := map[string]any{
		"customerId":     f.inputs.Customers.Nodes[rng.IntN(len(f.inputs.Customers.Nodes))].ID,
		"warehouseId":    f.inputs.Warehouses.Nodes[rng.IntN(len(f.inputs.Warehouses.Nodes))].ID,
		"allowBackorder": true, "customerReference": "feed bench",
		"lines": []map[string]any{
			{"productId": f.inputs.Products.Nodes[p1].ID, "quantity": "1"},
			{"productId": f.inputs.Products.Nodes[p2].ID, "quantity": "2"},
		},
	}
	var d draft
	err := post(ctx, c, f.e.server.base+"/graphql", "Bearer "+f.e.token, request{body: gqlBody(createOrderMutation, "BenchCreateDraft", map[string]any{"in": in}),
		check: func(data json.RawMessage) error {
			var r struct {
				CreateOrder struct {
					ID, Status string
					Version    int
				}
			}
			if err := json.Unmarshal(data, &r); err != nil {
				return err
			}
			if r.CreateOrder.ID == "" || r.CreateOrder.Status != "DRAFT" {
				return fmt.Errorf("createOrder: status %q, want DRAFT", r.CreateOrder.Status)
			}
			d = draft{r.CreateOrder.ID, r.CreateOrder.Version}
			return nil
		}})
	return d, err
}

// The feed's modes in the write path's periods.
const (
	feedOn       = "on"
	doorbellOnly = "doorbell only"
	feedOff      = "off"
)

// setDoorbell switches the outbox's NOTIFY trigger to mode. Every mode but
// doorbellOnly leaves the trigger's function as migration 0018 made it.
func (f *feedRun) setDoorbell(ctx context.Context, mode string) error {
	d, err := f.e.sqlDB()
	if err != nil {
		return err
	}
	defer d.Close()
	channel, verb := "order_events", "ENABLE"
	switch mode {
	case doorbellOnly:
		channel = "order_events_unheard"
	case feedOff:
		verb = "DISABLE"
	}
	if _, err := d.ExecContext(ctx, `CREATE OR REPLACE FUNCTION order_events_doorbell() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('`+channel+`', '');
    RETURN NULL;
END;
$$`); err != nil {
		return err
	}
	if _, err = d.ExecContext(ctx, "ALTER TABLE order_events "+verb+" TRIGGER order_events_doorbell"); err != nil {
		return err
	}
	if mode == feedOn {
		// The commits of an off period rang no bell: ring it once, so that
		// the broker delivers them now (to no one) rather than to the first
		// subscribers, as thousands of events at the first probe.
		_, err = d.ExecContext(ctx, `SELECT pg_notify('order_events', '')`)
	}
	return err
}

// writePath measures createOrder, then cancelOrder, with the doorbell on
// and off in alternating periods (on, off, off, on, …), with no
// subscriber: what the feed costs the write path. The createOrder periods
// make the drafts (at least need of them are kept for the feed's phases).
func (f *feedRun) writePath(ctx context.Context, need int) error {
	w := f.fo.Writers
	// on, doorbell only, off, off, doorbell only, on, …
	order := func(i int) string {
		modes := []string{feedOn, doorbellOnly, feedOff}
		if (i/3)%2 == 1 {
			slices.Reverse(modes)
		}
		return modes[i%3]
	}
	var mu sync.Mutex
	period := func(op string, on string, do func(c *http.Client, rng *rand.Rand) error, limit int64) error {
		if err := f.setDoorbell(ctx, on); err != nil {
			return fmt.Errorf("switch the doorbell trigger: %w", err)
		}
		var n, bad atomic.Int64
		lat := make([][]time.Duration, w)
		start := time.Now()
		end := start.Add(f.fo.WritePeriod)
		var wg sync.WaitGroup
		for i := range w {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i)+1, uint64(start.UnixNano())))
				for time.Now().Before(end) && ctx.Err() == nil {
					if limit > 0 && n.Add(1) > limit {
						return
					} else if limit == 0 {
						n.Add(1)
					}
					t0 := time.Now()
					if err := do(f.client[i], rng); err != nil {
						bad.Add(1)
						continue
					}
					lat[i] = append(lat[i], time.Since(t0))
				}
			}()
		}
		wg.Wait()
		secs := time.Since(start).Seconds()
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		slices.Sort(all)
		p := WritePeriod{Operation: op, Feed: on, Requests: int64(len(all)), Errors: bad.Load(), Seconds: round2(secs),
			PerSecond: round2(float64(len(all)) / secs), P50Ms: percentile(all, .5), P99Ms: percentile(all, .99)}
		f.rep.Writes = append(f.rep.Writes, p)
		f.logf("%s, feed %s: %d in %.1f s (%.0f/s), p50 %.1f ms, %d errors", op, on,
			p.Requests, secs, p.PerSecond, p.P50Ms, p.Errors)
		if p.Errors > 0 {
			return fmt.Errorf("%s: %d errors", op, p.Errors)
		}
		return ctx.Err()
	}
	createOne := func(c *http.Client, rng *rand.Rand) error {
		d, err := f.create(ctx, c, rng)
		if err == nil {
			mu.Lock()
			f.drafts = append(f.drafts, d)
			mu.Unlock()
		}
		return err
	}
	// A warm-up, not counted: the first period after start was the
	// slowest in every run (pool connections, plans, caches).
	if err := period("createOrder (warm-up, not measured)", feedOn, createOne, 0); err != nil {
		return err
	}
	f.rep.Writes = f.rep.Writes[:len(f.rep.Writes)-1]
	for i := range 3 * f.fo.WriteRounds {
		if err := period("createOrder", order(i), createOne, 0); err != nil {
			return err
		}
	}
	if err := f.setDoorbell(ctx, feedOn); err != nil {
		return err
	}
	// cancelOrder's periods use the drafts beyond need (at least 300 a
	// second of each period), made now if the measured periods made too few.
	want := need + 3*f.fo.WriteRounds*max(50, int(300*f.fo.WritePeriod.Seconds()))
	for len(f.drafts) < want {
		f.logf("making more drafts: %d of %d", len(f.drafts), want)
		if err := period("createOrder (more drafts, not measured)", feedOn, createOne, int64(want-len(f.drafts))); err != nil {
			return err
		}
		f.rep.Writes = f.rep.Writes[:len(f.rep.Writes)-1]
	}
	per := int64((len(f.drafts) - need) / (3 * f.fo.WriteRounds))
	for i := range 3 * f.fo.WriteRounds {
		if err := period("cancelOrder", order(i), func(c *http.Client, _ *rand.Rand) error {
			_, _, err := f.cancel(ctx, c, "write path")
			return err
		}, per); err != nil {
			return err
		}
	}
	return f.setDoorbell(ctx, feedOn)
}

// subscriber is one websocket with one subscription.
type subscriber struct {
	i      int
	conn   atomic.Pointer[websocket.Conn]
	cursor string                 // the last event's cursor (only its reader touches it)
	probed atomic.Int64           // the latest probe it received
	closed atomic.Pointer[string] // how its socket ended, if it did
}

// phase is one burst or rate step: change i carries reason "f<id>:<i>".
type phase struct {
	id       int
	n        int
	sent     []atomic.Int64 // unix ns before the mutation was sent
	answered []atomic.Int64 // unix ns when its answer arrived
	// Per subscriber: when each change arrived (0: not yet), and what went wrong.
	recv []atomic.Int64 // subscriber i's change seq at i*n+seq
	got  []atomic.Int64
	dup  []atomic.Int64
	ooo  []atomic.Int64
	last []int64 // the last cursor id, per subscriber (only its reader writes it)
	done atomic.Int64
}

var phaseIDs atomic.Int64

func newPhase(n, subs int) *phase {
	p := &phase{id: int(phaseIDs.Add(1)), n: n, sent: make([]atomic.Int64, n), answered: make([]atomic.Int64, n),
		recv: make([]atomic.Int64, n*subs), got: make([]atomic.Int64, subs), dup: make([]atomic.Int64, subs), ooo: make([]atomic.Int64, subs),
		last: make([]int64, subs)}
	return p
}

// connect opens subscribers until there are n, 64 handshakes at a time.
func (f *feedRun) connect(ctx context.Context, n int) error {
	f.query = feedQueryLean
	if f.fo.WithOrder {
		f.query = feedQueryOrder
	}
	f.init, _ = json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + f.e.token}})
	init, sub := f.init, f.subscribe("")
	// Sockets the server closed (1013 after a missed rate step) are
	// replaced first, by new subscriptions.
	for _, s := range f.subs {
		if c := s.closed.Load(); c != nil {
			f.rep.Closed[*c]++
			_ = s.conn.Load().Close()
			ns, err := f.dial(ctx, s.i, init, sub)
			if err != nil {
				return fmt.Errorf("replace subscriber %d: %w", s.i, err)
			}
			f.subs[s.i] = ns
			go f.read(ns)
		}
	}
	from := len(f.subs)
	news := make([]*subscriber, n-from)
	sem := make(chan struct{}, 64)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for k := range news {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s, err := f.dial(ctx, from+k, init, sub)
			if err != nil {
				select {
				case errs <- fmt.Errorf("subscriber %d: %w", from+k, err):
				default:
				}
				return
			}
			news[k] = s
			// Read at once: the server pings every 10 s and closes a socket
			// that has not answered within 20 s.
			go f.read(s)
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		for _, s := range news {
			if s != nil {
				s.conn.Load().Close()
			}
		}
		return err
	default:
	}
	f.subs = append(f.subs, news...)
	return nil
}

func (f *feedRun) dial(ctx context.Context, i int, init, sub []byte) (*subscriber, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, Subprotocols: []string{"graphql-transport-ws"},
		ReadBufferSize: 1024, WriteBufferSize: 512}
	var c *websocket.Conn
	for try := 0; ; try++ {
		var res *http.Response
		var err error
		c, res, err = d.DialContext(ctx, f.url, nil)
		if err == nil {
			break
		}
		why := err.Error()
		if res != nil {
			body := make([]byte, 200)
			n, _ := res.Body.Read(body)
			res.Body.Close()
			// Without the request id, so that like refusals count together.
			why = fmt.Sprintf("%s: HTTP %d %s", why, res.StatusCode, requestID.ReplaceAllString(string(body[:n]), ""))
		}
		// A refused upgrade is retried as a client would, and counted.
		f.retryMu.Lock()
		f.rep.DialRetries[why]++
		f.retryMu.Unlock()
		if try == 4 || ctx.Err() != nil {
			return nil, errors.New(why)
		}
		time.Sleep(time.Duration(200<<try) * time.Millisecond)
	}
	fail := func(err error) (*subscriber, error) { c.Close(); return nil, err }
	_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, init); err != nil {
		return fail(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return fail(fmt.Errorf("waiting for connection_ack: %w", err))
		}
		var m struct{ Type string }
		_ = json.Unmarshal(data, &m)
		if m.Type == "connection_ack" {
			break
		}
		if m.Type != "ping" && m.Type != "pong" {
			return fail(fmt.Errorf("got %.200s, want connection_ack", data))
		}
	}
	_ = c.SetReadDeadline(time.Time{})
	if err := c.WriteMessage(websocket.TextMessage, sub); err != nil {
		return fail(err)
	}
	s := &subscriber{i: i}
	s.conn.Store(c)
	return s, nil
}

var requestID = regexp.MustCompile(`,?"requestId":"[^"]*"`)

// subscribe is the subscribe message, with after if not "".
func (f *feedRun) subscribe(after string) []byte {
	vars := map[string]any{}
	if after != "" {
		vars["after"] = after
	}
	b, _ := json.Marshal(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": f.query, "variables": vars}})
	return b
}

// feedMessage is what a subscriber reads of each message.
type feedMessage struct {
	Type    string `json:"type"`
	Payload struct {
		Data *struct {
			OrderStatusChanged feedEvent `json:"orderStatusChanged"`
		} `json:"data"`
	} `json:"payload"`
}

// feedEvent is what the bench checks of each event.
type feedEvent struct {
	Cursor string `json:"cursor"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// decodeNext reads a next message of the bench's subscription as the
// server writes it, {"payload":{"data":{"orderStatusChanged":{…}}},"id":…,
// "type":"next"}, taking each of the event's fields from its first
// occurrence. It reports false for anything else, or any value with an
// escape in it, which encoding/json then reads.
func decodeNext(data []byte) (feedEvent, bool) {
	const head = `{"payload":{"data":{"orderStatusChanged":{`
	if !bytes.HasPrefix(data, []byte(head)) || !bytes.HasSuffix(data, []byte(`"type":"next"}`)) {
		return feedEvent{}, false
	}
	var ev feedEvent
	for _, f := range []struct {
		key string
		to  *string
	}{{`"cursor":"`, &ev.Cursor}, {`"status":"`, &ev.Status}, {`"reason":"`, &ev.Reason}} {
		_, rest, found := bytes.Cut(data[len(head)-1:], []byte(f.key))
		if !found {
			return feedEvent{}, false
		}
		v, _, closed := bytes.Cut(rest, []byte(`"`))
		if !closed || bytes.IndexByte(v, '\\') >= 0 {
			return feedEvent{}, false
		}
		*f.to = string(v)
	}
	return ev, true
}

// read is subscriber s's reader: it answers pings and records each event
// the moment it is read, before decoding it.
//
// It shares the two cores with the server it measures, so it reads into
// one buffer of its own and decodes the three fields it checks directly
// (decodeNext); anything else goes through encoding/json.
//
// Closed with 1013 (it fell behind), it does what the feed asks of a
// client: connects again and resumes with after: its last cursor.
func (f *feedRun) read(s *subscriber) {
	c := s.conn.Load()
	var buf bytes.Buffer
	for {
		buf.Reset()
		_, r, err := c.NextReader()
		if err == nil {
			_, err = buf.ReadFrom(r)
		}
		at := time.Now().UnixNano()
		data := buf.Bytes()
		if err != nil {
			why := err.Error()
			ce, isClose := errors.AsType[*websocket.CloseError](err)
			if isClose {
				why = fmt.Sprintf("close %d %s", ce.Code, ce.Text)
			}
			if isClose && ce.Code == 1013 && s.cursor != "" {
				c.Close()
				ns, err := f.dial(context.Background(), s.i, f.init, f.subscribe(s.cursor))
				if err == nil {
					f.resumed.Add(1)
					c = ns.conn.Load()
					s.conn.Store(c)
					continue
				}
				why += "; resuming failed: " + err.Error()
			}
			s.closed.Store(&why)
			return
		}
		ev, ok := decodeNext(data)
		if !ok {
			var m feedMessage
			if err := json.Unmarshal(data, &m); err != nil {
				why := fmt.Sprintf("unreadable message %.100s", data)
				s.closed.Store(&why)
				continue
			}
			switch m.Type {
			case "ping":
				_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
				_ = c.WriteMessage(websocket.TextMessage, []byte(`{"type":"pong"}`))
				continue
			case "next":
			default:
				if m.Type != "pong" {
					why := fmt.Sprintf("got %.200s", data)
					s.closed.Store(&why)
				}
				continue
			}
			if m.Payload.Data == nil {
				why := fmt.Sprintf("event without data: %.200s", data)
				s.closed.Store(&why)
				continue
			}
			ev = m.Payload.Data.OrderStatusChanged
		}
		s.cursor = ev.Cursor
		tag, rest, _ := strings.Cut(ev.Reason, ":")
		switch {
		case strings.HasPrefix(tag, "p"):
			if k, err := strconv.ParseInt(tag[1:], 10, 64); err == nil && k > s.probed.Load() {
				s.probed.Store(k)
			}
		case strings.HasPrefix(tag, "f"):
			p := f.phase.Load()
			id, err1 := strconv.Atoi(tag[1:])
			seq, err2 := strconv.Atoi(rest)
			if p == nil || err1 != nil || err2 != nil || id != p.id || seq < 0 || seq >= p.n {
				continue // a late event of an earlier phase
			}
			cur, err := relay.Key("cursor", "OrderEvent", ev.Cursor)
			if err != nil || ev.Status != "CANCELLED" {
				why := fmt.Sprintf("bad event %+v", ev)
				s.closed.Store(&why)
				continue
			}
			if cur <= p.last[s.i] {
				p.ooo[s.i].Add(1)
			}
			p.last[s.i] = max(p.last[s.i], cur)
			if !p.recv[s.i*p.n+seq].CompareAndSwap(0, at) {
				p.dup[s.i].Add(1)
				continue
			}
			if p.got[s.i].Add(1) == int64(p.n) {
				p.done.Add(1)
			}
		}
	}
}

// allListening sends probes (cancellations with reason "p<k>") until every
// subscriber has received one: only then is each subscription known to
// be registered with the broker (the protocol acknowledges none).
func (f *feedRun) allListening(ctx context.Context) error {
	for try := 0; try < 40; try++ {
		k := f.probe.Add(1)
		f.probes++
		if _, _, err := f.cancel(ctx, f.client[0], fmt.Sprintf("p%d:", k)); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			missing, closed := 0, 0
			for _, s := range f.subs {
				if s.closed.Load() != nil {
					closed++
				} else if s.probed.Load() < k {
					missing++
				}
			}
			if closed > 0 {
				return fmt.Errorf("%d subscribers' sockets closed while connecting (%s)", closed, f.firstClosed())
			}
			if missing == 0 {
				return nil
			}
			if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
				return err
			}
		}
		f.logf("probe %d: not every subscriber has it yet; another", k)
	}
	return errors.New("after 40 probes some subscribers still received none")
}

func (f *feedRun) firstClosed() string {
	for _, s := range f.subs {
		if c := s.closed.Load(); c != nil {
			return *c
		}
	}
	return ""
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// measure writes changes status changes, all at once (rate 0: Writers
// closed-loop writers) or paced at rate per second, and waits until every
// subscriber has every one (or 30 s pass with none arriving).
func (f *feedRun) measure(ctx context.Context, name string, changes int, rate float64) (*FeedPhase, error) {
	subs := len(f.subs)
	p := newPhase(changes, subs)
	f.phase.Store(p)
	defer f.phase.Store(nil)
	cpu0, _ := procCPU(f.e.server.pid)
	client0, _ := procCPU(os.Getpid())
	db0 := f.e.databaseCPU()
	profiled := f.profile(name, changes, rate)
	writers := f.fo.Writers
	if rate > 0 {
		writers = len(f.client) // open loop: enough writers for the pace
	}
	var next atomic.Int64
	var bad atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= changes || ctx.Err() != nil {
					return
				}
				if rate > 0 {
					at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(at))
				}
				sent, answered, err := f.cancel(ctx, f.client[w], fmt.Sprintf("f%d:%d", p.id, i))
				if err != nil {
					bad.Add(1)
					f.logf("write: %v", err)
					continue
				}
				p.sent[i].Store(sent.UnixNano())
				p.answered[i].Store(answered.UnixNano())
			}
		}()
	}
	wg.Wait()
	if rate > 0 { // a paced step lasts changes/rate, its last change sent at (changes-1)/rate
		time.Sleep(time.Until(start.Add(time.Duration(float64(changes) / rate * float64(time.Second)))))
	}
	writeSecs := time.Since(start).Seconds()
	if bad.Load() > 0 && bad.Load() == int64(changes) {
		return nil, fmt.Errorf("%s: every write failed", name)
	}
	// Wait for the deliveries: until all are in, or 30 s without progress.
	lastDone, lastProgress := int64(-1), time.Now()
	var sum int64
	for {
		sum = 0
		for i := range subs {
			sum += p.got[i].Load()
		}
		if p.done.Load() == int64(subs) || ctx.Err() != nil {
			break
		}
		if sum != lastDone {
			lastDone, lastProgress = sum, time.Now()
		} else if time.Since(lastProgress) > 30*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cpu1, _ := procCPU(f.e.server.pid)
	client1, _ := procCPU(os.Getpid())
	db1 := f.e.databaseCPU()
	r, _ := rss(f.e.server.pid)
	if profiled != nil {
		<-profiled
	}
	f.phase.Store(nil)
	time.Sleep(50 * time.Millisecond) // readers holding p finish with it

	ph := &FeedPhase{Name: name, Subscribers: subs, TargetRate: rate, Changes: changes, WriteErrors: bad.Load(),
		WriteSeconds: round2(writeSecs), WriteRate: round2(float64(changes-int(bad.Load())) / writeSecs),
		ServerCPUSecs: round2((cpu1 - cpu0).Seconds()), ClientCPUSecs: round2((client1 - client0).Seconds()), RSSMB: mb(r)}
	if db0 > 0 && db1 > db0 {
		ph.DatabaseCPUSecs = round2((db1 - db0).Seconds())
	}
	lat := make([]time.Duration, 0, int64(changes)*int64(subs))
	fromSend := make([]time.Duration, 0, cap(lat))
	var lastRecv int64
	for i := range subs {
		ph.Duplicated += p.dup[i].Load()
		ph.OutOfOrder += p.ooo[i].Load()
		for seq := range changes {
			at := p.recv[i*changes+seq].Load()
			ans := p.answered[seq].Load()
			if ans == 0 {
				continue // the write failed: nothing to receive
			}
			if at == 0 {
				ph.Lost++
				continue
			}
			ph.Deliveries++
			lastRecv = max(lastRecv, at)
			if at < ans {
				ph.BeforeAnswer++
			}
			lat = append(lat, time.Duration(max(0, at-ans)))
			fromSend = append(fromSend, time.Duration(at-p.sent[seq].Load()))
		}
	}
	slices.Sort(lat)
	slices.Sort(fromSend)
	if lastRecv > 0 {
		ph.DeliverySecs = round2(float64(lastRecv-start.UnixNano()) / 1e9)
		ph.DeliveryRate = round2(float64(ph.Deliveries) / ph.DeliverySecs)
	}
	ph.P50Ms, ph.P90Ms, ph.P99Ms, ph.MaxMs = percentile(lat, .5), percentile(lat, .9), percentile(lat, .99), percentile(lat, 1)
	ph.P50FromSendMs, ph.P99FromSendMs = percentile(fromSend, .5), percentile(fromSend, .99)
	f.logf("%s at %d subscribers: %d changes in %.1f s (%.0f/s), %d deliveries, p50 %.1f ms, p99 %.1f ms, max %.1f ms, lost %d, duplicated %d, out of order %d, CPU s: server %.1f, client %.1f, database %.1f",
		name, subs, changes, writeSecs, ph.WriteRate, ph.Deliveries, ph.P50Ms, ph.P99Ms, ph.MaxMs, ph.Lost, ph.Duplicated, ph.OutOfOrder, ph.ServerCPUSecs, ph.ClientCPUSecs, ph.DatabaseCPUSecs)
	if c := f.firstClosed(); c != "" {
		f.logf("a subscriber's socket ended or misbehaved: %s", c)
	}
	return ph, nil
}

// profile starts the CPU profiles -feed-profile asks for, if this phase
// is the one it names: the server's, through its pprof endpoint, and this
// process's. The returned channel (nil when not profiling) closes when
// both are written.
func (f *feedRun) profile(name string, changes int, rate float64) chan struct{} {
	if f.fo.Profile == "" || f.profiled {
		return nil
	}
	if (f.fo.ProfilePhase == "burst") != (rate == 0) {
		return nil
	}
	f.profiled = true
	secs := 1
	if rate > 0 {
		secs = max(1, int(float64(changes)/rate))
	}
	done := make(chan struct{})
	var client bytes.Buffer
	if err := pprof.StartCPUProfile(&client); err != nil {
		f.logf("profile: %v", err)
	}
	go func() {
		defer close(done)
		res, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", f.pprof, secs))
		pprof.StopCPUProfile()
		if err != nil {
			f.logf("profile: %v", err)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if err := os.WriteFile(f.fo.Profile, b, 0o644); err != nil {
			f.logf("profile: %v", err)
			return
		}
		if err := os.WriteFile(f.fo.Profile+".client", client.Bytes(), 0o644); err != nil {
			f.logf("profile: %v", err)
			return
		}
		f.logf("wrote the server's CPU profile of %s to %s and the bench's to %[2]s.client (go tool pprof -top %[2]s)", name, f.fo.Profile)
	}()
	return done
}

func (f *feedRun) closeAll() {
	for _, s := range f.subs {
		_ = s.conn.Load().Close()
	}
	for _, c := range f.client {
		c.CloseIdleConnections()
	}
}

// runtimeMemory adds the server's goroutine count and its stack and heap
// in use, read from its profiler (left 0 if it cannot be read).
func (f *feedRun) runtimeMemory(ctx context.Context, m FeedMemory) FeedMemory {
	get := func(path string) string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.pprof+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return ""
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if g := get("/debug/pprof/goroutine?debug=1"); g != "" {
		line, _, _ := strings.Cut(g, "\n")
		_, n, _ := strings.Cut(line, "total ")
		m.Goroutines, _ = strconv.Atoi(strings.TrimSpace(n))
	}
	for _, line := range strings.Split(get("/debug/pprof/heap?debug=1"), "\n") {
		if v, ok := strings.CutPrefix(line, "# Stack = "); ok { // "# Stack = inuse / sys"
			inuse, _, _ := strings.Cut(v, " ")
			n, _ := strconv.ParseInt(inuse, 10, 64)
			m.StackMB = mb(n)
		}
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			m.HeapInuseMB = mb(n)
		}
	}
	return m
}

// rss returns VmRSS from /proc/<pid>/status, in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func mb(b int64) float64 { return round2(float64(b) / (1 << 20)) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
