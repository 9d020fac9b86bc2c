package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph"
	"salesgraph/relay"
	"salesgraph/sales"
)

// objectLists is a fixture where each of the lists on an object holds more
// than one page of 10, beside other parents' rows:
//   - warehouse WH-00 holds all 25 products; WH-01 holds P-00, P-01, P-02;
//     WH-02 … WH-24 hold P-00 only, so product P-00 is held in 25 warehouses;
//   - price list L-0 has 25 items: P-00 … P-07 at breaks 100, 10 and 1
//     (created in that order, so ids do not follow the breaks) and P-08 at 1;
//     L-1 has two items of P-00, L-2 one.
type objectLists struct {
	*env
	products, warehouses, lists []string // global IDs, by SKU / code
}

func newObjectLists(t *testing.T) *objectLists {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.users[sales.RoleAdmin]
	x := &objectLists{env: e}
	var products, warehouses []int64
	for i := range 25 {
		p, err := e.store.Products.Create(ctx, admin, sales.Product{SKU: fmt.Sprintf("P-%02d", i), Name: "Product", UnitOfMeasure: "EA", Active: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, err := e.store.Warehouses.Create(ctx, admin, sales.Warehouse{Code: fmt.Sprintf("WH-%02d", i), Name: "Warehouse", Active: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		products, warehouses = append(products, p.ID), append(warehouses, w.ID)
		x.products, x.warehouses = append(x.products, relay.ID("Product", p.ID)), append(x.warehouses, relay.ID("Warehouse", w.ID))
	}
	receive := func(p, w int64) {
		if _, err := e.store.Stock.Receive(ctx, admin, db.StockChange{ProductID: p, WarehouseID: w, Quantity: decimal.NewFromInt(5)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range products {
		receive(p, warehouses[0])
	}
	for _, w := range warehouses[1:] {
		receive(products[0], w)
	}
	receive(products[1], warehouses[1])
	receive(products[2], warehouses[1])

	item := func(p int64, minQty int64) sales.PriceListItem {
		return sales.PriceListItem{ProductID: p, MinQuantity: decimal.NewFromInt(minQty), UnitPrice: decimal.NewFromInt(10)}
	}
	var big []sales.PriceListItem
	for _, p := range products[:8] {
		big = append(big, item(p, 100), item(p, 10), item(p, 1))
	}
	big = append(big, item(products[8], 1))
	for i, items := range [][]sales.PriceListItem{big, {item(products[0], 1), item(products[0], 5)}, {item(products[1], 1)}} {
		l, err := e.store.PriceLists.Create(ctx, admin, sales.PriceList{Code: fmt.Sprint("L-", i), Name: "List", Currency: "EUR"}, items, nil)
		if err != nil {
			t.Fatal(err)
		}
		x.lists = append(x.lists, relay.ID("PriceList", l.ID))
	}
	return x
}

// listRow is a row of any of the three lists, as the tests read it.
type listRow struct {
	Product     struct{ SKU string }
	Warehouse   struct{ Code string }
	PriceList   struct{ Code string }
	MinQuantity string
}

func (r listRow) String() string {
	if r.PriceList.Code != "" {
		return r.PriceList.Code + "/" + r.Product.SKU + "@" + r.MinQuantity
	}
	return r.Product.SKU + "/" + r.Warehouse.Code
}

type listPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage bool
		EndCursor   *string
	}
	Nodes []listRow
}

// walk pages through query (whose connection is aliased list, at the root or
// under an object aliased parent) with $after, and returns every row and the
// size of each page; every page must report total rows in totalCount.
func (x *objectLists) walk(t *testing.T, query string, vars map[string]any, total int) (rows []string, pages []int) {
	t.Helper()
	after := vars["after"]
	for range 10 {
		v := map[string]any{}
		for k, val := range vars {
			v[k] = val
		}
		v["after"] = after
		var out struct {
			Parent struct{ List listPage }
			List   listPage
		}
		x.with(t).must(sales.RoleViewer, query, v, &out)
		p := out.List
		if p.TotalCount == 0 {
			p = out.Parent.List
		}
		if p.TotalCount != total {
			t.Fatalf("page %d: totalCount %d, want %d", len(pages)+1, p.TotalCount, total)
		}
		for _, r := range p.Nodes {
			rows = append(rows, r.String())
		}
		pages = append(pages, len(p.Nodes))
		if !p.PageInfo.HasNextPage {
			return rows, pages
		}
		after = *p.PageInfo.EndCursor
	}
	t.Fatalf("more than 10 pages: %v", pages)
	return nil, nil
}

const levelFields = `totalCount pageInfo { hasNextPage endCursor } nodes { product { sku } warehouse { code } }`

// firstPageOf is fields without totalCount: a page of parents with their
// first pages, which the first-page statement serves (a total is a query
// per parent).
func firstPageOf(fields string) string { return strings.TrimPrefix(fields, "totalCount ") }

// TestWarehouseStockLevels_Paged: warehouse.stockLevels used to stop at
// first (at most 100) without saying whether more existed. It is now the
// root stockLevels connection filtered by the warehouse: 25 levels come in
// pages of 10, 10 and 5 with hasNextPage and totalCount telling the truth,
// in the root list's order; another warehouse's levels never show, and a
// filter naming another warehouse is refused.
func TestWarehouseStockLevels_Paged(t *testing.T) {
	t.Parallel()
	x := newObjectLists(t)
	got, pages := x.walk(t, `query($id: ID!, $after: String) { parent: node(id: $id) { ... on Warehouse {
		list: stockLevels(first: 10, after: $after) { `+levelFields+` } } } }`, map[string]any{"id": x.warehouses[0]}, 25)
	if !slices.Equal(pages, []int{10, 10, 5}) {
		t.Fatalf("pages of %v, want 10, 10, 5", pages)
	}
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("P-%02d/WH-00", i))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("WH-00's stock levels:\n%v\nwant\n%v", got, want)
	}
	root, _ := x.walk(t, `query($id: ID!, $after: String) { list: stockLevels(first: 10, after: $after, filter: {warehouseId: $id}) { `+levelFields+` } }`,
		map[string]any{"id": x.warehouses[0]}, 25)
	if !slices.Equal(got, root) {
		t.Fatalf("warehouse.stockLevels:\n%v\nroot stockLevels filtered by the warehouse:\n%v", got, root)
	}

	// A page of warehouses, each with its first page (the batched path).
	var list struct {
		Warehouses struct {
			Nodes []struct {
				Code        string
				StockLevels listPage
			}
		}
	}
	x.with(t).must(sales.RoleViewer, `{ warehouses(first: 30) { nodes { code stockLevels(first: 10) { `+firstPageOf(levelFields)+` } } } }`, nil, &list)
	if n := len(list.Warehouses.Nodes); n != 25 {
		t.Fatalf("%d warehouses, want 25", n)
	}
	for _, w := range list.Warehouses.Nodes {
		var rows []string
		for _, r := range w.StockLevels.Nodes {
			rows = append(rows, r.String())
		}
		wantRows, wantMore := []string{"P-00/" + w.Code}, false
		switch w.Code {
		case "WH-00":
			wantRows, wantMore = want[:10], true
		case "WH-01":
			wantRows = []string{"P-00/WH-01", "P-01/WH-01", "P-02/WH-01"}
		}
		if !slices.Equal(rows, wantRows) || w.StockLevels.PageInfo.HasNextPage != wantMore {
			t.Errorf("%s: stockLevels(first: 10) = %v, hasNextPage %v; want %v, %v", w.Code, rows, w.StockLevels.PageInfo.HasNextPage, wantRows, wantMore)
		}
		if w.Code == "WH-00" {
			next, _ := x.walk(t, `query($id: ID!, $after: String) { parent: node(id: $id) { ... on Warehouse {
				list: stockLevels(first: 10, after: $after) { `+levelFields+` } } } }`,
				map[string]any{"id": x.warehouses[0], "after": *w.StockLevels.PageInfo.EndCursor}, 25)
			if !slices.Equal(next, want[10:]) {
				t.Errorf("the batched page's cursor continues with %v, want %v", next, want[10:])
			}
		}
	}

	r := x.as(sales.RoleViewer, `query($id: ID!, $other: ID!) { node(id: $id) { ... on Warehouse { stockLevels(filter: {warehouseId: $other}) { nodes { onHand } } } } }`,
		map[string]any{"id": x.warehouses[0], "other": x.warehouses[1]})
	wantError(t, r, "VALIDATION", "filter.warehouseId")
}

// TestProductStockLevels_Paged: product.stockLevels, the same for a product
// held in 25 warehouses.
func TestProductStockLevels_Paged(t *testing.T) {
	t.Parallel()
	x := newObjectLists(t)
	const byProduct = `query($id: ID!, $after: String) { parent: product(id: $id) { list: stockLevels(first: 10, after: $after) { ` + levelFields + ` } } }`
	got, pages := x.walk(t, byProduct, map[string]any{"id": x.products[0]}, 25)
	if !slices.Equal(pages, []int{10, 10, 5}) {
		t.Fatalf("pages of %v, want 10, 10, 5", pages)
	}
	var want []string
	for i := range 25 {
		want = append(want, fmt.Sprintf("P-00/WH-%02d", i))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("P-00's stock levels:\n%v\nwant\n%v", got, want)
	}
	root, _ := x.walk(t, `query($id: ID!, $after: String) { list: stockLevels(first: 10, after: $after, filter: {productId: $id}) { `+levelFields+` } }`,
		map[string]any{"id": x.products[0]}, 25)
	if !slices.Equal(got, root) {
		t.Fatalf("product.stockLevels:\n%v\nroot stockLevels filtered by the product:\n%v", got, root)
	}
	// Another order, the root list's too: the most available first, ties
	// (both hold 5) by key in the same direction.
	sorted, _ := x.walk(t, `query($id: ID!, $after: String) { parent: product(id: $id) {
		list: stockLevels(first: 1, after: $after, orderBy: {field: AVAILABLE, direction: DESC}) { `+levelFields+` } } }`,
		map[string]any{"id": x.products[1]}, 2)
	if !slices.Equal(sorted, []string{"P-01/WH-01", "P-01/WH-00"}) {
		t.Fatalf("P-01 by available: %v", sorted)
	}

	var list struct {
		Products struct {
			Nodes []struct {
				SKU         string
				StockLevels listPage
			}
		}
	}
	x.with(t).must(sales.RoleViewer, `{ products(first: 30) { nodes { sku stockLevels(first: 10) { `+firstPageOf(levelFields)+` } } } }`, nil, &list)
	if n := len(list.Products.Nodes); n != 25 {
		t.Fatalf("%d products, want 25", n)
	}
	for _, p := range list.Products.Nodes {
		var rows []string
		for _, r := range p.StockLevels.Nodes {
			rows = append(rows, r.String())
		}
		wantRows, wantMore := []string{p.SKU + "/WH-00"}, false
		switch p.SKU {
		case "P-00":
			wantRows, wantMore = want[:10], true
		case "P-01", "P-02":
			wantRows = []string{p.SKU + "/WH-00", p.SKU + "/WH-01"}
		}
		if !slices.Equal(rows, wantRows) || p.StockLevels.PageInfo.HasNextPage != wantMore {
			t.Errorf("%s: stockLevels(first: 10) = %v, hasNextPage %v; want %v, %v", p.SKU, rows, p.StockLevels.PageInfo.HasNextPage, wantRows, wantMore)
		}
		if p.SKU == "P-00" {
			next, _ := x.walk(t, byProduct, map[string]any{"id": x.products[0], "after": *p.StockLevels.PageInfo.EndCursor}, 25)
			if !slices.Equal(next, want[10:]) {
				t.Errorf("the batched page's cursor continues with %v, want %v", next, want[10:])
			}
		}
	}

	r := x.as(sales.RoleViewer, `query($id: ID!, $other: ID!) { product(id: $id) { stockLevels(filter: {productId: $other}) { nodes { onHand } } } }`,
		map[string]any{"id": x.products[0], "other": x.products[1]})
	wantError(t, r, "VALIDATION", "filter.productId")
}

const itemFields = `totalCount pageInfo { hasNextPage endCursor } nodes { priceList { code } product { sku } minQuantity }`

// TestPriceListItems_Paged: priceList.items used to stop at first (at most
// 500) without saying whether more existed. It is now a connection: 25 items
// in pages of 10, 10 and 5, by product and then quantity break (not by
// creation), never another list's; productId keeps one product's breaks,
// paged the same way, and a page of price lists reads each one's first page.
func TestPriceListItems_Paged(t *testing.T) {
	t.Parallel()
	x := newObjectLists(t)
	const byList = `query($id: ID!, $after: String, $product: ID) { parent: node(id: $id) { ... on PriceList {
		list: items(productId: $product, first: 10, after: $after) { ` + itemFields + ` } } } }`
	got, pages := x.walk(t, byList, map[string]any{"id": x.lists[0]}, 25)
	if !slices.Equal(pages, []int{10, 10, 5}) {
		t.Fatalf("pages of %v, want 10, 10, 5", pages)
	}
	var want []string
	for i := range 8 {
		for _, q := range []string{"1", "10", "100"} {
			want = append(want, fmt.Sprintf("L-0/P-%02d@%s", i, q))
		}
	}
	want = append(want, "L-0/P-08@1")
	if !slices.Equal(got, want) {
		t.Fatalf("L-0's items:\n%v\nwant\n%v", got, want)
	}

	// One product's breaks, two at a time.
	one, pages := x.walkSmall(t, x.lists[0], x.products[3])
	if !slices.Equal(one, []string{"L-0/P-03@1", "L-0/P-03@10", "L-0/P-03@100"}) || !slices.Equal(pages, []int{2, 1}) {
		t.Fatalf("items(productId: P-03, first: 2): %v in pages of %v", one, pages)
	}

	var list struct {
		PriceLists struct {
			Nodes []struct {
				Code  string
				Items listPage
				Of00  listPage
			}
		}
	}
	x.with(t).must(sales.RoleViewer, `query($p: ID!) { priceLists(first: 10) { nodes { code
		items(first: 10) { `+firstPageOf(itemFields)+` } of00: items(productId: $p, first: 1) { `+firstPageOf(itemFields)+` } } } }`,
		map[string]any{"p": x.products[0]}, &list)
	if n := len(list.PriceLists.Nodes); n != 3 {
		t.Fatalf("%d price lists, want 3", n)
	}
	for _, l := range list.PriceLists.Nodes {
		rows := func(p listPage) (out []string) {
			for _, r := range p.Nodes {
				out = append(out, r.String())
			}
			return out
		}
		wantItems, wantMore, wantOf00, wantMore00 := map[string][]string{
			"L-0": want[:10], "L-1": {"L-1/P-00@1", "L-1/P-00@5"}, "L-2": {"L-2/P-01@1"}}[l.Code], l.Code == "L-0",
			map[string][]string{"L-0": {"L-0/P-00@1"}, "L-1": {"L-1/P-00@1"}}[l.Code], l.Code != "L-2"
		if got := rows(l.Items); !slices.Equal(got, wantItems) || l.Items.PageInfo.HasNextPage != wantMore {
			t.Errorf("%s: items(first: 10) = %v, hasNextPage %v; want %v, %v", l.Code, got, l.Items.PageInfo.HasNextPage, wantItems, wantMore)
		}
		if got := rows(l.Of00); !slices.Equal(got, wantOf00) || l.Of00.PageInfo.HasNextPage != wantMore00 {
			t.Errorf("%s: items(productId: P-00, first: 1) = %v, hasNextPage %v; want %v, %v", l.Code, got, l.Of00.PageInfo.HasNextPage, wantOf00, wantMore00)
		}
		if l.Code == "L-0" {
			next, _ := x.walk(t, byList, map[string]any{"id": x.lists[0], "after": *l.Items.PageInfo.EndCursor}, 25)
			if !slices.Equal(next, want[10:]) {
				t.Errorf("the batched page's cursor continues with %v, want %v", next, want[10:])
			}
			// And pages backwards: the three items before the tenth.
			var back struct{ Node struct{ Items listPage } }
			x.with(t).must(sales.RoleViewer, `query($id: ID!, $before: String) { node(id: $id) { ... on PriceList {
				items(last: 3, before: $before) { `+itemFields+` } } } }`, map[string]any{"id": x.lists[0], "before": *l.Items.PageInfo.EndCursor}, &back)
			if got := rows(back.Node.Items); !slices.Equal(got, want[6:9]) {
				t.Errorf("items(last: 3, before: the tenth) = %v, want %v", got, want[6:9])
			}
		}
	}

	// A cursor of the warehouse's stock levels is no position in a price list.
	var levels struct{ StockLevels listPage }
	x.with(t).must(sales.RoleViewer, `{ stockLevels(first: 1) { `+levelFields+` } }`, nil, &levels)
	r := x.as(sales.RoleViewer, byList, map[string]any{"id": x.lists[0], "after": *levels.StockLevels.PageInfo.EndCursor})
	wantError(t, r, "VALIDATION", "after")
}

// walkSmall pages through one product's items of a list two at a time.
func (x *objectLists) walkSmall(t *testing.T, list, product string) (rows []string, pages []int) {
	t.Helper()
	var after any
	for {
		var out struct{ Node struct{ Items listPage } }
		x.with(t).must(sales.RoleViewer, `query($id: ID!, $p: ID!, $after: String) { node(id: $id) { ... on PriceList {
			items(productId: $p, first: 2, after: $after) { `+itemFields+` } } } }`, map[string]any{"id": list, "p": product, "after": after}, &out)
		for _, r := range out.Node.Items.Nodes {
			rows = append(rows, r.String())
		}
		pages = append(pages, len(out.Node.Items.Nodes))
		if !out.Node.Items.PageInfo.HasNextPage || len(pages) > 5 {
			return rows, pages
		}
		after = *out.Node.Items.PageInfo.EndCursor
	}
}

// TestObjectLists_FirstPagesPrefetched: a page of warehouses, products and
// price lists with the first page of their lists, `first` sent as a
// variable, is read with one statement per list for all the parents (the
// same count for 1 and 3 of each), and never waits for the loader timer (a
// minute here).
func TestObjectLists_FirstPagesPrefetched(t *testing.T) {
	t.Parallel()
	x := newObjectLists(t)
	e := x.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
	})
	// The items select their price list, not their product: two lists whose
	// rows read products would share ProductByID, and which of their
	// prefetches finds the other's keys on their way is a race.
	const q = `query($n: Int!, $k: Int, $p: ID) {
		warehouses(first: $n) { nodes { code stockLevels(first: $k) { pageInfo { hasNextPage } nodes { onHand product { sku } } } } }
		products(first: $n) { nodes { sku stockLevels(first: $k) { nodes { warehouse { code } } } } }
		priceLists(first: $n) { nodes { code items(first: $k) { nodes { unitPrice priceList { code } } }
			one: items(productId: $p, first: $k) { nodes { minQuantity } } } } }`
	count := func(n int) int64 {
		before := e.store.Statements()
		var out struct {
			Warehouses struct {
				Nodes []struct{ StockLevels struct{ Nodes []listRow } }
			}
			Products struct {
				Nodes []struct{ StockLevels struct{ Nodes []listRow } }
			}
			PriceLists struct {
				Nodes []struct{ Items struct{ Nodes []listRow } }
			}
		}
		e.with(t).must(sales.RoleViewer, q, map[string]any{"n": n, "k": 3, "p": x.products[0]}, &out)
		if len(out.Warehouses.Nodes) != n || len(out.Products.Nodes) != n || len(out.PriceLists.Nodes) != n ||
			len(out.Warehouses.Nodes[0].StockLevels.Nodes) != 3 || len(out.Products.Nodes[0].StockLevels.Nodes) != 3 ||
			len(out.PriceLists.Nodes[0].Items.Nodes) != 3 {
			t.Fatalf("first %d of each: %+v", n, out)
		}
		return e.store.Statements() - before
	}
	count(1) // signs the viewer in; later requests find them cached
	one, three := count(1), count(3)
	if one != three {
		t.Fatalf("statements: %d for 1 of each parent, %d for 3", one, three)
	}
	t.Logf("%d statements for 1 or 3 warehouses, products and price lists with their first pages and their edges", three)
}
