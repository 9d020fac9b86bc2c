package graph_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"salesgraph/sales"
)

const (
	returnFields    = `id number status version reason receivedDate warehouse { code } delivery { number } lines { quantity } history { action toStatus reason }`
	approveReturn   = `mutation($id: ID!, $v: Int!) { approveReturn(id: $id, version: $v) { ` + returnFields + ` } }`
	rejectReturn    = `mutation($id: ID!, $v: Int!, $r: String!) { rejectReturn(id: $id, version: $v, reason: $r) { ` + returnFields + ` } }`
	receiveReturn   = `mutation($id: ID!, $v: Int!, $w: ID!) { receiveReturn(id: $id, version: $v, input: {warehouseId: $w}) { ` + returnFields + ` } }`
	createReturnKey = `mutation($in: CreateReturnInput!, $key: String) { createReturn(input: $in, idempotencyKey: $key) { ` + returnFields + ` } }`
)

type returnOut struct {
	ID, Number, Status, Reason string
	ReceivedDate               *string
	Version                    int
	Warehouse                  *struct{ Code string }
	Delivery                   *struct{ Number string }
	Lines                      []struct{ Quantity string }
	History                    []struct{ Action, ToStatus, Reason string }
}

// shippedOrder is a confirmed order of 10 widgets and 4 gadgets, all shipped on one delivery.
func (e *env) shippedOrder(t *testing.T, s salesSetup) (orderOut, deliveryOut) {
	t.Helper()
	o := e.confirmedOrder(t, s)
	d := e.delivery(t, map[string]any{"orderId": o.ID})
	var sh struct{ ShipDelivery deliveryOut }
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, &sh)
	return o, sh.ShipDelivery
}

func returnIn(order, reason string, lines ...any) map[string]any {
	if lines == nil {
		lines = []any{}
	}
	return map[string]any{"in": map[string]any{"orderId": order, "reason": reason, "lines": lines}}
}

func returnLine(orderLine, qty string) map[string]any {
	return map[string]any{"orderLineId": orderLine, "quantity": qty}
}

func (e *env) returnDo(t *testing.T, role sales.Role, query string, vars map[string]any) returnOut {
	t.Helper()
	var out map[string]returnOut
	e.with(t).must(role, query, vars, &out)
	for _, r := range out {
		return r
	}
	return returnOut{}
}

