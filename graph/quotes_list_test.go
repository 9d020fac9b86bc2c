package graph_test

import (
	"context"
	"salesgraph/relay"
	"salesgraph/sales"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestQuotes_RepScoping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	mine := e.qtCreate(t, sales.RoleSalesRep, qtInput(s.mine, qtLineIn(s.widget, "1")))
	theirs := e.qtCreate(t, sales.RoleSalesManager, qtInput(s.theirs, qtLineIn(s.widget, "1")))

	if got := e.qtRead(t, sales.RoleSalesRep, theirs.ID); got != nil {
		t.Fatalf("a rep read another rep's quote: %+v", got)
	}
	if got := e.qtRead(t, sales.RoleSalesRep, mine.ID); got == nil || got.Number != mine.Number {
		t.Fatalf("a rep cannot read their own quote: %+v", got)
	}
	if n, got := e.qtList(t, sales.RoleSalesRep, nil); n != 1 || got != mine.Number {
		t.Fatalf("rep's list: %d %s", n, got)
	}
	// Filtering for the other customer does not widen the scope.
	if n, _ := e.qtList(t, sales.RoleSalesRep, map[string]any{"f": map[string]any{"customerId": s.theirs}}); n != 0 {
		t.Fatalf("rep's filtered list: %d", n)
	}
	if n, _ := e.qtList(t, sales.RoleViewer, nil); n != 2 {
		t.Fatalf("viewer's list: %d", n)
	}
}

func TestQuotes_ListFiltersAndOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	mgr := sales.RoleSalesManager
	mk := func(customer, qty, validUntil string) qtQuote {
		in := qtInput(customer, qtLineIn(s.widget, qty))
		in["validUntil"] = validUntil
		return e.qtCreate(t, mgr, in)
	}
	a := mk(s.mine, "1", "2099-03-01")                                       // 11.90, DRAFT
	b := e.qtMust(t, mgr, "sendQuote", mk(s.theirs, "5", "2099-01-01"), nil) // 59.50, SENT
	c := e.qtMust(t, mgr, "sendQuote", mk(s.mine, "3", "2099-02-01"), nil)   // 35.70, SENT, then revised
	c2 := e.qtMust(t, mgr, "reviseQuote", c, map[string]any{"input": map[string]any{"lines": []any{qtLineIn(s.widget, "2")}}})
	var today string
	if err := e.store.GetContext(context.Background(), &today, `SELECT current_date::text`); err != nil {
		t.Fatal(err)
	}

	join := func(qs ...qtQuote) string {
		var n []string
		for _, q := range qs {
			n = append(n, q.Number)
		}
		return strings.Join(n, ",")
	}
	f := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"f": m}
	}
	order := func(field, dir string) map[string]any {
		return map[string]any{"o": map[string]any{"field": field, "direction": dir}}
	}
	for _, tc := range []struct {
		name string
		vars map[string]any
		want string
	}{
		{"DefaultNewestFirstLiveOnly", nil, join(c2, b, a)},
		{"AllRevisions", f("latestOnly", false), join(c2, c, b, a)},
		{"Status", f("status", []string{"SENT"}), join(b)},
		{"StatusAnyOf", f("status", []string{"SENT", "DRAFT"}, "latestOnly", false), join(c2, c, b, a)},
		{"Customer", f("customerId", s.mine), join(c2, a)},
		{"SalesRep", f("salesRepId", userID(e.users[sales.RoleSalesRep].ID)), join(c2, a)},
		{"BaseNumber", f("number", c.Number), join(c2)},
		{"DisplayNumber", f("number", c2.Number), join(c2)},
		{"SupersededRevisionByNumber", f("number", c.Number+"-R1"), join(c)},
		{"SupersededRevisionLatestOnly", f("number", c.Number+"-R1", "latestOnly", true), ""},
		{"FromToToday", f("from", today, "to", today), join(c2, b, a)},
		{"ToBeforeToday", f("to", "2020-01-01"), ""},
		{"FromAfterToday", f("from", "2099-01-01"), ""},
		{"TotalAscending", order("TOTAL", "ASC"), join(a, c2, b)},
		{"ValidUntilDescending", order("VALID_UNTIL", "DESC"), join(a, c2, b)},
		{"NumberAscending", order("NUMBER", "ASC"), join(a, b, c2)},
		{"CreatedAtAscending", order("CREATED_AT", "ASC"), join(a, b, c2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n, got := e.qtList(t, sales.RoleViewer, tc.vars); got != tc.want || n != len(strings.FieldsFunc(got, func(r rune) bool { return r == ',' })) {
				t.Fatalf("got %d: %s\nwant %s", n, got, tc.want)
			}
		})
	}
	t.Run("Pages", func(t *testing.T) {
		var p struct {
			Quotes struct {
				Edges    []struct{ Cursor string }
				PageInfo struct{ HasNextPage bool }
			}
		}
		e.with(t).must(sales.RoleViewer, qtListQuery, map[string]any{"first": 2}, &p)
		if len(p.Quotes.Edges) != 2 || !p.Quotes.PageInfo.HasNextPage {
			t.Fatalf("page 1 %+v", p.Quotes)
		}
		n, got := e.qtList(t, sales.RoleViewer, map[string]any{"first": 2, "after": p.Quotes.Edges[1].Cursor})
		if n != 3 || got != a.Number {
			t.Fatalf("page 2: %d %s", n, got)
		}
	})
	t.Run("BadFilterID", func(t *testing.T) {
		wantError(t, e.with(t).as(sales.RoleViewer, qtListQuery, f("customerId", a.ID)), "VALIDATION", "filter.customerId")
		wantError(t, e.with(t).as(sales.RoleViewer, qtListQuery, f("salesRepId", "garbage")), "VALIDATION", "filter.salesRepId")
	})
}

