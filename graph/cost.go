package graph

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// The cost of an operation is the number of field values it may produce,
// counted before it runs: every field costs 1, and a list field costs its
// selection once per item it may return. How many items a list may return
// comes from the schema:
//
//   - a field with first/last (a connection: the schema test refuses a plain
//     list that takes first) returns that many, defaultPageSize when neither
//     is sent; a connection's nodes and edges are its page;
//   - any other list declares its bound with @bound(max: N), and the
//     resolver never returns more (TestSchema_EveryListHasAMultiplier).
//
// Fragments and inline fragments count where they are spread, so a fragment
// costs the same as the fields written out; an abstract field counts every
// type condition. The count saturates instead of overflowing.

// costCeiling is where the count stops growing: far above any limit, far
// below overflow.
const costCeiling = math.MaxInt64 / 4

// unboundedList is the multiplier of a list field that declares no bound; the
// schema test keeps there being none, and this keeps the count honest anyway.
const unboundedList = 1000

// largestPage is the largest first/last any field accepts.
const largestPage = maxPageSize

// boundDirective declares a plain list's largest length.
const boundDirective = "bound"

func satAdd(a, b int64) int64 { return min(costCeiling, a+b) }

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > costCeiling/b {
		return costCeiling
	}
	return min(costCeiling, a*b)
}

// operationCost is op's cost in doc (validated, so fields and fragments
// carry their definitions) with vars (coerced).
func operationCost(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) int64 {
	c := coster{doc: doc, vars: vars, fragments: map[fragmentKey]int64{}}
	return c.set(op.SelectionSet, 0)
}

type fragmentKey struct {
	name string
	page int64
}

type coster struct {
	doc       *ast.QueryDocument
	vars      map[string]any
	fragments map[fragmentKey]int64 // memo: nested spreads stay linear to count
}

// set is the cost of a selection set; page is the enclosing connection's page
// size (0 outside a connection), which its nodes and edges take.
func (c *coster) set(set ast.SelectionSet, page int64) int64 {
	var total int64
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			total = satAdd(total, c.field(s, page))
		case *ast.InlineFragment:
			total = satAdd(total, c.set(s.SelectionSet, page))
		case *ast.FragmentSpread:
			total = satAdd(total, c.fragment(s, page))
		}
	}
	return total
}

func (c *coster) fragment(s *ast.FragmentSpread, page int64) int64 {
	key := fragmentKey{s.Name, page}
	if v, ok := c.fragments[key]; ok {
		return v
	}
	def := s.Definition
	if def == nil {
		def = c.doc.Fragments.ForName(s.Name)
	}
	if def == nil {
		return 0
	}
	c.fragments[key] = 0 // a cycle (refused by validation) adds nothing
	v := c.set(def.SelectionSet, page)
	c.fragments[key] = v
	return v
}

func (c *coster) field(f *ast.Field, page int64) int64 {
	def := f.Definition
	if def == nil || len(f.SelectionSet) == 0 {
		return 1
	}
	items, childPage := int64(1), int64(0)
	// Introspection reads the schema in memory, not the database; its size is
	// bounded by the schema, the document limits and gqlparser's
	// MaxIntrospectionDepth rule, so its lists count once.
	isList := def.Type != nil && def.Type.Elem != nil && !isIntrospectionField(f)
	if n, paged := c.pageSize(f); paged {
		if isList {
			items = n // a plain list that takes first, should one appear
		} else {
			childPage = n // a connection: its nodes and edges are the page
		}
	} else if isList {
		items = listBound(f, def, c.vars, page)
	}
	return satAdd(1, satMul(items, c.set(f.SelectionSet, childPage)))
}

func isIntrospectionField(f *ast.Field) bool {
	return strings.HasPrefix(f.Name, "__") || (f.ObjectDefinition != nil && strings.HasPrefix(f.ObjectDefinition.Name, "__"))
}

// pageSize is first or last of a field that takes them, defaultPageSize
// when neither is sent.
func (c *coster) pageSize(f *ast.Field) (int64, bool) {
	if f.Definition.Arguments.ForName("first") == nil && f.Definition.Arguments.ForName("last") == nil {
		return 0, false
	}
	args := argumentMap(f, c.vars)
	for _, name := range []string{"first", "last"} {
		if n, ok := toInt(args[name]); ok {
			// A page above every list's maximum is refused by its resolver
			// (VALIDATION on first) before it resolves anything below.
			return min(max(0, n), largestPage), true
		}
	}
	return defaultPageSize, true
}

// listBound is how many items a list without first/last may return: the
// connection's page for its nodes and edges, else the field's @bound (the
// length of an ids argument when that is smaller).
func listBound(f *ast.Field, def *ast.FieldDefinition, vars map[string]any, page int64) int64 {
	if d := def.Directives.ForName(boundDirective); d != nil {
		bound, ok := toInt(directiveArg(d, "max"))
		if !ok {
			bound = unboundedList
		}
		if ids, ok := argumentMap(f, vars)["ids"].([]any); ok {
			bound = min(bound, int64(len(ids)))
		}
		return bound
	}
	if page > 0 {
		return page
	}
	return unboundedList
}

// argumentMap is f's arguments with variables and defaults applied; a value
// that cannot be read (validation has refused it already) is left out.
func argumentMap(f *ast.Field, vars map[string]any) (args map[string]any) {
	defer func() {
		if recover() != nil {
			args = nil
		}
	}()
	return f.ArgumentMap(vars)
}

func directiveArg(d *ast.Directive, name string) any {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil
	}
	v, err := a.Value.Value(nil)
	if err != nil {
		return nil
	}
	return v
}

// toInt reads an Int argument however it was decoded.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}
