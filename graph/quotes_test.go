package graph_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/gqltest"
	"salesgraph/relay"
	"salesgraph/sales"
)

const (
	qtFragment = `
	fragment quote on Quote {
	  id number baseNumber revision isLatestRevision status version currency validUntil subtotal taxTotal total notes
	  supersededBy { number }
	  revisions { number status }
	  changes { kind product { sku } before { quantity unitPrice discountPercent } after { quantity unitPrice discountPercent } }
	  customer { code }
	  lines { lineNo quantity unitPrice listPrice priceOverrideReason discountPercent taxRate subtotal tax total product { sku } }
	  history { action fromStatus toStatus reason actor { email } }
	}`
	qtCreateMutation = `mutation($input: CreateQuoteInput!, $key: String) { createQuote(input: $input, idempotencyKey: $key) { ...quote } }` + qtFragment
	qtQuery          = `query($id: ID!) { quote(id: $id) { ...quote } }` + qtFragment
	qtListQuery      = `query($f: QuoteFilter, $o: QuoteOrder, $first: Int, $after: String) {
	  quotes(filter: $f, orderBy: $o, first: $first, after: $after) { totalCount edges { cursor } nodes { number status total } pageInfo { hasNextPage endCursor } }
	}`
)

// qtMutations are the quote mutations by name, each taking $id and $v
// (and $reason or $input where the mutation has them).
var qtMutations = map[string]string{
	"updateQuote": `mutation($id: ID!, $v: Int!, $input: UpdateQuoteInput!) { updateQuote(id: $id, version: $v, input: $input) { ...quote } }`,
	"reviseQuote": `mutation($id: ID!, $v: Int!, $input: UpdateQuoteInput!) { reviseQuote(id: $id, version: $v, input: $input) { ...quote } }`,
	"sendQuote":   `mutation($id: ID!, $v: Int!) { sendQuote(id: $id, version: $v) { ...quote } }`,
	"acceptQuote": `mutation($id: ID!, $v: Int!, $reason: String) { acceptQuote(id: $id, version: $v, reason: $reason) { ...quote } }`,
	"rejectQuote": `mutation($id: ID!, $v: Int!, $reason: String!) { rejectQuote(id: $id, version: $v, reason: $reason) { ...quote } }`,
	"expireQuote": `mutation($id: ID!, $v: Int!) { expireQuote(id: $id, version: $v) { ...quote } }`,
	"cancelQuote": `mutation($id: ID!, $v: Int!, $reason: String!) { cancelQuote(id: $id, version: $v, reason: $reason) { ...quote } }`,
}

type qtLine struct {
	LineNo                                        int
	Quantity, UnitPrice, DiscountPercent, TaxRate string
	Subtotal, Tax, Total, PriceOverrideReason     string
	ListPrice                                     *string
	Product                                       struct{ SKU string }
}

type qtQuote struct {
	ID, Number, BaseNumber, Status, Currency, ValidUntil, Subtotal, TaxTotal, Total, Notes string
	Revision, Version                                                                      int
	IsLatestRevision                                                                       bool
	SupersededBy                                                                           *struct{ Number string }
	Revisions                                                                              []struct{ Number, Status string }
	Changes                                                                                []struct {
		Kind          string
		Product       struct{ SKU string }
		Before, After *struct{ Quantity, UnitPrice, DiscountPercent string }
	}
	Customer struct{ Code string }
	Lines    []qtLine
	History  []struct {
		Action, ToStatus, Reason string
		FromStatus               *string
		Actor                    struct{ Email string }
	}
}

// qtFixture is a default EUR price list (widget 10.00, gadget 2.50), two
// products taxed at 19 %, the rep's customer MINE and another rep's THEIRS.
type qtFixture struct{ widget, gadget, mine, theirs string }

func (e *env) qtSetup(t *testing.T) qtFixture {
	t.Helper()
	s := qtFixture{widget: e.with(t).product("W-1"), gadget: e.with(t).product("G-1")}
	e.with(t).priceList(map[string]any{"code": "STD", "name": "Standard", "currency": "EUR", "isDefault": true, "items": []any{
		map[string]any{"productId": s.widget, "unitPrice": "10.00"},
		map[string]any{"productId": s.gadget, "unitPrice": "2.50"},
	}})
	mine := validCustomer("MINE")
	mine["salesRepId"] = userID(e.users[sales.RoleSalesRep].ID)
	s.mine = e.with(t).createCustomer(sales.RoleAdmin, mine).ID
	other, _ := e.addUser("rep2@test.example", sales.RoleSalesRep)
	theirs := validCustomer("THEIRS")
	theirs["salesRepId"] = userID(other.ID)
	s.theirs = e.with(t).createCustomer(sales.RoleAdmin, theirs).ID
	return s
}

