package graph_test

import (
	"strings"
	"testing"

	"salesgraph/sales"
)

// scopeFixture is the sales rep's own customer and documents (mine) and
// another rep's (theirs), made by an admin.
type scopeFixture struct {
	mine, theirs                   salesSetup
	theirOrder, theirShippedOrder  orderOut
	myShippedOrder                 orderOut
	theirDelivery, myDelivery      deliveryOut
	theirQuote, theirAcceptedQuote qtQuote
	theirReturn                    returnOut
}

func (e *env) scopeFixture(t *testing.T) scopeFixture {
	t.Helper()
	var f scopeFixture
	f.mine = e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	rep2, _ := e.addUser("rep2@test.example", sales.RoleSalesRep)
	in := validCustomer("THEIRS")
	in["salesRepId"] = userID(rep2.ID)
	f.theirs = f.mine
	f.theirs.customer = e.with(t).createCustomer(sales.RoleAdmin, in).ID

	f.theirOrder = e.confirmedOrder(t, f.theirs)
	f.theirShippedOrder, f.theirDelivery = e.shippedOrder(t, f.theirs)
	f.myShippedOrder, f.myDelivery = e.shippedOrder(t, f.mine)
	f.theirReturn = e.returnDo(t, sales.RoleAdmin, createReturnKey, returnIn(f.theirShippedOrder.ID, "wrong colour", returnLine(f.theirShippedOrder.Lines[1].ID, "1")))
	f.theirQuote = e.qtCreate(t, sales.RoleAdmin, qtInput(f.theirs.customer, qtLineIn(f.mine.widget, "1")))
	q := e.qtMust(t, sales.RoleAdmin, "sendQuote", e.qtCreate(t, sales.RoleAdmin, qtInput(f.theirs.customer, qtLineIn(f.mine.widget, "1"))), nil)
	f.theirAcceptedQuote = e.qtMust(t, sales.RoleAdmin, "acceptQuote", q, nil)
	return f
}

