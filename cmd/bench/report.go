package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Report is one run: what was measured, where, and against which targets.
type Report struct {
	Date     time.Time `json:"date"`
	Commit   string    `json:"commit"`
	Dirty    bool      `json:"dirty"`
	Machine  Machine   `json:"machine"`
	Settings Settings  `json:"settings"`
	Load     LoadInfo  `json:"load"`
	// RSSReset says whether peak RSS was reset before each scenario
	// (/proc/<pid>/clear_refs); if not, each figure is the peak since start.
	RSSReset         bool              `json:"rssResetPerScenario"`
	Results          []*Result         `json:"scenarios"`
	ReplayStatements []ReplayStatement `json:"replayStatements,omitempty"`
	Ratios           []Ratio           `json:"serverToReplayRatios,omitempty"`
	Targets          []Target          `json:"targets"`
	Notes            []string          `json:"notes"`
}

type Machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	MemoryMB   int64  `json:"memoryMB"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	PostgreSQL string `json:"postgresql"`
	Database   string `json:"database"` // "DATABASE_URL" or "private cluster"
	// LoadAverage is /proc/loadavg's 1-minute figure at the start and at the
	// end of the run: above the core count, other work competed for the CPUs.
	LoadAverage [2]float64 `json:"loadAverage"`
}

type Settings struct {
	Scale       int     `json:"scale"`
	DurationSec float64 `json:"durationSeconds"`
	WarmupSec   float64 `json:"warmupSeconds"`
	Scenarios   string  `json:"scenarios"`
	Page        int     `json:"page"`
	PageSizes   []int   `json:"pageSizes"`
}

// LoadInfo is how long seed --scale took to load the data set.
type LoadInfo struct {
	Orders        int     `json:"orders"`
	Rows          int64   `json:"rows"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rowsPerSecond"`
	Output        string  `json:"seedOutput"`
}

// Result is one scenario's figures.
type Result struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"` // graphql (through the server) or replay (SQL straight from Go)
	Operation   string `json:"operation,omitempty"`
	Connections int    `json:"connections"`
	PageSize    int    `json:"pageSize,omitempty"`

	Requests          int64    `json:"requests"`
	Errors            int64    `json:"errors"`
	WarmupRequests    int64    `json:"warmupRequests"`
	WarmupErrors      int64    `json:"warmupErrors"`
	ErrorSamples      []string `json:"errorSamples,omitempty"`
	Seconds           float64  `json:"seconds"`
	RequestsPerSecond float64  `json:"requestsPerSecond"`
	P50Ms             float64  `json:"p50Ms"`
	P90Ms             float64  `json:"p90Ms"`
	P99Ms             float64  `json:"p99Ms"`
	MaxMs             float64  `json:"maxMs"`

	// From the server's request log (graphql) or the replayed page (replay).
	LoggedResponses         int64   `json:"loggedResponses,omitempty"`
	SQLStatementsPerRequest float64 `json:"sqlStatementsPerRequest"`
	SQLStatementsMax        int64   `json:"sqlStatementsMax"`
	SQLMsPerRequest         float64 `json:"sqlMsPerRequest"`

	ServerCPUMsPerRequest float64 `json:"serverCpuMsPerRequest,omitempty"`
	PeakRSSMB             float64 `json:"peakRssMB,omitempty"`
	PeakRSSSinceStart     bool    `json:"peakRssSinceStart,omitempty"`
	Exhausted             bool    `json:"exhausted,omitempty"`
	Note                  string  `json:"note,omitempty"`
}

type ReplayStatement struct {
	Query string `json:"query"`
	Args  int    `json:"args"`
}

// Ratio is the server's orders page against its replayed SQL at the same connections.
type Ratio struct {
	Connections int     `json:"connections"`
	Server      float64 `json:"serverPagesPerSecond"`
	Replay      float64 `json:"replayPagesPerSecond"`
	Percent     float64 `json:"percent"`
}

