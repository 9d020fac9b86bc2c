package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"salesgraph/sales"
)

// Limits bound what one operation may ask for. The document checks (tokens,
// fields, aliases, depth) run on the parsed document before gqlparser's
// validator, whose overlapping-fields rule is quadratic in a selection set's
// size; the cost runs after validation and before any resolver. Zero fields
// take the defaults below.
type Limits struct {
	// MaxCost bounds the operation's cost: every field counts 1, and a list
	// counts its selection once per item it may return (see cost.go).
	MaxCost int
	// MaxDepth bounds field nesting, through fragments.
	MaxDepth int
	// MaxFields bounds the selections (fields, fragment spreads, inline
	// fragments) written in the document.
	MaxFields int
	// MaxAliases bounds the aliased field selections in the document.
	MaxAliases int
	// MaxTokens bounds the document's lexical tokens.
	MaxTokens int
	// Anonymous holds the same document limits for requests without a
	// signed-in user, who can read nothing but the schema.
	Anonymous DocumentLimits
	// OperationTimeout bounds each operation; its context reaches SQL.
	OperationTimeout time.Duration
	// MaxResponseBytes bounds a response's data.
	MaxResponseBytes int
}

// DocumentLimits are the cheap checks on a document. MaxBytes, checked
// before parsing, applies to anonymous requests only: a signed-in one is
// bounded by the body cap.
type DocumentLimits struct {
	MaxBytes, MaxTokens, MaxFields, MaxAliases, MaxDepth int
}

// DefaultLimits are generous for every screen of the app and GraphiQL's
// introspection, and stop the floods: a document's own size (tokens, fields,
// aliases) and the rows it may pull (cost). The cost limit admits the
// dashboard's page of 100 orders with their lines, products and deliveries
// (cost 304,602, because an order may hold 500 lines and 20 deliveries); the
// response cap and the operation deadline bound what such a page can take when
// the data really is that large. Measured before: an accepted query of cost
// 168,204 (80,000 stock levels, a 2 MB response) took the process to 177 MB.
var DefaultLimits = Limits{
	MaxCost:    400000,
	MaxDepth:   15,
	MaxFields:  1000,
	MaxAliases: 100,
	MaxTokens:  15000, // CVE-2023-49559: directive and alias floods
	// GraphiQL's introspection query is 2 KB, ~400 tokens and ~100 fields.
	Anonymous:        DocumentLimits{MaxBytes: 16 << 10, MaxTokens: 2000, MaxFields: 200, MaxAliases: 10, MaxDepth: 15},
	OperationTimeout: 30 * time.Second,
	MaxResponseBytes: 10 << 20,
}

// withDefaults fills l's zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	pick(&l.MaxCost, d.MaxCost)
	pick(&l.MaxDepth, d.MaxDepth)
	pick(&l.MaxFields, d.MaxFields)
	pick(&l.MaxAliases, d.MaxAliases)
	pick(&l.MaxTokens, d.MaxTokens)
	pick(&l.Anonymous.MaxBytes, d.Anonymous.MaxBytes)
	pick(&l.Anonymous.MaxTokens, d.Anonymous.MaxTokens)
	pick(&l.Anonymous.MaxFields, d.Anonymous.MaxFields)
	pick(&l.Anonymous.MaxAliases, d.Anonymous.MaxAliases)
	pick(&l.Anonymous.MaxDepth, d.Anonymous.MaxDepth)
	pick(&l.MaxResponseBytes, d.MaxResponseBytes)
	if l.OperationTimeout == 0 {
		l.OperationTimeout = d.OperationTimeout
	}
	return l
}

func (l Limits) document(ctx context.Context) DocumentLimits {
	if Viewer(ctx) == nil {
		return l.Anonymous
	}
	return DocumentLimits{MaxTokens: l.MaxTokens, MaxFields: l.MaxFields, MaxAliases: l.MaxAliases, MaxDepth: l.MaxDepth}
}

// codeResponseTooLarge is a response whose data exceeded MaxResponseBytes.
const codeResponseTooLarge sales.Code = "RESPONSE_TOO_LARGE"

// tooComplex is the QUERY_TOO_COMPLEX error: which limit, the figure and the limit.
func tooComplex(kind string, value, limit int64, hint string) *gqlerror.Error {
	return &gqlerror.Error{
		Message: fmt.Sprintf("the query's %s (%d) is above the limit of %d: %s", kind, value, limit, hint),
		Extensions: map[string]any{
			"code":      string(sales.CodeQueryTooComplex),
			"limitKind": kind,
			kind:        value,
			"limit":     limit,
		},
	}
}

// limitsExtension applies Limits inside gqlgen's executor, so POST, GET and
// websocket operations pass the same checks.
type limitsExtension struct {
	limits Limits
}

var (
	_ graphql.HandlerExtension          = limitsExtension{}
	_ graphql.OperationParameterMutator = limitsExtension{}
	_ graphql.OperationContextMutator   = limitsExtension{}
	_ graphql.ResponseInterceptor       = limitsExtension{}
)

