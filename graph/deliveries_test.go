package graph_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

const (
	createDeliveryMutation = `mutation($in: CreateDeliveryInput!) { createDelivery(input: $in) { ...delivery } }` + deliveryFragment
	deliveryFragment       = `
	fragment delivery on Delivery {
	  id number bolNumber status version billOfLadingUrl
	  lines { id quantity acceptedQuantity refusedQuantity orderLine { lineNo } product { sku } }
	  returns { number status lines { quantity } }
	  history { action toStatus reason }
	}`
	shipMutation    = `mutation($id: ID!, $v: Int!) { shipDelivery(id: $id, version: $v) { ...delivery } }` + deliveryFragment
	receiptMutation = `mutation($id: ID!, $v: Int!, $in: ConfirmDeliveryReceiptInput!) { confirmDeliveryReceipt(id: $id, version: $v, input: $in) { ...delivery } }` + deliveryFragment
	cancelDelivery  = `mutation($id: ID!, $v: Int!, $r: String!) { cancelDelivery(id: $id, version: $v, reason: $r) { ...delivery } }` + deliveryFragment
	createReturn    = `mutation($in: CreateReturnInput!) { createReturn(input: $in) { id number status version } }`
)

type deliveryOut struct {
	ID, Number, BOLNumber, Status, BillOfLadingURL string
	Version                                        int
	Lines                                          []struct {
		ID, Quantity                      string
		AcceptedQuantity, RefusedQuantity *string
	}
	Returns []struct{ Number, Status string }
	History []struct{ Action, ToStatus, Reason string }
}

// confirmedOrder makes a confirmed order of 10 widgets and 4 gadgets.
func (e *env) confirmedOrder(t *testing.T, s salesSetup) orderOut {
	t.Helper()
	o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "10"), line(s.gadget, "4")))
	var c struct{ ConfirmOrder orderOut }
	e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
	return c.ConfirmOrder
}

func (e *env) delivery(t *testing.T, in map[string]any) deliveryOut {
	t.Helper()
	var d struct{ CreateDelivery deliveryOut }
	e.with(t).must(sales.RoleWarehouse, createDeliveryMutation, map[string]any{"in": in}, &d)
	return d.CreateDelivery
}