// TestScope_ForeignLooksMissing: to a sales rep, another rep's customer or
// document gives exactly the error (message, code, field, path) a missing
// one gives, and reads give null for both, so IDs cannot be probed.
func TestScope_ForeignLooksMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.scopeFixture(t)
	missing := map[string]string{
		"Customer": relayID("Customer", 999999), "Quote": relayID("Quote", 999999), "SalesOrder": relayID("SalesOrder", 999999),
		"Delivery": relayID("Delivery", 999999), "Return": relayID("Return", 999999),
	}
	byID := func(name, args string) string {
		return `mutation($id: ID!, $v: Int!) { ` + name + `(id: $id, version: $v` + args + `) { id } }`
	}
	newQuote := `mutation($c: ID!, $p: ID!) { createQuote(input: {customerId: $c, validUntil: "2099-12-31", lines: [{productId: $p, quantity: "1"}]}) { id } }`
	newOrder := `mutation($c: ID!, $p: ID!, $w: ID!) { createOrder(input: {customerId: $c, warehouseId: $w, lines: [{productId: $p, quantity: "1"}]}) { id } }`
	newReturn := `mutation($o: ID!, $d: ID, $l: ID!) { createReturn(input: {orderId: $o, deliveryId: $d, reason: "broken", lines: [{orderLineId: $l, quantity: "1"}]}) { id } }`
	convert := `mutation($id: ID!, $w: ID!) { convertQuoteToOrder(id: $id, input: {warehouseId: $w}) { id } }`
	addr := []any{map[string]any{"address": map[string]any{"line1": "Road 1", "city": "Town", "country": "DE"}}}

	type probe struct {
		query            string
		foreign, absent  map[string]any
		wantNullDataOnly bool // a read: no error, data null for both
	}
	with := func(base map[string]any, k string, v any) map[string]any {
		m := map[string]any{k: v}
		for key, x := range base {
			if key != k {
				m[key] = x
			}
		}
		return m
	}
	doc := func(query, typ, id string, version int, extra map[string]any) probe {
		base := with(extra, "v", version)
		return probe{query: query, foreign: with(base, "id", id), absent: with(base, "id", missing[typ])}
	}
	read := func(field, typ, id string) probe {
		q := `query($id: ID!) { ` + field + `(id: $id) { id } }`
		return probe{query: q, foreign: map[string]any{"id": id}, absent: map[string]any{"id": missing[typ]}, wantNullDataOnly: true}
	}
	tq, aq, to := f.theirQuote, f.theirAcceptedQuote, f.theirOrder
	probes := map[string]probe{
		"updateCustomer":               doc(byID("updateCustomer", `, input: {name: "x"}`), "Customer", f.theirs.customer, 1, nil),
		"setCustomerShippingAddresses": doc(`mutation($id: ID!, $v: Int!, $a: [ShippingAddressInput!]!) { setCustomerShippingAddresses(id: $id, version: $v, addresses: $a) { id } }`, "Customer", f.theirs.customer, 1, map[string]any{"a": addr}),
		"createQuote":                  {query: newQuote, foreign: map[string]any{"c": f.theirs.customer, "p": f.mine.widget}, absent: map[string]any{"c": missing["Customer"], "p": f.mine.widget}},
		"createOrder": {query: newOrder, foreign: map[string]any{"c": f.theirs.customer, "p": f.mine.widget, "w": f.mine.warehouse},
			absent: map[string]any{"c": missing["Customer"], "p": f.mine.widget, "w": f.mine.warehouse}},
		"updateQuote":         doc(byID("updateQuote", `, input: {notes: "x"}`), "Quote", tq.ID, tq.Version, nil),
		"sendQuote":           doc(byID("sendQuote", ""), "Quote", tq.ID, tq.Version, nil),
		"cancelQuote":         doc(byID("cancelQuote", `, reason: "x"`), "Quote", tq.ID, tq.Version, nil),
		"acceptQuote":         doc(byID("acceptQuote", ""), "Quote", aq.ID, aq.Version, nil),
		"rejectQuote":         doc(byID("rejectQuote", `, reason: "x"`), "Quote", aq.ID, aq.Version, nil),
		"expireQuote":         doc(byID("expireQuote", ""), "Quote", aq.ID, aq.Version, nil),
		"reviseQuote":         doc(byID("reviseQuote", `, input: {}`), "Quote", aq.ID, aq.Version, nil),
		"convertQuoteToOrder": {query: convert, foreign: map[string]any{"id": aq.ID, "w": f.mine.warehouse}, absent: map[string]any{"id": missing["Quote"], "w": f.mine.warehouse}},
		"updateOrder":         doc(byID("updateOrder", `, input: {notes: "x"}`), "SalesOrder", to.ID, to.Version, nil),
		"confirmOrder":        doc(byID("confirmOrder", ""), "SalesOrder", to.ID, to.Version, nil),
		"cancelOrder":         doc(byID("cancelOrder", `, reason: "x"`), "SalesOrder", to.ID, to.Version, nil),
		"createReturn/order": {query: newReturn, foreign: map[string]any{"o": f.theirShippedOrder.ID, "l": f.theirShippedOrder.Lines[0].ID},
			absent: map[string]any{"o": missing["SalesOrder"], "l": f.theirShippedOrder.Lines[0].ID}},
		"createReturn/delivery": {query: newReturn, foreign: map[string]any{"o": f.myShippedOrder.ID, "d": f.theirDelivery.ID, "l": f.myShippedOrder.Lines[0].ID},
			absent: map[string]any{"o": f.myShippedOrder.ID, "d": missing["Delivery"], "l": f.myShippedOrder.Lines[0].ID}},
		"priceQuote": {query: `query($c: ID!, $p: ID!) { priceQuote(customerId: $c, productId: $p, quantity: "1") { unitPrice } }`,
			foreign: map[string]any{"c": f.theirs.customer, "p": f.mine.widget}, absent: map[string]any{"c": missing["Customer"], "p": f.mine.widget}},
		"read/customer": read("customer", "Customer", f.theirs.customer),
		"read/quote":    read("quote", "Quote", tq.ID),
		"read/order":    read("order", "SalesOrder", to.ID),
		"read/delivery": read("delivery", "Delivery", f.theirDelivery.ID),
		"read/return":   read("return", "Return", f.theirReturn.ID),
		"read/node":     {query: `query($id: ID!) { node(id: $id) { id } }`, foreign: map[string]any{"id": tq.ID}, absent: map[string]any{"id": missing["Quote"]}, wantNullDataOnly: true},
	}
	for name, p := range probes {
		t.Run(name, func(t *testing.T) {
			unchanged(t, e.store, func() {
				foreign := e.with(t).as(sales.RoleSalesRep, p.query, p.foreign)
				absent := e.with(t).as(sales.RoleSalesRep, p.query, p.absent)
				if p.wantNullDataOnly {
					if len(foreign.Errors)+len(absent.Errors) > 0 || string(foreign.Data) != string(absent.Data) || !strings.Contains(string(foreign.Data), "null") {
						t.Fatalf("reads differ: foreign %s %+v, missing %s %+v", foreign.Data, foreign.Errors, absent.Data, absent.Errors)
					}
					return
				}
				fj, aj := mustJSON(t, foreign.Errors), mustJSON(t, absent.Errors)
				if len(foreign.Errors) == 0 || foreign.Errors[0].Code() != "NOT_FOUND" || string(fj) != string(aj) {
					t.Fatalf("a foreign ID and a missing one answer differently:\nforeign: %s %s\nmissing: %s", fj, foreign.Data, aj)
				}
			})
		})
	}
}

