package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

// stockedEnv is an env with a few products held in a few warehouses, so that
// every edge of the stock graph has rows behind it.
func stockedEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.users[sales.RoleAdmin]
	var warehouses []*sales.Warehouse
	for i := range 2 {
		w, err := e.store.Warehouses.Create(ctx, admin, sales.Warehouse{Code: fmt.Sprint("WH", i), Name: "Warehouse", Active: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		warehouses = append(warehouses, w)
	}
	for i := range 3 {
		p, err := e.store.Products.Create(ctx, admin, sales.Product{SKU: fmt.Sprint("SKU-", i), Name: "Product", UnitOfMeasure: "EA", Active: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range warehouses {
			if _, err := e.store.Stock.Receive(ctx, admin, db.StockChange{ProductID: p.ID, WarehouseID: w.ID, Quantity: decimal.NewFromInt(5)}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return e
}

// aliasFlood is the query: n aliases of a products page nested
// through stock levels and back, 25 KB at n = 700.
func aliasFlood(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: products(first: 100) { nodes { stockLevels { warehouse { stockLevels { product { name } } } } } }", i)
	}
	b.WriteString(" }")
	return b.String()
}

// wantTooComplex asserts r was refused as QUERY_TOO_COMPLEX naming the limit
// it broke (kind; "" for any), with the measured figure above the limit, and
// returns the figure.
func wantTooComplex(t *testing.T, r gqltest.Response, kind string) float64 {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want QUERY_TOO_COMPLEX (%s), got data %.300s", kind, r.Data)
	}
	e := r.Errors[0]
	if e.Code() != "QUERY_TOO_COMPLEX" {
		t.Fatalf("error = %s (%q), want QUERY_TOO_COMPLEX", e.Code(), e.Message)
	}
	got, _ := e.Extensions["limitKind"].(string)
	if got == "" || (kind != "" && got != kind) {
		t.Fatalf("limitKind = %q (%q), want %q", got, e.Message, kind)
	}
	kind = got
	value, _ := e.Extensions[kind].(float64)
	limit, _ := e.Extensions["limit"].(float64)
	if limit <= 0 || value <= limit {
		t.Fatalf("extensions %v: want %s above a positive limit", e.Extensions, kind)
	}
	assertNoLeak(t, e)
	return value
}

// Item 3: the alias flood, as the weakest role, is refused by its
// cost before a single SQL statement runs for it. 700 aliases is the issue's
// document; 500 fits under the parser's token limit, which alone stops 700.
func TestCost_AliasFloodRefusedBeforeSQL(t *testing.T) {
	t.Parallel()
	e := stockedEnv(t)
	// Signing in reads the user: measure that on a query that reads nothing else.
	before := e.store.Statements()
	e.must(sales.RoleViewer, `{ __typename }`, nil, nil)
	signIn := e.store.Statements() - before

	for _, n := range []int{500, 700} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			q := aliasFlood(n)
			before := e.store.Statements()
			r := e.as(sales.RoleViewer, q, nil)
			ran := e.store.Statements() - before
			wantTooComplex(t, r, "")
			if ran != signIn {
				t.Fatalf("the refused query ran %d SQL statements beyond signing in (%d)", ran-signIn, signIn)
			}
			t.Logf("%d-byte, %d-alias flood refused: %s", len(q), n, r.Errors[0].Message)
		})
	}
}

// typenameFlood is the item 4 document: n selections of __typename.
func typenameFlood(n int) string {
	return "{" + strings.Repeat(" __typename", n) + " }"
}

// Item 4: a 154 KB document of __typename, without a token, is refused by
// the cheap count on the parsed document, before validation.
func TestLimits_TypenameFloodWithoutToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := gqltest.Post(t, e.url+"/graphql", "", typenameFlood(14000), nil)
	wantTooComplex(t, r, "")
	t.Logf("refused: %s", r.Errors[0].Message)
}
