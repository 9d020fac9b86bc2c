package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"salesgraph/graph"
	"salesgraph/sales"
)

// TestAuthorizationMatrix calls every mutation in the schema as every role
// (and with no token) and checks the answer against the mutation's @hasRole
// rule: a role outside it gets FORBIDDEN and nothing changes; a role inside
// it gets past the guard (whatever its placeholder input then earns). A
// mutation without a rule fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	cells := 0
	for _, field := range schema.Mutation.Fields {
		if strings.HasPrefix(field.Name, "__") {
			continue
		}
		rule := field.Directives.ForName("hasRole")
		if rule == nil {
			t.Errorf("mutation %s has no @hasRole rule", field.Name)
			continue
		}
		var allowed []sales.Role
		for _, v := range rule.Arguments.ForName("roles").Value.Children {
			allowed = append(allowed, sales.Role(v.Value.Raw))
		}
		query := placeholderCall(schema, field)
		t.Run(field.Name, func(t *testing.T) {
			unchanged(t, e.store, func() {
				if r := e.with(t).as("anonymous", query, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
					t.Errorf("no token: %+v", r.Errors)
				}
			})
			for _, role := range sales.Roles {
				r := e.with(t).as(role, query, nil)
				cells++
				var code string
				if len(r.Errors) > 0 {
					code = r.Errors[0].Code()
				}
				if slices.Contains(allowed, role) {
					if code == "FORBIDDEN" && !strings.Contains(r.Errors[0].Message, "only a") && !strings.Contains(r.Errors[0].Message, "an accountant") {
						t.Errorf("%s may call %s but got FORBIDDEN: %s", role, field.Name, r.Errors[0].Message)
					}
					if code == "GRAPHQL_VALIDATION_FAILED" || code == "GRAPHQL_PARSE_FAILED" {
						t.Fatalf("placeholder call is not valid GraphQL: %s\n%s", r.Errors[0].Message, query)
					}
				} else if code != "FORBIDDEN" {
					t.Errorf("%s may not call %s but got %q (%+v)", role, field.Name, code, r.Errors)
				}
			}
		})
	}
	t.Logf("%d mutation × role cells checked", cells)
}

// placeholderCall writes a call of a mutation with well-formed placeholder
// arguments for every required argument and input field.
func placeholderCall(schema *ast.Schema, f *ast.FieldDefinition) string {
	var args []string
	for _, a := range f.Arguments {
		if a.Type.NonNull {
			args = append(args, a.Name+": "+placeholder(schema, a.Type))
		}
	}
	sel := ""
	if def := schema.Types[f.Type.Name()]; def != nil && (def.Kind == ast.Object || def.Kind == ast.Interface) {
		sel = " { __typename }"
	}
	return fmt.Sprintf("mutation { %s(%s)%s }", f.Name, strings.Join(args, ", "), sel)
}

func placeholder(schema *ast.Schema, typ *ast.Type) string {
	if typ.Elem != nil {
		return "[" + placeholder(schema, typ.Elem) + "]"
	}
	def := schema.Types[typ.Name()]
	switch {
	case def.Kind == ast.Enum:
		return def.EnumValues[0].Name
	case def.Kind == ast.InputObject:
		var fields []string
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				fields = append(fields, f.Name+": "+placeholder(schema, f.Type))
			}
		}
		return "{" + strings.Join(fields, ", ") + "}"
	}
	switch typ.Name() {
	case "Int":
		return "1"
	case "Boolean":
		return "true"
	case "Decimal":
		return `"1"`
	case "Date":
		return `"2026-01-01"`
	case "DateTime":
		return `"2026-01-01T00:00:00Z"`
	case "Currency":
		return `"EUR"`
	case "ID":
		return `"Tm9wZTox"` // "Nope:1": well-formed, of no type
	}
	return `"x"`
}
