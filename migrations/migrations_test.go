package migrations_test

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"regexp"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pressly/goose/v3"

	"salesgraph/db/dbtest"
	"salesgraph/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

//go:embed testdata/*.sql
var testdata embed.FS

// testFS is a throwaway migration set: a table, a column, a function + rows.
func testFS(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(testdata, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	return sub
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

func mustPending(t *testing.T, db *sql.DB, fsys fs.FS, want bool) {
	t.Helper()
	got, err := migrations.PendingFS(t.Context(), db, fsys)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	if got != want {
		t.Errorf("Pending = %v, want %v", got, want)
	}
}

// mustApplied checks which versions Status reports as applied.
func mustApplied(t *testing.T, db *sql.DB, fsys fs.FS, applied ...bool) {
	t.Helper()
	st, err := migrations.StatusFS(t.Context(), db, fsys)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	want := []migrations.MigrationStatus{
		{Version: 1, Name: "0001_create_widgets.sql", Applied: applied[0]},
		{Version: 2, Name: "0002_add_widget_color.sql", Applied: applied[1]},
		{Version: 3, Name: "0003_seed_widgets.sql", Applied: applied[2]},
	}
	if diff := cmp.Diff(want, st, cmpopts.IgnoreFields(migrations.MigrationStatus{}, "AppliedAt")); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	for _, s := range st {
		if s.Applied == s.AppliedAt.IsZero() {
			t.Errorf("version %d: Applied=%v but AppliedAt=%v", s.Version, s.Applied, s.AppliedAt)
		}
	}
}

func TestUpStatusDownPending(t *testing.T) {
	t.Parallel()
	ctx, fsys := t.Context(), testFS(t)
	db := mustOpen(t, dbtest.EmptyURL(t))

	mustPending(t, db, fsys, true)
	mustApplied(t, db, fsys, false, false, false)

	if err := migrations.UpFS(ctx, db, fsys); err != nil {
		t.Fatalf("Up: %v", err)
	}
	mustPending(t, db, fsys, false)
	mustApplied(t, db, fsys, true, true, true)
	var n int
	if err := db.QueryRow(`SELECT widget_count()`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("widget_count() = %d, %v; want 2", n, err)
	}

	if err := migrations.DownFS(ctx, db, fsys); err != nil {
		t.Fatalf("Down: %v", err)
	}
	mustPending(t, db, fsys, true)
	mustApplied(t, db, fsys, true, true, false)
	var fn sql.NullString
	if err := db.QueryRow(`SELECT to_regproc('widget_count')::text`).Scan(&fn); err != nil || fn.Valid {
		t.Errorf("after one Down, widget_count = %v, %v; want it gone", fn, err)
	}

	for range 2 {
		if err := migrations.DownFS(ctx, db, fsys); err != nil {
			t.Fatalf("Down: %v", err)
		}
	}
	mustApplied(t, db, fsys, false, false, false)
	if err := migrations.DownFS(ctx, db, fsys); !errors.Is(err, goose.ErrNoNextVersion) {
		t.Errorf("Down with nothing applied = %v, want goose.ErrNoNextVersion", err)
	}

	if err := migrations.UpFS(ctx, db, fsys); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	mustApplied(t, db, fsys, true, true, true)
}

func TestConcurrentUpAppliesOnce(t *testing.T) {
	t.Parallel()
	fsys, url := testFS(t), dbtest.EmptyURL(t)
	// Separate pools, as separate server instances would have.
	dbs := []*sql.DB{mustOpen(t, url), mustOpen(t, url), mustOpen(t, url)}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Go(func() { errs[i] = migrations.UpFS(context.Background(), db, fsys) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Up #%d: %v", i, err)
		}
	}

	var versions, widgets int
	if err := dbs[0].QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if err := dbs[0].QueryRow(`SELECT count(*) FROM widgets`).Scan(&widgets); err != nil {
		t.Fatal(err)
	}
	if versions != 3 || widgets != 2 {
		t.Errorf("after concurrent Ups: %d version rows and %d widgets, want 3 and 2 (each migration once)", versions, widgets)
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	base := fstest.MapFS{
		"0001_a.sql": {Data: []byte("-- +goose Up\nSELECT 1;\n")},
		"0002_b.sql": {Data: []byte("-- +goose Up\nSELECT 2;\n")},
		"README.md":  {Data: []byte("not a migration")},
	}
	hash := func(fsys fs.FS) string {
		t.Helper()
		h, err := migrations.HashFS(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := hash(base)
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(h) {
		t.Fatalf("hash %q is not 12 hex digits", h)
	}
	if again := hash(base); again != h {
		t.Errorf("hash not stable: %s then %s", h, again)
	}

	changed := func(edit func(m fstest.MapFS)) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = &fstest.MapFile{Data: v.Data}
		}
		edit(m)
		return m
	}
	variants := map[string]fstest.MapFS{
		"content": changed(func(m fstest.MapFS) { m["0002_b.sql"].Data = []byte("-- +goose Up\nSELECT 3;\n") }),
		"name":    changed(func(m fstest.MapFS) { m["0002_c.sql"] = m["0002_b.sql"]; delete(m, "0002_b.sql") }),
		"added":   changed(func(m fstest.MapFS) { m["0003_c.sql"] = &fstest.MapFile{} }),
	}
	for what, fsys := range variants {
		if hash(fsys) == h {
			t.Errorf("changing a file's %s kept the hash %s", what, h)
		}
	}
	if ignored := hash(changed(func(m fstest.MapFS) { m["README.md"].Data = nil })); ignored != h {
		t.Errorf("a non-.sql file changed the hash")
	}

	if got, want := migrations.Hash(), hash(migrations.FS); got != want {
		t.Errorf("Hash() = %s, want hash of FS %s", got, want)
	}
}

// TestEmbeddedMigrations checks the real files: named NNNN_verb_noun.sql, and
// they apply, roll back completely, and apply again.
func TestEmbeddedMigrations(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %v", names, err)
	}
	valid := regexp.MustCompile(`^\d{4}_[a-z0-9]+(_[a-z0-9]+)+\.sql$`)
	for _, n := range names {
		if !valid.MatchString(n) {
			t.Errorf("migration %q is not named NNNN_verb_noun.sql", n)
		}
	}

	ctx := t.Context()
	db := mustOpen(t, dbtest.EmptyURL(t))
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("Up: %v", err)
	}
	mustPending(t, db, migrations.FS, false)
	for i := range names {
		if err := migrations.Down(ctx, db); err != nil {
			t.Fatalf("Down #%d (of %d): %v", i+1, len(names), err)
		}
	}
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("after rolling back every migration, %d tables remain; want 0 (a Down section misses something)", tables)
	}
	if err := migrations.Up(ctx, db); err != nil {
		t.Fatalf("Up after full Down: %v", err)
	}
	st, err := migrations.Status(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != len(names) {
		t.Errorf("Status lists %d migrations, want %d", len(st), len(names))
	}
}
