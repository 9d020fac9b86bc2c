package sales

import (
	"regexp"
	"testing"
)

// TestDocumentTypesDescribed: every description is complete, and no two
// types share a code, table, number series or global-ID type: a copied
// description left half-edited fails here, before any database is involved.
func TestDocumentTypesDescribed(t *testing.T) {
	for _, typ := range []DocumentType{DocQuote, DocOrder, DocDelivery, DocReturn, DocInvoice} {
		if _, ok := typ.Describe(); !ok {
			t.Errorf("%s has no description", typ)
		}
	}
	prefix := regexp.MustCompile(`^[A-Z]{2,5}$`)
	seen := map[string]DocumentType{}
	claim := func(d DocumentDescription, what, v string) {
		t.Helper()
		if v == "" {
			t.Errorf("%s has no %s", d.Type, what)
			return
		}
		if other, dup := seen[what+":"+v]; dup {
			t.Errorf("%s %q belongs to both %s and %s", what, v, other, d.Type)
		}
		seen[what+":"+v] = d.Type
	}
	for _, d := range DocumentTypes {
		claim(d, "code", string(d.Type))
		claim(d, "table", d.Table)
		claim(d, "node type", d.NodeType)
		if d.Name == "" {
			t.Errorf("%s has no name", d.Type)
		}
		for _, s := range d.AllSeries() {
			claim(d, "number series", string(s))
			if !prefix.MatchString(string(s)) {
				t.Errorf("%s: number series %q is not 2 to 5 capitals", d.Type, s)
			}
		}
		if len(d.States) == 0 {
			t.Errorf("%s has no states", d.Type)
		}
		for _, c := range d.Children {
			claim(d, "table", c.Table)
			claim(d, "node type", c.NodeType)
		}
		got, ok := d.Type.Describe()
		if !ok || got.Table != d.Table || d.Type.Series() != d.Series {
			t.Errorf("%s.Describe() = %+v, %v", d.Type, got, ok)
		}
	}
	if _, ok := DocumentType("NO_SUCH_TYPE").Describe(); ok {
		t.Error("an undescribed type was described")
	}
}
