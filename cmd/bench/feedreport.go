package main

import (
	"fmt"
	"strings"
)

// finish sums the phases, takes the write path's medians and checks the
// issue's targets.
func (r *FeedReport) finish(fo feedOptions) {
	r.Machine.LoadAverage[1] = loadAverage()
	phases := append(append([]FeedPhase{}, r.Bursts...), r.Steps...)
	if r.Held != nil {
		phases = append(phases, *r.Held)
	}
	for _, p := range phases {
		r.Lost += p.Lost
		r.Duplicated += p.Duplicated
		r.OutOfOrder += p.OutOfOrder
	}
	for _, p := range r.Steps {
		if p.P99Ms < 1000 && p.Lost == 0 && p.Duplicated == 0 && p.WriteRate >= 0.9*p.TargetRate {
			r.BestRate = max(r.BestRate, p.WriteRate)
		}
	}
	per := map[string][]float64{}
	for _, w := range r.Writes {
		per[w.Operation+" "+w.Feed] = append(per[w.Operation+" "+w.Feed], w.PerSecond)
	}
	r.WriteOn, r.WriteOff = round2(median(per["cancelOrder "+feedOn])), round2(median(per["cancelOrder "+feedOff]))
	r.WriteDoorbellOnly = round2(median(per["cancelOrder "+doorbellOnly]))
	if r.WriteOff > 0 {
		r.WriteCostPc = round2(100 * (r.WriteOff - r.WriteOn) / r.WriteOff)
		r.DoorbellCostPc = round2(100 * (r.WriteOff - r.WriteDoorbellOnly) / r.WriteOff)
	}
	for _, op := range []string{"createOrder", "cancelOrder"} {
		r.WriteMedians = append(r.WriteMedians, WriteMedian{Operation: op, On: round2(median(per[op+" "+feedOn])),
			DoorbellOnly: round2(median(per[op+" "+doorbellOnly])), Off: round2(median(per[op+" "+feedOff]))})
	}

	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "missed"
	}
	for _, b := range r.Bursts {
		if b.Subscribers == 1000 {
			r.Targets = append(r.Targets, Target{What: "p99 fan-out under 100 ms at 1,000 subscribers (burst)", Goal: "< 100 ms",
				Measured: fmt.Sprintf("p99 %.1f ms (p50 %.1f ms)", b.P99Ms, b.P50Ms), Met: met(b.P99Ms < 100 && b.Lost == 0)})
		}
	}
	if h := r.Held; h != nil && h.Subscribers >= 10000 && h.TargetRate == 1 {
		r.Targets = append(r.Targets, Target{What: "10,000 subscribers each receiving one event a second", Goal: "p99 < 1 s",
			Measured: fmt.Sprintf("p99 %.1f ms at %d subscribers, %.2f changes/s", h.P99Ms, h.Subscribers, h.WriteRate), Met: met(h.P99Ms < 1000 && h.Lost == 0)})
	}
	for _, m := range r.Memory {
		if m.Subscribers == 10000 {
			r.Targets = append(r.Targets, Target{What: "server RSS per idle subscriber at 10,000", Goal: "< 20 KiB",
				Measured: fmt.Sprintf("%.1f KiB (%.0f MB in all)", m.PerSubscriberKiB, m.RSSMB), Met: met(m.PerSubscriberKiB < 20)})
		}
	}
	if len(phases) > 0 { // a run of the write path alone delivers nothing
		r.Targets = append(r.Targets, Target{What: "events lost or duplicated, every subscriber, every phase", Goal: "0",
			Measured: fmt.Sprintf("%d lost, %d duplicated, %d out of order", r.Lost, r.Duplicated, r.OutOfOrder),
			Met:      met(r.Lost == 0 && r.Duplicated == 0 && r.OutOfOrder == 0)})
	}

	r.Notes = append(r.Notes,
		"Latency runs from the writer's receipt of the cancelOrder answer (sent after COMMIT returned) to the subscriber's read of the event, before decoding it; both clocks are this process's. It is a lower bound by at most the answer's trip back; p99FromSendMs, from before the mutation was sent, is an upper bound.",
		"One websocket per subscriber, one subscription each, all from this one Go process: the client shares the 2 cores with the server and PostgreSQL. Each phase's CPU column says how the three shared them (database: the private cluster's processes; none on DATABASE_URL's server).",
		"Status changes are cancelOrder of DRAFT orders made by createOrder, each with a reason naming the change; the events of the creations themselves happened before the subscribers connected.",
		"Write path: 0 subscribers. 'on': the doorbell trigger rings the broker, which reads the outbox on each wake-up; 'doorbell only': the trigger's function rings a channel nobody listens to (the NOTIFY's cost, no broker reads); 'off': the trigger disabled (ALTER TABLE order_events DISABLE TRIGGER order_events_doorbell). Periods go on, doorbell only, off, then the reverse; the figures are medians.",
		"Memory per subscriber is (VmRSS with n idle subscribers - VmRSS with none) / n, 3 s after the last subscriber received its first event.")
	if len(r.Closed) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Sockets that ended or misbehaved: %v", r.Closed))
	}
	if r.Resumed > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d times a subscriber closed with 1013 resumed with after: its last cursor.", r.Resumed))
	}
	if len(r.DialRetries) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Websocket dials that failed and were retried (up to 4 times, backing off from 200 ms): %v", r.DialRetries))
	}
	if r.Stopped != "" {
		r.Notes = append([]string{"**The run stopped early " + r.Stopped + "**"}, r.Notes...)
	}
}

// WriteMedian is an operation's median rate in each mode.
type WriteMedian struct {
	Operation    string  `json:"operation"`
	On           float64 `json:"on"`
	DoorbellOnly float64 `json:"doorbellOnly"`
	Off          float64 `json:"off"`
}

