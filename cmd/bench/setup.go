package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"

	"salesgraph/demo"
	"salesgraph/pgcluster"
)

// options are the benchmark's settings; main fills them from flags.
type options struct {
	Scale     int
	Duration  time.Duration
	Warmup    time.Duration
	Scenarios string
	// Page is the orders page's size at 1, 16 and 64 connections and in the
	// replay; PageSizes are the other sizes, at 16 connections.
	Page        int
	PageSizes   []int
	Out         string
	Keep        bool
	Quiet       bool
	DatabaseURL string
	// ModuleRoot is where `go build` runs and Out is relative to; empty: found with `go env GOMOD`.
	ModuleRoot string
	// Progress receives what the run is doing; nil means stderr.
	Progress io.Writer
}

func defaultOptions() options {
	return options{Scale: 50000, Duration: 10 * time.Second, Warmup: 2 * time.Second, Scenarios: "all", Out: "docs/benchmarks",
		Page: 50, PageSizes: []int{10, 100}}
}

// env is one run's database, server binary and server process.
type env struct {
	opts     options
	progress io.Writer
	tmp      string
	bin      string
	dbName   string
	dbURL    string // the benchmark database
	adminURL string // the server's maintenance database, for CREATE/DROP
	cluster  *pgcluster.Cluster
	secret   string
	token    string
	loadInfo LoadInfo

	server *serverProc
	// serveArgs are more flags for salesgraph serve (the feed's connection
	// cap), serveEnv more of its environment (the feed's PPROF_ADDR).
	serveArgs, serveEnv []string
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.progress, "bench: "+format+"\n", args...)
}

// run does the whole benchmark and writes the reports.
func run(ctx context.Context, opts options) (*Report, []string, error) {
	scen, err := parseScenarios(opts.Scenarios)
	if err != nil {
		return nil, nil, err
	}
	if opts.Scale < 1 || opts.Scale > demo.MaxScale {
		return nil, nil, fmt.Errorf("-scale must be between 1 and %d", demo.MaxScale)
	}
	for _, p := range append([]int{opts.Page}, opts.PageSizes...) {
		if p < 1 || p > 100 {
			return nil, nil, fmt.Errorf("page sizes must be between 1 and 100, not %d", p)
		}
	}
	if opts.Duration <= 0 || opts.Warmup < 0 {
		return nil, nil, errors.New("-duration must be positive and -warmup not negative")
	}
	e := &env{opts: opts, progress: opts.Progress}
	if e.progress == nil {
		e.progress = os.Stderr
	}
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

	rep := newReport(ctx, e.opts)
	if err := e.prepare(ctx); err != nil {
		return nil, nil, err
	}
	rep.Load = e.loadInfo
	rep.Machine.PostgreSQL = e.postgresVersion(ctx)
	if err := e.startServer(ctx); err != nil {
		return nil, nil, err
	}
	if err := runScenarios(ctx, e, scen, rep); err != nil {
		return nil, nil, err
	}
	rep.finish()
	out := e.opts.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(e.opts.ModuleRoot, out)
	}
	files, err := rep.write(out)
	return rep, files, err
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the benchmark inside the salesgraph module (go run ./cmd/bench from its root)")
	}
	return filepath.Dir(mod), nil
}

