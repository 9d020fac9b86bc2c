// Package dbtest gives each test a fresh PostgreSQL database, cloned from a
// template that holds the migrated schema.
//
// The server is $TEST_DATABASE_URL (any superuser connection string, URL or
// keyword/value form) or else the private cluster of package pgcluster,
// started on first use. Each package's tests should release that cluster on
// exit, so that the last user stops it:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// A package without it leaves the server running, which the next run reuses.
//
// The template is named salesgraph_tpl_<migrations.Hash()>, so any change to
// a migration builds a fresh one. It is built once per server, under an
// advisory lock, because `go test ./...` runs package binaries in parallel.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"salesgraph/db"
	"salesgraph/migrations"
	"salesgraph/pgcluster"
)

// envURL names the variable that points tests at an existing server.
const envURL = "TEST_DATABASE_URL"

// lockKey is the advisory lock that serializes template builds across
// processes ("sgtpl" in ASCII).
const lockKey int64 = 0x7367_7470_6c

// keepTemplates is how many older templates survive a new one: another
// checkout with other migrations may be running tests on the same server.
const keepTemplates = 2

// server is the process-wide connection to the test server.
type server struct {
	url      func(dbname string) string // connection string for a database
	adminURL string                     // the maintenance database
	admin    *sql.DB                    // pool on adminURL: CREATE/DROP DATABASE
	cluster  *pgcluster.Cluster         // nil with TEST_DATABASE_URL
}

var (
	srvOnce sync.Once
	srv     *server
	srvErr  error

	tplOnce sync.Once
	tplName string
	tplErr  error
)

// URL creates a fresh database holding the migrated schema and returns its
// connection string. The database is dropped when the test ends. With no
// server available, the test fails and says what to install or set.
func URL(tb testing.TB) string {
	tb.Helper()
	s := mustServer(tb)
	tplOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		tplName, tplErr = s.ensureTemplate(ctx)
	})
	if tplErr != nil {
		tb.Fatalf("dbtest: build the template database: %v", tplErr)
	}
	return s.create(tb, tplName)
}

// EmptyURL creates a fresh, empty database (no migrations applied) and
// returns its connection string; it is dropped when the test ends. It serves
// tests of migrations themselves.
func EmptyURL(tb testing.TB) string {
	tb.Helper()
	return mustServer(tb).create(tb, "template0")
}

// Main runs the tests and then releases the private cluster, which stops it
// if no other process uses it. Call it from TestMain.
func Main(m *testing.M) {
	// When TestMain returns, the testing package exits with m.Run's result.
	m.Run()
	if srv != nil {
		srv.admin.Close()
		if srv.cluster != nil {
			if err := srv.cluster.Release(); err != nil {
				fmt.Fprintln(os.Stderr, "dbtest:", err)
			}
		}
	}
}

func mustServer(tb testing.TB) *server {
	tb.Helper()
	srvOnce.Do(func() { srv, srvErr = openServer() })
	if srvErr != nil {
		tb.Fatalf("dbtest: no PostgreSQL for tests: %v", srvErr)
	}
	return srv
}

func openServer() (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := &server{}
	if u := os.Getenv(envURL); u != "" {
		s.url = func(db string) string { return withDatabase(u, db) }
		s.adminURL = u // its own database: advisory locks are per database, and it surely exists
	} else {
		c, err := pgcluster.Start(ctx, pgcluster.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s is unset, and the private cluster did not start: %w\n"+
				"(to use an existing server instead, set %s to a superuser connection string, "+
				"e.g. postgres://postgres@localhost:5432/postgres?sslmode=disable)", envURL, err, envURL)
		}
		s.cluster, s.url, s.adminURL = c, c.URL, c.URL("postgres")
	}
	db, err := sql.Open("postgres", s.adminURL)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if s.cluster != nil {
			s.cluster.Release()
		}
		if s.cluster == nil {
			return nil, fmt.Errorf("connect with %s (check that it names a reachable server and superuser): %w", envURL, err)
		}
		return nil, fmt.Errorf("connect to the private cluster in %s: %w", s.cluster.DataDir(), err)
	}
	db.SetMaxIdleConns(4)
	s.admin = db
	return s, nil
}