// TestQuotes_PageBatches proves a page of quotes with their lines, changes,
// revisions and history costs the same number of statements for 4 or 24.
func TestQuotes_PageBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	ctx, mgr := context.Background(), e.users[sales.RoleSalesManager]
	key := func(id string) int64 { _, k, _ := relay.Parse("id", id); return k[0] }
	widget, gadget := key(s.widget), key(s.gadget)
	line := func(p int64, q int64) sales.LineInput {
		return sales.LineInput{ProductID: p, Quantity: decimal.NewFromInt(q)}
	}
	for range 12 {
		q, err := e.store.Quotes.Create(ctx, mgr, sales.NewQuote{CustomerID: key(s.mine), ValidUntil: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
			Lines: []sales.LineInput{line(widget, 1)}}, nil)
		if err == nil {
			q, err = e.store.Quotes.Transition(ctx, mgr, q.ID, q.Version, sales.QuoteSend, "")
		}
		if err == nil {
			_, err = e.store.Quotes.Revise(ctx, mgr, q.ID, q.Version, sales.QuoteChange{Lines: []sales.LineInput{line(widget, 2), line(gadget, 1)}})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	const query = `query($n: Int!) { quotes(first: $n, filter: {latestOnly: false}) { nodes {
		number customer { code } lines { product { sku } } changes { kind product { sku } }
		revisions { number } supersededBy { number } history { actor { email } } } } }`
	cost := func(n int) int64 {
		least := int64(1 << 62)
		for range 3 { // batches form on a timer: the plan's cost is the least of three tries
			before := e.store.Statements()
			var out struct {
				Quotes struct {
					Nodes []struct{ Changes []struct{ Kind string } }
				}
			}
			e.with(t).must(sales.RoleViewer, query, map[string]any{"n": n}, &out)
			least = min(least, e.store.Statements()-before)
			if len(out.Quotes.Nodes) != n || len(out.Quotes.Nodes[0].Changes) != 2 {
				t.Fatalf("page of %d: %+v", n, out.Quotes.Nodes)
			}
		}
		return least
	}
	small, large := cost(4), cost(24)
	if small != large {
		t.Fatalf("4 quotes cost %d statements, 24 cost %d", small, large)
	}
	t.Logf("statements per request: %d for 4 quotes, %d for 24", small, large)
}

// TestQuotes_ConcurrentActions: racing changes to one version of a quote
// queue on its row lock; exactly one wins, the others are CONFLICT.
