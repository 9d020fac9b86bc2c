package dbtest

import (
	"database/sql"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"salesgraph/migrations"
)

func TestMain(m *testing.M) { Main(m) }

func mustOpen(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestURLGivesSeparateDatabases(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, URL(t)), mustOpen(t, URL(t))
	var nameA, nameB string
	if err := a.QueryRow(`SELECT current_database()`).Scan(&nameA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(`SELECT current_database()`).Scan(&nameB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("both URLs name database %q", nameA)
	}

	if _, err := a.Exec(`CREATE TABLE only_in_a (id int)`); err != nil {
		t.Fatal(err)
	}
	var seen sql.NullString
	if err := b.QueryRow(`SELECT to_regclass('only_in_a')::text`).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	if seen.Valid {
		t.Error("a table created in one test database is visible in another")
	}
}

func TestSchemaIsMigrated(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, URL(t))
	pending, err := migrations.Pending(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if pending {
		t.Error("Pending = true on a fresh test database, want every migration applied")
	}
	st, err := migrations.Status(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := db.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(st) || applied == 0 {
		t.Errorf("goose_db_version has %d applied versions, want %d (one per migration file)", applied, len(st))
	}
}

func TestEmptyURLHasNoSchema(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, EmptyURL(t))
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("empty database has %d tables, want 0", tables)
	}
}

func TestTemplateRefusesConnections(t *testing.T) {
	t.Parallel()
	URL(t) // builds the template
	var isTemplate, allowConn bool
	err := srv.admin.QueryRow(`SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1`, tplName).Scan(&isTemplate, &allowConn)
	if err != nil {
		t.Fatalf("template %s: %v", tplName, err)
	}
	if !isTemplate || allowConn {
		t.Errorf("template %s: datistemplate=%v datallowconn=%v, want true, false", tplName, isTemplate, allowConn)
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("user", func(t *testing.T) {
		db := mustOpen(t, URL(t))
		if err := db.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		// Left open on purpose: cleanup must drop it anyway.
	})
	var exists bool
	if err := srv.admin.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestManyParallelTests(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			db := mustOpen(t, URL(t))
			if _, err := db.Exec(`CREATE TABLE scratch (id int); INSERT INTO scratch VALUES (1)`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://u:p@h:5433/postgres?sslmode=disable", "postgres://u:p@h:5433/t_1?sslmode=disable"},
		{"postgresql://h/", "postgresql://h/t_1"},
		{"host=/tmp dbname=postgres sslmode=disable", "host=/tmp dbname=postgres sslmode=disable dbname='t_1'"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, withDatabase(tt.in, "t_1")); diff != "" {
			t.Errorf("withDatabase(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestHelperNoServer is not a test: TestFailsWithoutServer runs it in a child
// process where no server can be found.
func TestHelperNoServer(t *testing.T) {
	if os.Getenv("DBTEST_HELPER") == "" {
		return
	}
	URL(t)
}

func TestFailsWithoutServer(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNoServer$", "-test.v")
	cmd.Env = append(os.Environ(), "DBTEST_HELPER=1", envURL+"=",
		"SALESGRAPH_PG_BIN="+t.TempDir(), "SALESGRAPH_PGDATA="+t.TempDir()+"/pgdata")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("with no server, the test passed; want it to fail. Output:\n%s", out)
	}
	for _, want := range []string{"--- FAIL: TestHelperNoServer", "apt-get install postgresql", envURL} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "SKIP") {
		t.Errorf("the test skipped; want it to fail:\n%s", out)
	}
}
