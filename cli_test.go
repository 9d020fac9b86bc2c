package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// unsetenv removes name for this test and restores it afterwards.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "") // registers the restore
	os.Unsetenv(name)
}

// cliOutput runs the program as main does and returns its exit status and output.
func cliOutput(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errs bytes.Buffer
	code = cli(ctx, args, &out, &errs)
	return code, out.String(), errs.String()
}

// TestHelpAndFlagErrorsNeverPrintSecrets: --help and flag errors once showed
// DATABASE_URL (password and all) and JWT_SECRET as flag defaults.
func TestHelpAndFlagErrorsNeverPrintSecrets(t *testing.T) {
	const (
		password  = "pw-Zq8xV3wLk"
		jwtSecret = "jwt-secret-Kp4Tn0123456789abcdef0123456789"
	)
	t.Setenv("DATABASE_URL", "postgres://app:"+password+"@db.invalid/salesgraph")
	t.Setenv("JWT_SECRET", jwtSecret)
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"serve", "--help"}, {"serve", "-h"},
		{"migrate", "--help"}, {"migrate", "up", "--help"}, {"migrate", "down", "--help"}, {"migrate", "status", "--help"},
		{"seed", "--help"}, {"user", "add", "--help"}, {"token", "--help"},
		{"--no-such-flag"}, {"serve", "--no-such-flag"}, {"migrate", "up", "--no-such-flag"},
		{"migrate", "status", "--no-such-flag"}, {"seed", "--no-such-flag"}, {"user", "add", "--no-such-flag"},
		{"token", "--no-such-flag"}, {"serve", "--shutdown-grace", "soon"}, {"token", "--ttl", "forever"},
	} {
		code, out, errs := cliOutput(t, args...)
		if out+errs == "" {
			t.Errorf("%q printed nothing", args)
		}
		for what, secret := range map[string]string{"the database password": password, "JWT_SECRET": jwtSecret} {
			if strings.Contains(out+errs, secret) {
				t.Errorf("%q (exit %d) printed %s:\nstdout:\n%s\nstderr:\n%s", args, code, what, out, errs)
			}
		}
	}
}

// TestTopLevelHelpListsCommands: `salesgraph --help` showed serve's flags only.
func TestTopLevelHelpListsCommands(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		code, out, errs := cliOutput(t, arg)
		if code != 0 {
			t.Errorf("%s: exit %d, want 0; stderr:\n%s", arg, code, errs)
		}
		for _, want := range []string{"serve", "migrate up|down|status", "seed --demo", "user add", "token --user", "-addr", "-database-url"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: stdout lacks %q:\n%s\nstderr:\n%s", arg, want, out, errs)
			}
		}
	}
}

// TestSubcommandHelpListsOnlyItsFlags: `migrate up --help` listed -jwt-secret,
// which migrating never uses.
func TestSubcommandHelpListsOnlyItsFlags(t *testing.T) {
	for _, tc := range []struct {
		args          []string
		want, notWant []string
	}{
		{[]string{"migrate", "up", "--help"}, []string{"-database-url", "-pgdata"}, []string{"-jwt-secret", "-addr", "-demo", "-email", "-user"}},
		{[]string{"migrate", "status", "--help"}, []string{"-database-url"}, []string{"-jwt-secret", "-addr"}},
		{[]string{"seed", "--help"}, []string{"-demo", "-database-url"}, []string{"-jwt-secret", "-addr"}},
		{[]string{"user", "add", "--help"}, []string{"-email", "-role", "ADMIN, SALES_MANAGER"}, []string{"-jwt-secret", "-addr"}},
		{[]string{"token", "--help"}, []string{"-user", "-ttl", "-jwt-secret"}, []string{"-addr"}},
		{[]string{"serve", "--help"}, []string{"-addr", "-jwt-secret", "-max-connections", "-read-timeout"}, []string{"-demo"}},
	} {
		code, out, errs := cliOutput(t, tc.args...)
		if code != 0 {
			t.Errorf("%q: exit %d, want 0", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: help lacks %q:\n%s%s", tc.args, w, out, errs)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(out+errs, w+" ") {
				t.Errorf("%q: help lists the unrelated %q:\n%s%s", tc.args, w, out, errs)
			}
		}
	}
}

