package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/graph"
	"salesgraph/sales"
)

// TestPrefetch_NoLevelWaitsForTheLoaderTimer proves that the edges of a
// listed level are loaded by the level that lists them, not by a loader
// waiting for more keys: with the loaders' timer set to a minute and every
// operation bounded to 10 seconds, deep pages of every document type still
// answer, at an exact statement count that does not grow with the page.
// Before prefetching, each of these queries waited for the timer at every
// level and failed with TIMEOUT.
func TestPrefetch_NoLevelWaitsForTheLoaderTimer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "1000", "gadget": "1000"})
	e.shippedOrders(t, s, 3)
	// The set-up above is served with the usual timer; the queries below by
	// a server whose timer would outlast their deadline.
	e = e.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
		c.Limits.MaxCost = 1_000_000 // the deep page below is costly by design
	})
	queries := map[string]string{
		"orders": `query($n: Int!) { orders(first: $n) { edges { node { number
			customer { code salesRep { email } priceList { code } shippingAddresses { label } }
			warehouse { code } createdBy { email }
			lines { quantity unitPrice total product { sku } }
			deliveries { number warehouse { code } lines { quantity orderLine { lineNo } product { sku } } }
			history { action actor { email } } statusEvents { status actor { email } } } } } }`,
		"customers": `query($n: Int!) { customers(first: $n) { nodes { code
			orders(first: 5) { nodes { number lines { product { sku } } } } quotes(first: 5) { nodes { number } } } } }`,
		"deliveries": `query($n: Int!) { deliveries(first: $n) { nodes { number
			order { number customer { code } } lines { orderLine { product { sku } } } } } }`,
		"priceLists": `query($n: Int!) { priceLists(first: $n) { nodes { code items(first: 5) { nodes { unitPrice product { sku } } } } } }`,
		"products":   `query($n: Int!) { products(first: $n) { nodes { sku stockLevels { nodes { onHand product { sku } warehouse { code } } } } } }`,
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			count := func(n int) int64 {
				before := e.store.Statements()
				e.with(t).must(sales.RoleAdmin, q, map[string]any{"n": n}, nil)
				return e.store.Statements() - before
			}
			count(1) // signs the viewer in; later requests find them cached
			one, three := count(1), count(3)
			if one != three || count(3) != three {
				t.Fatalf("statements per request: %d for 1 parent, %d for 3, then %d", one, three, count(3))
			}
			t.Logf("%s: %d statements for 1 or 3 parents", name, three)
		})
	}
}

// TestPrefetch_NodesLoadEachTypeOnce: nodes(ids:) starts every type's
// statement before it awaits any row, so 100 IDs of two types cost what 50
// and 10 do, and nothing waits for the loader timer (set to a minute here; before,
// each ID waited for it in turn). A sales rep's visibility checks (the
// customer of each) are loaded the same way.
func TestPrefetch_NodesLoadEachTypeOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.users[sales.RoleAdmin]
	rep := e.users[sales.RoleSalesRep]
	var products, customers []string
	for i := range 50 {
		p, err := e.store.Products.Create(ctx, admin, sales.Product{SKU: fmt.Sprint("N-", i), Name: "Product", UnitOfMeasure: "EA", Active: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		products = append(products, relayID("Product", p.ID))
		c, err := e.store.Customers.Create(ctx, admin, sales.Customer{Code: fmt.Sprintf("N%03d", i), Name: "Customer", Currency: "EUR",
			CreditLimit: decimal.NewFromInt(100), SalesRepID: &rep.ID}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		customers = append(customers, relayID("Customer", c.ID))
	}
	e = e.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
	})
	const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { sku } ... on Customer { code } } }`
	for _, role := range []sales.Role{sales.RoleAdmin, sales.RoleSalesRep} {
		t.Run(string(role), func(t *testing.T) {
			count := func(n int) int64 {
				ids := append(append([]string{}, products[:n]...), customers[:n]...)
				var out struct{ Nodes []*struct{ ID string } }
				before := e.store.Statements()
				e.with(t).must(role, q, map[string]any{"ids": ids}, &out)
				got := e.store.Statements() - before
				for i, n := range out.Nodes {
					if n == nil || n.ID != ids[i] {
						t.Fatalf("node %d: %+v, want %s", i, n, ids[i])
					}
				}
				return got
			}
			count(1) // signs the viewer in; later requests find them cached
			few, half, many := count(5), count(25), count(50)
			t.Logf("statements: %d for 10 IDs, %d for 50, %d for 100", few, half, many)
			if few != many || half != many || many > 2 {
				t.Fatalf("statements: %d for 10 IDs, %d for 50, %d for 100; want the same, at most 2 (one per type)", few, half, many)
			}
		})
	}
}
