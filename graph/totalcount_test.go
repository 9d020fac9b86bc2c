package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"salesgraph/sales"
)

// statementsFor posts query as role and returns how many SQL statements it
// cost (the least of three tries, so a stray statement cannot skew it).
func (e *env) statementsFor(t *testing.T, role sales.Role, query string, vars map[string]any) int64 {
	t.Helper()
	least := int64(1 << 62)
	for range 3 {
		before := e.store.Statements()
		e.with(t).must(role, query, vars, nil)
		least = min(least, e.store.Statements()-before)
	}
	return least
}

// TestTotalCount_OnlyWhenSelected: a page that does not ask for totalCount
// costs one statement (the page); asking for it adds exactly one (the count).
// Before, every page computed count(*) OVER () whether asked or not, so both
// cost the same.
func TestTotalCount_OnlyWhenSelected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 7 {
		e.with(t).createCustomer(sales.RoleAdmin, validCustomer(fmt.Sprintf("TC-%02d", i)))
	}
	for _, field := range []string{"customers", "products", "warehouses", "stockLevels", "stockMovements", "priceLists",
		"users", "quotes", "orders", "deliveries", "returns"} {
		t.Run(field, func(t *testing.T) {
			without := e.statementsFor(t, sales.RoleAdmin, `{ `+field+`(first: 3) { pageInfo { hasNextPage hasPreviousPage } nodes { id } } }`, nil)
			with := e.statementsFor(t, sales.RoleAdmin, `{ `+field+`(first: 3) { totalCount pageInfo { hasNextPage } nodes { id } } }`, nil)
			if with != without+1 {
				t.Fatalf("%s: %d statements without totalCount, %d with; want the count to cost exactly one more statement", field, without, with)
			}
		})
	}
	// Keyset pages read "the last N" backwards from the end, so they need no
	// count; a selected totalCount adds its one statement as for first.
	t.Run("last", func(t *testing.T) {
		first := e.statementsFor(t, sales.RoleAdmin, `{ customers(first: 3) { nodes { id } } }`, nil)
		last := e.statementsFor(t, sales.RoleAdmin, `{ customers(last: 3) { nodes { id } } }`, nil)
		lastWith := e.statementsFor(t, sales.RoleAdmin, `{ customers(last: 3) { totalCount nodes { id } } }`, nil)
		if last != first || lastWith != last+1 {
			t.Fatalf("first 3 cost %d statements, last 3 %d, last 3 with totalCount %d; want last = first (no count) and one more with totalCount", first, last, lastWith)
		}
	})
}