// TestScope_MovementReferencesHidden: a sales rep reads the stock ledger,
// but the reference of a movement made for another rep's order (its order,
// delivery or return number) is blank; their own stay readable.
func TestScope_MovementReferencesHidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.scopeFixture(t)
	type movement struct {
		ID, Kind, Reference string
	}
	list := func(role sales.Role) []movement {
		var out struct {
			StockMovements struct{ Nodes []movement }
		}
		e.with(t).must(role, `{ stockMovements(first: 100) { nodes { id kind reference } } }`, nil, &out)
		return out.StockMovements.Nodes
	}
	theirs := []string{f.theirOrder.Number, f.theirShippedOrder.Number, f.theirDelivery.Number}
	mine := []string{f.myShippedOrder.Number, f.myDelivery.Number}

	all := list(sales.RoleViewer)
	asRep := list(sales.RoleSalesRep)
	if len(asRep) != len(all) {
		t.Fatalf("the rep sees %d movements, a viewer %d", len(asRep), len(all))
	}
	for i, m := range asRep {
		full := all[i].Reference
		foreign, own := contains(theirs, full), contains(mine, full)
		switch {
		case foreign && m.Reference != "":
			t.Errorf("the rep sees %s %s of another rep's customer", m.Kind, m.Reference)
		case own && m.Reference != full:
			t.Errorf("the rep's own %s shows %q, want %q", m.Kind, m.Reference, full)
		case !foreign && !own && m.Reference != full:
			t.Errorf("%s reference %q changed to %q", m.Kind, full, m.Reference)
		}
		var node struct{ Node *movement }
		e.with(t).must(sales.RoleSalesRep, `query($id: ID!) { node(id: $id) { ... on StockMovement { id kind reference } } }`, map[string]any{"id": m.ID}, &node)
		if node.Node == nil || node.Node.Reference != m.Reference {
			t.Errorf("node(%s) gives %+v, the list %q", m.ID, node.Node, m.Reference)
		}
	}
	var seen []string
	for _, m := range all {
		seen = append(seen, m.Reference)
	}
	for _, n := range append(append([]string{}, theirs...), mine...) {
		if !contains(seen, n) {
			t.Fatalf("fixture: no movement references %s (have %v)", n, seen)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