func TestDeliveries_ProofOfDeliveryWithRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.confirmedOrder(t, s)
	d := e.delivery(t, map[string]any{"orderId": o.ID, "carrier": "DHL", "trackingNumber": "JD0001"})
	if !strings.HasPrefix(d.Number, "DN-") || !strings.HasPrefix(d.BOLNumber, "BOL-") || len(d.Lines) != 2 ||
		!strings.HasPrefix(d.BillOfLadingURL, "/documents/deliveries/") {
		t.Fatalf("created %+v", d)
	}
	var sh struct{ ShipDelivery deliveryOut }
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, &sh)

	t.Run("ReceiptMustAddUp", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleWarehouse, receiptMutation, map[string]any{"id": d.ID, "v": sh.ShipDelivery.Version, "in": map[string]any{
				"receivedBy": "J. Doe", "refusalReason": "damaged",
				"lines": []any{map[string]any{"deliveryLineId": d.Lines[0].ID, "acceptedQuantity": "8", "refusedQuantity": "1"}}}}),
				"VALIDATION", "input.lines.0")
		})
	})
	t.Run("RefusalNeedsReason", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleWarehouse, receiptMutation, map[string]any{"id": d.ID, "v": sh.ShipDelivery.Version, "in": map[string]any{
				"receivedBy": "J. Doe",
				"lines":      []any{map[string]any{"deliveryLineId": d.Lines[0].ID, "acceptedQuantity": "7", "refusedQuantity": "3"}}}}),
				"VALIDATION", "input.refusalReason")
		})
	})

	var rc struct{ ConfirmDeliveryReceipt deliveryOut }
	e.with(t).must(sales.RoleWarehouse, receiptMutation, map[string]any{"id": d.ID, "v": sh.ShipDelivery.Version, "in": map[string]any{
		"receivedBy": "J. Doe", "refusalReason": "crushed cartons",
		"lines": []any{map[string]any{"deliveryLineId": d.Lines[0].ID, "acceptedQuantity": "7", "refusedQuantity": "3"}}}}, &rc)
	got := rc.ConfirmDeliveryReceipt
	if got.Status != "DELIVERED" || *got.Lines[0].RefusedQuantity != "3" || *got.Lines[1].AcceptedQuantity != "4" {
		t.Fatalf("after receipt %+v", got)
	}
	if len(got.Returns) != 1 || got.Returns[0].Status != "APPROVED" || !strings.HasPrefix(got.Returns[0].Number, "RMA-") {
		t.Fatalf("the refusal should open an approved return: %+v", got.Returns)
	}
	var rl struct{ Returns struct{ Nodes []returnOut } }
	e.with(t).must(sales.RoleViewer, `query($n: String) { returns(filter: {number: $n}) { nodes { `+returnFields+` } } }`, map[string]any{"n": got.Returns[0].Number}, &rl)
	if rt := rl.Returns.Nodes[0]; rt.Reason != "crushed cartons" || rt.Delivery.Number != d.Number || len(rt.Lines) != 1 || rt.Lines[0].Quantity != "3" ||
		len(rt.History) != 1 || rt.History[0].ToStatus != "APPROVED" || got.History[len(got.History)-1].Action != "CONFIRM_RECEIPT" {
		t.Fatalf("the refusal's return %+v; delivery history %+v", rt, got.History)
	}

	t.Run("OverReturnRefused", func(t *testing.T) {
		// 10 widgets delivered, 3 already on the refusal's return: 7 can come back.
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleSalesManager, createReturn, map[string]any{"in": map[string]any{"orderId": o.ID, "reason": "extra",
				"lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "8"}}}}), "VALIDATION", "input.lines.0.quantity")
		})
		e.with(t).must(sales.RoleSalesManager, createReturn, map[string]any{"in": map[string]any{"orderId": o.ID, "reason": "extra",
			"lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "7"}}}}, nil)
	})
}

func TestDeliveries_Rules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.confirmedOrder(t, s)
	draftOrder := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "1")))
	d := e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "6"}}})
	for _, tc := range []struct {
		name, query, code, field string
		role                     sales.Role
		vars                     map[string]any
	}{
		{"DraftOrder", createDeliveryMutation, "INVALID_TRANSITION", "input.orderId", sales.RoleWarehouse, map[string]any{"in": map[string]any{"orderId": draftOrder.ID}}},
		{"MoreThanReserved", createDeliveryMutation, "VALIDATION", "input.lines.0.quantity", sales.RoleWarehouse,
			map[string]any{"in": map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "5"}}}}},
		{"LineOfAnotherOrder", createDeliveryMutation, "VALIDATION", "input.lines.0.orderLineId", sales.RoleWarehouse,
			map[string]any{"in": map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": draftOrder.Lines[0].ID, "quantity": "1"}}}}},
		{"ZeroQuantity", createDeliveryMutation, "VALIDATION", "input.lines.0.quantity", sales.RoleWarehouse,
			map[string]any{"in": map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[1].ID, "quantity": "0"}}}}},
		{"SalesRepMayNot", createDeliveryMutation, "FORBIDDEN", "", sales.RoleSalesRep, map[string]any{"in": map[string]any{"orderId": o.ID}}},
		{"StaleVersion", shipMutation, "CONFLICT", "version", sales.RoleWarehouse, map[string]any{"id": d.ID, "v": 99}},
		{"ReceiptBeforeShipping", receiptMutation, "INVALID_TRANSITION", "status", sales.RoleWarehouse,
			map[string]any{"id": d.ID, "v": d.Version, "in": map[string]any{"receivedBy": "x"}}},
		{"CancelWithoutReason", cancelDelivery, "VALIDATION", "reason", sales.RoleWarehouse, map[string]any{"id": d.ID, "v": d.Version, "r": ""}},
		{"ReturnOfUndelivered", createReturn, "VALIDATION", "input.lines.0.quantity", sales.RoleSalesManager,
			map[string]any{"in": map[string]any{"orderId": o.ID, "reason": "x", "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "1"}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(tc.role, tc.query, tc.vars), tc.code, tc.field)
			})
		})
	}

	t.Run("ShippedCannotBeCancelledOrShippedAgain", func(t *testing.T) {
		var sh struct{ ShipDelivery deliveryOut }
		e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, &sh)
		v := sh.ShipDelivery.Version
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleWarehouse, cancelDelivery, map[string]any{"id": d.ID, "v": v, "r": "x"}), "INVALID_TRANSITION", "status")
			wantError(t, e.with(t).as(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": v}), "INVALID_TRANSITION", "status")
			wantError(t, e.with(t).as(sales.RoleAdmin, cancelOrderMutation, map[string]any{"id": o.ID, "v": o.Version + 1, "reason": "x"}), "INVALID_TRANSITION", "status")
		})
	})
}