// prepare creates the database, builds the server, migrates, seeds and mints a token.
func (e *env) prepare(ctx context.Context) error {
	if err := e.createDatabase(ctx); err != nil {
		return err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	e.secret = hex.EncodeToString(raw[:]) // this run's only: never printed, never kept

	e.logf("building the server (go build -o %s .)", filepath.Join(e.tmp, "salesgraph"))
	e.bin = filepath.Join(e.tmp, "salesgraph")
	build := exec.CommandContext(ctx, "go", "build", "-o", e.bin, ".")
	build.Dir = e.opts.ModuleRoot
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	if _, err := e.salesgraph(ctx, "migrate", "up"); err != nil {
		return err
	}
	e.logf("loading the scale data set: salesgraph seed --scale %d", e.opts.Scale)
	out, err := e.salesgraph(ctx, "seed", "--scale", strconv.Itoa(e.opts.Scale))
	if err != nil {
		return err
	}
	e.loadInfo = parseSeed(out, e.opts.Scale)
	e.logf("loaded %d rows in %.1f s (%.0f rows/s)", e.loadInfo.Rows, e.loadInfo.Seconds, e.loadInfo.RowsPerSecond)
	if !e.opts.Quiet {
		fmt.Fprint(e.progress, out)
	}
	// seed --scale analyses what it loaded; an older server's (-server) did
	// not, and every commit is measured on current statistics, as autovacuum
	// would leave them on a live system.
	if err := e.analyze(ctx); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	tok, err := e.salesgraph(ctx, "token", "--user", demo.AdminEmail, "--ttl", "12h")
	if err != nil {
		return err
	}
	e.token = strings.TrimSpace(tok)
	return nil
}

// createDatabase makes salesgraph_bench_<unix time> on DATABASE_URL's server
// or on the private cluster.
func (e *env) createDatabase(ctx context.Context) error {
	if e.opts.DatabaseURL != "" {
		e.adminURL = e.opts.DatabaseURL
	} else {
		c, err := pgcluster.Start(ctx, pgcluster.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return err
		}
		e.cluster = c
		e.adminURL = c.URL("postgres")
		e.logf("private PostgreSQL cluster in %s", c.DataDir())
	}
	admin, err := sql.Open("postgres", e.adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	base := fmt.Sprintf("salesgraph_bench_%d", time.Now().Unix())
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		_, err = admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
		if err == nil {
			e.dbName = name
			break
		}
		if pqErr, ok := errors.AsType[*pq.Error](err); ok && pqErr.Code == "42P04" && i < 20 { // duplicate_database: another run this second
			continue
		}
		return fmt.Errorf("create the benchmark database %s: %w", name, err)
	}
	if e.cluster != nil {
		e.dbURL = e.cluster.URL(e.dbName)
	} else {
		e.dbURL = withDatabase(e.opts.DatabaseURL, e.dbName)
	}
	e.logf("created database %s", e.dbName)
	return nil
}

// withDatabase returns connection string u with its database replaced.
func withDatabase(u, db string) string {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		if p, err := url.Parse(u); err == nil {
			p.Path, p.RawPath = "/"+db, ""
			return p.String()
		}
	}
	// Keyword/value: a repeated keyword wins over an earlier one.
	return u + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db) + "'"
}

// cleanup stops the server, drops the database (unless -keep) and releases the cluster.
func (e *env) cleanup() {
	if e.server != nil {
		e.server.stop()
	}
	if e.dbName != "" {
		if e.opts.Keep {
			e.logf("kept database %s", e.dbName)
		} else if admin, err := sql.Open("postgres", e.adminURL); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(e.dbName)+" WITH (FORCE)"); err != nil {
				e.logf("drop database %s: %v", e.dbName, err)
			}
			cancel()
			admin.Close()
		}
	}
	if e.cluster != nil {
		if err := e.cluster.Release(); err != nil {
			e.logf("release the private cluster: %v", err)
		}
	}
}

// childEnv is the environment of the server's processes: the benchmark
// database and secret, JSON logs, and nothing of the caller's own settings.
func (e *env) childEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "JWT_SECRET", "ADDR", "LOG_FORMAT", "LOG_LEVEL", "SALESGRAPH_PGDATA", "PPROF_ADDR":
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "DATABASE_URL="+e.dbURL, "JWT_SECRET="+e.secret, "LOG_FORMAT=json", "LOG_LEVEL=info")
	return append(out, extra...)
}

