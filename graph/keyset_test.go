package graph_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"salesgraph/db"
	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/relay"
	"salesgraph/sales"
)

// keysetList is one connection as the keyset tests see it: its field, the
// type of its orderBy input and nodes, its table, and for each sort field an
// SQL expression to order the table by independently of the code under test
// (PostgreSQL's own NULL placement: last ascending, first descending), and
// whether the fixture gives that field ties.
type keysetList struct {
	field, orderType, nodeType, table string
	sorts                             map[string]keysetSort
}

type keysetSort struct {
	expr string
	ties bool
}

var keysetLists = []keysetList{
	{"customers", "CustomerOrder", "Customer", "customers", map[string]keysetSort{
		"CODE": {"lower(code)", false}, "NAME": {"lower(name)", true}, "CREATED_AT": {"created_at", true}, "CREDIT_LIMIT": {"credit_limit", true}}},
	{"products", "ProductOrder", "Product", "products", map[string]keysetSort{
		"SKU": {"lower(sku)", false}, "NAME": {"lower(name)", true}, "CREATED_AT": {"created_at", true}}},
	{"warehouses", "WarehouseOrder", "Warehouse", "warehouses", map[string]keysetSort{
		"CODE": {"lower(code)", false}, "NAME": {"lower(name)", true}}},
	{"stockLevels", "StockLevelOrder", "StockLevel", "stock_levels", map[string]keysetSort{
		"PRODUCT": {"product_id", true}, "AVAILABLE": {"(on_hand - reserved)", true}, "UPDATED_AT": {"updated_at", true}}},
	{"stockMovements", "StockMovementOrder", "StockMovement", "stock_movements", map[string]keysetSort{
		"OCCURRED_AT": {"occurred_at", true}}},
	{"priceLists", "PriceListOrder", "PriceList", "price_lists", map[string]keysetSort{
		"CODE": {"lower(code)", false}, "NAME": {"lower(name)", true}, "CREATED_AT": {"created_at", true}}},
	{"users", "UserOrder", "User", "users", map[string]keysetSort{
		"EMAIL": {"email", false}, "NAME": {"lower(name)", true}}},
	{"quotes", "QuoteOrder", "Quote", "quotes", map[string]keysetSort{
		"NUMBER": {"number", false}, "CREATED_AT": {"created_at", true}, "VALID_UNTIL": {"valid_until", true}, "TOTAL": {"total", true}}},
	{"orders", "OrderOrder", "SalesOrder", "sales_orders", map[string]keysetSort{
		"NUMBER": {"number", false}, "ORDER_DATE": {"order_date", true}, "CREATED_AT": {"created_at", true}, "TOTAL": {"total", true}}},
	{"deliveries", "DeliveryOrder", "Delivery", "deliveries", map[string]keysetSort{
		"NUMBER": {"number", false}, "SHIP_DATE": {"ship_date", true}, "CREATED_AT": {"created_at", true}}},
	{"returns", "ReturnOrder", "Return", "returns", map[string]keysetSort{
		"NUMBER": {"number", false}, "CREATED_AT": {"created_at", true}}},
}

// Tie-making SQL over g (1..n) for the fixture: names equal but for case
// (lower() ties them), timestamps four distinct microseconds apart, amounts
// and dates three distinct values each.
const (
	tiedName  = `CASE WHEN g % 2 = 0 THEN 'Tied Name ' ELSE 'TIED NAME ' END || (g % 3)`
	tiedStamp = `'2026-03-01 10:00:00.123456+00'::timestamptz + (g % 4) * interval '1 microsecond'`
	tiedMoney = `(g % 3) * 10.005`
	tiedDay   = `DATE '2026-03-01' + (g % 3)`
)