func TestReturns_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o, d := e.shippedOrder(t, s)
	in := returnIn(o.ID, "wrong colour", returnLine(o.Lines[1].ID, "2"))
	in["in"].(map[string]any)["deliveryId"] = d.ID
	r := e.returnDo(t, sales.RoleSalesRep, createReturnKey, in)
	if r.Status != "REQUESTED" || !strings.HasPrefix(r.Number, "RMA-") || r.Delivery.Number != d.Number || r.Reason != "wrong colour" {
		t.Fatalf("created %+v", r)
	}
	t.Run("RepCannotApprove", func(t *testing.T) {
		wantError(t, e.with(t).as(sales.RoleSalesRep, approveReturn, map[string]any{"id": r.ID, "v": r.Version}), "FORBIDDEN", "")
	})
	r = e.returnDo(t, sales.RoleSalesManager, approveReturn, map[string]any{"id": r.ID, "v": r.Version})
	r = e.returnDo(t, sales.RoleWarehouse, receiveReturn, map[string]any{"id": r.ID, "v": r.Version, "w": s.warehouse})
	var hist []string
	for _, h := range r.History {
		hist = append(hist, h.Action+">"+h.ToStatus)
	}
	if r.Status != "RECEIVED" || r.ReceivedDate == nil || r.Warehouse.Code != "WH1" || strings.Join(hist, " ") != "CREATE>REQUESTED APPROVE>APPROVED RECEIVE>RECEIVED" {
		t.Fatalf("received %+v", r)
	}
	if onHand, reserved := e.level(t, s.gadget); onHand != "48" || reserved != "0" {
		t.Fatalf("gadgets %s/%s: 50 − 4 shipped + 2 returned = 48, none reserved", onHand, reserved)
	}
	if q := e.quantities(t, o.ID).Order.Lines[1]; q.DeliveredQuantity != "4" || q.ReturnedQuantity != "2" {
		t.Fatalf("gadget line %+v", q)
	}
	if got := e.sqlText(t, `SELECT string_agg(kind || ':' || reference || ':' || quantity || ':' || reserved_change || ':' || (order_id IS NOT NULL), ' ')
		FROM stock_movements WHERE kind = 'RETURN'`); got != "RETURN:"+r.Number+":2.000:0.000:true" {
		t.Fatalf("RETURN ledger rows: %s", got)
	}
	checkBooks(t, e)

	t.Run("OverReturnCountsOpenReturns", func(t *testing.T) {
		// 4 gadgets delivered, 2 back: 2 can come back. An open return holds them; a rejected one frees them.
		open := e.returnDo(t, sales.RoleWarehouse, createReturnKey, returnIn(o.ID, "dented", returnLine(o.Lines[1].ID, "2")))
		unchanged(t, e.store, func() {
			r := e.with(t).as(sales.RoleSalesManager, createReturnKey, returnIn(o.ID, "more", returnLine(o.Lines[1].ID, "1")))
			wantError(t, r, "VALIDATION", "input.lines.0.quantity")
			if !strings.Contains(r.Errors[0].Message, "more than was delivered and not yet returned") {
				t.Fatalf("message %q", r.Errors[0].Message)
			}
		})
		rj := e.returnDo(t, sales.RoleSalesManager, rejectReturn, map[string]any{"id": open.ID, "v": open.Version, "r": "outside the 30 days"})
		if rj.Status != "REJECTED" || rj.History[len(rj.History)-1].Reason != "outside the 30 days" {
			t.Fatalf("rejected %+v", rj)
		}
		e.returnDo(t, sales.RoleSalesManager, createReturnKey, returnIn(o.ID, "more", returnLine(o.Lines[1].ID, "2")))
	})

	t.Run("RepScoping", func(t *testing.T) {
		_, tok := e.addUser("other-rep@test.example", sales.RoleSalesRep)
		e.tokens["other"] = tok
		rr := e.with(t).as("other", `query($id: ID!, $d: ID!, $r: ID!) { order(id: $id) { id } delivery(id: $d) { id } return(id: $r) { id }
			node(id: $d) { id } returns { totalCount } deliveries { totalCount } orders { totalCount } }`, map[string]any{"id": o.ID, "d": d.ID, "r": r.ID})
		if len(rr.Errors) > 0 || string(rr.Data) != `{"order":null,"delivery":null,"return":null,"node":null,"returns":{"totalCount":0},"deliveries":{"totalCount":0},"orders":{"totalCount":0}}` {
			t.Fatalf("another rep saw: %s %+v", rr.Data, rr.Errors)
		}
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as("other", createReturnKey, returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "1"))), "NOT_FOUND", "input.orderId")
		})
		var own struct{ Deliveries, Returns struct{ TotalCount int } }
		e.with(t).must(sales.RoleSalesRep, `{ deliveries { totalCount } returns { totalCount } }`, nil, &own)
		if own.Deliveries.TotalCount != 1 || own.Returns.TotalCount != 3 {
			t.Fatalf("the customer's own rep sees %+v", own)
		}
	})
}

