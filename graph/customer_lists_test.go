package graph_test

import (
	"slices"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/sales"
)

type orderNumbersPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage bool
		EndCursor   *string
	}
	Nodes []struct{ Number string }
}

// TestCustomerOrders_PagedPastTheOldCut: customer.orders stopped at 100
// orders silently. It is now a connection like the root orders list: a
// customer's 105 orders come back in two pages, in the root list's order,
// with hasNextPage and totalCount telling the truth; another customer's
// orders never show, and a filter naming another customer is refused.
func TestCustomerOrders_PagedPastTheOldCut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, nil)
	const n = 105
	for range n {
		e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "1")))
	}
	other := e.with(t).createCustomer(sales.RoleAdmin, validCustomer("CUST-2")).ID
	otherOrder := e.createOrder(t, sales.RoleAdmin, map[string]any{"input": map[string]any{
		"customerId": other, "warehouseId": s.warehouse, "lines": []any{line(s.widget, "1")}}})

	const byCustomer = `query($id: ID!, $after: String) { customer(id: $id) {
		orders(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { number } } } }`
	var first, second struct {
		Customer struct{ Orders orderNumbersPage }
	}
	e.with(t).must(sales.RoleAdmin, byCustomer, map[string]any{"id": s.customer}, &first)
	p1 := first.Customer.Orders
	if len(p1.Nodes) != 100 || !p1.PageInfo.HasNextPage || p1.TotalCount != n || p1.PageInfo.EndCursor == nil {
		t.Fatalf("first page: %d orders, hasNextPage %v, totalCount %d; want 100, true, %d", len(p1.Nodes), p1.PageInfo.HasNextPage, p1.TotalCount, n)
	}
	e.with(t).must(sales.RoleAdmin, byCustomer, map[string]any{"id": s.customer, "after": *p1.PageInfo.EndCursor}, &second)
	p2 := second.Customer.Orders
	if len(p2.Nodes) != n-100 || p2.PageInfo.HasNextPage {
		t.Fatalf("second page: %d orders, hasNextPage %v; want %d, false", len(p2.Nodes), p2.PageInfo.HasNextPage, n-100)
	}
	var got []string
	for _, o := range append(p1.Nodes, p2.Nodes...) {
		got = append(got, o.Number)
	}

	// The same orders, in the same order, as the root list filtered by the customer.
	var want []string
	var after any
	for {
		var page struct{ Orders orderNumbersPage }
		e.with(t).must(sales.RoleAdmin, `query($id: ID!, $after: String) { orders(first: 100, after: $after, filter: {customerId: $id}) {
			totalCount pageInfo { hasNextPage endCursor } nodes { number } } }`, map[string]any{"id": s.customer, "after": after}, &page)
		for _, o := range page.Orders.Nodes {
			want = append(want, o.Number)
		}
		if !page.Orders.PageInfo.HasNextPage {
			break
		}
		after = *page.Orders.PageInfo.EndCursor
	}
	if !slices.Equal(got, want) {
		t.Fatalf("customer.orders:\n%v\nroot orders filtered by the customer:\n%v", got, want)
	}
	if slices.Contains(got, otherOrder.Number) {
		t.Fatalf("another customer's order %s is listed", otherOrder.Number)
	}

	// A page of customers, each with its first page (the batched path): each
	// customer gets its own newest orders, and the page continues with its cursor.
	var list struct {
		Customers struct {
			Nodes []struct {
				Code   string
				Orders orderNumbersPage
			}
		}
	}
	e.with(t).must(sales.RoleAdmin, `{ customers(first: 10) { nodes { code
		orders(first: 3) { pageInfo { hasNextPage endCursor } nodes { number } } } } }`, nil, &list)
	for _, c := range list.Customers.Nodes {
		var wantNumbers []string
		wantMore := false
		switch c.Code {
		case "CUST-1":
			wantNumbers, wantMore = want[:3], true
		case "CUST-2":
			wantNumbers = []string{otherOrder.Number}
		default:
			continue
		}
		var numbers []string
		for _, o := range c.Orders.Nodes {
			numbers = append(numbers, o.Number)
		}
		if !slices.Equal(numbers, wantNumbers) || c.Orders.PageInfo.HasNextPage != wantMore {
			t.Errorf("%s: orders(first: 3) = %v, hasNextPage %v; want %v, %v", c.Code, numbers, c.Orders.PageInfo.HasNextPage, wantNumbers, wantMore)
		}
		if c.Code == "CUST-1" {
			var next struct {
				Customer struct{ Orders orderNumbersPage }
			}
			e.with(t).must(sales.RoleAdmin, `query($id: ID!, $after: String) { customer(id: $id) {
				orders(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { number } } } }`,
				map[string]any{"id": s.customer, "after": *c.Orders.PageInfo.EndCursor}, &next)
			var nums []string
			for _, o := range next.Customer.Orders.Nodes {
				nums = append(nums, o.Number)
			}
			if !slices.Equal(nums, want[3:6]) {
				t.Errorf("the batched page's cursor continues with %v, want %v", nums, want[3:6])
			}
		}
	}

	r := e.as(sales.RoleAdmin, `query($id: ID!, $other: ID!) { customer(id: $id) { orders(filter: {customerId: $other}) { nodes { number } } } }`,
		map[string]any{"id": s.customer, "other": other})
	wantError(t, r, "VALIDATION", "filter.customerId")
}