// TestTotalCount_SelectionShapes: totalCount asked for directly, under an
// alias, in a named fragment, in an inline fragment or behind @include comes
// back right, with filters and search; @skip leaves the count unasked.
func TestTotalCount_SelectionShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 12 {
		in := validCustomer(fmt.Sprintf("S-%02d", i))
		in["currency"] = []string{"EUR", "USD"}[i%2]
		e.with(t).createCustomer(sales.RoleAdmin, in)
	}
	const args = `(first: 2, search: $search, filter: $filter)`
	const vars = `query($search: String, $filter: CustomerFilter)`
	shapes := map[string]string{
		"plain":          vars + ` { customers` + args + ` { totalCount nodes { code } } }`,
		"alias":          vars + ` { customers` + args + ` { n: totalCount nodes { code } } }`,
		"fragment":       vars + ` { customers` + args + ` { ...C nodes { code } } } fragment C on CustomerConnection { totalCount }`,
		"inline":         vars + ` { customers` + args + ` { ... on CustomerConnection { totalCount } nodes { code } } }`,
		"nested":         vars + ` { customers` + args + ` { ...C } } fragment C on CustomerConnection { nodes { code } ... { ... on CustomerConnection { totalCount } } }`,
		"include":        `query($search: String, $filter: CustomerFilter, $yes: Boolean!) { customers` + args + ` { totalCount @include(if: $yes) nodes { code } } }`,
		"aliasedListTwo": vars + ` { a: customers` + args + ` { totalCount } b: customers(first: 1) { totalCount } }`,
	}
	for _, tc := range []struct {
		name   string
		search any
		filter any
		want   int
	}{
		{"all", nil, nil, 12},
		{"filter", nil, map[string]any{"currency": "USD"}, 6},
		{"search", "s-0", nil, 10},
		{"filterAndSearch", "s-1", map[string]any{"currency": "EUR"}, 1},
	} {
		for shape, q := range shapes {
			t.Run(tc.name+"/"+shape, func(t *testing.T) {
				var out map[string]map[string]json.RawMessage
				e.with(t).must(sales.RoleViewer, q, map[string]any{"search": tc.search, "filter": tc.filter, "yes": true}, &out)
				key, field := "customers", "totalCount"
				if shape == "alias" {
					field = "n"
				}
				if shape == "aliasedListTwo" {
					key = "a"
					if got := string(out["b"]["totalCount"]); got != "12" {
						t.Fatalf("b.totalCount = %s, want 12", got)
					}
				}
				if got := string(out[key][field]); got != fmt.Sprint(tc.want) {
					t.Fatalf("%s.%s = %s, want %d", key, field, got, tc.want)
				}
			})
		}
	}
	t.Run("skip", func(t *testing.T) {
		skipped := e.statementsFor(t, sales.RoleViewer, `query($no: Boolean!) { customers(first: 2) { totalCount @skip(if: $no) nodes { code } } }`, map[string]any{"no": true})
		asked := e.statementsFor(t, sales.RoleViewer, `query($no: Boolean!) { customers(first: 2) { totalCount @skip(if: $no) nodes { code } } }`, map[string]any{"no": false})
		if asked != skipped+1 {
			t.Fatalf("skipped totalCount cost %d statements, asked %d; want one more when asked", skipped, asked)
		}
	})
}

