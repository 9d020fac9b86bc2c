// Package pgcluster runs a private PostgreSQL server from the machine's own
// binaries, so that `go run .` and `go test ./...` work when no DATABASE_URL
// or TEST_DATABASE_URL is set.
//
// The server listens on a unix socket inside its data directory only (no TCP
// port, so it never clashes with a system server) and trusts every local
// connection; the 0700 data directory is what keeps other users out.
//
// Several processes share one server. Each live [Cluster] holds a shared
// flock on an "in-use" file next to the data directory; starting and stopping
// happen under an exclusive "start" flock. The last [Cluster.Release] stops
// the server. A process that dies simply loses its locks, and the next
// [Start] reuses the server that is still running.
//
// While a Cluster is held, a supervisor restarts a server that died, with
// backoff; [Cluster.Health] reports what it sees.
package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// ErrNoBinaries is returned (wrapped) by [Start] when initdb, pg_ctl and
// postgres cannot be found.
var ErrNoBinaries = errors.New("pgcluster: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: " +
	"install them (apt-get install postgresql), point SALESGRAPH_PG_BIN at their directory, " +
	"or set DATABASE_URL (TEST_DATABASE_URL for tests) to an existing server")

const (
	// port only names the socket file (.s.PGSQL.5432); no TCP port is opened.
	port = 5432
	// startTimeout bounds pg_ctl start/stop and waiting for the start lock.
	startTimeout = 60 * time.Second
	// maxSocketPath stays under the 108-byte sun_path limit with a margin.
	maxSocketPath = 100
	// confName holds our settings; postgresql.conf includes it, and it is
	// rewritten before each start so settings follow the code.
	confName = "salesgraph.conf"
)

// Options configure [Start]. The zero value gives the defaults.
type Options struct {
	// DataDir is the cluster directory; empty means [DefaultDataDir].
	DataDir string
	// Logger receives init/start/stop messages; nil means slog.Default().
	Logger *slog.Logger
	// NoSync turns fsync off (initdb --no-sync, fsync=off): faster, but a
	// machine crash can corrupt the cluster. Only for throwaway clusters such
	// as tests' temporary ones. It applies only when this Start launches the
	// server.
	NoSync bool
}

// Cluster is one process's handle on the shared server. Call Release when
// done with it.
type Cluster struct {
	dir  string
	log  *slog.Logger
	bin  binaries
	user *osUser // nil unless running as root

	noSync bool // as Options.NoSync, for restarts

	mu    sync.Mutex
	inUse *os.File // holds the shared in-use flock; nil once released

	stopSupervisor context.CancelFunc
	supervisorDone chan struct{} // closed when the supervisor has returned

	hmu    sync.Mutex
	health Health
}

// DefaultDataDir is where the private cluster lives unless Options.DataDir
// says otherwise: $SALESGRAPH_PGDATA if set; as root /var/lib/salesgraph/pgdata;
// else $XDG_DATA_HOME/salesgraph/pgdata or ~/.local/share/salesgraph/pgdata.
func DefaultDataDir() string {
	home, _ := os.UserHomeDir()
	return defaultDataDir(os.Geteuid() == 0, os.Getenv, home)
}

func defaultDataDir(root bool, getenv func(string) string, home string) string {
	if d := getenv("SALESGRAPH_PGDATA"); d != "" {
		return d
	}
	if root {
		return "/var/lib/salesgraph/pgdata"
	}
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "salesgraph", "pgdata")
	}
	if home == "" {
		// No home (e.g. user nobody): a per-user directory under the temp dir.
		return filepath.Join(os.TempDir(), "salesgraph-"+strconv.Itoa(os.Geteuid()), "pgdata")
	}
	return filepath.Join(home, ".local", "share", "salesgraph", "pgdata")
}