// TestDeliveries_ShipRace: two draft deliveries cover the same reserved
// units (the second written as a concurrent creator would have, since the
// API never drafts more than is reserved); racing shipDelivery on both,
// exactly one ships, every round, and the books still balance.
func TestDeliveries_ShipRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "1000"})
	const rounds = 20
	for round := range rounds {
		o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "5")))
		e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, nil)
		d1 := e.delivery(t, map[string]any{"orderId": o.ID})
		var d2id int64
		if err := e.store.GetContext(t.Context(), &d2id, `INSERT INTO deliveries (number, bol_number, order_id, warehouse_id, ship_to)
			SELECT number || '-B', bol_number || '-B', order_id, warehouse_id, ship_to FROM deliveries WHERE number = $1 RETURNING id`, d1.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.ExecContext(t.Context(), `INSERT INTO delivery_lines (delivery_id, order_line_id, quantity)
			SELECT $1, order_line_id, quantity FROM delivery_lines WHERE delivery_id = (SELECT id FROM deliveries WHERE number = $2)`, d2id, d1.Number); err != nil {
			t.Fatal(err)
		}
		codes := race(e, sales.RoleWarehouse, shipMutation, map[string]any{"id": d1.ID, "v": 1}, map[string]any{"id": relayID("Delivery", d2id), "v": 1})
		if got := strings.Join(codes, ","); got != "OK,INSUFFICIENT_STOCK" && got != "INSUFFICIENT_STOCK,OK" {
			t.Fatalf("round %d: %v; want exactly one shipment", round, codes)
		}
	}
	if got := e.sqlText(t, `SELECT on_hand || '/' || reserved FROM stock_levels`); got != "900.000/0.000" {
		t.Fatalf("on hand/reserved %s; want 1000 − 20×5 = 900, nothing reserved", got)
	}
	if got := e.sqlText(t, `SELECT count(*) FILTER (WHERE status = 'SHIPPED') || '/' || count(*) FILTER (WHERE status = 'DRAFT') FROM deliveries`); got != "20/20" {
		t.Fatalf("shipped/draft deliveries %s; want 20/20", got)
	}
	checkBooks(t, e)
}

// race sends the same query with two sets of variables at once and returns
// each one's outcome: "OK" or the error code.
func race(e *env, role sales.Role, query string, vars ...map[string]any) []string {
	codes := make([]string, len(vars))
	var wg sync.WaitGroup
	for i, v := range vars {
		wg.Go(func() {
			r := gqlPost(e, role, query, v)
			codes[i] = "OK"
			if len(r.Errors) > 0 {
				codes[i] = r.Errors[0].Code()
			}
		})
	}
	wg.Wait()
	return codes
}

