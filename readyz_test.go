package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadyzFollowsPrivateCluster kills the private cluster's postmaster
// under a running server: /readyz says 503 "database restarting" while the
// cluster is down, and 200 again once the supervisor has restarted it.
func TestReadyzFollowsPrivateCluster(t *testing.T) {
	t.Parallel()
	parent, err := os.MkdirTemp("", "salesgraph-readyz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil { // as root, the postgres user must reach the data folder
		t.Fatal(err)
	}
	dataDir := filepath.Join(parent, "pgdata")

	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", "", "--pgdata", dataDir,
		"--jwt-secret", testSecret, "--log-format", "json", "--shutdown-grace", "5s")
	base, stderr := s.base, s.stderr

	readyz := func() (int, string) {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, strings.TrimSpace(string(b))
	}
	waitFor := func(within time.Duration, code int, body string) {
		t.Helper()
		var gotCode int
		var gotBody string
		for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if gotCode, gotBody = readyz(); gotCode == code && gotBody == body {
				return
			}
		}
		t.Fatalf("/readyz = %d %q after %v, want %d %q; log:\n%s", gotCode, gotBody, within, code, body, stderr.String())
	}
	waitFor(10*time.Second, 200, "ready")

	// A setting the server refuses keeps it down until the test puts the
	// config back, so the down state lasts long enough to be seen.
	conf := filepath.Join(dataDir, "postgresql.conf")
	good, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, append(good[:len(good):len(good)], "\nmax_connections = 'many'\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	pidFile, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(10*time.Second, http.StatusServiceUnavailable, "database restarting")

	if err := os.WriteFile(conf, good, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(40*time.Second, 200, "ready")

	s.stop(t)
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err == nil {
		t.Error("the private cluster still runs after the server stopped")
	}
}