func qtLineIn(product, qty string, extra ...any) map[string]any {
	l := map[string]any{"productId": product, "quantity": qty}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i].(string)] = extra[i+1]
	}
	return l
}

func qtInput(customer string, lines ...map[string]any) map[string]any {
	return map[string]any{"customerId": customer, "validUntil": "2099-12-31", "lines": lines}
}

func (e *env) qtCreate(t *testing.T, role sales.Role, input map[string]any) qtQuote {
	t.Helper()
	var out struct{ CreateQuote qtQuote }
	e.with(t).must(role, qtCreateMutation, map[string]any{"input": input}, &out)
	return out.CreateQuote
}

// quoteDo runs a quote mutation on q (at its version) and returns the raw response.
func (e *env) qtDo(t *testing.T, role sales.Role, mutation string, q qtQuote, extra map[string]any) gqltest.Response {
	t.Helper()
	vars := map[string]any{"id": q.ID, "v": q.Version}
	for k, v := range extra {
		vars[k] = v
	}
	if _, ok := vars["reason"]; !ok && (mutation == "rejectQuote" || mutation == "cancelQuote") {
		vars["reason"] = "test"
	}
	if _, ok := vars["input"]; !ok && (mutation == "updateQuote" || mutation == "reviseQuote") {
		vars["input"] = map[string]any{}
	}
	return e.with(t).as(role, qtMutations[mutation]+qtFragment, vars)
}

// quoteMust runs a quote mutation that must succeed and returns the quote.
func (e *env) qtMust(t *testing.T, role sales.Role, mutation string, q qtQuote, extra map[string]any) qtQuote {
	t.Helper()
	r := e.qtDo(t, role, mutation, q, extra)
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %+v", mutation, r.Errors)
	}
	var out map[string]qtQuote
	r.Decode(t, &out)
	return out[mutation]
}

func (e *env) qtRead(t *testing.T, role sales.Role, id string) *qtQuote {
	t.Helper()
	var out struct{ Quote *qtQuote }
	e.with(t).must(role, qtQuery, map[string]any{"id": id}, &out)
	return out.Quote
}