// TestFlagErrorPrintedOnce: a bad flag was reported by the flag package and
// again by main.
func TestFlagErrorPrintedOnce(t *testing.T) {
	for _, args := range [][]string{{"serve", "--no-such-flag"}, {"--no-such-flag"}, {"token", "--no-such-flag"}, {"migrate", "up", "--no-such-flag"}} {
		code, out, errs := cliOutput(t, args...)
		if code == 0 {
			t.Errorf("%q: exit 0", args)
		}
		if n := strings.Count(out+errs, "flag provided but not defined: -no-such-flag"); n != 1 {
			t.Errorf("%q: the error appears %d times, want once:\nstdout:\n%s\nstderr:\n%s", args, n, out, errs)
		}
	}
}

// TestDefaultAddressIsLoopback: the default was ":8080", every interface.
func TestDefaultAddressIsLoopback(t *testing.T) {
	unsetenv(t, "ADDR")
	_, out, errs := cliOutput(t, "serve", "--help")
	if !strings.Contains(out+errs, `(default "127.0.0.1:8080")`) {
		t.Errorf("serve --help does not show the default address 127.0.0.1:8080:\n%s%s", out, errs)
	}
}

// TestExtraArgumentsAreRefused: `serve extra-arg` served anyway.
func TestExtraArgumentsAreRefused(t *testing.T) {
	url := dbtest.URL(t)
	shared := []string{"--database-url", url, "--jwt-secret", testSecret, "--log-format", "text"}
	for _, args := range [][]string{
		append(append([]string{"serve", "--addr", "127.0.0.1:0"}, shared...), "extra-arg"),
		append(append([]string{"migrate", "status"}, shared[:2]...), "extra-arg"),
		append(append([]string{"seed", "--demo"}, shared[:2]...), "extra-arg"),
		append(append([]string{"user", "add", "--email", "x@example.com", "--name", "X", "--role", "VIEWER"}, shared[:2]...), "extra-arg"),
		append(append([]string{"token", "--user", "x@example.com"}, shared...), "extra-arg"),
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var out, errs bytes.Buffer
		err := run(ctx, args, &out, &errs)
		cancel()
		if err == nil || !strings.Contains(err.Error(), `"extra-arg"`) {
			t.Errorf("%s ... extra-arg: err = %v, want one naming the unexpected argument; stdout:\n%s", args[0], err, out.String())
		}
	}
	if n := countTables(t, url, "users"); n != 1 {
		t.Fatal("users table gone")
	}
	var users int
	mustQueryRow(t, url, `SELECT count(*) FROM users`, &users)
	if users != 0 {
		t.Errorf("a command with an extra argument still wrote: %d users", users)
	}
}

// TestMigrateNeedsAnAction: a bare `migrate` meant `up`.
func TestMigrateNeedsAnAction(t *testing.T) {
	url := dbtest.EmptyURL(t)
	err := run(context.Background(), []string{"migrate", "--database-url", url}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "up, down or status") {
		t.Errorf("bare migrate: err = %v, want one asking for up, down or status", err)
	}
	if n := countTables(t, url, ""); n != 0 {
		t.Errorf("bare migrate created %d tables", n)
	}
}

// TestUserAddListsRoles: `user add --role BOSS` did not say which roles exist.
func TestUserAddListsRoles(t *testing.T) {
	url := dbtest.URL(t)
	_, err := runCmd(t, url, "user", "add", "--email", "x@example.com", "--name", "X", "--role", "BOSS")
	if err == nil {
		t.Fatal("user add --role BOSS succeeded")
	}
	for _, r := range sales.Roles {
		if !strings.Contains(err.Error(), string(r)) {
			t.Errorf("the error %q does not list the role %s", err, r)
		}
	}
}