// withDatabase returns connection string u with its database replaced.
func withDatabase(u, db string) string {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		if p, err := url.Parse(u); err == nil {
			p.Path, p.RawPath = "/"+db, ""
			return p.String()
		}
	}
	// Keyword/value: a repeated keyword wins over an earlier one (libpq and lib/pq).
	return u + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db) + "'"
}

// create clones template tpl into a new database and drops it at cleanup.
func (s *server) create(tb testing.TB, tpl string) string {
	tb.Helper()
	var b [8]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Retry while someone is connected to the template (SQLSTATE 55006): a
	// template of ours never allows connections, but another may.
	err := retryInUse(ctx, func() error {
		_, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+pq.QuoteIdentifier(tpl))
		return err
	})
	if err != nil {
		tb.Fatalf("dbtest: create database from template %s: %v", tpl, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends sessions the test left open (PostgreSQL 13+).
		if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return s.url(name)
}

// ensureTemplate returns the template's name, building it unless it exists.
// It works under an advisory lock held by a connection of its own: closing it
// releases the lock even if the unlock is never sent.
func (s *server) ensureTemplate(ctx context.Context) (string, error) {
	name := "salesgraph_tpl_" + migrations.Hash()
	// Advisory locks are per database: every process locks in adminURL's.
	lockDB, err := sql.Open("postgres", s.adminURL)
	if err != nil {
		return "", err
	}
	defer lockDB.Close()
	lockDB.SetMaxOpenConns(1)
	if _, err := lockDB.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return "", fmt.Errorf("advisory lock: %w", err)
	}
	var exists bool
	if err := s.admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if err := s.buildTemplate(ctx, name); err != nil {
			return "", err
		}
	}
	s.dropOldTemplates(ctx, name)
	return name, nil
}

// buildTemplate migrates a database under a temporary name and renames it
// only when complete, so a half-built template is never cloned.
func (s *server) buildTemplate(ctx context.Context, name string) error {
	building := name + "_building"
	// A leftover from a process that died mid-build; we hold the lock.
	if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+building+" TEMPLATE template0"); err != nil {
		return err
	}
	db, err := sql.Open("postgres", s.url(building))
	if err != nil {
		return err
	}
	err = migrations.Up(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// The backends we just closed may take a moment to exit.
	if err := retryInUse(ctx, func() error {
		_, err := s.admin.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name)
		return err
	}); err != nil {
		return err
	}
	// No connections allowed: nobody can stay connected and block cloning.
	_, err = s.admin.ExecContext(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
	return err
}

// dropOldTemplates drops templates of other migration sets, keeping the
// newest few. Failures are ignored: stale templates only cost disk.
func (s *server) dropOldTemplates(ctx context.Context, keep string) {
	// Numbered rather than OFFSET: the codebase's SQL has no OFFSET at all.
	rows, err := s.admin.QueryContext(ctx, `
		SELECT datname FROM (
			SELECT datname, row_number() OVER (ORDER BY oid DESC) AS n FROM pg_database
			WHERE datname ~ '^salesgraph_tpl_[0-9a-f]{12}$' AND datname <> $1) t
		WHERE n > $2`, keep, keepTemplates)
	if err != nil {
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		// A template database cannot be dropped until it is unmarked.
		if _, err := s.admin.ExecContext(ctx, "ALTER DATABASE "+n+" WITH IS_TEMPLATE false"); err == nil {
			s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
		}
	}
}

// retryInUse runs f until it stops failing with "database is being accessed
// by other users" or ctx ends.
func retryInUse(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || pq.As(err, pqerror.ObjectInUse) == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// New returns the stores over a fresh, migrated database of its own, closed
// when the test ends.
func New(tb testing.TB) *db.Store {
	tb.Helper()
	d, err := db.Open(context.Background(), URL(tb), db.Options{ApplicationName: "salesgraph-test"})
	if err != nil {
		tb.Fatalf("dbtest: open test database: %v", err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return db.NewStore(d)
}
