package graph_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// TestLoaders_StatementsPerPage proves the edges batch: a page of customers
// with their price lists, sales reps and 10 shipping addresses each costs the
// same number of SQL statements whether it holds 5 customers or 50.
func TestLoaders_StatementsPerPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.users[sales.RoleAdmin]
	var lists []*sales.PriceList
	for i := range 3 {
		l, err := e.store.PriceLists.Create(ctx, admin, sales.PriceList{Code: fmt.Sprintf("PL%d", i), Name: "List", Currency: "EUR"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, l)
	}
	var reps []*sales.User
	for i := range 4 {
		u, _ := e.addUser(fmt.Sprintf("rep%d@loaders.example", i), sales.RoleSalesRep)
		reps = append(reps, u)
	}
	for i := range 50 {
		var addrs []sales.ShippingAddress
		for k := range 10 {
			addrs = append(addrs, sales.ShippingAddress{Label: fmt.Sprint("site ", k), Line1: "Road 1", City: "Town", Country: "DE", IsDefault: k == 0})
		}
		_, err := e.store.Customers.Create(ctx, admin, sales.Customer{Code: fmt.Sprintf("C%03d", i), Name: "Customer", Currency: "EUR",
			CreditLimit: decimal.NewFromInt(100), PriceListID: &lists[i%3].ID, SalesRepID: &reps[i%4].ID}, addrs, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	const q = `query($n: Int!) { customers(first: $n) { totalCount nodes {
		code priceList { code items { nodes { minQuantity } } } salesRep { email role }
		shippingAddresses { label address { city } } } } }`
	count := func(n int) (int64, int) {
		before := e.store.Statements()
		var out struct {
			Customers struct {
				Nodes []struct {
					ShippingAddresses []struct{ Label string }
					PriceList         *struct{ Code string }
					SalesRep          *struct{ Email string }
				}
			}
		}
		e.with(t).must(sales.RoleViewer, q, map[string]any{"n": n}, &out)
		got := e.store.Statements() - before
		addrs := 0
		for _, c := range out.Customers.Nodes {
			if c.PriceList == nil || c.SalesRep == nil {
				t.Fatalf("an edge came back empty: %+v", c)
			}
			addrs += len(c.ShippingAddresses)
		}
		return got, addrs
	}
	// The level that lists the customers loads their edges (prefetch.go),
	// so the count is exact on every try, not only the best of several.
	best := func(n int) (int64, int) {
		count(n) // signs the viewer in; later requests find them cached
		first, addrs := count(n)
		for range 2 {
			if again, _ := count(n); again != first {
				t.Fatalf("page of %d: %d statements, then %d", n, first, again)
			}
		}
		return first, addrs
	}
	small, smallAddrs := best(5)
	large, largeAddrs := best(50)
	if smallAddrs != 50 || largeAddrs != 500 {
		t.Fatalf("addresses: %d and %d, want 50 and 500", smallAddrs, largeAddrs)
	}
	if small != large {
		t.Fatalf("5 customers cost %d statements, 50 cost %d: the edges do not batch", small, large)
	}
	// One for the page, one for totalCount (asked for here), one per edge
	// loader (price list, items, rep, addresses); the viewer is cached.
	if large != 6 {
		t.Fatalf("a page costs %d statements, want 6", large)
	}
	t.Logf("statements per request: %d for 5 customers, %d for 50", small, large)
}
