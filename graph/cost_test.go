package graph

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
)

// costOf validates query against the schema and returns its cost.
func costOf(t *testing.T, query string, vars map[string]any) int64 {
	t.Helper()
	schema := NewExecutableSchema(Config{}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		t.Fatalf("invalid query: %v", errs)
	}
	return operationCost(doc, doc.Operations[0], vars)
}

// The issue's item 3 document (its stock levels since made connections): 700 aliases, 28 KB.
func TestCost_IssueQuery(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 700 {
		fmt.Fprintf(&b, "a%d:products(first:100){nodes{stockLevels{nodes{warehouse{stockLevels{nodes{product{name}}}}}}}}", i)
	}
	b.WriteString("}")
	one := costOf(t, "{products(first:100){nodes{stockLevels{nodes{warehouse{stockLevels{nodes{product{name}}}}}}}}}", nil)
	// products 1 + nodes (1 + 100 × stockLevels (1 + nodes (1 + 20 × warehouse (1 + stockLevels (1 + nodes (1 + 20 × product (1 + name 1)))))))
	if want := int64(1 + 1 + 100*(1+1+20*(1+1+1+20*2))); one != want {
		t.Fatalf("one alias costs %d, want %d", one, want)
	}
	all := costOf(t, b.String(), nil)
	if all != 700*one {
		t.Fatalf("700 aliases cost %d, want 700 × %d", all, one)
	}
	t.Logf("%d bytes: cost %d (one alias %d), limit %d", b.Len(), all, one, DefaultLimits.MaxCost)
}

// Fragments that spread the next one twice, 60 deep, would expand to 2^60
// fields: the count stays linear to compute and saturates.
func TestCost_NestedFragmentsCountFast(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ me { ...F0 } }\n")
	for i := range 60 {
		fmt.Fprintf(&b, "fragment F%d on User { a%d: name ...F%d b%d: email ...F%d }\n", i, i, i+1, i, i+1)
	}
	b.WriteString("fragment F60 on User { id }\n")
	start := time.Now()
	cost := costOf(t, b.String(), nil)
	if took := time.Since(start); took > time.Second || cost < int64(DefaultLimits.MaxCost) {
		t.Fatalf("cost %d in %v", cost, took)
	}
}