// TestReturns_ForbiddenTransitionsAndBadInput: what a return's state does
// not allow is INVALID_TRANSITION naming it; bad input names its field;
// neither changes anything.
func TestReturns_ForbiddenTransitionsAndBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.confirmedOrder(t, s)
	d := e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{returnLine(o.Lines[0].ID, "6")}})
	var sh struct{ ShipDelivery deliveryOut }
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, &sh)
	draft := e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{returnLine(o.Lines[0].ID, "4")}})
	other := e.confirmedOrder(t, s)
	otherD := e.delivery(t, map[string]any{"orderId": other.ID})
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": otherD.ID, "v": otherD.Version}, nil)

	mgr, wh := sales.RoleSalesManager, sales.RoleWarehouse
	one := func() returnOut {
		return e.returnDo(t, mgr, createReturnKey, returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "1")))
	}
	requested, approved, received, rejected := one(), one(), one(), one()
	approved = e.returnDo(t, mgr, approveReturn, map[string]any{"id": approved.ID, "v": approved.Version})
	received = e.returnDo(t, mgr, approveReturn, map[string]any{"id": received.ID, "v": received.Version})
	received = e.returnDo(t, wh, receiveReturn, map[string]any{"id": received.ID, "v": received.Version, "w": s.warehouse})
	rejected = e.returnDo(t, mgr, rejectReturn, map[string]any{"id": rejected.ID, "v": rejected.Version, "r": "no"})
	byState := map[string]returnOut{"REQUESTED": requested, "APPROVED": approved, "RECEIVED": received, "REJECTED": rejected}
	for name, a := range map[string]struct {
		query   string
		vars    map[string]any
		allowed []string
	}{
		"approve": {approveReturn, nil, []string{"REQUESTED"}},
		"reject":  {rejectReturn, map[string]any{"r": "no"}, []string{"REQUESTED"}},
		"receive": {receiveReturn, map[string]any{"w": s.warehouse}, []string{"APPROVED"}},
	} {
		for state, r := range byState {
			if slices.Contains(a.allowed, state) {
				continue
			}
			t.Run(name+"_"+state, func(t *testing.T) {
				vars := map[string]any{"id": r.ID, "v": r.Version}
				maps.Copy(vars, a.vars)
				unchanged(t, e.store, func() { wantState(t, e.with(t).as(sales.RoleAdmin, a.query, vars), state) })
			})
		}
	}

	// 6 widgets delivered, 2 on open returns, 1 received: 3 can come back.
	withDelivery := func(delivery string, lines ...any) map[string]any {
		in := returnIn(o.ID, "x", lines...)
		in["in"].(map[string]any)["deliveryId"] = delivery
		return in
	}
	for _, tc := range []struct {
		name, query, code, field string
		vars                     map[string]any
	}{
		{"NoReason", createReturnKey, "VALIDATION", "input.reason", returnIn(o.ID, "  ", returnLine(o.Lines[0].ID, "1"))},
		{"ReasonTooLong", createReturnKey, "VALIDATION", "input.reason", returnIn(o.ID, strings.Repeat("x", 1001), returnLine(o.Lines[0].ID, "1"))},
		{"NoLines", createReturnKey, "VALIDATION", "input.lines", returnIn(o.ID, "x")},
		{"ZeroQuantity", createReturnKey, "VALIDATION", "input.lines.0.quantity", returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "0"))},
		{"FourDecimals", createReturnKey, "VALIDATION", "input.lines.0.quantity", returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "0.0001"))},
		{"LineReasonTooLong", createReturnKey, "VALIDATION", "input.lines.0.reason", returnIn(o.ID, "x",
			map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "1", "reason": strings.Repeat("x", 501)})},
		{"LineOfAnotherOrder", createReturnKey, "VALIDATION", "input.lines.0.orderLineId", returnIn(o.ID, "x", returnLine(other.Lines[0].ID, "1"))},
		{"LineTwice", createReturnKey, "VALIDATION", "input.lines.1.orderLineId", returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "1"), returnLine(o.Lines[0].ID, "1"))},
		{"MoreThanReturnable", createReturnKey, "VALIDATION", "input.lines.0.quantity", returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "3.001"))},
		{"NothingDelivered", createReturnKey, "VALIDATION", "input.lines.1.quantity", returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "1"), returnLine(o.Lines[1].ID, "1"))},
		{"UnknownOrder", createReturnKey, "NOT_FOUND", "input.orderId", returnIn(relayID("SalesOrder", 99999), "x", returnLine(o.Lines[0].ID, "1"))},
		{"DeliveryOfAnotherOrder", createReturnKey, "NOT_FOUND", "input.deliveryId", withDelivery(otherD.ID, returnLine(o.Lines[0].ID, "1"))},
		{"DraftDelivery", createReturnKey, "VALIDATION", "input.deliveryId", withDelivery(draft.ID, returnLine(o.Lines[0].ID, "1"))},
		{"LineNotOnTheDelivery", createReturnKey, "VALIDATION", "input.lines.0.orderLineId", withDelivery(d.ID, returnLine(o.Lines[1].ID, "1"))},
		{"RejectWithoutReason", rejectReturn, "VALIDATION", "reason", map[string]any{"id": requested.ID, "v": requested.Version, "r": " "}},
		{"ApproveStale", approveReturn, "CONFLICT", "version", map[string]any{"id": requested.ID, "v": requested.Version + 1}},
		{"UnknownReturn", approveReturn, "NOT_FOUND", "id", map[string]any{"id": relayID("Return", 99999), "v": 1}},
		{"UnknownWarehouse", receiveReturn, "NOT_FOUND", "input.warehouseId", map[string]any{"id": approved.ID, "v": approved.Version, "w": relayID("Warehouse", 99999)}},
		{"NotAWarehouseID", receiveReturn, "VALIDATION", "input.warehouseId", map[string]any{"id": approved.ID, "v": approved.Version, "w": s.widget}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unchanged(t, e.store, func() { wantError(t, e.with(t).as(sales.RoleAdmin, tc.query, tc.vars), tc.code, tc.field) })
		})
	}
	e.returnDo(t, mgr, createReturnKey, withDelivery(d.ID, returnLine(o.Lines[0].ID, "3")))
	checkBooks(t, e)
}