// Target is one of issue 7's targets next to the figure measured.
type Target struct {
	What     string `json:"what"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	// Met is "met", "missed" or "not run".
	Met string `json:"met"`
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func newResult(m scenarioMeta, kind string, lr *loadResult) *Result {
	r := &Result{ID: m.ID, Name: m.Name, Kind: kind, Operation: m.Operation, Connections: m.Connections, PageSize: m.PageSize,
		Requests: lr.requests, Errors: lr.errors, ErrorSamples: lr.errorMsgs, WarmupRequests: lr.warmRequests, WarmupErrors: lr.warmErrors, Seconds: round2(lr.elapsed.Seconds()),
		P50Ms: percentile(lr.lat, 0.50), P90Ms: percentile(lr.lat, 0.90), P99Ms: percentile(lr.lat, 0.99), Exhausted: lr.exhausted}
	if len(lr.lat) > 0 {
		r.MaxMs = ms(lr.lat[len(lr.lat)-1])
	}
	if lr.elapsed > 0 {
		r.RequestsPerSecond = round2(float64(lr.requests) / lr.elapsed.Seconds())
	}
	return r
}

// Summary is the one-line progress report of a result.
func (r *Result) Summary() string {
	return fmt.Sprintf("%d requests, %.1f req/s, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, %d errors, %.1f statements and %.2f ms SQL per request, %.2f ms server CPU per request, peak RSS %.0f MB",
		r.Requests, r.RequestsPerSecond, r.P50Ms, r.P90Ms, r.P99Ms, r.Errors, r.SQLStatementsPerRequest, r.SQLMsPerRequest, r.ServerCPUMsPerRequest, r.PeakRSSMB)
}

func newReport(ctx context.Context, o options) *Report {
	r := &Report{Date: time.Now().UTC().Truncate(time.Second),
		Settings: Settings{Scale: o.Scale, DurationSec: o.Duration.Seconds(), WarmupSec: o.Warmup.Seconds(), Scenarios: o.Scenarios,
			Page: o.Page, PageSizes: o.PageSizes}}
	r.Commit, r.Dirty = gitState(ctx, o.ModuleRoot)
	r.Machine = machine(ctx, o.ModuleRoot)
	r.Machine.Database = "private cluster"
	r.Machine.LoadAverage[0] = loadAverage()
	if o.DatabaseURL != "" {
		r.Machine.Database = "DATABASE_URL's server"
	}
	return r
}

func gitState(ctx context.Context, dir string) (commit string, dirty bool) {
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "unknown", false
	}
	commit = strings.TrimSpace(string(out))
	cmd = exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no")
	cmd.Dir = dir
	out, err = cmd.Output()
	return commit, err != nil || len(strings.TrimSpace(string(out))) > 0
}

func machine(ctx context.Context, dir string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION") // the toolchain that builds the server
	cmd.Dir = dir
	if out, err := cmd.Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				m.MemoryMB = kb / 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

func (r *Report) find(id string, conns, page int) *Result {
	for _, x := range r.Results {
		if x.ID == id && x.Connections == conns && (page == 0 || x.PageSize == page) {
			return x
		}
	}
	return nil
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

// finish computes the ratios and checks the targets.
func (r *Report) finish() {
	r.Machine.LoadAverage[1] = loadAverage()
	for _, c := range []int{1, 16, 64} {
		s, p := r.find("orders", c, r.Settings.Page), r.find("replay", c, r.Settings.Page)
		if s != nil && p != nil && p.RequestsPerSecond > 0 && len(s.failure()) == 0 && len(p.failure()) == 0 {
			r.Ratios = append(r.Ratios, Ratio{Connections: c, Server: s.RequestsPerSecond, Replay: p.RequestsPerSecond,
				Percent: round2(100 * s.RequestsPerSecond / p.RequestsPerSecond)})
		}
	}
	t := func(what, goal string, res *Result, measured func(*Result) (string, bool)) {
		tg := Target{What: what, Goal: goal, Met: "not run"}
		if res != nil {
			var ok bool
			tg.Measured, ok = measured(res)
			tg.Met = map[bool]string{true: "met", false: "missed"}[ok]
			// A figure of wrong answers meets nothing.
			if res.Errors > 0 || res.WarmupErrors > 0 {
				tg.Measured += fmt.Sprintf(" (but %d of %d answers were errors)", res.Errors+res.WarmupErrors, res.Requests+res.WarmupRequests)
				tg.Met = "missed"
			}
		}
		r.Targets = append(r.Targets, tg)
	}
	o16 := r.find("orders", 16, 50)
	t("orders page, 50 per page, 16 connections: throughput", "≥ 600 req/s", o16, func(x *Result) (string, bool) {
		return fmt.Sprintf("%.1f req/s", x.RequestsPerSecond), x.RequestsPerSecond >= 600
	})
	t("orders page @16: p99", "≤ 60 ms", o16, func(x *Result) (string, bool) { return fmt.Sprintf("%.1f ms", x.P99Ms), x.P99Ms <= 60 })
	t("orders page @16: server CPU per page", "≈ 2 ms (≤ 2.0)", o16, func(x *Result) (string, bool) {
		return fmt.Sprintf("%.2f ms", x.ServerCPUMsPerRequest), x.ServerCPUMsPerRequest <= 2.0
	})
	var ratio16 *Result
	var pct float64
	if o16 != nil && r.find("replay", 16, 50) != nil {
		ratio16 = o16 // missed on errors, with no ratio to give
	}
	for _, q := range r.Ratios {
		if q.Connections == 16 && r.Settings.Page == 50 {
			pct = q.Percent
		}
	}
	t("orders page @16: share of the replayed-SQL ceiling @16", "≥ 35 %", ratio16, func(*Result) (string, bool) {
		if pct == 0 {
			return "no ratio", false
		}
		return fmt.Sprintf("%.1f %%", pct), pct >= 35
	})
	t("orders page @16: SQL statements per page, constant in page size (10/50/100)", "≤ 6, equal", o16, func(*Result) (string, bool) {
		var parts []string
		ok := true
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range []int{10, 50, 100} {
			x := r.find("orders", 16, p)
			if x == nil {
				continue
			}
			parts = append(parts, fmt.Sprintf("%d: %.2f (max %d)", p, x.SQLStatementsPerRequest, x.SQLStatementsMax))
			if x.failure() != "" {
				parts[len(parts)-1] += " " + x.failure()
			}
			ok = ok && x.SQLStatementsMax <= 6 && x.LoggedResponses > 0 && x.failure() == ""
			lo, hi = min(lo, x.SQLStatementsPerRequest), max(hi, x.SQLStatementsPerRequest)
		}
		return strings.Join(parts, ", "), ok && hi-lo < 0.5
	})
	t("orders page @16: peak RSS", "≤ 150 MB", o16, func(x *Result) (string, bool) {
		s := fmt.Sprintf("%.0f MB", x.PeakRSSMB)
		if x.PeakRSSSinceStart {
			s += " (since start)"
		}
		return s, x.PeakRSSMB <= 150
	})
	t("orders page, 1 connection: p50", "≤ 4 ms", r.find("orders", 1, 50), func(x *Result) (string, bool) {
		return fmt.Sprintf("%.1f ms", x.P50Ms), x.P50Ms <= 4
	})
	t("one order by number, 16 connections", "≥ 3,000 req/s", r.find("bynumber", 16, 0), func(x *Result) (string, bool) {
		return fmt.Sprintf("%.1f req/s", x.RequestsPerSecond), x.RequestsPerSecond >= 3000
	})
	t("customers page with search, 200 clients: p99", "≤ 500 ms", r.find("customers", 200, 0), func(x *Result) (string, bool) {
		return fmt.Sprintf("%.1f ms", x.P99Ms), x.P99Ms <= 500
	})
	var total, errs int64
	for _, x := range r.Results {
		total += x.Requests + x.WarmupRequests
		errs += x.Errors + x.WarmupErrors
	}
	t("every scenario", "0 errors", &Result{}, func(*Result) (string, bool) {
		return fmt.Sprintf("%d errors in %d requests", errs, total), errs == 0 && len(r.Failed()) == 0
	})

	r.Notes = append(r.Notes,
		fmt.Sprintf("The machine has %d cores, shared by the load generator, the server, PostgreSQL and any other work on it (other sessions' builds and tests may have run at the same time): figures vary from run to run. Load average (1 min) at the start %.2f, at the end %.2f.",
			r.Machine.Cores, r.Machine.LoadAverage[0], r.Machine.LoadAverage[1]),
		"Closed loop: each client has its own keep-alive connection and sends its next request when the previous answer arrived. Every answer is checked: HTTP 200, no errors, and the expected shape.",
		"SQL statements and DB time per request come from the server's request log (sqlStatements, sqlMs) of the measured requests; server CPU is utime+stime of the salesgraph process over the measured period, divided by its requests.",
		"The replay runs the statements the orders page sent (captured once through an in-process graph handler with db.WithRecorder, including the token's user lookup) one after another per page, over database/sql with a pool of as many connections as clients; its latency is the page's database time.")
	if !r.RSSReset {
		r.Notes = append(r.Notes, "Peak RSS could not be reset between scenarios (/proc/<pid>/clear_refs refused): each figure is the peak since the server started.")
	} else {
		r.Notes = append(r.Notes, "Peak RSS (VmHWM) is reset before each scenario by writing 5 to /proc/<pid>/clear_refs.")
	}
}

// failure says what was wrong with a scenario's run, or "".
func (x *Result) failure() string {
	switch {
	case x.Errors > 0 || x.WarmupErrors > 0:
		return fmt.Sprintf("(%d errors)", x.Errors+x.WarmupErrors)
	case x.Requests == 0:
		return "(no measured requests)"
	}
	return ""
}

// Failed names the scenarios with errors (warm-up included) or without any measured request.
func (r *Report) Failed() []string {
	var bad []string
	for _, x := range r.Results {
		if x.failure() != "" {
			bad = append(bad, fmt.Sprintf("%s @%d %s", x.Name, x.Connections, x.failure()))
		}
	}
	return bad
}

// write puts <date>-<commit>.json and .md into dir.
func (r *Report) write(dir string) ([]string, error) {
	return writeReport(dir, reportName(r.Date, r.Commit, r.Dirty, ""), r, r.Markdown())
}

// reportName is a report's file name without extension:
// <date>-<commit, 10 hex digits><suffix>, and -dirty for a checkout with changes.
func reportName(date time.Time, commit string, dirty bool, suffix string) string {
	short := commit
	if len(short) > 10 {
		short = short[:10]
	}
	name := date.Format("2006-01-02") + "-" + short + suffix
	if dirty {
		name += "-dirty"
	}
	return name
}

// writeReport puts report as name.json and markdown as name.md into dir;
// a second run of the same commit on the same day gets -2, -3, …
func writeReport(dir, name string, report any, markdown string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return nil, err
	}
	base := filepath.Join(dir, name)
	for i := 2; ; i++ {
		if _, err := os.Stat(base + ".json"); errors.Is(err, fs.ErrNotExist) {
			break
		}
		base = filepath.Join(dir, fmt.Sprintf("%s-%d", name, i))
	}
	if err := os.WriteFile(base+".json", append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(base+".md", []byte(markdown), 0o644); err != nil {
		return nil, err
	}
	return []string{base + ".json", base + ".md"}, nil
}

func dash(f float64, format string) string {
	if f == 0 {
		return "–"
	}
	return fmt.Sprintf(format, f)
}

// Markdown is the report as a page: settings, the scenarios' table, the targets.
func (r *Report) Markdown() string {
	var b strings.Builder
	dirty := ""
	if r.Dirty {
		dirty = " (with uncommitted changes)"
	}
	fmt.Fprintf(&b, "# Benchmark %s, commit %s%s\n\n", r.Date.Format("2006-01-02 15:04 UTC"), r.Commit, dirty)
	m := r.Machine
	fmt.Fprintf(&b, "- Machine: %s, %d cores, %d MB memory, Linux %s; %s; PostgreSQL %s (%s)\n", m.CPU, m.Cores, m.MemoryMB, m.Kernel, m.Go, m.PostgreSQL, m.Database)
	sizes := make([]string, len(r.Settings.PageSizes))
	for i, p := range r.Settings.PageSizes {
		sizes[i] = strconv.Itoa(p)
	}
	fmt.Fprintf(&b, "- Settings: `go run ./cmd/bench -scale %d -duration %s -warmup %s -scenarios %s -page %d -page-sizes '%s'`\n", r.Settings.Scale,
		time.Duration(r.Settings.DurationSec*float64(time.Second)), time.Duration(r.Settings.WarmupSec*float64(time.Second)), r.Settings.Scenarios,
		r.Settings.Page, strings.Join(sizes, ","))
	fmt.Fprintf(&b, "- Data set: `seed --scale %d` loaded %d rows in %.1f s (%.0f rows/s)\n\n", r.Load.Orders, r.Load.Rows, r.Load.Seconds, r.Load.RowsPerSecond)

	b.WriteString("| scenario | conns | req/s | p50 ms | p90 ms | p99 ms | errors | SQL stmts/req | SQL ms/req | server CPU ms/req | peak RSS MB |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range r.Results {
		stmts := fmt.Sprintf("%.2f", x.SQLStatementsPerRequest)
		if x.SQLStatementsMax > 0 && float64(x.SQLStatementsMax) != x.SQLStatementsPerRequest {
			stmts += fmt.Sprintf(" (max %d)", x.SQLStatementsMax)
		}
		name := x.Name
		if x.Note != "" {
			name += " — " + x.Note
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %d | %s | %s | %s | %s |\n", name, x.Connections, x.RequestsPerSecond,
			x.P50Ms, x.P90Ms, x.P99Ms, x.Errors, stmts, dash(x.SQLMsPerRequest, "%.2f"), dash(x.ServerCPUMsPerRequest, "%.2f"), dash(x.PeakRSSMB, "%.0f"))
	}
	if len(r.Ratios) > 0 {
		fmt.Fprintf(&b, "\nOrders page (%d per page) through the server", r.Settings.Page)
		b.WriteString(" against its SQL replayed from Go:\n\n| conns | server pages/s | replayed pages/s | server / replay |\n|---:|---:|---:|---:|\n")
		for _, q := range r.Ratios {
			fmt.Fprintf(&b, "| %d | %.1f | %.1f | %.1f %% |\n", q.Connections, q.Server, q.Replay, q.Percent)
		}
	}
	b.WriteString("\nIssue 7's targets:\n\n| target | goal | measured | |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.What, t.Goal, t.Measured, t.Met)
	}
	var errs []string
	for _, x := range r.Results {
		if len(x.ErrorSamples) > 0 { // the first; the JSON has more
			errs = append(errs, fmt.Sprintf("- %s @%d: %s", x.Name, x.Connections, strings.ReplaceAll(x.ErrorSamples[0], "\n", " ")))
		}
	}
	if len(errs) > 0 {
		b.WriteString("\nErrors (samples):\n\n" + strings.Join(errs, "\n") + "\n")
	}
	b.WriteString("\nNotes:\n\n")
	for _, n := range r.Notes {
		b.WriteString("- " + n + "\n")
	}
	return b.String()
}