// pastValidUntil backdates a quote's validity to yesterday: the API never
// accepts a date in the past, and the clock is the database's.
func qtBackdate(t *testing.T, store *db.Store, id string) {
	t.Helper()
	_, keys, err := relay.Parse("id", id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ExecContext(context.Background(), `UPDATE quotes SET valid_until = current_date - 1 WHERE id = $1`, keys[0]); err != nil {
		t.Fatal(err)
	}
}

// qtList lists quotes as role: the total and the page's numbers, comma-separated.
func (e *env) qtList(t *testing.T, role sales.Role, vars map[string]any) (int, string) {
	t.Helper()
	var out struct {
		Quotes struct {
			TotalCount int
			Nodes      []struct{ Number string }
		}
	}
	e.with(t).must(role, qtListQuery, vars, &out)
	var n []string
	for _, q := range out.Quotes.Nodes {
		n = append(n, q.Number)
	}
	return out.Quotes.TotalCount, strings.Join(n, ",")
}

func qtDecEq(t *testing.T, what, got, want string) {
	t.Helper()
	g, err := decimal.NewFromString(got)
	if err != nil || !g.Equal(decimal.RequireFromString(want)) {
		t.Errorf("%s = %q, want %s", what, got, want)
	}
}

var qtNumberShape = regexp.MustCompile(`^QT-\d{4}-\d{6}$`)

func TestQuotes_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	rep, repEmail := sales.RoleSalesRep, e.users[sales.RoleSalesRep].Email

	q := e.qtCreate(t, rep, qtInput(s.mine, qtLineIn(s.widget, "3"), qtLineIn(s.gadget, "2")))
	if !qtNumberShape.MatchString(q.Number) || q.BaseNumber != q.Number || q.Revision != 1 || q.Status != "DRAFT" ||
		q.Version != 1 || q.Currency != "EUR" || !q.IsLatestRevision || len(q.Lines) != 2 || len(q.Changes) != 0 {
		t.Fatalf("created %+v", q)
	}
	qtDecEq(t, "created total", q.Total, "41.65") // (30 + 5) × 1.19
	if h := q.History; len(h) != 1 || h[0].Action != "CREATE" || h[0].FromStatus != nil || h[0].ToStatus != "DRAFT" || h[0].Actor.Email != repEmail {
		t.Fatalf("history %+v", h)
	}

	// Update: lines replace all, totals follow, version bumps.
	q = e.qtMust(t, rep, "updateQuote", q, map[string]any{"input": map[string]any{"validUntil": "2099-06-30", "notes": " call first ",
		"lines": []any{qtLineIn(s.widget, "5")}}})
	if q.Version != 2 || q.Status != "DRAFT" || len(q.Lines) != 1 || q.ValidUntil != "2099-06-30" || q.Notes != "call first" {
		t.Fatalf("updated %+v", q)
	}
	qtDecEq(t, "updated total", q.Total, "59.5")

	q = e.qtMust(t, rep, "sendQuote", q, nil)
	if q.Status != "SENT" || q.Version != 3 {
		t.Fatalf("sent %+v", q)
	}

	// Revise: a new draft under the same number; the old one stays readable.
	r2 := e.qtMust(t, rep, "reviseQuote", q, map[string]any{"input": map[string]any{"lines": []any{
		qtLineIn(s.widget, "6", "discountPercent", "10"), qtLineIn(s.gadget, "4")}}})
	if r2.Number != q.Number+"-R2" || r2.BaseNumber != q.Number || r2.Revision != 2 || r2.Status != "DRAFT" || r2.Version != 1 ||
		r2.ValidUntil != "2099-06-30" || r2.Notes != "call first" || !r2.IsLatestRevision {
		t.Fatalf("revision %+v", r2)
	}
	if len(r2.Revisions) != 2 || r2.Revisions[0].Number != q.Number || r2.Revisions[1].Number != r2.Number {
		t.Fatalf("revisions %+v", r2.Revisions)
	}
	var kinds []string
	for _, c := range r2.Changes {
		kinds = append(kinds, c.Kind+":"+c.Product.SKU)
	}
	if got := strings.Join(kinds, ","); got != "REPRICED:W-1,QUANTITY_CHANGED:W-1,ADDED:G-1" {
		t.Fatalf("changes %s (%+v)", got, r2.Changes)
	}
	if c := r2.Changes[0]; c.Before == nil || c.After == nil || c.Before.DiscountPercent != "0" || c.After.DiscountPercent != "10" {
		t.Fatalf("repriced change %+v / %+v", c.Before, c.After)
	}
	if h := r2.History; len(h) != 1 || h[0].Action != "REVISE" || h[0].ToStatus != "DRAFT" || !strings.Contains(h[0].Reason, q.Number) {
		t.Fatalf("revision history %+v", h)
	}
	old := e.qtRead(t, sales.RoleViewer, q.ID)
	if old == nil || old.Status != "SENT" || old.IsLatestRevision || old.SupersededBy == nil || old.SupersededBy.Number != r2.Number || old.Version != 4 {
		t.Fatalf("old revision %+v", old)
	}
	if h := old.History; len(h) != 3 || h[2].Action != "REVISE" || h[2].ToStatus != "SENT" || !strings.Contains(h[2].Reason, r2.Number) {
		t.Fatalf("old history %+v", h)
	}
	// The superseded revision refuses everything, naming its successor.
	r := e.qtDo(t, rep, "acceptQuote", *old, nil)
	wantError(t, r, "INVALID_TRANSITION", "status")
	if !strings.Contains(r.Errors[0].Message, r2.Number) {
		t.Fatalf("message %q does not name %s", r.Errors[0].Message, r2.Number)
	}

	// R2 goes out and is accepted; the list shows the live revision only.
	r2 = e.qtMust(t, rep, "sendQuote", r2, nil)
	r2 = e.qtMust(t, rep, "acceptQuote", r2, map[string]any{"reason": "signed PO 4711"})
	if r2.Status != "ACCEPTED" || r2.Version != 3 {
		t.Fatalf("accepted %+v", r2)
	}
	if h := r2.History; len(h) != 3 || h[2].Action != "ACCEPT" || *h[2].FromStatus != "SENT" || h[2].Reason != "signed PO 4711" {
		t.Fatalf("accepted history %+v", h)
	}
	if n, got := e.qtList(t, rep, map[string]any{"f": map[string]any{"number": q.Number}}); n != 1 || got != r2.Number {
		t.Fatalf("list by number: %d %s", n, got)
	}
	if n, got := e.qtList(t, rep, map[string]any{"f": map[string]any{"number": q.Number + "-r1"}}); n != 1 || got != q.Number {
		t.Fatalf("list by display number: %d %s", n, got)
	}
}