// TestDeliveriesAndReturns_ListsAndIdempotency: the lists' filters, order
// and pages; creating with an idempotency key twice creates once.
func TestDeliveriesAndReturns_ListsAndIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.confirmedOrder(t, s)
	d1 := e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{returnLine(o.Lines[0].ID, "6")}})
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d1.ID, "v": d1.Version}, nil)
	d2 := e.delivery(t, map[string]any{"orderId": o.ID})
	r1 := e.returnDo(t, sales.RoleSalesManager, createReturnKey, returnIn(o.ID, "x", returnLine(o.Lines[0].ID, "1")))
	r2 := e.returnDo(t, sales.RoleSalesManager, createReturnKey, returnIn(o.ID, "y", returnLine(o.Lines[0].ID, "1")))
	e.returnDo(t, sales.RoleSalesManager, approveReturn, map[string]any{"id": r2.ID, "v": r2.Version})
	today := e.sqlText(t, `SELECT current_date::text`)
	yesterday := e.sqlText(t, `SELECT (current_date - 1)::text`)
	wh2 := e.with(t).warehouse("WH2")
	rep := userID(e.users[sales.RoleSalesRep].ID)

	list := func(t *testing.T, field, filter, order string) (int, string) {
		t.Helper()
		var out map[string]struct {
			TotalCount int
			Nodes      []struct{ Number string }
		}
		e.with(t).must(sales.RoleViewer, fmt.Sprintf(`{ %s(filter: %s, orderBy: %s) { totalCount nodes { number } } }`, field, filter, order), nil, &out)
		var numbers []string
		for _, n := range out[field].Nodes {
			numbers = append(numbers, n.Number)
		}
		return out[field].TotalCount, strings.Join(numbers, ",")
	}
	asc, desc := "{field: NUMBER, direction: ASC}", "{field: CREATED_AT}"
	both := d1.Number + "," + d2.Number
	for _, tc := range []struct{ field, filter, order, want string }{
		{"deliveries", `{}`, asc, both},
		{"deliveries", `{}`, desc, d2.Number + "," + d1.Number},
		{"deliveries", `{status: [SHIPPED, DELIVERED]}`, asc, d1.Number},
		{"deliveries", fmt.Sprintf(`{orderId: %q, customerId: %q, salesRepId: %q}`, o.ID, s.customer, rep), asc, both},
		{"deliveries", fmt.Sprintf(`{warehouseId: %q}`, s.warehouse), asc, both},
		{"deliveries", fmt.Sprintf(`{warehouseId: %q}`, wh2), asc, ""},
		{"deliveries", fmt.Sprintf(`{number: %q}`, strings.ToLower(d2.BOLNumber)), asc, d2.Number},
		{"deliveries", fmt.Sprintf(`{number: %q}`, d1.Number), asc, d1.Number},
		{"deliveries", fmt.Sprintf(`{from: %q, to: %q}`, today, today), asc, d1.Number},
		{"deliveries", fmt.Sprintf(`{to: %q}`, yesterday), asc, ""},
		{"deliveries", `{}`, "{field: SHIP_DATE, direction: ASC}", both},
		{"returns", `{}`, asc, r1.Number + "," + r2.Number},
		{"returns", `{status: [APPROVED]}`, asc, r2.Number},
		{"returns", fmt.Sprintf(`{orderId: %q, customerId: %q, salesRepId: %q}`, o.ID, s.customer, rep), desc, r2.Number + "," + r1.Number},
		{"returns", fmt.Sprintf(`{number: %q}`, r1.Number), asc, r1.Number},
		{"returns", fmt.Sprintf(`{from: %q, to: %q}`, today, today), asc, r1.Number + "," + r2.Number},
		{"returns", fmt.Sprintf(`{from: %q, to: %q}`, yesterday, yesterday), asc, ""},
	} {
		t.Run(tc.field+tc.filter+tc.order, func(t *testing.T) {
			n, got := list(t, tc.field, tc.filter, tc.order)
			if got != tc.want || n != strings.Count(tc.want, ",")+min(1, len(tc.want)) {
				t.Fatalf("got %d: %s; want %s", n, got, tc.want)
			}
		})
	}

	t.Run("Pages", func(t *testing.T) {
		const q = `query($after: String) { deliveries(first: 1, after: $after, orderBy: {field: NUMBER, direction: ASC}) {
			totalCount edges { cursor node { number } } pageInfo { hasNextPage endCursor } } }`
		var p1, p2 struct {
			Deliveries struct {
				TotalCount int
				Edges      []struct{ Node struct{ Number string } }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		e.with(t).must(sales.RoleViewer, q, nil, &p1)
		e.with(t).must(sales.RoleViewer, q, map[string]any{"after": p1.Deliveries.PageInfo.EndCursor}, &p2)
		if p1.Deliveries.TotalCount != 2 || !p1.Deliveries.PageInfo.HasNextPage || p1.Deliveries.Edges[0].Node.Number != d1.Number ||
			p2.Deliveries.PageInfo.HasNextPage || p2.Deliveries.Edges[0].Node.Number != d2.Number {
			t.Fatalf("pages %+v then %+v", p1, p2)
		}
	})

	t.Run("IdempotentCreates", func(t *testing.T) {
		o2 := e.confirmedOrder(t, s)
		const create = `mutation($in: CreateDeliveryInput!, $key: String) { createDelivery(input: $in, idempotencyKey: $key) { id number } }`
		in := map[string]any{"in": map[string]any{"orderId": o2.ID, "carrier": "DHL"}, "key": "dn-1"}
		var a, b struct{ CreateDelivery struct{ ID, Number string } }
		e.with(t).must(sales.RoleWarehouse, create, in, &a)
		e.with(t).must(sales.RoleWarehouse, create, in, &b)
		if a != b {
			t.Fatalf("a retry made another delivery: %+v then %+v", a, b)
		}
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleWarehouse, create, map[string]any{"in": map[string]any{"orderId": o2.ID, "carrier": "UPS"}, "key": "dn-1"}),
				"IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		})
		rin := returnIn(o.ID, "retry me", returnLine(o.Lines[0].ID, "1"))
		rin["key"] = "rma-1"
		ra := e.returnDo(t, sales.RoleSalesManager, createReturnKey, rin)
		rb := e.returnDo(t, sales.RoleSalesManager, createReturnKey, rin)
		if ra.ID != rb.ID {
			t.Fatalf("a retry made another return: %s then %s", ra.Number, rb.Number)
		}
		rin["in"].(map[string]any)["reason"] = "different"
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleSalesManager, createReturnKey, rin), "IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		})
	})
}
