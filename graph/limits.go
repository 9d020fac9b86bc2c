package graph

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"salesgraph/sales"
)

// Bounds on every string a client sends, checked before any resolver runs,
// so no SQL ever sees one. The domain has tighter limits of its own (names,
// codes); these catch every argument it does not check, such as a megabyte
// search that held the whole pool with ILIKE scans.
const maxStringLen = 10_000

// argumentLimits are tighter bounds by argument or input field name.
var argumentLimits = map[string]int{
	"search": 200,
}

// InputLimits is a gqlgen extension that refuses, with VALIDATION on the
// field, any string argument (inline or from variables, however deeply
// nested in input objects and lists) that is longer than its bound or holds
// a NUL character, which PostgreSQL text cannot store.
type InputLimits struct{}

var (
	_ graphql.HandlerExtension        = InputLimits{}
	_ graphql.OperationContextMutator = InputLimits{}
)

func (InputLimits) ExtensionName() string                          { return "InputLimits" }
func (InputLimits) Validate(schema graphql.ExecutableSchema) error { return nil }

func (InputLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if err := checkSelections(oc, oc.Operation.SelectionSet, map[string]bool{}); err != nil {
		return &gqlerror.Error{Message: err.Message, Err: err, Extensions: map[string]any{"code": string(err.Code)}}
	}
	return nil
}

func checkSelections(oc *graphql.OperationContext, set ast.SelectionSet, seen map[string]bool) *sales.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, arg := range s.Arguments {
				v, err := arg.Value.Value(oc.Variables)
				if err != nil {
					continue // validation has already refused what does not resolve
				}
				if e := checkValue(arg.Name, arg.Name, v); e != nil {
					return e
				}
			}
			if e := checkSelections(oc, s.SelectionSet, seen); e != nil {
				return e
			}
		case *ast.InlineFragment:
			if e := checkSelections(oc, s.SelectionSet, seen); e != nil {
				return e
			}
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := oc.Doc.Fragments.ForName(s.Name); f != nil {
				if e := checkSelections(oc, f.SelectionSet, seen); e != nil {
					return e
				}
			}
		}
	}
	return nil
}

// checkValue walks one resolved argument value; name is the innermost
// argument or input field name, which picks the bound.
func checkValue(path, name string, v any) *sales.Error {
	switch x := v.(type) {
	case string:
		limit, ok := argumentLimits[name]
		if !ok {
			limit = maxStringLen
		}
		if len(x) > limit && utf8.RuneCountInString(x) > limit {
			return sales.Errorf(sales.CodeValidation, path, "%s may be at most %d characters", name, limit)
		}
		if strings.IndexByte(x, 0) >= 0 {
			return sales.Errorf(sales.CodeValidation, path, "%s may not contain NUL characters", name)
		}
	case []any:
		for i, el := range x {
			if e := checkValue(fmt.Sprintf("%s.%d", path, i), name, el); e != nil {
				return e
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if e := checkValue(path+"."+k, k, x[k]); e != nil {
				return e
			}
		}
	}
	return nil
}
