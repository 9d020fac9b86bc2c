package pgcluster

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// postmasterPID reads the server's PID from the first line of postmaster.pid.
func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// killPostmaster kills the server as a crash would: SIGKILL, no shutdown.
func killPostmaster(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Kill(postmasterPID(t, dir), syscall.SIGKILL); err != nil {
		t.Fatalf("kill postmaster: %v", err)
	}
}

// eventually polls cond until it holds or within passes.
func eventually(within time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// logBuffer collects a Cluster's log lines; the supervisor writes from its own goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLogged is mustStart with the Cluster's log captured.
func startLogged(t *testing.T, dir string) (*Cluster, *logBuffer) {
	t.Helper()
	var logs logBuffer
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{DataDir: dir, NoSync: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Release(); err != nil {
			t.Errorf("Release: %v", err)
		}
	})
	return c, &logs
}

// holdStartLock takes the start lock as another process starting or
// stopping the server would, so a restart has to wait for it.
func holdStartLock(t *testing.T, c *Cluster) (release func()) {
	t.Helper()
	f, err := lockFile(t.Context(), c.lockPath("start"), syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}

func TestSupervisorRestartsKilledServer(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	c := mustStart(t, dir)
	if h := c.Health(); h.State != StateUp || h.Restarts != 0 || h.LastError != nil {
		t.Fatalf("Health after Start = %+v, want up, no restarts, no error", h)
	}
	before := startTime(t, c)

	// While the start lock is held the supervisor cannot restart the server,
	// so the test sees it down.
	unlock := holdStartLock(t, c)
	killPostmaster(t, dir)
	if !eventually(10*time.Second, func() bool { return c.Health().State == StateRestarting }) {
		unlock()
		t.Fatalf("Health = %+v 10s after the postmaster was killed, want restarting", c.Health())
	}
	if h := c.Health(); h.LastError == nil || !strings.Contains(h.LastError.Error(), "gone") {
		t.Errorf("Health while down = %+v, want an error saying the postmaster is gone", h)
	}
	unlock()

	if !eventually(30*time.Second, func() bool { return c.Health().State == StateUp }) {
		t.Fatalf("Health = %+v 30s after the restart could begin, want up", c.Health())
	}
	if h := c.Health(); h.Restarts != 1 {
		t.Errorf("Health.Restarts = %d, want 1", h.Restarts)
	}
	db := mustOpen(t, c.URL("postgres"))
	var after time.Time
	if err := db.QueryRow(`SELECT pg_postmaster_start_time()`).Scan(&after); err != nil {
		t.Fatalf("query after restart: %v", err)
	}
	if !after.After(before) {
		t.Errorf("server start time %v, want after %v (a new server)", after, before)
	}
}

func TestSupervisorBacksOffFailedRestarts(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	c, logs := startLogged(t, dir)

	// A setting the server refuses, after our include, so that it wins.
	conf := filepath.Join(dir, "postgresql.conf")
	good, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, append(slices.Clip(good), "\nmax_connections = 'many'\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	killPostmaster(t, dir)

	failed := regexp.MustCompile(`msg="pgcluster: restart failed".* attempt=(\d+) retryIn=(\S+)`)
	if !eventually(20*time.Second, func() bool { return len(failed.FindAllString(logs.String(), -1)) >= 3 }) {
		t.Fatalf("want 3 failed restarts logged within 20s; log:\n%s", logs.String())
	}
	var waits []string
	for _, m := range failed.FindAllStringSubmatch(logs.String(), 3) {
		waits = append(waits, m[2])
	}
	if diff := cmp.Diff([]string{"1s", "2s", "4s"}, waits); diff != "" {
		t.Errorf("waits between restarts (-want +got):\n%s", diff)
	}
	if h := c.Health(); h.State != StateRestarting || h.LastError == nil || !strings.Contains(h.LastError.Error(), "max_connections") {
		t.Errorf("Health = %+v, want restarting with the server's complaint about max_connections", h)
	}

	if err := os.WriteFile(conf, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if !eventually(30*time.Second, func() bool { return c.Health().State == StateUp }) {
		t.Fatalf("Health = %+v 30s after the setting was fixed, want up; log:\n%s", c.Health(), logs.String())
	}
	startTime(t, c) // answers
}

func TestReleaseStopsSupervisor(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	c1 := mustStart(t, dir)
	c2, logs := startLogged(t, dir)

	if err := c1.Release(); err != nil {
		t.Fatal(err)
	}
	if h := c1.Health(); h.State != StateReleased {
		t.Errorf("Health after Release = %+v, want released", h)
	}

	// c2 is restarting the server when it is released: the restart is
	// abandoned and the server stays down, as the last Release wants.
	unlock := holdStartLock(t, c2)
	killPostmaster(t, dir)
	if !eventually(10*time.Second, func() bool { return c2.Health().State == StateRestarting }) {
		unlock()
		t.Fatalf("Health = %+v, want restarting", c2.Health())
	}
	released := make(chan error, 1)
	go func() { released <- c2.Release() }()
	time.Sleep(200 * time.Millisecond) // let Release stop the supervisor and queue for the lock
	unlock()
	select {
	case err := <-released:
		if err != nil {
			t.Fatalf("Release: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Release did not return")
	}
	if h := c2.Health(); h.State != StateReleased {
		t.Errorf("Health after Release = %+v, want released", h)
	}
	logged := logs.String()
	time.Sleep(3 * checkEvery)
	if err := (&Cluster{dir: dir}).postmasterAlive(); err == nil {
		t.Error("a server runs after the last Release: the supervisor restarted it")
	}
	if more := strings.TrimPrefix(logs.String(), logged); more != "" {
		t.Errorf("log lines after the last Release:\n%s", more)
	}
}