func (e *env) sqlText(t *testing.T, query string, args ...any) string {
	t.Helper()
	var out string
	if err := e.store.GetContext(t.Context(), &out, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// checkBooks asserts what must always hold between stock, the ledger, order
// lines, deliveries and returns (one warehouse per order).
func checkBooks(t *testing.T, e *env) {
	t.Helper()
	for name, q := range map[string]string{
		"stock never negative nor below reserved": `SELECT count(*) FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR on_hand < reserved`,
		"the ledger sums to each stock level": `SELECT count(*) FROM stock_levels l WHERE (l.on_hand, l.reserved) <> (SELECT coalesce(sum(quantity), 0),
			coalesce(sum(reserved_change), 0) FROM stock_movements m WHERE m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id)`,
		"order lines' reservations are the levels' reserved": `SELECT count(*) FROM stock_levels l WHERE l.reserved <> (SELECT coalesce(sum(ol.reserved_quantity), 0)
			FROM order_lines ol JOIN sales_orders o ON o.id = ol.order_id WHERE ol.product_id = l.product_id AND o.warehouse_id = l.warehouse_id)`,
		"delivered ≤ ordered, returned ≤ delivered": `SELECT count(*) FROM order_lines WHERE delivered_quantity > quantity OR returned_quantity > delivered_quantity`,
		"delivered is what shipped": `SELECT count(*) FROM order_lines ol WHERE delivered_quantity <> (SELECT coalesce(sum(dl.quantity), 0)
			FROM delivery_lines dl JOIN deliveries d ON d.id = dl.delivery_id WHERE dl.order_line_id = ol.id AND d.status IN ('SHIPPED', 'DELIVERED'))`,
		"returned is what was received back": `SELECT count(*) FROM order_lines ol WHERE returned_quantity <> (SELECT coalesce(sum(rl.quantity), 0)
			FROM return_lines rl JOIN returns r ON r.id = rl.return_id WHERE rl.order_line_id = ol.id AND r.status IN ('RECEIVED', 'CREDITED'))`,
	} {
		if n := e.sqlText(t, q); n != "0" {
			t.Errorf("%s: %s rows break it", name, n)
		}
	}
}

// TestDeliveries_CreateRace: two createDelivery calls for everything
// deliverable, at once, never draft the same units twice.
func TestDeliveries_CreateRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100"})
	for round := range 5 {
		o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "5")))
		e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, nil)
		in := map[string]any{"in": map[string]any{"orderId": o.ID}}
		if got := strings.Join(race(e, sales.RoleWarehouse, createDeliveryMutation, in, in), ","); got != "OK,VALIDATION" && got != "VALIDATION,OK" {
			t.Fatalf("round %d: %s; want one delivery, then nothing left to deliver", round, got)
		}
	}
	if got := e.sqlText(t, `SELECT count(*) || '/' || sum(quantity) FROM delivery_lines`); got != "5/25.000" {
		t.Fatalf("delivery lines %s; want 5 lines of 5", got)
	}
}

type orderQuantities struct {
	Order struct {
		Status  string
		History []struct{ Action, ToStatus string }
		Lines   []struct{ Quantity, ReservedQuantity, DeliveredQuantity, ReturnedQuantity, OpenQuantity string }
	}
}

func (e *env) quantities(t *testing.T, id string) orderQuantities {
	t.Helper()
	var q orderQuantities
	e.with(t).must(sales.RoleViewer, `query($id: ID!) { order(id: $id) { status history { action toStatus }
		lines { quantity reservedQuantity deliveredQuantity returnedQuantity openQuantity } } }`, map[string]any{"id": id}, &q)
	return q
}

