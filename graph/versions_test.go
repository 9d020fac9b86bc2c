package graph_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"salesgraph/sales"
)

// versionedCase is one mutation that takes the version its caller read: a
// fresh object it may succeed on, and the request that changes it.
type versionedCase struct {
	role  sales.Role
	query string         // takes $id and $v
	vars  map[string]any // the rest, valid for the object
	id    string
}

// versionedMutations lists the mutations the schema gives a version
// argument (or an input field named version), read by introspection.
func versionedMutations(t *testing.T, e *env) []string {
	t.Helper()
	type typeRef struct {
		Kind, Name string
		OfType     *typeRef
	}
	var out struct {
		Schema struct {
			MutationType struct {
				Fields []struct {
					Name string
					Args []struct {
						Name string
						Type typeRef
					}
				}
			}
			Types []struct {
				Name        string
				Kind        string
				InputFields []struct {
					Name string
					Type typeRef
				}
			}
		} `json:"__schema"`
	}
	ref := `kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`
	e.must(sales.RoleAdmin, `{ __schema {
	  mutationType { fields { name args { name type { `+ref+` } } } }
	  types { name kind inputFields { name type { `+ref+` } } }
	} }`, nil, &out)
	named := func(r typeRef) string {
		for r.OfType != nil {
			r = *r.OfType
		}
		return r.Name
	}
	// hasVersion: an input object type with a version field, at any depth.
	inputs := map[string][]struct {
		name, typ string
	}{}
	for _, ty := range out.Schema.Types {
		if ty.Kind == "INPUT_OBJECT" {
			for _, f := range ty.InputFields {
				inputs[ty.Name] = append(inputs[ty.Name], struct{ name, typ string }{f.Name, named(f.Type)})
			}
		}
	}
	var hasVersion func(typ string, seen map[string]bool) bool
	hasVersion = func(typ string, seen map[string]bool) bool {
		if seen[typ] {
			return false
		}
		seen[typ] = true
		for _, f := range inputs[typ] {
			if f.name == "version" || hasVersion(f.typ, seen) {
				return true
			}
		}
		return false
	}
	var names []string
	for _, m := range out.Schema.MutationType.Fields {
		for _, a := range m.Args {
			if a.Name == "version" || hasVersion(named(a.Type), map[string]bool{}) {
				names = append(names, m.Name)
				break
			}
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("introspection found no mutation taking a version")
	}
	return names
}

// versionOf reads the version of any versioned object by its ID.
func (e *env) versionOf(t *testing.T, id string) int {
	t.Helper()
	var out struct{ Node *struct{ Version int } }
	e.with(t).must(sales.RoleAdmin, `query($id: ID!) { node(id: $id) {
	  ... on Customer { version } ... on Product { version } ... on PriceList { version } ... on User { version }
	  ... on Quote { version } ... on SalesOrder { version } ... on Delivery { version } ... on Return { version }
	  ... on Invoice { version } ... on Payment { version } ... on Dispute { version }
	} }`, map[string]any{"id": id}, &out)
	if out.Node == nil || out.Node.Version < 1 {
		t.Fatalf("no version for %s: %+v", id, out.Node)
	}
	return out.Node.Version
}

// TestMutations_EveryVersionIsChecked: every mutation that takes a version
// (found in the schema, so a new one cannot be missed) refuses version 0, a
// negative version and versions other than the current one, changing
// nothing; with the current version the same request succeeds.
func TestMutations_EveryVersionIsChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "1000", "gadget": "1000"})
	admin, mgr, rep, wh := sales.RoleAdmin, sales.RoleSalesManager, sales.RoleSalesRep, sales.RoleWarehouse
	mutation := func(name, params, args string) string {
		return fmt.Sprintf(`mutation($id: ID!, $v: Int!%s) { %s(id: $id, version: $v%s) { id } }`, params, name, args)
	}
	quote := func(t *testing.T, steps ...string) string {
		q := e.qtCreate(t, rep, qtInput(s.customer, qtLineIn(s.widget, "1")))
		for _, step := range steps {
			q = e.qtMust(t, rep, step, q, nil)
		}
		return q.ID
	}
	draftOrder := func(t *testing.T) orderOut {
		return e.createOrder(t, rep, s.order(nil, line(s.widget, "10"), line(s.gadget, "4")))
	}
	shipped := func(t *testing.T, d deliveryOut) {
		e.with(t).must(wh, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, nil)
	}
	requestedReturn := func(t *testing.T) returnOut {
		o, _ := e.shippedOrder(t, s)
		return e.returnDo(t, rep, createReturnKey, returnIn(o.ID, "wrong colour", returnLine(o.Lines[1].ID, "1")))
	}
	draftInvoice := func(t *testing.T) string {
		o, _ := e.shippedOrder(t, s)
		return e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID)).ID
	}
	issuedInvoice := func(t *testing.T) string {
		o, _ := e.shippedOrder(t, s)
		inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID))
		return e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version}).ID
	}
	paymentOnAccount := func(t *testing.T) string {
		return e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "5.00", []any{}...)).ID
	}
	addr := map[string]any{"line1": "Road 1", "city": "Town", "country": "DE"}

	cases := map[string]func(t *testing.T) versionedCase{
		"updateCustomer": func(t *testing.T) versionedCase {
			c := e.with(t).createCustomer(admin, validCustomer("V-UPD"))
			return versionedCase{mgr, mutation("updateCustomer", "", `, input: {name: "Renamed"}`), nil, c.ID}
		},
		"setCustomerShippingAddresses": func(t *testing.T) versionedCase {
			c := e.with(t).createCustomer(admin, validCustomer("V-ADDR"))
			return versionedCase{mgr, mutation("setCustomerShippingAddresses", ", $a: [ShippingAddressInput!]!", ", addresses: $a"),
				map[string]any{"a": []any{map[string]any{"address": addr, "isDefault": true}}}, c.ID}
		},
		"updateProduct": func(t *testing.T) versionedCase {
			return versionedCase{mgr, mutation("updateProduct", "", `, input: {name: "Renamed"}`), nil, e.with(t).product("V-PROD")}
		},
		"updatePriceList": func(t *testing.T) versionedCase {
			l := e.with(t).priceList(map[string]any{"code": "V-LIST", "name": "List", "currency": "EUR"})
			return versionedCase{mgr, mutation("updatePriceList", "", `, input: {name: "Renamed"}`), nil, l}
		},
		"updateUser": func(t *testing.T) versionedCase {
			u, _ := e.addUser("v-user@test.example", sales.RoleViewer)
			return versionedCase{admin, mutation("updateUser", "", `, input: {name: "Renamed"}`), nil, userID(u.ID)}
		},
		"updateQuote": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("updateQuote", "", `, input: {notes: "call first"}`), nil, quote(t)}
		},
		"sendQuote": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("sendQuote", "", ""), nil, quote(t)}
		},
		"acceptQuote": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("acceptQuote", "", ""), nil, quote(t, "sendQuote")}
		},
		"rejectQuote": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("rejectQuote", "", `, reason: "too dear"`), nil, quote(t, "sendQuote")}
		},
		"expireQuote": func(t *testing.T) versionedCase {
			id := quote(t, "sendQuote")
			qtBackdate(t, e.store, id)
			return versionedCase{rep, mutation("expireQuote", "", ""), nil, id}
		},
		"cancelQuote": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("cancelQuote", "", `, reason: "withdrawn"`), nil, quote(t)}
		},
		"reviseQuote": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("reviseQuote", "", `, input: {notes: "second try"}`), nil, quote(t, "sendQuote")}
		},
		"updateOrder": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("updateOrder", "", `, input: {notes: "ring twice"}`), nil, draftOrder(t).ID}
		},
		"confirmOrder": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("confirmOrder", "", ""), nil, draftOrder(t).ID}
		},
		"releaseOrderHold": func(t *testing.T) versionedCase {
			held := e.with(t).createCustomer(admin, validCustomer("V-HOLD"))
			if _, err := e.store.ExecContext(t.Context(), `UPDATE customers SET credit_hold = true WHERE code = 'V-HOLD'`); err != nil {
				t.Fatal(err)
			}
			o := e.createOrder(t, mgr, map[string]any{"input": map[string]any{"customerId": held.ID, "warehouseId": s.warehouse, "lines": []any{line(s.widget, "1")}}})
			var c struct{ ConfirmOrder orderOut }
			e.with(t).must(mgr, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
			if c.ConfirmOrder.Status != "ON_HOLD" {
				t.Fatalf("setup: order is %s, want ON_HOLD", c.ConfirmOrder.Status)
			}
			return versionedCase{mgr, mutation("releaseOrderHold", "", `, reason: "paid in advance"`), nil, o.ID}
		},
		"cancelOrder": func(t *testing.T) versionedCase {
			return versionedCase{rep, mutation("cancelOrder", "", `, reason: "withdrawn"`), nil, e.confirmedOrder(t, s).ID}
		},
		"closeOrder": func(t *testing.T) versionedCase {
			o := e.confirmedOrder(t, s)
			shipped(t, e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "1"}}}))
			return versionedCase{mgr, mutation("closeOrder", "", `, reason: "rest not needed"`), nil, o.ID}
		},
		"updateDelivery": func(t *testing.T) versionedCase {
			d := e.delivery(t, map[string]any{"orderId": e.confirmedOrder(t, s).ID})
			return versionedCase{wh, mutation("updateDelivery", "", `, input: {carrier: "DHL"}`), nil, d.ID}
		},
		"shipDelivery": func(t *testing.T) versionedCase {
			d := e.delivery(t, map[string]any{"orderId": e.confirmedOrder(t, s).ID})
			return versionedCase{wh, mutation("shipDelivery", "", ""), nil, d.ID}
		},
		"confirmDeliveryReceipt": func(t *testing.T) versionedCase {
			_, d := e.shippedOrder(t, s)
			return versionedCase{wh, mutation("confirmDeliveryReceipt", "", `, input: {receivedBy: "J. Doe"}`), nil, d.ID}
		},
		"cancelDelivery": func(t *testing.T) versionedCase {
			d := e.delivery(t, map[string]any{"orderId": e.confirmedOrder(t, s).ID})
			return versionedCase{wh, mutation("cancelDelivery", "", `, reason: "truck full"`), nil, d.ID}
		},
		"approveReturn": func(t *testing.T) versionedCase {
			return versionedCase{mgr, mutation("approveReturn", "", ""), nil, requestedReturn(t).ID}
		},
		"rejectReturn": func(t *testing.T) versionedCase {
			return versionedCase{mgr, mutation("rejectReturn", "", `, reason: "too late"`), nil, requestedReturn(t).ID}
		},
		"receiveReturn": func(t *testing.T) versionedCase {
			r := requestedReturn(t)
			r = e.returnDo(t, mgr, approveReturn, map[string]any{"id": r.ID, "v": r.Version})
			return versionedCase{wh, mutation("receiveReturn", ", $w: ID!", ", input: {warehouseId: $w}"), map[string]any{"w": s.warehouse}, r.ID}
		},
		"issueInvoice": func(t *testing.T) versionedCase {
			return versionedCase{sales.RoleAccountant, mutation("issueInvoice", "", ""), nil, draftInvoice(t)}
		},
		"voidInvoice": func(t *testing.T) versionedCase {
			return versionedCase{sales.RoleAccountant, mutation("voidInvoice", "", `, reason: "wrong order"`), nil, draftInvoice(t)}
		},
		"allocatePayment": func(t *testing.T) versionedCase {
			inv := issuedInvoice(t)
			return versionedCase{sales.RoleAccountant, mutation("allocatePayment", ", $inv: ID!", `, input: {allocations: [{invoiceId: $inv, amount: "1.00"}]}`),
				map[string]any{"inv": inv}, paymentOnAccount(t)}
		},
		"unallocatePayment": func(t *testing.T) versionedCase {
			inv := issuedInvoice(t)
			p := e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "5.00", allocation(inv, "5.00")))
			return versionedCase{sales.RoleAccountant, mutation("unallocatePayment", ", $inv: ID!", `, invoiceId: $inv`), map[string]any{"inv": inv}, p.ID}
		},
		"resolveDispute": func(t *testing.T) versionedCase {
			d := e.disputeDo(t, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(issuedInvoice(t), "PRICE", ""))
			return versionedCase{sales.RoleAccountant, mutation("resolveDispute", "", `, input: {resolution: CUSTOMER_PAYS}`), nil, d.ID}
		},
		"refundPayment": func(t *testing.T) versionedCase {
			return versionedCase{sales.RoleAccountant, mutation("refundPayment", "", `, amount: "1.00", reason: "overpaid"`), nil, paymentOnAccount(t)}
		},
		"creditReturn": func(t *testing.T) versionedCase {
			r, _ := e.receivedReturnOf(t, s, true)
			return versionedCase{sales.RoleAccountant, mutation("creditReturn", "", ""), nil, r.ID}
		},
		"allocateCreditNote": func(t *testing.T) versionedCase {
			r, inv := e.receivedReturnOf(t, s, true)
			cn := e.creditNoteDo(t, sales.RoleAccountant, creditReturnMutation, map[string]any{"id": r.ID, "v": r.Version, "a": "NONE"})
			return versionedCase{sales.RoleAccountant, mutation("allocateCreditNote", ", $inv: ID!", `, allocations: [{invoiceId: $inv, amount: "1.00"}]`),
				map[string]any{"inv": inv.ID}, cn.ID}
		},
		"unallocateCreditNote": func(t *testing.T) versionedCase {
			r, inv := e.receivedReturnOf(t, s, true)
			cn := e.creditNoteDo(t, sales.RoleAccountant, creditReturnMutation, map[string]any{"id": r.ID, "v": r.Version})
			return versionedCase{sales.RoleAccountant, mutation("unallocateCreditNote", ", $inv: ID!", `, invoiceId: $inv`), map[string]any{"inv": inv.ID}, cn.ID}
		},
	}

	inSchema := versionedMutations(t, e)
	for name := range cases {
		if !slices.Contains(inSchema, name) {
			t.Errorf("the table has %s, which the schema does not give a version", name)
		}
	}
	for _, name := range inSchema {
		t.Run(name, func(t *testing.T) {
			setup, ok := cases[name]
			if !ok {
				t.Fatalf("%s takes a version but this test has no case for it: add one", name)
			}
			c := setup(t)
			current := e.versionOf(t, c.id)
			send := func(v int) map[string]any {
				vars := map[string]any{"id": c.id, "v": v}
				for k, x := range c.vars {
					vars[k] = x
				}
				return vars
			}
			bad := []int{0, -1, current + 1}
			if current > 1 {
				bad = append(bad, current-1)
			}
			for _, v := range bad {
				unchanged(t, e.store, func() {
					r := e.with(t).as(c.role, c.query, send(v))
					if len(r.Errors) == 0 {
						t.Fatalf("version %d (current %d) was accepted: %s", v, current, r.Data)
					}
					got := r.Errors[0]
					if code := got.Code(); got.Field() != "version" || (code != "CONFLICT" && !(v <= 0 && code == "VALIDATION")) {
						t.Fatalf("version %d (current %d): %s on %q (%s), want CONFLICT on version", v, current, code, got.Field(), got.Message)
					}
					assertNoLeak(t, got)
				})
			}
			e.with(t).must(c.role, c.query, send(current), nil)
			if after := e.versionOf(t, c.id); after <= current {
				t.Fatalf("version %d after a change at %d", after, current)
			}
		})
	}
}