func TestQuotes_TotalsExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	q := e.qtCreate(t, sales.RoleSalesManager, qtInput(s.mine,
		// 3 × 10.00 − 12.5 % = 26.25; tax 4.9875 → 4.99
		qtLineIn(s.widget, "3", "discountPercent", "12.5"),
		// 7 × 2.35 = 16.45 − 2.5 % = 16.03875 → 16.04; tax 3.0476 → 3.05 (priced below the list, with a reason)
		qtLineIn(s.gadget, "7", "unitPrice", "2.35", "priceOverrideReason", "loyalty", "discountPercent", "2.5"),
		// 1.333 × 10.00 = 13.33; tax 2.5327 → 2.53
		qtLineIn(s.widget, "1.333")))
	want := [][3]string{{"26.25", "4.99", "31.24"}, {"16.04", "3.05", "19.09"}, {"13.33", "2.53", "15.86"}}
	for i, w := range want {
		l := q.Lines[i]
		qtDecEq(t, fmt.Sprintf("line %d subtotal", i+1), l.Subtotal, w[0])
		qtDecEq(t, fmt.Sprintf("line %d tax", i+1), l.Tax, w[1])
		qtDecEq(t, fmt.Sprintf("line %d total", i+1), l.Total, w[2])
		qtDecEq(t, fmt.Sprintf("line %d tax rate", i+1), l.TaxRate, "0.19")
	}
	if l := q.Lines[1]; l.ListPrice == nil || *l.ListPrice != "2.50" || l.UnitPrice != "2.35" || l.PriceOverrideReason != "loyalty" {
		t.Fatalf("override line %+v", l)
	}
	qtDecEq(t, "subtotal", q.Subtotal, "55.62")
	qtDecEq(t, "tax", q.TaxTotal, "10.57")
	qtDecEq(t, "total", q.Total, "66.19")
}

func TestQuotes_RejectAndCancelKeepReasons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	rep := sales.RoleSalesRep
	sent := e.qtMust(t, rep, "sendQuote", e.qtCreate(t, rep, qtInput(s.mine, qtLineIn(s.widget, "1"))), nil)

	unchanged(t, e.store, func() {
		wantError(t, e.qtDo(t, rep, "rejectQuote", sent, map[string]any{"reason": "   "}), "VALIDATION", "reason")
		wantError(t, e.qtDo(t, rep, "cancelQuote", sent, map[string]any{"reason": ""}), "VALIDATION", "reason")
	})
	rejected := e.qtMust(t, rep, "rejectQuote", sent, map[string]any{"reason": " price too high "})
	if h := rejected.History[len(rejected.History)-1]; rejected.Status != "REJECTED" || h.Action != "REJECT" || h.Reason != "price too high" || *h.FromStatus != "SENT" {
		t.Fatalf("rejected %s, history %+v", rejected.Status, h)
	}

	for _, send := range []bool{false, true} {
		q := e.qtCreate(t, rep, qtInput(s.mine, qtLineIn(s.gadget, "1")))
		from := "DRAFT"
		if send {
			q, from = e.qtMust(t, rep, "sendQuote", q, nil), "SENT"
		}
		q = e.qtMust(t, rep, "cancelQuote", q, map[string]any{"reason": "customer withdrew"})
		if h := q.History[len(q.History)-1]; q.Status != "CANCELLED" || h.Action != "CANCEL" || *h.FromStatus != from || h.Reason != "customer withdrew" {
			t.Fatalf("cancelled from %s: %s, %+v", from, q.Status, h)
		}
	}
}