func (limitsExtension) ExtensionName() string                   { return "Limits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters parses the document and counts it before the
// executor validates it. Parsing is linear and cheap; a document that
// passes is parsed again by the executor (or found in its cache).
func (x limitsExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	l := x.limits.document(ctx)
	if l.MaxBytes > 0 && len(p.Query) > l.MaxBytes {
		return tooComplex("bytes", int64(len(p.Query)), int64(l.MaxBytes), "sign in, or send a shorter document")
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.MaxTokens)
	if err != nil {
		if strings.Contains(err.Error(), "exceeded token limit") {
			return tooComplex("tokens", int64(countTokens(p.Query)), int64(l.MaxTokens), "send a shorter document")
		}
		return nil // the executor reports the syntax error
	}
	c := countDocument(doc)
	switch {
	case c.fields > l.MaxFields:
		return tooComplex("fields", int64(c.fields), int64(l.MaxFields), "ask for fewer fields")
	case c.aliases > l.MaxAliases:
		return tooComplex("aliases", int64(c.aliases), int64(l.MaxAliases), "use fewer aliases")
	case c.depth > l.MaxDepth:
		return tooComplex("depth", int64(c.depth), int64(l.MaxDepth), "nest fields less deeply")
	}
	return nil
}

// MutateOperationContext computes the validated operation's cost, with its
// variables, before any resolver runs.
func (x limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	cost := operationCost(oc.Doc, oc.Operation, oc.Variables)
	oc.Stats.SetExtension("cost", cost)
	if cost > int64(x.limits.MaxCost) {
		return tooComplex("cost", cost, int64(x.limits.MaxCost), "ask for smaller pages (first/last) or fewer nested lists")
	}
	return nil
}

// InterceptResponse puts the operation under its deadline, reports the
// cost of an accepted operation, and refuses a response over the size cap.
// A subscription is left without the deadline: gqlgen calls this once per
// event, and the first call's context starts the subscription's resolver, so
// cancelling it would end the stream after its first event.
func (x limitsExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !isSubscription(ctx) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, x.limits.OperationTimeout)
		defer cancel()
	}
	if graphql.HasOperationContext(ctx) {
		if cost, ok := graphql.GetOperationContext(ctx).Stats.GetExtension("cost").(int64); ok {
			graphql.RegisterExtension(ctx, "cost", cost)
		}
	}
	resp := next(ctx)
	if resp != nil && len(resp.Data) > x.limits.MaxResponseBytes {
		return &graphql.Response{Errors: gqlerror.List{{
			Message: fmt.Sprintf("the response is larger than %d bytes: ask for smaller pages or fewer fields", x.limits.MaxResponseBytes),
			Extensions: map[string]any{"code": string(codeResponseTooLarge), "limit": x.limits.MaxResponseBytes,
				"requestId": RequestID(ctx)},
		}}, Extensions: resp.Extensions}
	}
	return resp
}

// countTokens counts query's lexical tokens (up to the first lexical error),
// for the refusal's message: a linear scan of a body already capped in size.
func countTokens(query string) int {
	lex := lexer.New(&ast.Source{Input: query})
	n := 0
	for {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}

// docCount is what the cheap checks count in a document.
type docCount struct{ fields, aliases, depth int }

// countDocument counts every selection (field, fragment spread, inline
// fragment) and alias written in doc, and
// its deepest field nesting with fragment spreads followed. It runs before
// validation, so fragments may be unknown or cyclic: an unknown one adds
// nothing, and a spread of a fragment already being expanded stops there
// (validation refuses the cycle).
func countDocument(doc *ast.QueryDocument) docCount {
	var c docCount
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				c.fields++
				if s.Alias != "" && s.Alias != s.Name {
					c.aliases++
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				c.fields++
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				c.fields++ // validation compares what each spread brings in
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}

	depths := map[string]int{}
	expanding := map[string]bool{}
	var depth func(ast.SelectionSet) int
	fragment := func(name string) int {
		if d, ok := depths[name]; ok {
			return d
		}
		f := doc.Fragments.ForName(name)
		if f == nil || expanding[name] {
			return 0
		}
		expanding[name] = true
		d := depth(f.SelectionSet)
		delete(expanding, name)
		depths[name] = d
		return d
	}
	depth = func(set ast.SelectionSet) int {
		deepest := 0
		for _, s := range set {
			d := 0
			switch s := s.(type) {
			case *ast.Field:
				d = 1 + depth(s.SelectionSet)
			case *ast.InlineFragment:
				d = depth(s.SelectionSet)
			case *ast.FragmentSpread:
				d = fragment(s.Name)
			}
			deepest = max(deepest, d)
		}
		return deepest
	}
	for _, op := range doc.Operations {
		c.depth = max(c.depth, depth(op.SelectionSet))
	}
	return c
}

func isSubscription(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Subscription
}