// TestDeliveries_PartialShipmentsReconcile: several deliveries per order,
// shipped out of creation order; the order goes PARTIALLY_DELIVERED, stays
// so, then DELIVERED; quantities, stock and the ledger reconcile throughout.
func TestDeliveries_PartialShipmentsReconcile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.confirmedOrder(t, s)
	ship := func(d deliveryOut) deliveryOut {
		t.Helper()
		var out struct{ ShipDelivery deliveryOut }
		e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, &out)
		return out.ShipDelivery
	}
	want := func(step, status, widget, gadget, widgetStock, gadgetStock string) {
		t.Helper()
		q := e.quantities(t, o.ID)
		got := fmt.Sprintf("%s %s/%s/%s/%s %s/%s/%s/%s", q.Order.Status,
			q.Order.Lines[0].Quantity, q.Order.Lines[0].ReservedQuantity, q.Order.Lines[0].DeliveredQuantity, q.Order.Lines[0].OpenQuantity,
			q.Order.Lines[1].Quantity, q.Order.Lines[1].ReservedQuantity, q.Order.Lines[1].DeliveredQuantity, q.Order.Lines[1].OpenQuantity)
		if w := status + " " + widget + " " + gadget; got != w {
			t.Fatalf("%s: order (ordered/reserved/delivered/open) %s, want %s", step, got, w)
		}
		wOn, wRes := e.level(t, s.widget)
		gOn, gRes := e.level(t, s.gadget)
		if got := wOn + "/" + wRes + " " + gOn + "/" + gRes; got != widgetStock+" "+gadgetStock {
			t.Fatalf("%s: stock (on hand/reserved) %s, want %s %s", step, got, widgetStock, gadgetStock)
		}
		checkBooks(t, e)
	}
	want("confirmed", "CONFIRMED", "10/10/0/10", "4/4/0/4", "50/10", "50/4")

	d1 := e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "3"}}})
	if s1 := ship(d1); s1.Status != "SHIPPED" || s1.History[len(s1.History)-1].Action != "SHIP" {
		t.Fatalf("shipped %+v", s1)
	}
	want("first shipment", "PARTIALLY_DELIVERED", "10/7/3/7", "4/4/0/4", "47/7", "50/4")

	d2 := e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{
		map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "4"}, map[string]any{"orderLineId": o.Lines[1].ID, "quantity": "4"}}})
	d3 := e.delivery(t, map[string]any{"orderId": o.ID}) // the rest: 7 − 4 on d2 = 3 widgets; no gadgets left
	if len(d3.Lines) != 1 || d3.Lines[0].Quantity != "3" {
		t.Fatalf("the default delivery should carry what no other draft does: %+v", d3.Lines)
	}
	wantError(t, e.with(t).as(sales.RoleWarehouse, createDeliveryMutation, map[string]any{"in": map[string]any{"orderId": o.ID}}), "VALIDATION", "input.lines")
	ship(d3)
	want("third delivery shipped before the second", "PARTIALLY_DELIVERED", "10/4/6/4", "4/4/0/4", "44/4", "50/4")
	ship(d2)
	want("all shipped", "DELIVERED", "10/0/10/0", "4/0/4/0", "40/0", "46/0")

	var actions []string
	for _, h := range e.quantities(t, o.ID).Order.History {
		actions = append(actions, h.Action+">"+h.ToStatus)
	}
	if got := strings.Join(actions, " "); !strings.HasSuffix(got, "DELIVER_PART>PARTIALLY_DELIVERED DELIVER_PART>PARTIALLY_DELIVERED DELIVER_ALL>DELIVERED") {
		t.Fatalf("order history %s", got)
	}
	if got := e.sqlText(t, `SELECT string_agg(reference || ':' || quantity || ':' || reserved_change, ' ' ORDER BY id) FROM stock_movements WHERE kind = 'SHIPMENT'`); got !=
		fmt.Sprintf("%s:-3.000:-3.000 %s:-3.000:-3.000 %s:-4.000:-4.000 %s:-4.000:-4.000", d1.Number, d3.Number, d2.Number, d2.Number) {
		t.Fatalf("SHIPMENT ledger rows: %s", got)
	}
	unchanged(t, e.store, func() {
		r := e.with(t).as(sales.RoleWarehouse, createDeliveryMutation, map[string]any{"in": map[string]any{"orderId": o.ID}})
		wantError(t, r, "INVALID_TRANSITION", "input.orderId")
		if !strings.Contains(r.Errors[0].Message, "DELIVERED") {
			t.Fatalf("the error should name the order's status: %q", r.Errors[0].Message)
		}
	})
}

// wantState asserts an INVALID_TRANSITION whose message names the current state.
func wantState(t *testing.T, r gqltest.Response, state string) {
	t.Helper()
	wantError(t, r, "INVALID_TRANSITION", "status")
	if !strings.HasSuffix(r.Errors[0].Message, " "+state) {
		t.Fatalf("the error should name the state %s: %q", state, r.Errors[0].Message)
	}
}