// TestCustomerQuotes_LiveRevisionsPaged: customer.quotes lists the live
// revisions (as the root quotes list does by default) and all revisions with
// latestOnly false, paged the same way.
func TestCustomerQuotes_LiveRevisionsPaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, nil)
	var q qtQuote
	for range 3 {
		q = e.qtCreate(t, sales.RoleAdmin, map[string]any{"customerId": s.customer, "validUntil": "2099-12-31", "lines": []any{line(s.widget, "1")}})
	}
	// The newest quote is sent and revised: it now has two revisions, one live.
	q = e.qtMust(t, sales.RoleAdmin, "sendQuote", q, nil)
	e.qtMust(t, sales.RoleAdmin, "reviseQuote", q, map[string]any{"input": map[string]any{}})

	const query = `query($id: ID!, $latest: Boolean) { customer(id: $id) {
		live: quotes(first: 2) { pageInfo { hasNextPage } nodes { number } }
		all: quotes(first: 10, filter: {latestOnly: $latest}) { totalCount nodes { number } } } }`
	var out struct {
		Customer struct {
			Live struct {
				PageInfo struct{ HasNextPage bool }
				Nodes    []struct{ Number string }
			}
			All struct {
				TotalCount int
				Nodes      []struct{ Number string }
			}
		}
	}
	e.with(t).must(sales.RoleAdmin, query, map[string]any{"id": s.customer, "latest": false}, &out)
	if len(out.Customer.Live.Nodes) != 2 || !out.Customer.Live.PageInfo.HasNextPage {
		t.Fatalf("live: %+v, want 2 of 3 live revisions and more to come", out.Customer.Live)
	}
	if got := out.Customer.Live.Nodes[0].Number; got != q.Number+"-R2" {
		t.Errorf("newest live quote %s, want the revision %s-R2", got, q.Number)
	}
	if out.Customer.All.TotalCount != 4 || len(out.Customer.All.Nodes) != 4 {
		t.Errorf("all revisions: totalCount %d, %d nodes; want 4 (3 quotes, one revised)", out.Customer.All.TotalCount, len(out.Customer.All.Nodes))
	}
}

// TestCustomerOrders_FirstPagesPrefetchedWithVariables: a page of customers
// with their first orders and quotes, `first` sent as a variable, is read
// with one statement per list for all the customers (the same count for 1
// and 2 customers), and never waits for the loader timer (a minute here).
func TestCustomerOrders_FirstPagesPrefetchedWithVariables(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, nil)
	for range 3 {
		e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "1")))
	}
	other := e.with(t).createCustomer(sales.RoleAdmin, validCustomer("CUST-2")).ID
	e.createOrder(t, sales.RoleAdmin, map[string]any{"input": map[string]any{
		"customerId": other, "warehouseId": s.warehouse, "lines": []any{line(s.widget, "1")}}})
	e = e.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
	})
	const q = `query($n: Int!, $k: Int) { customers(first: $n) { nodes { code
		orders(first: $k) { pageInfo { hasNextPage } nodes { number lines { product { sku } } } }
		quotes(first: $k) { nodes { number } } } } }`
	count := func(n int) int64 {
		before := e.store.Statements()
		var out struct {
			Customers struct {
				Nodes []struct {
					Orders struct{ Nodes []struct{ Number string } }
				}
			}
		}
		e.with(t).must(sales.RoleAdmin, q, map[string]any{"n": n, "k": 2}, &out)
		if len(out.Customers.Nodes) != n || len(out.Customers.Nodes[0].Orders.Nodes) == 0 {
			t.Fatalf("customers(first: %d): %+v", n, out)
		}
		return e.store.Statements() - before
	}
	count(1) // signs the viewer in; later requests find them cached
	one, two := count(1), count(2)
	if one != two {
		t.Fatalf("statements: %d for 1 customer, %d for 2", one, two)
	}
	t.Logf("%d statements for 1 or 2 customers with their orders, lines, products and quotes", two)
}
