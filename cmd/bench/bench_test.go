package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestBench_SmokeRun runs the whole benchmark at a tiny scale: its own
// database, the built server, every scenario. Each must have sent requests
// and got only right answers, and the reports must hold the figures.
//
// Pages of 10, 5 and 20 keep the orders page under the query cost limit
// today: at 50 per page it is refused as QUERY_TOO_COMPLEX (lines may
// number 500 per order), which the full run reports as errors.
func TestBench_SmokeRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	opts := defaultOptions()
	opts.Scale, opts.Duration, opts.Warmup = 300, time.Second, 200*time.Millisecond
	opts.Page, opts.PageSizes = 10, []int{5, 20}
	opts.Out, opts.Quiet, opts.Progress = out, true, testWriter{t}
	opts.DatabaseURL = os.Getenv("TEST_DATABASE_URL") // else the private cluster, as the other tests
	rep, files, err := run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]int{"orders": 5, "replay": 3, "bynumber": 1, "customers": 1, "create": 1, "confirm": 1}
	got := map[string]int{}
	for _, r := range rep.Results {
		got[r.ID]++
		if r.Requests == 0 || r.Errors != 0 || r.WarmupErrors != 0 || r.RequestsPerSecond <= 0 || r.P50Ms <= 0 || r.P99Ms < r.P50Ms {
			t.Errorf("%s @%d: %d requests, %d errors %q, %.1f req/s, p50 %.2f ms, p99 %.2f ms: want requests, no errors, sane latencies",
				r.Name, r.Connections, r.Requests, r.Errors, r.ErrorSamples, r.RequestsPerSecond, r.P50Ms, r.P99Ms)
		}
		if r.SQLStatementsPerRequest <= 0 || r.SQLMsPerRequest <= 0 {
			t.Errorf("%s @%d: %.2f statements, %.2f ms SQL per request: want both from the server's log (or the replay)",
				r.Name, r.Connections, r.SQLStatementsPerRequest, r.SQLMsPerRequest)
		}
		if r.Kind == "graphql" {
			if r.LoggedResponses < r.Requests {
				t.Errorf("%s @%d: the server logged %d responses for %d measured requests", r.Name, r.Connections, r.LoggedResponses, r.Requests)
			}
			if r.ServerCPUMsPerRequest <= 0 || r.PeakRSSMB <= 0 {
				t.Errorf("%s @%d: server CPU %.2f ms per request, peak RSS %.0f MB: want both measured", r.Name, r.Connections, r.ServerCPUMsPerRequest, r.PeakRSSMB)
			}
		}
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%d results of scenario %s, want %d", got[id], id, n)
		}
	}
	if len(rep.Ratios) != 3 || len(rep.ReplayStatements) == 0 {
		t.Errorf("ratios %+v, %d replayed statements: want a ratio per concurrency and the statements", rep.Ratios, len(rep.ReplayStatements))
	}
	if rep.Load.Rows == 0 || rep.Load.RowsPerSecond == 0 {
		t.Errorf("load %+v: want rows and rows/s from seed", rep.Load)
	}

	if len(files) != 2 {
		t.Fatalf("files %q: want a JSON and a Markdown report", files)
	}
	for _, f := range files {
		if filepath.Dir(f) != out {
			t.Errorf("report %s is not in -out %s", f, out)
		}
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", files[0], err)
	}
	for _, k := range []string{"commit", "dirty", "machine", "settings", "load", "scenarios", "targets", "notes"} {
		if _, ok := j[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	m, _ := j["machine"].(map[string]any)
	for _, k := range []string{"cpu", "cores", "memoryMB", "kernel", "go", "postgresql"} {
		if v, ok := m[k]; !ok || v == "" || v == 0.0 {
			t.Errorf("machine.%s is %v", k, v)
		}
	}
	md, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| orders page, 10 per page | 16 |", "| confirmOrder (write path) | 8 |", "| customers page with search | 200 |",
		"server / replay", "≥ 600 req/s", "2 cores"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("Markdown report lacks %q", s)
		}
	}
}

func TestParseSeed(t *testing.T) {
	li := parseSeed("Loaded a company at scale:\n  sales_orders 300 rows\n42687 rows in 1.7s (25572 rows/s).\n", 300)
	if li.Rows != 42687 || li.Seconds != 1.7 || li.RowsPerSecond != 25572 || li.Orders != 300 {
		t.Errorf("parseSeed: %+v", li)
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	if p50, p99, p100 := percentile(lat, .5), percentile(lat, .99), percentile(lat, 1); p50 != 50 || p99 != 99 || p100 != 100 {
		t.Errorf("p50 %v p99 %v p100 %v, want 50 99 100", p50, p99, p100)
	}
}

// TestReport_ErrorsMeetNoTarget: a scenario whose answers were errors (the
// server refusing the page is fast) misses every target it stands for, and
// gives no ratio to the replay.
func TestReport_ErrorsMeetNoTarget(t *testing.T) {
	r := &Report{Settings: Settings{Page: 50}}
	fast := func(conns, page int, errs int64) *Result {
		return &Result{ID: "orders", Name: "orders page", Kind: "graphql", Connections: conns, PageSize: page,
			Requests: 1000, Errors: errs, RequestsPerSecond: 3000, P50Ms: 0.5, P99Ms: 5, ServerCPUMsPerRequest: 0.2, PeakRSSMB: 30,
			LoggedResponses: 1000, SQLStatementsPerRequest: 5, SQLStatementsMax: 5}
	}
	r.Results = []*Result{fast(1, 50, 1000), fast(16, 50, 0), fast(64, 50, 0), fast(16, 10, 0), fast(16, 100, 0),
		{ID: "replay", Kind: "replay", Connections: 16, PageSize: 50, Requests: 100, RequestsPerSecond: 100}}
	r.Results[1].WarmupErrors = 3 // wrong answers in the warm-up count too
	r.finish()
	for _, tg := range r.Targets {
		if strings.Contains(tg.What, "orders page") && tg.Met != "missed" {
			t.Errorf("target %q is %q (%s), want missed: the page's answers were errors", tg.What, tg.Met, tg.Measured)
		}
	}
	if len(r.Ratios) != 0 {
		t.Errorf("ratios %+v, want none for a scenario with errors", r.Ratios)
	}
	if bad := r.Failed(); len(bad) != 2 {
		t.Errorf("Failed() = %q, want the two scenarios with errors", bad)
	}
}