// TestDeliveries_ForbiddenTransitionsAndBadInput: every action a delivery's
// state does not allow is INVALID_TRANSITION naming that state; bad input is
// refused on its field; neither changes anything.
func TestDeliveries_ForbiddenTransitionsAndBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.confirmedOrder(t, s)
	wh := sales.RoleWarehouse
	part := func(q string) deliveryOut {
		return e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": q}}})
	}
	draft, cancelled, shipped, delivered := part("1"), part("1"), part("2"), part("3")
	var c struct{ CancelDelivery deliveryOut }
	e.with(t).must(wh, cancelDelivery, map[string]any{"id": cancelled.ID, "v": cancelled.Version, "r": "customer collects"}, &c)
	var sh, sh2 struct{ ShipDelivery deliveryOut }
	e.with(t).must(wh, shipMutation, map[string]any{"id": shipped.ID, "v": shipped.Version}, &sh)
	e.with(t).must(wh, shipMutation, map[string]any{"id": delivered.ID, "v": delivered.Version}, &sh2)
	var dl struct{ ConfirmDeliveryReceipt deliveryOut }
	e.with(t).must(wh, receiptMutation, map[string]any{"id": delivered.ID, "v": sh2.ShipDelivery.Version, "in": map[string]any{"receivedBy": "Ann"}}, &dl)
	if c.CancelDelivery.Status != "CANCELLED" || c.CancelDelivery.History[1].Reason != "customer collects" || dl.ConfirmDeliveryReceipt.Status != "DELIVERED" {
		t.Fatalf("setup: %+v %+v", c.CancelDelivery, dl.ConfirmDeliveryReceipt)
	}
	byState := map[string]deliveryOut{"DRAFT": draft, "CANCELLED": c.CancelDelivery, "SHIPPED": sh.ShipDelivery, "DELIVERED": dl.ConfirmDeliveryReceipt}
	const update = `mutation($id: ID!, $v: Int!, $in: UpdateDeliveryInput!) { updateDelivery(id: $id, version: $v, input: $in) { carrier trackingNumber notes version } }`
	actions := map[string]struct {
		query   string
		vars    map[string]any
		allowed []string
	}{
		"update":  {update, map[string]any{"in": map[string]any{"carrier": "UPS"}}, []string{"DRAFT"}},
		"ship":    {shipMutation, nil, []string{"DRAFT"}},
		"receipt": {receiptMutation, map[string]any{"in": map[string]any{"receivedBy": "Bob"}}, []string{"SHIPPED"}},
		"cancel":  {cancelDelivery, map[string]any{"r": "no"}, []string{"DRAFT"}},
	}
	for name, a := range actions {
		for state, d := range byState {
			if slices.Contains(a.allowed, state) {
				continue
			}
			t.Run(name+"_"+state, func(t *testing.T) {
				vars := map[string]any{"id": d.ID, "v": d.Version}
				maps.Copy(vars, a.vars)
				unchanged(t, e.store, func() { wantState(t, e.with(t).as(wh, a.query, vars), state) })
			})
		}
	}

	long := strings.Repeat("é", 101)
	for _, tc := range []struct {
		name, query, code, field string
		vars                     map[string]any
	}{
		{"CarrierTooLong", update, "VALIDATION", "input.carrier", map[string]any{"id": draft.ID, "v": draft.Version, "in": map[string]any{"carrier": long}}},
		{"TrackingTooLong", update, "VALIDATION", "input.trackingNumber", map[string]any{"id": draft.ID, "v": draft.Version, "in": map[string]any{"trackingNumber": long}}},
		{"NotesTooLong", update, "VALIDATION", "input.notes", map[string]any{"id": draft.ID, "v": draft.Version, "in": map[string]any{"notes": strings.Repeat("x", 2001)}}},
		{"NulInCarrier", update, "VALIDATION", "input.carrier", map[string]any{"id": draft.ID, "v": draft.Version, "in": map[string]any{"carrier": "a\u0000b"}}},
		{"BadShipToCountry", update, "VALIDATION", "", map[string]any{"id": draft.ID, "v": draft.Version, "in": map[string]any{"shipTo": map[string]any{"line1": "x", "city": "y", "country": "Germany"}}}},
		{"UpdateStale", update, "CONFLICT", "version", map[string]any{"id": draft.ID, "v": draft.Version + 1, "in": map[string]any{"carrier": "UPS"}}},
		{"UnknownDelivery", update, "NOT_FOUND", "id", map[string]any{"id": relayID("Delivery", 99999), "v": 1, "in": map[string]any{"carrier": "UPS"}}},
		{"NotADeliveryID", shipMutation, "VALIDATION", "id", map[string]any{"id": o.ID, "v": 1}},
		{"ShipBeforeOrderDate", `mutation($id: ID!, $v: Int!) { shipDelivery(id: $id, version: $v, shipDate: "2000-01-01") { id } }`, "VALIDATION", "shipDate",
			map[string]any{"id": draft.ID, "v": draft.Version}},
		{"ReceivedByMissing", receiptMutation, "VALIDATION", "input.receivedBy", map[string]any{"id": shipped.ID, "v": sh.ShipDelivery.Version, "in": map[string]any{"receivedBy": "  "}}},
		{"ReceivedByTooLong", receiptMutation, "VALIDATION", "input.receivedBy", map[string]any{"id": shipped.ID, "v": sh.ShipDelivery.Version, "in": map[string]any{"receivedBy": strings.Repeat("x", 201)}}},
		{"DeliveredBeforeShipped", receiptMutation, "VALIDATION", "input.deliveredDate", map[string]any{"id": shipped.ID, "v": sh.ShipDelivery.Version,
			"in": map[string]any{"receivedBy": "Ann", "deliveredDate": "2000-01-01"}}},
		{"LineOfAnotherDelivery", receiptMutation, "VALIDATION", "input.lines.0.deliveryLineId", map[string]any{"id": shipped.ID, "v": sh.ShipDelivery.Version,
			"in": map[string]any{"receivedBy": "Ann", "lines": []any{map[string]any{"deliveryLineId": draft.Lines[0].ID, "acceptedQuantity": "1", "refusedQuantity": "0"}}}}},
		{"NegativeRefusal", receiptMutation, "VALIDATION", "input.lines.0", map[string]any{"id": shipped.ID, "v": sh.ShipDelivery.Version,
			"in": map[string]any{"receivedBy": "Ann", "refusalReason": "x", "lines": []any{map[string]any{"deliveryLineId": shipped.Lines[0].ID, "acceptedQuantity": "3", "refusedQuantity": "-1"}}}}},
		{"FourDecimals", receiptMutation, "VALIDATION", "input.lines.0", map[string]any{"id": shipped.ID, "v": sh.ShipDelivery.Version,
			"in": map[string]any{"receivedBy": "Ann", "refusalReason": "x", "lines": []any{map[string]any{"deliveryLineId": shipped.Lines[0].ID, "acceptedQuantity": "1.9995", "refusedQuantity": "0.0005"}}}}},
		{"LineTwice", receiptMutation, "VALIDATION", "input.lines.1.deliveryLineId", map[string]any{"id": shipped.ID, "v": sh.ShipDelivery.Version,
			"in": map[string]any{"receivedBy": "Ann", "lines": []any{map[string]any{"deliveryLineId": shipped.Lines[0].ID, "acceptedQuantity": "2", "refusedQuantity": "0"},
				map[string]any{"deliveryLineId": shipped.Lines[0].ID, "acceptedQuantity": "2", "refusedQuantity": "0"}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unchanged(t, e.store, func() { wantError(t, e.with(t).as(wh, tc.query, tc.vars), tc.code, tc.field) })
		})
	}

	var up struct {
		UpdateDelivery struct {
			Carrier, TrackingNumber, Notes string
			Version                        int
		}
	}
	e.with(t).must(wh, update, map[string]any{"id": draft.ID, "v": draft.Version, "in": map[string]any{"carrier": " UPS ", "trackingNumber": "1Z999", "notes": "dock 4"}}, &up)
	if u := up.UpdateDelivery; u.Carrier != "UPS" || u.TrackingNumber != "1Z999" || u.Notes != "dock 4" || u.Version != draft.Version+1 {
		t.Fatalf("updated %+v", u)
	}
}