// salesgraph runs a subcommand of the built binary and returns its stdout.
func (e *env) salesgraph(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = e.childEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("salesgraph %s: %w\n%s%s", args[0], err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

var seedTotal = regexp.MustCompile(`(?m)^(\d+) rows in (\S+) \((\d+) rows/s\)`)

// parseSeed reads seed --scale's summary: "6722 rows in 1.2s (5600 rows/s)."
func parseSeed(out string, scale int) LoadInfo {
	li := LoadInfo{Orders: scale, Output: strings.TrimSpace(out)}
	if m := seedTotal.FindStringSubmatch(out); m != nil {
		li.Rows, _ = strconv.ParseInt(m[1], 10, 64)
		if d, err := time.ParseDuration(m[2]); err == nil {
			li.Seconds = d.Seconds()
		}
		li.RowsPerSecond, _ = strconv.ParseFloat(m[3], 64)
	}
	return li
}

func (e *env) analyze(ctx context.Context) error {
	d, err := sql.Open("postgres", e.dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = d.ExecContext(ctx, "ANALYZE")
	return err
}

func (e *env) postgresVersion(ctx context.Context) string {
	d, err := sql.Open("postgres", e.dbURL)
	if err != nil {
		return ""
	}
	defer d.Close()
	var v string
	_ = d.QueryRowContext(ctx, "SHOW server_version").Scan(&v)
	return v
}

// serverProc is the running `salesgraph serve` and what its log says.
type serverProc struct {
	cmd  *exec.Cmd
	pid  int
	base string
	done chan struct{}

	mu    sync.Mutex
	ops   map[string]*opStats
	tail  []string
	exitE error
}

// opStats sums the request log's lines of one operation name.
type opStats struct {
	Responses  int64
	Statements int64
	MaxStmts   int64
	SQLMs      float64
	Errors     int64
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs `salesgraph serve` on a free loopback port and waits for /readyz.
func (e *env) startServer(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(e.bin, append([]string{"serve", "--addr", addr}, e.serveArgs...)...)
	cmd.Env = e.childEnv(e.serveEnv...)
	// Should the benchmark die without cleaning up, the server goes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	s := &serverProc{cmd: cmd, pid: cmd.Process.Pid, base: "http://" + addr, done: make(chan struct{}), ops: map[string]*opStats{}}
	e.server = s
	go s.readLog(stdout)
	e.logf("started salesgraph serve on %s (pid %d)", addr, s.pid)

	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("salesgraph serve exited: %v\n%s", s.exitE, s.lastLines())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("salesgraph serve did not become ready within 2 minutes\n%s", s.lastLines())
		}
	}
}

// readLog keeps the server's request-log figures per operation and its last lines.
func (s *serverProc) readLog(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var l struct {
			Msg        string   `json:"msg"`
			Operation  string   `json:"operation"`
			Statements *int64   `json:"sqlStatements"`
			SQLMs      float64  `json:"sqlMs"`
			Errors     []string `json:"errors"`
		}
		if json.Unmarshal(line, &l) == nil && l.Msg == "graphql" && l.Statements != nil {
			op := l.Operation
			if _, name, ok := strings.Cut(op, " "); ok {
				op = name
			}
			s.mu.Lock()
			st := s.ops[op]
			if st == nil {
				st = &opStats{}
				s.ops[op] = st
			}
			st.Responses++
			st.Statements += *l.Statements
			st.MaxStmts = max(st.MaxStmts, *l.Statements)
			st.SQLMs += l.SQLMs
			if len(l.Errors) > 0 {
				st.Errors++
			}
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		s.tail = append(s.tail, string(line))
		if len(s.tail) > 40 {
			s.tail = s.tail[len(s.tail)-40:]
		}
		s.mu.Unlock()
	}
	s.exitE = s.cmd.Wait()
	close(s.done)
}

// opStatsFor waits (briefly) until the log has n responses of op, then returns its sums.
func (s *serverProc) opStatsFor(op string, n int64) opStats {
	deadline := time.Now().Add(3 * time.Second)
	for {
		s.mu.Lock()
		var st opStats
		if p := s.ops[op]; p != nil {
			st = *p
		}
		s.mu.Unlock()
		if st.Responses >= n || time.Now().After(deadline) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *serverProc) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

func (s *serverProc) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for the server to shut down (killing it after 20 s).
func (s *serverProc) stop() {
	if !s.alive() {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// procCPU returns the process's user+system CPU time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	st, err := procStat(pid)
	return st.cpu, err
}

// stat is what the bench reads of /proc/<pid>/stat.
type stat struct {
	ppid     int
	cpu      time.Duration // user + system
	childCPU time.Duration // of the children it has waited for
}

func procStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	// The command name (field 2) may hold spaces: fields count from after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return stat{}, errors.New("short /proc stat")
	}
	// Field 4 (ppid) is f[1]; fields 14 to 17 (utime, stime, cutime,
	// cstime) are f[11] to f[14], in clock ticks, which Linux exposes to
	// user space at 100 per second (USER_HZ).
	var n [5]int64
	for k, field := range []string{f[1], f[11], f[12], f[13], f[14]} {
		if n[k], err = strconv.ParseInt(field, 10, 64); err != nil {
			return stat{}, err
		}
	}
	const tick = 10 * time.Millisecond
	return stat{ppid: int(n[0]), cpu: time.Duration(n[1]+n[2]) * tick, childCPU: time.Duration(n[3]+n[4]) * tick}, nil
}

// databaseCPU is the CPU time of the private cluster's processes: the
// postmaster and every child it has now (the pool's backends live as
// long as the run), plus the children it has reaped. 0 on DATABASE_URL's
// server, which may be shared and is not ours to count.
func (e *env) databaseCPU() time.Duration {
	if e.cluster == nil {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(e.cluster.DataDir(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	postmaster, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		st, err := procStat(pid)
		if err != nil || (pid != postmaster && st.ppid != postmaster) {
			continue
		}
		total += st.cpu
		if pid == postmaster {
			total += st.childCPU
		}
	}
	return total
}

// peakRSS returns VmHWM from /proc/<pid>/status, in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM")
}

// resetPeakRSS asks the kernel to restart VmHWM from the current RSS; false if not permitted.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}