// cloneRows inserts n copies of table's first row with overrides, a list of
// jsonb_build_object arguments (SQL over g). Ids come from idExpr and do not
// follow insertion order, so ties on a sort key are broken by id, not chance.
func (e *env) cloneRows(t *testing.T, table string, n int, idExpr, overrides string) {
	t.Helper()
	q := fmt.Sprintf(`INSERT INTO %[1]s OVERRIDING SYSTEM VALUE
		SELECT (jsonb_populate_record(NULL::%[1]s, to_jsonb(src) || jsonb_build_object('id', %[2]s, %[3]s))).*
		FROM %[1]s src, generate_series(1, %[4]d) g WHERE src.id = (SELECT min(id) FROM %[1]s)`, table, idExpr, overrides, n)
	if _, err := e.store.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("clone %s: %v", table, err)
	}
}

// keysetFixture fills every list with a dozen rows beyond the ones the API
// made: ties on every non-unique sort field, NULL ship dates, and ids out of
// step with the sort order.
func (e *env) keysetFixture(t *testing.T) {
	t.Helper()
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o, _ := e.shippedOrder(t, s)
	e.returnDo(t, sales.RoleSalesRep, createReturnKey, returnIn(o.ID, "damaged", returnLine(o.Lines[1].ID, "1")))
	e.with(t).must(sales.RoleAdmin, qtCreateMutation, map[string]any{"input": qtInput(s.customer, qtLineIn(s.widget, "1"))}, nil)
	const n, id = 12, `900000 + (g * 37) % 101`
	for table, o := range map[string]string{
		"customers":   `'code', 'K-' || g, 'name', ` + tiedName + `, 'created_at', ` + tiedStamp + `, 'credit_limit', ` + tiedMoney,
		"products":    `'sku', 'K-' || g, 'name', ` + tiedName + `, 'created_at', ` + tiedStamp,
		"warehouses":  `'code', 'K-' || g, 'name', ` + tiedName,
		"price_lists": `'code', 'K-' || g, 'name', ` + tiedName + `, 'created_at', ` + tiedStamp + `, 'is_default', false`,
		"users":       `'email', 'k' || g || '@test.example', 'name', ` + tiedName,
		"quotes": `'number', 'QT-K-' || g, 'revision', 1, 'superseded_by', NULL, 'valid_until', ` + tiedDay +
			`, 'subtotal', ` + tiedMoney + `, 'tax_total', 0, 'total', ` + tiedMoney + `, 'created_at', ` + tiedStamp,
		"sales_orders": `'number', 'SO-K-' || g, 'quote_id', NULL, 'status', 'DRAFT', 'hold_reason', NULL, 'order_date', ` + tiedDay +
			`, 'subtotal', ` + tiedMoney + `, 'tax_total', 0, 'total', ` + tiedMoney + `, 'created_at', ` + tiedStamp,
		"deliveries": `'number', 'DN-K-' || g, 'bol_number', 'BOL-K-' || g, 'status', 'DRAFT', 'delivered_date', NULL,
			'ship_date', CASE WHEN g % 3 = 0 THEN NULL ELSE ` + tiedDay + ` END, 'created_at', ` + tiedStamp,
		"returns":         `'number', 'RMA-K-' || g, 'created_at', ` + tiedStamp,
		"stock_movements": `'occurred_at', ` + tiedStamp,
	} {
		e.cloneRows(t, table, n, id, o)
	}
	// Stock levels are keyed by (product, warehouse): a level per new product
	// in WH1, and every other one in K-1 too, so PRODUCT has ties.
	if _, err := e.store.ExecContext(context.Background(), `
		INSERT INTO stock_levels (product_id, warehouse_id, on_hand, reserved, updated_at)
		SELECT p.id, w.id, (p.id % 3) * 1.5 + 1, 1, '2026-03-01 10:00:00.5+00'::timestamptz + (p.id % 2) * interval '1 microsecond'
		FROM products p, warehouses w
		WHERE p.sku LIKE 'K-%' AND (w.code = 'WH1' OR (w.code = 'K-1' AND p.id % 2 = 0))`); err != nil {
		t.Fatal(err)
	}
}

type keysetConn struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct{ ID string }
	}
}

func (c keysetConn) ids() []string {
	out := make([]string, len(c.Edges))
	for i, ed := range c.Edges {
		out[i] = ed.Node.ID
	}
	return out
}