// Failed says what went wrong, if anything did.
func (r *FeedReport) Failed() []string {
	var bad []string
	if r.Lost > 0 || r.Duplicated > 0 || r.OutOfOrder > 0 {
		bad = append(bad, fmt.Sprintf("%d lost, %d duplicated, %d out of order", r.Lost, r.Duplicated, r.OutOfOrder))
	}
	if r.Stopped != "" {
		bad = append(bad, "stopped "+r.Stopped)
	}
	if len(r.Closed) > 0 {
		bad = append(bad, fmt.Sprintf("sockets ended: %v", r.Closed))
	}
	for _, p := range append(append([]FeedPhase{}, r.Bursts...), r.Steps...) {
		if p.WriteErrors > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d writes failed", p.Name, p.WriteErrors))
		}
	}
	return bad
}

// write puts <date>-<commit>-feed.json and .md into dir.
func (r *FeedReport) write(dir string) ([]string, error) {
	return writeReport(dir, reportName(r.Date, r.Commit, r.Dirty, "-feed"), r, r.Markdown())
}

// Markdown is the report as a page.
func (r *FeedReport) Markdown() string {
	var b strings.Builder
	dirty := ""
	if r.Dirty {
		dirty = " (with uncommitted changes)"
	}
	m := r.Machine
	fmt.Fprintf(&b, "# Live feed benchmark, %s\n\n", r.Date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Commit `%s`%s. `%s`\n\n", r.Commit, dirty, r.Command)
	fmt.Fprintf(&b, "Machine: %s, %d cores, %d MB, Linux %s, %s, PostgreSQL %s (%s); load average %.1f at the start, %.1f at the end.\n\n",
		m.CPU, m.Cores, m.MemoryMB, m.Kernel, m.Go, m.PostgreSQL, m.Database, m.LoadAverage[0], m.LoadAverage[1])
	recheck := "the default, 2s"
	if r.Settings.SocketRecheck != "" {
		recheck = r.Settings.SocketRecheck
	}
	fmt.Fprintf(&b, "Server: `salesgraph serve` with `--socket-recheck` %s (the open websockets' users are re-read that often, one statement per 1,000 distinct users).\n\n", recheck)
	fmt.Fprintf(&b, "Subscription (one per websocket, graphql-transport-ws): `%s`\n\n", r.Query)

	b.WriteString("## Targets (issue 10)\n\n| What | Target | Measured | |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.What, t.Goal, t.Measured, t.Met)
	}
	fmt.Fprintf(&b, "\nHighest rate held at %d subscribers with p99 under 1 s (no loss): **%.1f changes/s**.\n", r.Settings.ThroughputSubs, r.BestRate)

	b.WriteString("\n## Fan-out\n\n| Phase | Subscribers | Changes | Write rate /s | Deliveries | Deliveries /s | p50 ms | p90 ms | p99 ms | max ms | p50 / p99 from send ms | Read before the answer | Lost | Dup | Out of order | CPU s: server / bench / database | RSS MB |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	rows := append(append([]FeedPhase{}, r.Bursts...), r.Steps...)
	if r.Held != nil {
		rows = append(rows, *r.Held)
	}
	for _, p := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %.1f | %d | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f / %.1f | %d | %d | %d | %d | %.1f / %.1f / %s | %.0f |\n",
			p.Name, p.Subscribers, p.Changes, p.WriteRate, p.Deliveries, p.DeliveryRate, p.P50Ms, p.P90Ms, p.P99Ms, p.MaxMs, p.P50FromSendMs, p.P99FromSendMs, p.BeforeAnswer,
			p.Lost, p.Duplicated, p.OutOfOrder, p.ServerCPUSecs, p.ClientCPUSecs, dash(p.DatabaseCPUSecs, "%.1f"), p.RSSMB)
	}

	b.WriteString("\n## Server memory (VmRSS)\n\n| Idle subscribers | RSS MB | KiB per subscriber | Goroutines | Stacks MB | Heap in use MB |\n|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range r.Memory {
		fmt.Fprintf(&b, "| %d | %.1f | %s | %d | %.1f | %.1f |\n", x.Subscribers, x.RSSMB, dash(x.PerSubscriberKiB, "%.1f"), x.Goroutines, x.StackMB, x.HeapInuseMB)
	}
	fmt.Fprintf(&b, "\nConnecting (and a first event to every subscriber) took %v s per step.\n", r.ConnectSecs)

	fmt.Fprintf(&b, "\n## Write path with the feed on and off (0 subscribers, %d writers)\n\n| Operation | Feed on /s | Doorbell only /s | Off /s |\n|---|---:|---:|---:|\n", r.Settings.Writers)
	for _, w := range r.WriteMedians {
		fmt.Fprintf(&b, "| %s (median) | %.0f | %.0f | %.0f |\n", w.Operation, w.On, w.DoorbellOnly, w.Off)
	}
	b.WriteString("\n| Operation | Feed | Requests | Seconds | Per second | p50 ms | p99 ms |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, w := range r.Writes {
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f | %.0f | %.1f | %.1f |\n", w.Operation, w.Feed,
			w.Requests, w.Seconds, w.PerSecond, w.P50Ms, w.P99Ms)
	}
	fmt.Fprintf(&b, "\ncancelOrder, median of the periods: **%.0f/s with the feed on, %.0f/s with the doorbell only, %.0f/s off**: the feed costs %.1f %% of the write rate, the doorbell alone %.1f %%.\n",
		r.WriteOn, r.WriteDoorbellOnly, r.WriteOff, r.WriteCostPc, r.DoorbellCostPc)

	b.WriteString("\n## Notes\n\n")
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}
