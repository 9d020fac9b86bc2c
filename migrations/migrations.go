// Package migrations holds the schema as numbered SQL files
// (NNNN_verb_noun.sql, with goose's "-- +goose Up" / "-- +goose Down"
// markers), embedded in the binary, and applies them with goose.
//
// Up takes a PostgreSQL session-level advisory lock, so several instances
// may start at once: one applies, the others wait and find nothing to do.
// Each file runs in its own transaction unless it says otherwise.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS

// MigrationStatus is one migration file and whether the database has it.
type MigrationStatus struct {
	Version   int64     // the file's number, e.g. 3 for 0003_create_customers.sql
	Name      string    // the file name
	Applied   bool      // whether the database has applied it
	AppliedAt time.Time // when; zero if not applied
}

// Up applies every pending migration to db. Concurrent callers on one
// database serialize on an advisory lock, so each migration runs once.
func Up(ctx context.Context, db *sql.DB) error { return up(ctx, db, FS) }

// Down rolls back the most recently applied migration. With none applied it
// returns an error wrapping goose.ErrNoNextVersion.
func Down(ctx context.Context, db *sql.DB) error { return down(ctx, db, FS) }

// Status lists every migration file, in version order, with its state in
// db. It only reads: a database without goose's version table has every
// migration pending.
func Status(ctx context.Context, db *sql.DB) ([]MigrationStatus, error) { return status(ctx, db, FS) }

// Pending reports whether db lacks any migration. It takes no lock and
// writes nothing, so it suits a readiness probe.
func Pending(ctx context.Context, db *sql.DB) (bool, error) { return pending(ctx, db, FS) }

// hashOnce caches Hash: the embedded files never change in a running binary.
var hashOnce = sync.OnceValues(func() (string, error) { return hashFS(FS) })

// Hash identifies the embedded migration set: the first 12 hex digits of a
// sha256 over file names and contents. Test templates are named after it, so
// any change to a migration yields a fresh template.
func Hash() string {
	h, err := hashOnce()
	if err != nil {
		panic(err) // reading an embed.FS cannot fail
	}
	return h
}

func hashFS(fsys fs.FS) (string, error) {
	names, err := fs.Glob(fsys, "*.sql") // sorted
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", err
		}
		// Lengths keep ("a", "bc") and ("ab", "c") apart.
		fmt.Fprintf(h, "%d:%s\n%d:", len(name), name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func newProvider(db *sql.DB, fsys fs.FS) (*goose.Provider, error) {
	// Poll for the lock every second (goose's default is every 5 s) for up
	// to 10 minutes, a bound on the slowest migration we expect.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true), // only our files, never Go migrations registered elsewhere
		goose.WithLogger(goose.NopLogger()),   // quiet: callers log what Up returns
	)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	// Never call p.Close: it would close the caller's db.
	return p, nil
}

func up(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	p, err := newProvider(db, fsys)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}

func down(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	p, err := newProvider(db, fsys)
	if err != nil {
		return err
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrations: down: %w", err)
	}
	return nil
}

func status(ctx context.Context, db *sql.DB, fsys fs.FS) ([]MigrationStatus, error) {
	// goose's Status creates its version table where there is none; a status
	// must not write, so that case is answered from the files alone.
	var versioned bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&versioned); err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	if !versioned {
		return unapplied(fsys)
	}
	p, err := newProvider(db, fsys)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{
			Version:   s.Source.Version,
			Name:      path.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// unapplied lists the migration files, all pending.
func unapplied(fsys fs.FS) ([]MigrationStatus, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(names))
	for _, name := range names {
		number, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(number, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migrations: %s has no version number", name)
		}
		out = append(out, MigrationStatus{Version: v, Name: name})
	}
	return out, nil
}

func pending(ctx context.Context, db *sql.DB, fsys fs.FS) (bool, error) {
	st, err := status(ctx, db, fsys)
	if err != nil {
		return false, fmt.Errorf("migrations: pending: %w", err)
	}
	for _, m := range st {
		if !m.Applied {
			return true, nil
		}
	}
	return false, nil
}