func keysetQuery(l keysetList, total bool) string {
	tc := ""
	if total {
		tc = "totalCount"
	}
	return `query($first: Int, $after: String, $last: Int, $before: String, $o: ` + l.orderType + `) {
	  c: ` + l.field + `(first: $first, after: $after, last: $last, before: $before, orderBy: $o) {
	    ` + tc + ` pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`
}

func (e *env) keysetPage(t *testing.T, l keysetList, total bool, vars map[string]any) keysetConn {
	t.Helper()
	var out struct{ C keysetConn }
	e.with(t).must(sales.RoleAdmin, keysetQuery(l, total), vars, &out)
	return out.C
}

// sqlOrder is the list as PostgreSQL orders it, as global IDs.
func (e *env) sqlOrder(t *testing.T, l keysetList, expr, dir string) []string {
	t.Helper()
	var out []string
	if l.table == "stock_levels" {
		var rows []struct {
			P int64 `db:"product_id"`
			W int64 `db:"warehouse_id"`
		}
		if err := e.store.SelectContext(context.Background(), &rows, fmt.Sprintf(`SELECT product_id, warehouse_id FROM stock_levels
			ORDER BY %s %s, product_id %[2]s, warehouse_id %[2]s`, expr, dir)); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, relay.CompositeID(l.nodeType, r.P, r.W))
		}
		return out
	}
	var ids []int64
	if err := e.store.SelectContext(context.Background(), &ids, fmt.Sprintf(`SELECT id FROM %s ORDER BY %s %s, id %[3]s`, l.table, expr, dir)); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		out = append(out, relayID(l.nodeType, id))
	}
	return out
}

func noDuplicates(t *testing.T, what string, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s: %s appears twice in %v", what, id, ids)
		}
		seen[id] = true
	}
}

// walkForward pages with first/after from the start and returns every row.
func (e *env) walkForward(t *testing.T, l keysetList, order map[string]any, size int) []string {
	t.Helper()
	var got []string
	vars := map[string]any{"first": size, "o": order}
	for range 100 {
		c := e.keysetPage(t, l, false, vars)
		if len(c.Edges) > size || c.PageInfo.HasPreviousPage != (vars["after"] != nil) {
			t.Fatalf("forward page after %v: %d rows (size %d), hasPreviousPage %v", vars["after"], len(c.Edges), size, c.PageInfo.HasPreviousPage)
		}
		got = append(got, c.ids()...)
		if !c.PageInfo.HasNextPage {
			return got
		}
		if len(c.Edges) != size {
			t.Fatalf("forward page of %d rows says more follow", len(c.Edges))
		}
		vars["after"] = *c.PageInfo.EndCursor
	}
	t.Fatal("forward walk did not end")
	return nil
}

// walkBackward pages with last/before from the end and returns every row in list order.
func (e *env) walkBackward(t *testing.T, l keysetList, order map[string]any, size int) []string {
	t.Helper()
	var got []string
	vars := map[string]any{"last": size, "o": order}
	for range 100 {
		c := e.keysetPage(t, l, false, vars)
		if len(c.Edges) > size || c.PageInfo.HasNextPage != (vars["before"] != nil) {
			t.Fatalf("backward page before %v: %d rows (size %d), hasNextPage %v", vars["before"], len(c.Edges), size, c.PageInfo.HasNextPage)
		}
		got = append(c.ids(), got...)
		if !c.PageInfo.HasPreviousPage {
			return got
		}
		if len(c.Edges) != size {
			t.Fatalf("backward page of %d rows says more precede", len(c.Edges))
		}
		vars["before"] = *c.PageInfo.StartCursor
	}
	t.Fatal("backward walk did not end")
	return nil
}