func TestQuotes_ForbiddenTransitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	mgr := sales.RoleSalesManager
	create := func() qtQuote { return e.qtCreate(t, mgr, qtInput(s.mine, qtLineIn(s.widget, "1"))) }
	send := func(q qtQuote) qtQuote { return e.qtMust(t, mgr, "sendQuote", q, nil) }
	expired := send(create())
	qtBackdate(t, e.store, expired.ID)
	quotes := map[string]qtQuote{
		"DRAFT":     create(),
		"SENT":      send(create()),
		"ACCEPTED":  e.qtMust(t, mgr, "acceptQuote", send(create()), nil),
		"REJECTED":  e.qtMust(t, mgr, "rejectQuote", send(create()), nil),
		"CANCELLED": e.qtMust(t, mgr, "cancelQuote", create(), nil),
		"EXPIRED":   e.qtMust(t, mgr, "expireQuote", expired, nil),
	}
	allowed := map[string][]string{
		"DRAFT": {"updateQuote", "sendQuote", "cancelQuote"},
		"SENT":  {"acceptQuote", "rejectQuote", "cancelQuote", "reviseQuote", "expireQuote"}, // expire: VALIDATION before validUntil
	}
	for state, q := range quotes {
		for mutation := range qtMutations {
			if slices.Contains(allowed[state], mutation) {
				continue
			}
			t.Run(state+"/"+mutation, func(t *testing.T) {
				unchanged(t, e.store, func() {
					r := e.qtDo(t, mgr, mutation, q, nil)
					wantError(t, r, "INVALID_TRANSITION", "status")
					if !strings.Contains(r.Errors[0].Message, "that is "+state) {
						t.Fatalf("message %q does not name %s", r.Errors[0].Message, state)
					}
				})
			})
		}
	}
}

func TestQuotes_Validity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	rep := sales.RoleSalesRep
	q := e.qtMust(t, rep, "sendQuote", e.qtCreate(t, rep, qtInput(s.mine, qtLineIn(s.widget, "1"))), nil)
	unchanged(t, e.store, func() {
		r := e.qtDo(t, rep, "expireQuote", q, nil)
		wantError(t, r, "VALIDATION", "validUntil")
	})
	qtBackdate(t, e.store, q.ID)
	unchanged(t, e.store, func() {
		r := e.qtDo(t, rep, "acceptQuote", q, nil)
		wantError(t, r, "INVALID_TRANSITION", "validUntil")
		if !strings.Contains(r.Errors[0].Message, "expired on") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
		// A revision of an expired quote needs a new date.
		wantError(t, e.qtDo(t, rep, "reviseQuote", q, nil), "VALIDATION", "input.validUntil")
	})
	q = e.qtMust(t, rep, "expireQuote", q, nil)
	if q.Status != "EXPIRED" || q.History[len(q.History)-1].Action != "EXPIRE" {
		t.Fatalf("expired %+v", q)
	}

	// A draft past its date cannot be sent until the date moves.
	d := e.qtCreate(t, rep, qtInput(s.mine, qtLineIn(s.widget, "1")))
	qtBackdate(t, e.store, d.ID)
	wantError(t, e.qtDo(t, rep, "sendQuote", d, nil), "INVALID_TRANSITION", "validUntil")
	d = e.qtMust(t, rep, "updateQuote", d, map[string]any{"input": map[string]any{"validUntil": "2099-01-01"}})
	if d = e.qtMust(t, rep, "sendQuote", d, nil); d.Status != "SENT" {
		t.Fatalf("sent %+v", d)
	}
}

