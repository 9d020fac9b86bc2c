package graph

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// decodedPOST answers exactly as gqlgen's POST transport does, given the
// body checkBody decoded: the same status, Content-Type and body.
func TestDecodedPOSTAnswersAsGqlgenPOST(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}, Directives: DirectiveRoot{HasRole: hasRole}})
	theirs := handler.New(schema)
	theirs.AddTransport(transport.POST{})
	ours := handler.New(schema)
	ours.AddTransport(decodedPOST{})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	for _, tc := range []struct{ name, accept, body string }{
		{"Query", "", `{"query": "{ __typename }"}`},
		{"OperationName", "", `{"query": "query A { a: __typename } query B { b: __typename }", "operationName": "B"}`},
		{"NumberVariable", "", `{"query": "query($n: Int) { __type(name: \"Query\") { name } }", "variables": {"n": 12345678901234567890}}`},
		{"ParseError", "", `{"query": "{ __typename "}`},
		{"ParseErrorGraphQLResponse", "application/graphql-response+json", `{"query": "{ __typename "}`},
		{"UnknownField", "application/json", `{"query": "{ nosuchfield }"}`},
		{"UnknownOperation", "", `{"query": "query A { __typename }", "operationName": "B"}`},
		{"BadVariable", "", `{"query": "query($n: Int!) { __typename }", "variables": {"n": "x"}}`},
		{"AcceptAnything", "*/*", `{"query": "{ __typename }"}`},
		{"AcceptOther", "text/html", `{"query": "{ __typename }"}`},
		{"AcceptList", "text/html, application/graphql-response+json;q=0.9", `{"query": "{ nosuchfield }"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(tc.body))
				r.Header.Set("Content-Type", "application/json")
				if tc.accept != "" {
					r.Header.Set("Accept", tc.accept)
				}
				return r
			}
			want := httptest.NewRecorder()
			theirs.ServeHTTP(want, req())

			r := req()
			info := &requestInfo{}
			r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
			if info.params = checkBody(httptest.NewRecorder(), r, logger); info.params == nil {
				t.Fatal("checkBody refused the body")
			}
			got := httptest.NewRecorder()
			ours.ServeHTTP(got, r)

			if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || got.Body.String() != want.Body.String() {
				t.Fatalf("decodedPOST: HTTP %d %s %s\ngqlgen POST: HTTP %d %s %s",
					got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
			}
		})
	}
}
