package db_test

import (
	"context"
	"strings"
	"testing"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Every constraint and unique index of the migrated schema is either mapped
// to a client error or declared internal on purpose, so a race that passes
// the application's checks never surfaces as INTERNAL by oversight. A new
// constraint without an entry fails here.
func TestEveryConstraintIsMapped(t *testing.T) {
	store := dbtest.New(t)
	var names []string
	err := store.SelectContext(context.Background(), &names, `
		SELECT conname FROM pg_constraint c
		JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE n.nspname = 'public' AND c.contype IN ('c', 'u', 'f', 'x', 'p')
		UNION
		SELECT i.relname FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_namespace n ON n.oid = i.relnamespace
		WHERE n.nspname = 'public' AND x.indisunique
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 20 {
		t.Fatalf("read only %d constraints from the catalog: %v", len(names), names)
	}
	var missing []string
	for _, n := range names {
		_, mapped := db.ConstraintErrors[n]
		_, internal := db.InternalConstraints[n]
		switch {
		case mapped && internal:
			t.Errorf("%s is both mapped and declared internal", n)
		case !mapped && !internal:
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d constraints have no entry in constraintErrors or internalConstraints:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	// Entries for constraints that no longer exist are stale.
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for n, e := range db.ConstraintErrors {
		if e.Code == "" || e.Code == sales.CodeInternal || e.Message == "" {
			t.Errorf("constraintErrors[%s] = %+v: a mapped constraint needs a client code and message", n, e)
		}
		if !have[n] {
			t.Errorf("constraintErrors maps %s, which the schema does not have", n)
		}
	}
	for n := range db.InternalConstraints {
		if !have[n] {
			t.Errorf("internalConstraints lists %s, which the schema does not have", n)
		}
	}
}
