package pgcluster

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/lib/pq"
)

// newDataDir returns a not-yet-existing data directory under a fresh 0755
// temp directory, so that as root the postgres user can reach it.
func newDataDir(t *testing.T) string {
	t.Helper()
	parent, err := os.MkdirTemp(os.TempDir(), "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(parent, "data")
}

// mustStart starts a throwaway cluster in dir; Release runs at cleanup (a no-op
// if the test released it already).
func mustStart(t *testing.T, dir string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{DataDir: dir, NoSync: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Release(); err != nil {
			t.Errorf("Release: %v", err)
		}
	})
	return c
}

func mustOpen(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// startTime identifies one server run: it changes when the server restarts.
func startTime(t *testing.T, c *Cluster) time.Time {
	t.Helper()
	var ts time.Time
	if err := mustOpen(t, c.URL("postgres")).QueryRow(`SELECT pg_postmaster_start_time()`).Scan(&ts); err != nil {
		t.Fatalf("query server: %v", err)
	}
	return ts
}

// serverUp reports whether a server runs in dir (pg_ctl removes
// postmaster.pid when it has stopped the server).
func serverUp(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "postmaster.pid"))
	return err == nil
}

func TestStartConnectAndEnsureDatabase(t *testing.T) {
	t.Parallel()
	c := mustStart(t, newDataDir(t))

	var one int
	if err := mustOpen(t, c.URL("postgres")).QueryRow(`SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var tcp sql.NullString
	if err := mustOpen(t, c.URL("postgres")).QueryRow(`SELECT inet_server_addr()::text`).Scan(&tcp); err != nil || tcp.Valid {
		t.Errorf("server address = %v, %v; want a unix socket connection (NULL)", tcp, err)
	}

	// An awkward name proves it is quoted; a second call finds it exists.
	const name = "Mixed Case-db"
	for range 2 {
		if err := c.EnsureDatabase(t.Context(), name); err != nil {
			t.Fatalf("EnsureDatabase: %v", err)
		}
	}
	var got string
	if err := mustOpen(t, c.URL(name)).QueryRow(`SELECT current_database()`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != name {
		t.Errorf("current_database() = %q, want %q", got, name)
	}
}

func TestTwoClustersShareOneServer(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	c1 := mustStart(t, dir)
	c2 := mustStart(t, dir)
	if t1, t2 := startTime(t, c1), startTime(t, c2); !t1.Equal(t2) {
		t.Fatalf("server start times differ (%v, %v): want one shared server", t1, t2)
	}

	if err := c1.Release(); err != nil {
		t.Fatal(err)
	}
	if err := c1.Release(); err != nil {
		t.Fatalf("second Release: %v, want nil (idempotent)", err)
	}
	if !serverUp(dir) {
		t.Fatal("server stopped while the second Cluster still uses it")
	}
	startTime(t, c2) // still answers

	if err := c2.Release(); err != nil {
		t.Fatal(err)
	}
	if serverUp(dir) {
		t.Error("server still running after the last Release")
	}
}

func TestDataPersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	c := mustStart(t, dir)
	db := mustOpen(t, c.URL("postgres"))
	if _, err := db.Exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('hello')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if serverUp(dir) {
		t.Fatal("server still running after Release")
	}

	c = mustStart(t, dir)
	var got string
	if err := mustOpen(t, c.URL("postgres")).QueryRow(`SELECT v FROM kept`).Scan(&got); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got != "hello" {
		t.Errorf("after restart v = %q, want %q", got, "hello")
	}
}

// TestHelperProcess is not a test: TestSharedAcrossProcesses runs the test
// binary again to hold the cluster from a second process.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("PGCLUSTER_HELPER_DIR")
	if dir == "" {
		return
	}
	if _, err := Start(context.Background(), Options{DataDir: dir, NoSync: true}); err != nil {
		os.Stdout.WriteString("error: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("ready\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
	os.Exit(0) // dies without Release, like a crashed or killed process
}

func TestSharedAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	c1 := mustStart(t, dir)
	before := startTime(t, c1)

	child := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	child.Env = append(os.Environ(), "PGCLUSTER_HELPER_DIR="+dir)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("helper process said %q", line)
	}

	if err := c1.Release(); err != nil {
		t.Fatal(err)
	}
	if !serverUp(dir) {
		t.Fatal("server stopped although another process holds it")
	}

	stdin.Close() // the helper exits without Release, dropping its lock
	if err := child.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
	if !serverUp(dir) {
		t.Fatal("a dying process stopped the server")
	}

	c2 := mustStart(t, dir)
	if after := startTime(t, c2); !after.Equal(before) {
		t.Errorf("server restarted (%v, then %v); want the running one reused", before, after)
	}
	if err := c2.Release(); err != nil {
		t.Fatal(err)
	}
	if serverUp(dir) {
		t.Error("server still running after the last holder released it")
	}
}

func TestStartRejects(t *testing.T) {
	t.Parallel()
	t.Run("socket path too long", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(os.TempDir(), strings.Repeat("x", 100))
		_, err := Start(t.Context(), Options{DataDir: dir})
		if err == nil || !strings.Contains(err.Error(), "socket path") {
			t.Fatalf("Start = %v, want a socket path error", err)
		}
	})
	t.Run("cluster of another major version", func(t *testing.T) {
		t.Parallel()
		dir := newDataDir(t)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte("9.6\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 { // as root, a cluster must belong to postgres
			u, err := lookupPostgresUser()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, int(u.uid), int(u.gid)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Start(t.Context(), Options{DataDir: dir})
		if err == nil || !strings.Contains(err.Error(), "holds a PostgreSQL 9.6 cluster") {
			t.Fatalf("Start = %v, want a version mismatch error", err)
		}
	})
}

func TestFindBinaries(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mkbin := func(dir string, names ...string) string {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	all := serverBinaries
	glob := filepath.Join(root, "lib", "*", "bin")
	for _, v := range []string{"9.6", "10", "15"} {
		mkbin(filepath.Join(root, "lib", v, "bin"), all...)
	}
	mkbin(filepath.Join(root, "lib", "16", "bin"), "initdb") // incomplete: skipped
	onPath := mkbin(filepath.Join(root, "path"), all...)
	partial := mkbin(filepath.Join(root, "partial"), "initdb", "pg_ctl")
	empty := mkbin(filepath.Join(root, "empty"))

	tests := []struct {
		name, env, path, glob string
		want                  string
		wantErr               bool
	}{
		{name: "env wins", env: onPath, path: partial, glob: glob, want: onPath},
		{name: "env incomplete is an error", env: partial, glob: glob, wantErr: true},
		{name: "PATH before lib", path: empty + ":" + onPath, glob: glob, want: onPath},
		{name: "newest lib version, numerically", path: partial, glob: glob, want: filepath.Join(root, "lib", "15", "bin")},
		{name: "nothing", path: empty, glob: filepath.Join(root, "none", "*"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBinaries(tt.env, tt.path, tt.glob)
			if tt.wantErr {
				if !errors.Is(err, ErrNoBinaries) {
					t.Fatalf("findBinaries = %v, %v; want ErrNoBinaries", got, err)
				}
				if !strings.Contains(err.Error(), "apt-get install postgresql") || !strings.Contains(err.Error(), "DATABASE_URL") {
					t.Errorf("error %q does not say what to install or set", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.dir); diff != "" {
				t.Errorf("dir (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		root bool
		env  map[string]string
		want string
	}{
		{"override", true, map[string]string{"SALESGRAPH_PGDATA": "/x/pg", "XDG_DATA_HOME": "/xdg"}, "/x/pg"},
		{"root", true, map[string]string{"XDG_DATA_HOME": "/xdg"}, "/var/lib/salesgraph/pgdata"},
		{"xdg", false, map[string]string{"XDG_DATA_HOME": "/xdg"}, "/xdg/salesgraph/pgdata"},
		{"home", false, nil, "/home/ann/.local/share/salesgraph/pgdata"},
	}
	for _, tt := range tests {
		got := defaultDataDir(tt.root, func(k string) string { return tt.env[k] }, "/home/ann")
		if got != tt.want {
			t.Errorf("%s: defaultDataDir = %q, want %q", tt.name, got, tt.want)
		}
	}
}