// TestKeyset_WalkEveryOrder walks every connection in every sort field and
// both directions, forwards with first/after and backwards with last/before
// in pages of 3 and 5, and compares each walk with one big page and with
// PostgreSQL's own ordering of the table: no row skipped, none repeated, same
// order, across ties on the sort key and NULL ship dates.
func TestKeyset_WalkEveryOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.keysetFixture(t)
	for _, l := range keysetLists {
		for field, s := range l.sorts {
			if s.ties {
				var rows, distinct int
				if err := e.store.QueryRowContext(context.Background(), fmt.Sprintf(`SELECT count(*), count(DISTINCT %s) FROM %s`, s.expr, l.table)).Scan(&rows, &distinct); err != nil {
					t.Fatal(err)
				}
				if distinct >= rows {
					t.Fatalf("%s by %s: the fixture has no ties (%d rows, %d values)", l.field, field, rows, distinct)
				}
			}
			for _, dir := range []string{"ASC", "DESC"} {
				t.Run(l.field+"/"+field+"/"+dir, func(t *testing.T) {
					order := map[string]any{"field": field, "direction": dir}
					all := e.keysetPage(t, l, true, map[string]any{"first": 100, "o": order})
					want := all.ids()
					if len(want) != all.TotalCount || len(want) < 12 || all.PageInfo.HasNextPage || all.PageInfo.HasPreviousPage {
						t.Fatalf("big page: %d rows, totalCount %d, next %v, previous %v", len(want), all.TotalCount, all.PageInfo.HasNextPage, all.PageInfo.HasPreviousPage)
					}
					noDuplicates(t, "big page", want)
					if sqlWant := e.sqlOrder(t, l, s.expr, dir); !slices.Equal(want, sqlWant) {
						t.Fatalf("big page order\n got %v\nwant %v", want, sqlWant)
					}
					for _, size := range []int{3, 5} {
						if got := e.walkForward(t, l, order, size); !slices.Equal(got, want) {
							t.Fatalf("forward in pages of %d\n got %v\nwant %v", size, got, want)
						}
						if got := e.walkBackward(t, l, order, size); !slices.Equal(got, want) {
							t.Fatalf("backward in pages of %d\n got %v\nwant %v", size, got, want)
						}
					}
					// A window between two cursors, read from either end.
					between := map[string]any{"after": all.Edges[2].Cursor, "before": all.Edges[9].Cursor, "o": order}
					for _, tc := range []struct {
						first, last any
						from, to    int
						next, prev  bool
					}{
						{100, nil, 3, 9, false, true},
						{4, nil, 3, 7, true, true},
						{nil, 100, 3, 9, true, false},
						{nil, 4, 5, 9, true, true},
					} {
						between["first"], between["last"] = tc.first, tc.last
						c := e.keysetPage(t, l, false, between)
						if !slices.Equal(c.ids(), want[tc.from:tc.to]) || c.PageInfo.HasNextPage != tc.next || c.PageInfo.HasPreviousPage != tc.prev {
							t.Fatalf("first %v last %v between rows 2 and 9: %v next %v previous %v; want rows %d..%d next %v previous %v",
								tc.first, tc.last, c.ids(), c.PageInfo.HasNextPage, c.PageInfo.HasPreviousPage, tc.from, tc.to, tc.next, tc.prev)
						}
					}
				})
			}
		}
	}
}

