package main

import (
	"strings"
	"testing"

	"salesgraph/db/dbtest"
)

// TestSeedScale: seed --scale N loads N orders into a migrated database,
// says how many rows and how fast, and refuses bad sizes, an unmigrated
// database and a second load.
func TestSeedScale(t *testing.T) {
	for _, args := range [][]string{
		{"seed", "--scale", "0"}, {"seed", "--scale", "-5"}, {"seed", "--scale", "many"},
		{"seed", "--demo", "--scale", "10"}, {"seed", "--scale", "2000001"},
	} {
		if code, out, errs := cliOutput(t, args...); code != 2 || !strings.Contains(errs, "scale") {
			t.Errorf("%q: exit %d, stderr %q (stdout %q), want a usage error about --scale", args, code, errs, out)
		}
	}

	empty := dbtest.EmptyURL(t)
	if code, _, errs := cliOutput(t, "seed", "--scale", "10", "--database-url", empty); code != 1 || !strings.Contains(errs, "migrate up") {
		t.Errorf("unmigrated: exit %d, stderr %q, want one that says to run migrate up", code, errs)
	}
	if n := countTables(t, empty, ""); n != 0 {
		t.Errorf("seed --scale created %d tables in an unmigrated database", n)
	}

	url := dbtest.URL(t)
	code, out, errs := cliOutput(t, "seed", "--scale", "120", "--database-url", url)
	if code != 0 {
		t.Fatalf("seed --scale 120: exit %d\n%s", code, errs)
	}
	for _, want := range []string{"sales_orders", "120 rows", "order_lines", "stock_movements", "rows/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := cliOutput(t, "seed", "--scale", "120", "--database-url", url); code != 1 || !strings.Contains(errs, "already has sales orders") {
		t.Errorf("second load: exit %d, stderr %q, want a refusal naming the orders", code, errs)
	}
}