func TestQuotes_BadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	draft := e.qtCreate(t, sales.RoleSalesRep, qtInput(s.mine, qtLineIn(s.widget, "1")))
	with := func(k string, v any, lines ...map[string]any) map[string]any {
		in := qtInput(s.mine, lines...)
		if lines == nil {
			in["lines"] = []any{qtLineIn(s.widget, "1")}
		}
		if k != "" {
			in[k] = v
		}
		return in
	}
	for _, tc := range []struct {
		name, code, field string
		role              sales.Role
		input             map[string]any
	}{
		{"NoLines", "VALIDATION", "input.lines", sales.RoleAdmin, with("lines", []any{})},
		{"ZeroQuantity", "VALIDATION", "input.lines.0.quantity", sales.RoleAdmin, with("", nil, qtLineIn(s.widget, "0"))},
		{"NegativeQuantity", "VALIDATION", "input.lines.0.quantity", sales.RoleAdmin, with("", nil, qtLineIn(s.widget, "-2"))},
		{"MalformedQuantity", "VALIDATION", "input.lines.1.quantity", sales.RoleAdmin, with("", nil, qtLineIn(s.widget, "1"), qtLineIn(s.gadget, "1,5"))},
		{"UnknownProduct", "NOT_FOUND", "input.lines.0.productId", sales.RoleAdmin, with("", nil, qtLineIn(relay.ID("Product", 999999), "1"))},
		{"ProductIDOfWrongType", "VALIDATION", "input.lines.0.productId", sales.RoleAdmin, with("", nil, qtLineIn(s.mine, "1"))},
		{"OverrideWithoutReason", "VALIDATION", "input.lines.0.priceOverrideReason", sales.RoleAdmin, with("", nil, qtLineIn(s.widget, "1", "unitPrice", "9.99"))},
		{"DiscountOver100", "VALIDATION", "input.lines.0.discountPercent", sales.RoleAdmin, with("", nil, qtLineIn(s.widget, "1", "discountPercent", "100.01"))},
		{"ValidUntilPast", "VALIDATION", "input.validUntil", sales.RoleAdmin, with("validUntil", "2020-01-01")},
		{"MalformedValidUntil", "VALIDATION", "input.validUntil", sales.RoleAdmin, with("validUntil", "31.12.2099")},
		{"UnknownCustomer", "NOT_FOUND", "input.customerId", sales.RoleAdmin, with("customerId", relay.ID("Customer", 999999))},
		{"MalformedCustomer", "VALIDATION", "input.customerId", sales.RoleAdmin, with("customerId", "garbage")},
		{"AnotherRepsCustomer", "NOT_FOUND", "input.customerId", sales.RoleSalesRep, with("customerId", s.theirs)},
		{"NotesTooLong", "VALIDATION", "input.notes", sales.RoleAdmin, with("notes", strings.Repeat("n", 4001))},
		{"ViewerMayNotCreate", "FORBIDDEN", "", sales.RoleViewer, with("", nil)},
	} {
		t.Run("Create/"+tc.name, func(t *testing.T) {
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(tc.role, qtCreateMutation, map[string]any{"input": tc.input}), tc.code, tc.field)
			})
		})
	}
	stale := draft
	stale.Version = 7
	for _, tc := range []struct {
		name, mutation, code, field string
		role                        sales.Role
		q                           qtQuote
		extra                       map[string]any
	}{
		{"StaleVersion", "updateQuote", "CONFLICT", "version", sales.RoleSalesRep, stale, map[string]any{"input": map[string]any{"notes": "x"}}},
		{"StaleVersionSend", "sendQuote", "CONFLICT", "version", sales.RoleSalesRep, stale, nil},
		{"EmptyLines", "updateQuote", "VALIDATION", "input.lines", sales.RoleSalesRep, draft, map[string]any{"input": map[string]any{"lines": []any{}}}},
		{"BadLine", "updateQuote", "VALIDATION", "input.lines.0.discountPercent", sales.RoleSalesRep, draft,
			map[string]any{"input": map[string]any{"lines": []any{qtLineIn(s.widget, "1", "discountPercent", "-1")}}}},
		{"PastValidUntil", "updateQuote", "VALIDATION", "input.validUntil", sales.RoleSalesRep, draft, map[string]any{"input": map[string]any{"validUntil": "2020-01-01"}}},
		{"OtherRepCannotTouch", "sendQuote", "NOT_FOUND", "id", sales.RoleSalesRep, e.qtCreate(t, sales.RoleAdmin, qtInput(s.theirs, qtLineIn(s.widget, "1"))), nil},
		{"WrongIDType", "sendQuote", "VALIDATION", "id", sales.RoleSalesRep, qtQuote{ID: s.mine, Version: 1}, nil},
		{"UnknownQuote", "sendQuote", "NOT_FOUND", "id", sales.RoleSalesRep, qtQuote{ID: relay.ID("Quote", 999999), Version: 1}, nil},
	} {
		t.Run("Change/"+tc.name, func(t *testing.T) {
			unchanged(t, e.store, func() {
				wantError(t, e.qtDo(t, tc.role, tc.mutation, tc.q, tc.extra), tc.code, tc.field)
			})
		})
	}
}