// TestOnlyServeAndMigrateUpMigrate: every subcommand applied migrations to
// whatever database it was pointed at.
func TestOnlyServeAndMigrateUpMigrate(t *testing.T) {
	url := dbtest.EmptyURL(t)
	for _, tc := range []struct {
		name string
		args []string
		env  bool // DATABASE_URL instead of --database-url
	}{
		{"token", []string{"token", "--user", "x@example.com", "--jwt-secret", testSecret}, false},
		{"user add", []string{"user", "add", "--email", "x@example.com", "--name", "X", "--role", "VIEWER"}, true},
		{"seed", []string{"seed", "--demo"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.env {
				t.Setenv("DATABASE_URL", url)
			} else {
				args = append(args, "--database-url", url)
			}
			err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), "migrate up") {
				t.Errorf("err = %v, want one that says to run migrate up", err)
			}
			if n := countTables(t, url, ""); n != 0 {
				t.Errorf("%s created %d tables in an unmigrated database", tc.name, n)
			}
		})
	}

	t.Run("migrate down", func(t *testing.T) {
		err := run(context.Background(), []string{"migrate", "down", "--database-url", url}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "no migration to undo") {
			t.Errorf("migrate down on an empty database: err = %v, want one saying there is nothing to undo", err)
		}
		if n := countTables(t, url, ""); n != 0 {
			t.Errorf("migrate down created %d tables", n)
		}
	})

	t.Run("migrate status", func(t *testing.T) {
		t.Setenv("DATABASE_URL", url)
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate", "status"}, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("migrate status: %v", err)
		}
		if n := countTables(t, url, ""); n != 0 {
			t.Errorf("migrate status created %d tables", n)
		}
		if !strings.Contains(out.String(), "create_users") || strings.Contains(out.String(), "applied") {
			t.Errorf("migrate status on an empty database should list every migration as pending:\n%s", out.String())
		}
	})
}

// TestMigrateStatusAfterDown: `migrate status` re-applied the migration that
// `migrate down` had just undone.
func TestMigrateStatusAfterDown(t *testing.T) {
	url := dbtest.URL(t)
	if out, err := runCmd(t, url, "migrate", "down"); err != nil {
		t.Fatalf("migrate down: %v\n%s", err, out)
	}
	for range 2 {
		out, err := runCmd(t, url, "migrate", "status")
		if err != nil {
			t.Fatalf("migrate status: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if last := lines[len(lines)-1]; !strings.HasSuffix(last, "pending") {
			t.Fatalf("after migrate down, the newest migration should be pending:\n%s", out)
		}
		if strings.Count(out, "pending") != 1 {
			t.Fatalf("exactly one migration should be pending:\n%s", out)
		}
	}
	// A database that is behind is refused by the other commands too.
	if _, err := runCmd(t, url, "token", "--user", "x@example.com"); err == nil || !strings.Contains(err.Error(), "migrate up") {
		t.Errorf("token against a database one migration behind: err = %v, want one that says to run migrate up", err)
	}
	if out, err := runCmd(t, url, "migrate", "up"); err != nil || strings.Contains(out, "pending") {
		t.Errorf("migrate up: %v\n%s", err, out)
	}
}

// countTables counts the tables in url's database outside the system schemas,
// or, with name, the tables called name.
func countTables(t *testing.T, url, name string) int {
	t.Helper()
	var n int
	mustQueryRow(t, url, `SELECT count(*) FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND ($1 = '' OR tablename = $1)`, &n, name)
	return n
}

func mustQueryRow(t *testing.T, url, query string, into any, args ...any) {
	t.Helper()
	d, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.QueryRow(query, args...).Scan(into); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestServeRefusesBadLimits: a limit that cannot work is refused at start,
// naming the setting, before anything is opened.
func TestServeRefusesBadLimits(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://app:pw-Zq8xV3wLk@db.invalid/salesgraph")
	t.Setenv("JWT_SECRET", testSecret)
	for _, tc := range []struct {
		env, value string
		args       []string
		want       string
	}{
		{"READ_TIMEOUT", "soon", nil, "READ_TIMEOUT"},
		{"MAX_CONNECTIONS", "many", nil, "MAX_CONNECTIONS"},
		{"", "", []string{"--max-connections", "-1"}, "MAX_CONNECTIONS must be at least 1"},
		{"", "", []string{"--idle-timeout", "0s"}, "IDLE_TIMEOUT must be positive"},
		{"", "", []string{"--document-link-ttl", "0s"}, "DOCUMENT_LINK_TTL must be positive"},
	} {
		if tc.env != "" {
			t.Setenv(tc.env, tc.value)
		}
		code, out, errs := cliOutput(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s=%s %q: exit %d, stderr %q, want an error naming %s", tc.env, tc.value, tc.args, code, errs, tc.want)
		}
		if strings.Contains(out+errs, "pw-Zq8xV3wLk") || strings.Contains(out+errs, testSecret) {
			t.Errorf("a secret was printed: %s%s", out, errs)
		}
		if tc.env != "" {
			os.Unsetenv(tc.env)
		}
	}
}
