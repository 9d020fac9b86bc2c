package db_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// TestDocumentTypesMatchDatabase: the migrated lookup tables hold exactly
// the document types and number series sales.DocumentTypes describes, and
// every described table exists. A type added in sales without its
// migration (or the other way round) fails here.
func TestDocumentTypesMatchDatabase(t *testing.T) {
	store := dbtest.New(t)
	ctx := context.Background()
	type series struct {
		Prefix  string `db:"prefix"`
		DocType string `db:"doc_type"`
		Own     bool   `db:"own"`
	}
	type docType struct {
		Code string `db:"code"`
		Name string `db:"name"`
	}
	var gotTypes []docType
	if err := store.SelectContext(ctx, &gotTypes, `SELECT code, name FROM document_types ORDER BY code`); err != nil {
		t.Fatal(err)
	}
	var gotSeries []series
	if err := store.SelectContext(ctx, &gotSeries, `SELECT prefix, doc_type, own FROM document_number_series ORDER BY prefix`); err != nil {
		t.Fatal(err)
	}
	wantTypes := map[string]docType{}
	wantSeries := map[string]series{}
	for _, d := range sales.DocumentTypes {
		wantTypes[string(d.Type)] = docType{string(d.Type), d.Name}
		for i, s := range d.AllSeries() {
			wantSeries[string(s)] = series{string(s), string(d.Type), i == 0}
		}
		for _, table := range append([]string{d.Table}, childTables(d)...) {
			var exists bool
			if err := store.GetContext(ctx, &exists, `SELECT to_regclass('public.' || quote_ident($1)) IS NOT NULL`, table); err != nil {
				t.Fatal(err)
			}
			if !exists {
				t.Errorf("%s: table %s does not exist", d.Type, table)
			}
		}
	}
	if diff := cmp.Diff(wantTypes, byKey(gotTypes, func(x docType) string { return x.Code })); diff != "" {
		t.Errorf("document_types differs from sales.DocumentTypes (-sales +database):\n%s", diff)
	}
	if diff := cmp.Diff(wantSeries, byKey(gotSeries, func(x series) string { return x.Prefix })); diff != "" {
		t.Errorf("document_number_series differs from sales.DocumentTypes (-sales +database):\n%s", diff)
	}
}

func childTables(d sales.DocumentDescription) []string {
	var out []string
	for _, c := range d.Children {
		out = append(out, c.Table)
	}
	return out
}

func byKey[T any](xs []T, key func(T) string) map[string]T {
	out := map[string]T{}
	for _, x := range xs {
		out[key(x)] = x
	}
	return out
}