// TestTotalCount_PageBoundaries walks customers and orders forwards and
// backwards without totalCount, at page sizes that do and do not divide the
// list, and checks every page's rows and hasNextPage/hasPreviousPage against
// the full list.
func TestTotalCount_PageBoundaries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, nil)
	for i := range 11 { // with CUST-1 from salesSetup: 12 customers
		e.with(t).createCustomer(sales.RoleAdmin, validCustomer(fmt.Sprintf("B-%02d", i)))
	}
	for range 12 {
		e.createOrder(t, sales.RoleSalesRep, s.order(nil, line(s.widget, "1")))
	}
	for _, field := range []string{"customers", "orders"} {
		q := `query($first: Int, $after: String, $last: Int, $before: String) { ` + field + `(first: $first, after: $after, last: $last, before: $before) {
		  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`
		type conn struct {
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct {
				Cursor string
				Node   struct{ ID string }
			}
		}
		fetch := func(t *testing.T, vars map[string]any) conn {
			t.Helper()
			var out map[string]conn
			e.with(t).must(sales.RoleAdmin, q, vars, &out)
			return out[field]
		}
		ids := func(c conn) string {
			var s []string
			for _, ed := range c.Edges {
				s = append(s, ed.Node.ID)
			}
			return strings.Join(s, ",")
		}
		all := fetch(t, map[string]any{"first": 100})
		if len(all.Edges) != 12 || all.PageInfo.HasNextPage || all.PageInfo.HasPreviousPage {
			t.Fatalf("%s: whole list has %d rows, next %v, previous %v", field, len(all.Edges), all.PageInfo.HasNextPage, all.PageInfo.HasPreviousPage)
		}
		slice := func(from, to int) string {
			var s []string
			for _, ed := range all.Edges[from:to] {
				s = append(s, ed.Node.ID)
			}
			return strings.Join(s, ",")
		}
		check := func(t *testing.T, what string, c conn, from, to int, next, prev bool) {
			t.Helper()
			if ids(c) != slice(from, to) || c.PageInfo.HasNextPage != next || c.PageInfo.HasPreviousPage != prev {
				t.Fatalf("%s %s: rows %q next %v previous %v; want rows %d..%d next %v previous %v",
					field, what, ids(c), c.PageInfo.HasNextPage, c.PageInfo.HasPreviousPage, from, to, next, prev)
			}
		}
		for _, size := range []int{4, 5, 12, 13} {
			t.Run(fmt.Sprintf("%s/forward%d", field, size), func(t *testing.T) {
				vars := map[string]any{"first": size}
				for from := 0; from < 12; from += size {
					to := min(12, from+size)
					c := fetch(t, vars)
					check(t, fmt.Sprintf("first %d from %d", size, from), c, from, to, to < 12, from > 0)
					vars["after"] = *c.PageInfo.EndCursor
				}
				// Past the last row: an empty page with rows before it.
				c := fetch(t, vars)
				check(t, "after the last row", c, 12, 12, false, true)
			})
			t.Run(fmt.Sprintf("%s/backward%d", field, size), func(t *testing.T) {
				vars := map[string]any{"last": size}
				for to := 12; to > 0; to -= size {
					from := max(0, to-size)
					c := fetch(t, vars)
					// hasNextPage on a backward page: "before was given".
					check(t, fmt.Sprintf("last %d before %d", size, to), c, from, to, to < 12, from > 0)
					vars["before"] = *c.PageInfo.StartCursor
				}
			})
		}
		t.Run(field+"/between", func(t *testing.T) {
			// first/after with before: the window stops at before.
			c := fetch(t, map[string]any{"first": 3, "after": all.Edges[2].Cursor, "before": all.Edges[8].Cursor})
			check(t, "first 3 between 2 and 8", c, 3, 6, true, true)
			c = fetch(t, map[string]any{"first": 5, "after": all.Edges[2].Cursor, "before": all.Edges[8].Cursor})
			check(t, "first 5 between 2 and 8", c, 3, 8, false, true)
			c = fetch(t, map[string]any{"first": 0})
			check(t, "first 0", c, 0, 0, true, false)
			c = fetch(t, map[string]any{"last": 2, "before": all.Edges[1].Cursor})
			check(t, "last 2 before 1", c, 0, 1, true, false)
		})
	}
}

// TestTotalCount_PageSQLHasNoWindowCount reads the statements PostgreSQL last
// saw on each of this database's connections after a customers page without
// totalCount: the page query is there, and neither it nor any other reads
// count(*) OVER () or counts the customers.
func TestTotalCount_PageSQLHasNoWindowCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 3 {
		e.with(t).createCustomer(sales.RoleAdmin, validCustomer(fmt.Sprintf("W-%02d", i)))
	}
	// Watch from a connection of our own, so the request runs on others.
	ctx := context.Background()
	watch, err := e.store.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	var out struct {
		Customers struct{ Nodes []struct{ Code string } }
	}
	e.must(sales.RoleViewer, `{ customers(first: 2, search: "w-") { nodes { code } } }`, nil, &out)
	if len(out.Customers.Nodes) != 2 {
		t.Fatalf("got %d customers, want 2", len(out.Customers.Nodes))
	}
	var seen []string
	if err := watch.SelectContext(ctx, &seen, `SELECT query FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE $1`, "%FROM customers%"); err != nil {
		t.Fatal(err)
	}
	page := false
	for _, q := range seen {
		low := strings.ToLower(q)
		if strings.Contains(low, "over (") || strings.Contains(low, "count(*)") {
			t.Fatalf("a page without totalCount sent a count: %s", q)
		}
		page = page || strings.HasSuffix(strings.TrimSpace(low), "limit 3")
	}
	if !page {
		t.Fatalf("no page query (LIMIT 3: two rows and one to tell whether more follow) among %q", seen)
	}
}