// TestKeyset_StableUnderInserts fetches a page, inserts rows before the
// page's edge, tied with it on the sort key (on both sides of its id) and
// after it, then pages on: every row after the edge comes exactly once, the
// new ones after it included, and nothing already seen comes again. OFFSET
// pages would repeat rows here (two inserted before the edge shift the list).
func TestKeyset_StableUnderInserts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.keysetFixture(t)
	orders, customers := keysetLists[8], keysetLists[0]
	type insert struct {
		table     string
		id        int64
		overrides string
	}
	for _, tc := range []struct {
		name  string
		l     keysetList
		order map[string]any
		// rows to insert, given the edge row's id; the first two sort before the edge
		inserts func(edge int64) []insert
	}{
		{"orders/default(newest first)", orders, nil, func(edge int64) []insert {
			same := fmt.Sprintf(`(SELECT created_at FROM sales_orders WHERE id = %d)`, edge)
			return []insert{
				{"sales_orders", 990001, `'number', 'SO-NEW-1', 'created_at', '2030-01-01 00:00:00+00'::timestamptz`},
				{"sales_orders", 990002, `'number', 'SO-NEW-2', 'created_at', ` + same}, // same time, higher id: before in DESC
				{"sales_orders", 700001, `'number', 'SO-NEW-3', 'created_at', ` + same}, // same time, lower id: after
				{"sales_orders", 700002, `'number', 'SO-NEW-4', 'created_at', '2000-01-01 00:00:00+00'::timestamptz`},
			}
		}},
		{"customers/NAME", customers, map[string]any{"field": "NAME"}, func(edge int64) []insert {
			same := fmt.Sprintf(`(SELECT name FROM customers WHERE id = %d)`, edge)
			return []insert{
				{"customers", 700001, `'code', 'NEW-1', 'name', 'Aaa first'`},
				{"customers", 700002, `'code', 'NEW-2', 'name', upper(` + same + `)`}, // tied under lower(), lower id: before
				{"customers", 990001, `'code', 'NEW-3', 'name', ` + same},             // tied, higher id: after
				{"customers", 990002, `'code', 'NEW-4', 'name', 'Zzz last'`},
			}
		}},
	} {
		for _, backward := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/backward=%v", tc.name, backward), func(t *testing.T) {
				size, arg, cur := "first", "after", func(c keysetConn) string { return *c.PageInfo.EndCursor }
				if backward {
					size, arg, cur = "last", "before", func(c keysetConn) string { return *c.PageInfo.StartCursor }
				}
				p1 := e.keysetPage(t, tc.l, false, map[string]any{size: 4, "o": tc.order})
				edgeID := p1.Edges[len(p1.Edges)-1].Node.ID
				if backward {
					edgeID = p1.Edges[0].Node.ID
				}
				edge, err := relay.Key("id", tc.l.nodeType, edgeID)
				if err != nil || edge < 900000 || edge > 900100 {
					t.Fatalf("edge row %s (%d, %v) must be a fixture row, between the ids the test inserts", edgeID, edge, err)
				}
				ins := tc.inserts(edge)
				if backward { // in list order, "before the edge" is then the far side
					ins = []insert{ins[3], ins[2], ins[1], ins[0]}
				}
				// Each subtest inserts its own rows: ids and numbers apart.
				var off int64
				if backward {
					off = 50
				}
				for i := range ins {
					ins[i].id += off
					ins[i].overrides = strings.Replace(ins[i].overrides, "NEW-", fmt.Sprintf("NEW%d-", off), 1)
					e.cloneRows(t, ins[i].table, 1, fmt.Sprint(ins[i].id), ins[i].overrides)
				}
				got := p1.ids()
				vars := map[string]any{size: 4, arg: cur(p1), "o": tc.order}
				for range 50 {
					c := e.keysetPage(t, tc.l, false, vars)
					if backward {
						got = append(c.ids(), got...)
					} else {
						got = append(got, c.ids()...)
					}
					if len(c.Edges) == 0 || (!backward && !c.PageInfo.HasNextPage) || (backward && !c.PageInfo.HasPreviousPage) {
						break
					}
					vars[arg] = cur(c)
				}
				noDuplicates(t, "paging across inserts", got)
				now := e.keysetPage(t, tc.l, false, map[string]any{"first": 100, "o": tc.order}).ids()
				at := slices.Index(now, edgeID)
				var want []string
				if backward {
					want = append(slices.Clone(now[:at]), p1.ids()...)
					if at != len(now)-4-2 {
						t.Fatalf("edge row at %d of %d after the inserts, want two new rows after it", at, len(now))
					}
				} else {
					want = append(p1.ids(), now[at+1:]...)
					if at != 3+2 {
						t.Fatalf("edge row at %d after the inserts, want 5: two new rows before it", at)
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("paging across inserts\n got %v\nwant %v", got, want)
				}
				for _, in := range ins[2:] {
					if !slices.Contains(got, relayID(tc.l.nodeType, in.id)) {
						t.Fatalf("new row %d, past the edge, was skipped: %v", in.id, got)
					}
				}
			})
		}
	}
}