// Start makes sure the cluster in opts.DataDir exists and its server runs,
// initializing and starting it if needed, and returns a handle that keeps the
// server up until Release. As root, the server runs as the "postgres" OS user.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	dir := opts.DataDir
	if dir == "" {
		dir = DefaultDataDir()
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if sock := socketPath(dir); len(sock) >= maxSocketPath {
		return nil, fmt.Errorf("pgcluster: socket path %s is %d bytes, over the %d-byte limit for unix sockets: choose a shorter data directory (SALESGRAPH_PGDATA)",
			sock, len(sock), maxSocketPath)
	}
	bin, err := findBinaries(os.Getenv("SALESGRAPH_PG_BIN"), os.Getenv("PATH"), libGlob)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, log: opts.Logger, bin: bin, noSync: opts.NoSync}
	if c.log == nil {
		c.log = slog.Default()
	}
	if os.Geteuid() == 0 {
		if c.user, err = lookupPostgresUser(); err != nil {
			return nil, err
		}
	}
	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	if c.bin.major, err = c.serverMajor(ctx); err != nil {
		return nil, err
	}

	start, err := lockFile(ctx, c.lockPath("start"), syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer start.Close() // closing drops the flock
	if err := c.ensureInit(ctx, opts.NoSync); err != nil {
		return nil, err
	}
	running, err := c.running(ctx)
	if err != nil {
		return nil, err
	}
	if !running {
		if err := c.start(ctx, opts.NoSync); err != nil {
			return nil, err
		}
	}
	// Nobody holds the in-use lock exclusively without the start lock, so
	// this does not wait.
	if c.inUse, err = lockFile(ctx, c.lockPath("inuse"), syscall.LOCK_SH); err != nil {
		return nil, err
	}
	c.health = Health{State: StateUp, Since: time.Now()}
	superviseCtx, stop := context.WithCancel(context.Background())
	c.stopSupervisor, c.supervisorDone = stop, make(chan struct{})
	go c.supervise(superviseCtx, c.supervisorDone)
	return c, nil
}

// URL returns a lib/pq connection string for database dbname, connecting as
// superuser "postgres" over the cluster's unix socket.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable",
		quoteConnValue(c.dir), port, quoteConnValue(dbname))
}

// DataDir returns the cluster's absolute data directory.
func (c *Cluster) DataDir() string { return c.dir }

// EnsureDatabase creates database name if it does not exist yet.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	if err != nil && pq.As(err, pqerror.DuplicateDatabase) == nil { // another process won the race: fine
		return fmt.Errorf("pgcluster: create database %q: %w", name, err)
	}
	return nil
}

// Release gives up this handle. When no other handle, in any process, still
// uses the server, it is stopped. Release is idempotent.
func (c *Cluster) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inUse == nil {
		return nil
	}
	// Stop watching first: the server may be stopped below, on purpose.
	c.stopSupervisor()
	<-c.supervisorDone
	c.setHealth(func(h *Health) { h.State = StateReleased })
	c.inUse.Close() // drops our shared lock
	c.inUse = nil

	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()
	start, err := lockFile(ctx, c.lockPath("start"), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer start.Close()
	excl, ok, err := tryLockFile(c.lockPath("inuse"), syscall.LOCK_EX)
	if err != nil || !ok {
		return err // another handle still uses the server
	}
	defer excl.Close()
	running, err := c.running(ctx)
	// pg_ctl takes a crashed postmaster not yet reaped for a running one, and
	// then fails to stop it.
	if err != nil || !running || c.postmasterAlive() != nil {
		return err
	}
	if out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.dir, "-m", "fast", "-w", "-t", strconv.Itoa(int(startTimeout.Seconds())), "-s").CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: pg_ctl stop: %w: %s", err, strings.TrimSpace(string(out)))
	}
	c.log.Info("pgcluster: stopped PostgreSQL", "datadir", c.dir)
	return nil
}

func socketPath(dir string) string { return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port)) }

// lockPath names a lock file beside the data directory: it cannot live inside,
// since initdb wants an empty directory, and the start lock must cover initdb.
func (c *Cluster) lockPath(kind string) string {
	return filepath.Join(filepath.Dir(c.dir), filepath.Base(c.dir)+"."+kind+".lock")
}

// quoteConnValue quotes a value for a keyword/value connection string.
func quoteConnValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// lockFile takes a flock on path (created if missing), polling so that ctx can
// cancel the wait. Closing the file releases the lock.
func lockFile(ctx context.Context, path string, how int) (*os.File, error) {
	for {
		f, ok, err := tryLockFile(path, how)
		if err != nil || ok {
			return f, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("pgcluster: waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// tryLockFile takes a flock on path without waiting; ok is false if another
// open file holds a conflicting lock. Each call opens its own file, so two
// handles in one process conflict just as two processes do.
func tryLockFile(path string, how int) (f *os.File, ok bool, err error) {
	// Go opens files close-on-exec, so pg_ctl and the server never inherit the lock.
	f, err = os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("pgcluster: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	switch {
	case err == nil:
		return f, true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, false, nil
	default:
		f.Close()
		return nil, false, fmt.Errorf("pgcluster: flock %s: %w", path, err)
	}
}