func TestQuotes_IdempotentCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	in := qtInput(s.mine, qtLineIn(s.widget, "2"))
	var a, b struct{ CreateQuote qtQuote }
	e.with(t).must(sales.RoleSalesRep, qtCreateMutation, map[string]any{"input": in, "key": "q-1"}, &a)
	e.with(t).must(sales.RoleSalesRep, qtCreateMutation, map[string]any{"input": in, "key": "q-1"}, &b)
	if a.CreateQuote.ID != b.CreateQuote.ID || a.CreateQuote.Number != b.CreateQuote.Number || len(b.CreateQuote.History) != 1 {
		t.Fatalf("retry made another quote: %s / %s", a.CreateQuote.Number, b.CreateQuote.Number)
	}
	unchanged(t, e.store, func() {
		r := e.with(t).as(sales.RoleSalesRep, qtCreateMutation, map[string]any{"input": qtInput(s.mine, qtLineIn(s.widget, "3")), "key": "q-1"})
		wantError(t, r, "IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
	})
	// The next quote gets the next number: the retry used none.
	c := e.qtCreate(t, sales.RoleSalesRep, in)
	if want := a.CreateQuote.Number[:len(a.CreateQuote.Number)-1] + "2"; c.Number != want {
		t.Fatalf("next number %s, want %s", c.Number, want)
	}
}

func TestQuotes_ConcurrentActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	q := e.qtMust(t, sales.RoleSalesRep, "sendQuote", e.qtCreate(t, sales.RoleSalesRep, qtInput(s.mine, qtLineIn(s.widget, "1"))), nil)
	mutations := []string{"acceptQuote", "rejectQuote", "cancelQuote", "reviseQuote", "acceptQuote", "reviseQuote"}
	codes := make([]string, len(mutations))
	var wg sync.WaitGroup
	for i, m := range mutations {
		wg.Go(func() {
			vars := map[string]any{"id": q.ID, "v": q.Version, "reason": "race", "input": map[string]any{}}
			if m == "acceptQuote" || m == "reviseQuote" {
				delete(vars, "reason")
			}
			if m != "reviseQuote" {
				delete(vars, "input")
			}
			if r := gqlPost(e, sales.RoleSalesRep, qtMutations[m]+qtFragment, vars); len(r.Errors) > 0 {
				codes[i] = r.Errors[0].Code()
			}
		})
	}
	wg.Wait()
	slices.Sort(codes)
	if got := strings.Join(codes, ","); got != ",CONFLICT,CONFLICT,CONFLICT,CONFLICT,CONFLICT" {
		t.Fatalf("outcomes %s, want one success and five CONFLICT", got)
	}
}

// TestQuotes_ExpiredDoesNotConvert: an accepted quote past its validUntil
// cannot become an order; on its last valid day it still can.
func TestQuotes_ExpiredDoesNotConvert(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.qtSetup(t)
	w := e.warehouse("WH1")
	rep := sales.RoleSalesRep
	const convert = `mutation($id: ID!, $w: ID!) { convertQuoteToOrder(id: $id, input: {warehouseId: $w}) { id status } }`
	accepted := func() qtQuote {
		q := e.qtMust(t, rep, "sendQuote", e.qtCreate(t, rep, qtInput(s.mine, qtLineIn(s.widget, "1"))), nil)
		return e.qtMust(t, rep, "acceptQuote", q, nil)
	}

	expired := accepted()
	qtBackdate(t, e.store, expired.ID)
	unchanged(t, e.store, func() {
		r := e.as(rep, convert, map[string]any{"id": expired.ID, "w": w})
		wantError(t, r, "INVALID_TRANSITION", "")
		if !strings.Contains(r.Errors[0].Message, "expired on") {
			t.Fatalf("message %q should say when the quote expired", r.Errors[0].Message)
		}
	})

	lastDay := accepted()
	_, keys, err := relay.Parse("id", lastDay.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ExecContext(t.Context(), `UPDATE quotes SET valid_until = current_date WHERE id = $1`, keys[0]); err != nil {
		t.Fatal(err)
	}
	var out struct{ ConvertQuoteToOrder struct{ Status string } }
	e.must(rep, convert, map[string]any{"id": lastDay.ID, "w": w}, &out)
	if out.ConvertQuoteToOrder.Status != "DRAFT" {
		t.Fatalf("converted on its last valid day: %+v", out)
	}
}