// rawCursor decodes a cursor into its JSON fields, and cursorOf encodes them
// back: the tests edit cursors as a client might.
func rawCursor(t *testing.T, c string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		t.Fatalf("cursor %q is not base64url: %v", c, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("cursor %q is not JSON: %v", c, err)
	}
	return m
}

func cursorOf(m map[string]any) string {
	// The server writes l, s, d, v, k in that order; extra keys go last.
	var b bytes.Buffer
	b.WriteByte('{')
	keys := []string{"l", "s", "d", "v", "k"}
	var extra []string
	for k := range m {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range append(keys, extra...) {
		v, ok := m[k]
		if !ok {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// TestKeyset_BadCursors: a cursor edited by hand, from another order or
// direction, or from another list is a VALIDATION error on after or before,
// with no internals in the message, on every connection.
func TestKeyset_BadCursors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.keysetFixture(t)
	first := func(l keysetList, field, dir string) string {
		c := e.keysetPage(t, l, false, map[string]any{"first": 2, "o": map[string]any{"field": field, "direction": dir}})
		return c.Edges[1].Cursor
	}
	check := func(t *testing.T, l keysetList, order map[string]any, cursor, why string) {
		t.Helper()
		for _, arg := range []string{"after", "before"} {
			vars := map[string]any{arg: cursor, "o": order, "first": 3}
			if arg == "before" {
				vars = map[string]any{arg: cursor, "o": order, "last": 3}
			}
			r := e.with(t).as(sales.RoleAdmin, keysetQuery(l, false), vars)
			if len(r.Errors) == 0 {
				t.Fatalf("%s as %s: accepted (%s)", why, arg, r.Data)
			}
			wantError(t, r, "VALIDATION", arg)
		}
	}
	for i, l := range keysetLists {
		var field string
		for f := range l.sorts {
			field = f
			break
		}
		order := map[string]any{"field": field, "direction": "ASC"}
		good := first(l, field, "ASC")
		if cursorOf(rawCursor(t, good)) != good {
			t.Fatalf("the test's cursor encoder does not reproduce %q: the edits below would test nothing", good)
		}
		t.Run(l.field, func(t *testing.T) {
			flipped := []byte(good)
			flipped[len(flipped)-2] ^= 'A' ^ 'B' // A<->B, and any other letter to another
			check(t, l, order, string(flipped), "a character changed")
			check(t, l, order, good[:len(good)-4], "truncated")
			check(t, l, order, "not a cursor!", "not base64")
			check(t, l, order, "", "empty")
			check(t, l, order, base64.RawURLEncoding.EncodeToString([]byte("cursor:3")), "an old offset cursor")
			check(t, l, order, first(l, field, "DESC"), "cursor of the other direction")
			other := keysetLists[(i+1)%len(keysetLists)]
			var otherField string
			for f := range other.sorts {
				otherField = f
			}
			check(t, l, order, first(other, otherField, "ASC"), "cursor of another list")
			for f := range l.sorts {
				if f != field {
					check(t, l, order, first(l, f, "ASC"), "cursor of another sort field")
				}
			}
			m := rawCursor(t, good)
			for key, v := range map[string]any{"k": []any{}, "extra": 1, "d": "no", "v": 42} {
				edited := map[string]any{}
				for k, x := range m {
					edited[k] = x
				}
				edited[key] = v
				check(t, l, order, cursorOf(edited), fmt.Sprintf("%s set to %v", key, v))
			}
		})
	}
	// Values that PostgreSQL would fail to cast, or that are not in the form
	// the server writes, must stop at validation, never reach SQL.
	for _, tc := range []struct {
		l            keysetList
		field, value string
	}{
		{keysetLists[0], "CREATED_AT", "yesterday"},
		{keysetLists[0], "CREATED_AT", "2026-03-01T11:00:00.123456+01:00"},
		{keysetLists[0], "CREDIT_LIMIT", "1e3"},
		{keysetLists[0], "CREDIT_LIMIT", "NaN"},
		{keysetLists[0], "NAME", "bad\u0000byte"},
		{keysetLists[8], "ORDER_DATE", "0000-01-01"},
		{keysetLists[8], "ORDER_DATE", "2026-02-30"},
		{keysetLists[8], "TOTAL", "12,5"},
		{keysetLists[3], "PRODUCT", "01"},
	} {
		t.Run(tc.l.field+"/"+tc.field+"/"+tc.value, func(t *testing.T) {
			m := rawCursor(t, first(tc.l, tc.field, "ASC"))
			m["v"] = tc.value
			check(t, tc.l, map[string]any{"field": tc.field}, cursorOf(m), "value "+tc.value)
		})
	}
	t.Run("deliveries/SHIP_DATE/NULL", func(t *testing.T) {
		// NULL is a valid position where the column may be NULL, and no other.
		l := keysetLists[9]
		m := rawCursor(t, first(l, "SHIP_DATE", "DESC")) // NULLs first descending
		if m["v"] != nil {
			t.Fatalf("first delivery by ship date descending has ship date %v, want NULL", m["v"])
		}
		c := e.keysetPage(t, l, false, map[string]any{"first": 3, "after": cursorOf(m), "o": map[string]any{"field": "SHIP_DATE", "direction": "DESC"}})
		if len(c.Edges) != 3 {
			t.Fatalf("after a NULL ship date: %d rows", len(c.Edges))
		}
		m = rawCursor(t, first(l, "NUMBER", "ASC"))
		m["v"] = nil
		check(t, l, map[string]any{"field": "NUMBER"}, cursorOf(m), "NULL number")
	})
}

// TestKeyset_NoOffset records every SQL statement of every connection query
// (first/after, last/before, both, totalCount, each order) and fails if any
// uses OFFSET; each page is one LIMIT statement.
func TestKeyset_NoOffset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.keysetFixture(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := graph.NewHandler(graph.HandlerConfig{Store: e.store, Auth: &graph.Authenticator{Secret: testSecret, Users: e.store.Users, Logger: logger}, Logger: logger})
	post := func(t *testing.T, query string, vars map[string]any) ([]db.Statement, gqltest.Response) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		ctx, stats := db.WithRecorder(t.Context())
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens[sales.RoleAdmin])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var r gqltest.Response
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || len(r.Errors) > 0 {
			t.Fatalf("HTTP %d: %v %s", rec.Code, err, rec.Body)
		}
		return stats.Recorded(), r
	}
	offset := regexp.MustCompile(`(?i)\boffset\b`)
	pages := 0
	for _, l := range keysetLists {
		for field := range l.sorts {
			for _, dir := range []string{"ASC", "DESC"} {
				order := map[string]any{"field": field, "direction": dir}
				page := regexp.MustCompile(`(?s)FROM ` + l.table + `\b.* LIMIT \d+$`)
				var all struct{ C keysetConn }
				stmts, r := post(t, keysetQuery(l, true), map[string]any{"first": 100, "o": order})
				r.Decode(t, &all)
				edges := all.C.Edges
				for _, vars := range []map[string]any{
					{"first": 3, "o": order},
					{"first": 3, "after": edges[3].Cursor, "o": order},
					{"last": 3, "o": order},
					{"last": 3, "before": edges[8].Cursor, "o": order},
					{"first": 2, "after": edges[1].Cursor, "before": edges[9].Cursor, "o": order},
					{"last": 2, "after": edges[1].Cursor, "before": edges[9].Cursor, "o": order},
				} {
					more, _ := post(t, keysetQuery(l, true), vars)
					stmts = append(stmts, more...)
				}
				limits := 0
				for _, s := range stmts {
					if offset.MatchString(s.Query) {
						t.Fatalf("%s by %s %s sent OFFSET: %s", l.field, field, dir, s.Query)
					}
					if page.MatchString(s.Query) {
						limits++
					}
				}
				if limits != 7 {
					t.Fatalf("%s by %s %s: %d page statements for 7 pages in %d statements", l.field, field, dir, limits, len(stmts))
				}
				pages += limits
			}
		}
	}
	if pages == 0 {
		t.Fatal("recorded no page statements")
	}
}
