package graph_test

import (
	"strings"
	"sync"
	"testing"

	"salesgraph/sales"
)

const (
	createOrderMutation = `mutation($input: CreateOrderInput!, $key: String) {
	  createOrder(input: $input, idempotencyKey: $key) { ...order }
	}` + orderFragment
	orderFragment = `
	fragment order on SalesOrder {
	  id number status holdReason version subtotal taxTotal total currency allowBackorder
	  shipTo { city }
	  lines { id lineNo quantity reservedQuantity deliveredQuantity openQuantity unitPrice total product { sku } }
	  history { action fromStatus toStatus reason actor { email } }
	  statusEvents { cursor previousStatus status }
	}`
	confirmOrderMutation = `mutation($id: ID!, $v: Int!) { confirmOrder(id: $id, version: $v) { ...order } }` + orderFragment
	cancelOrderMutation  = `mutation($id: ID!, $v: Int!, $reason: String!) { cancelOrder(id: $id, version: $v, reason: $reason) { ...order } }` + orderFragment
	releaseHoldMutation  = `mutation($id: ID!, $v: Int!, $reason: String!) { releaseOrderHold(id: $id, version: $v, reason: $reason) { ...order } }` + orderFragment
	updateOrderMutation  = `mutation($id: ID!, $v: Int!, $input: UpdateOrderInput!) { updateOrder(id: $id, version: $v, input: $input) { ...order } }` + orderFragment
)

type orderOut struct {
	ID, Number, Status, Subtotal, TaxTotal, Total, Currency string
	HoldReason                                              *string
	Version                                                 int
	AllowBackorder                                          bool
	ShipTo                                                  struct{ City string }
	Lines                                                   []struct {
		ID                                                                            string
		LineNo                                                                        int
		Quantity, ReservedQuantity, DeliveredQuantity, OpenQuantity, UnitPrice, Total string
		Product                                                                       struct{ SKU string }
	}
	History []struct {
		Action, ToStatus, Reason string
		FromStatus               *string
		Actor                    struct{ Email string }
	}
	StatusEvents []struct {
		Cursor         string
		PreviousStatus *string
		Status         string
	}
}

// salesSetup is a customer with a default price list, two products and stock.
type salesSetup struct {
	customer, widget, gadget, warehouse string
}

func (e *env) salesSetup(t *testing.T, stock map[string]string) salesSetup {
	t.Helper()
	s := salesSetup{widget: e.with(t).product("W-1"), gadget: e.with(t).product("G-1"), warehouse: e.with(t).warehouse("WH1")}
	e.with(t).priceList(map[string]any{"code": "STD", "name": "Standard", "currency": "EUR", "isDefault": true, "items": []any{
		map[string]any{"productId": s.widget, "unitPrice": "10.00"},
		map[string]any{"productId": s.gadget, "unitPrice": "2.50"},
	}})
	in := validCustomer("CUST-1")
	in["salesRepId"] = userID(e.users[sales.RoleSalesRep].ID)
	s.customer = e.with(t).createCustomer(sales.RoleAdmin, in).ID
	for product, qty := range map[string]string{s.widget: stock["widget"], s.gadget: stock["gadget"]} {
		if qty != "" {
			e.with(t).must(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": product, "warehouseId": s.warehouse, "quantity": qty}}, nil)
		}
	}
	return s
}

func (s salesSetup) order(extra map[string]any, lines ...map[string]any) map[string]any {
	if lines == nil {
		lines = []map[string]any{}
	}
	in := map[string]any{"customerId": s.customer, "warehouseId": s.warehouse, "lines": lines}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"input": in}
}

func line(product, qty string) map[string]any {
	return map[string]any{"productId": product, "quantity": qty}
}

func (e *env) createOrder(t *testing.T, role sales.Role, vars map[string]any) orderOut {
	t.Helper()
	var out struct{ CreateOrder orderOut }
	e.with(t).must(role, createOrderMutation, vars, &out)
	return out.CreateOrder
}

func (e *env) level(t *testing.T, product string) (onHand, reserved string) {
	t.Helper()
	var lv levelOut
	e.with(t).must(sales.RoleViewer, levelQuery, map[string]any{"id": product}, &lv)
	if len(lv.Product.StockLevels.Nodes) == 0 {
		return "0", "0"
	}
	return lv.Product.StockLevels.Nodes[0].OnHand, lv.Product.StockLevels.Nodes[0].Reserved
}

func TestOrders_ConfirmReservesAndCancelReleases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "10", "gadget": "100"})
	o := e.createOrder(t, sales.RoleSalesRep, s.order(map[string]any{"customerReference": "PO-77"},
		line(s.widget, "4"), map[string]any{"productId": s.gadget, "quantity": "10", "discountPercent": "10"}))
	if o.Status != "DRAFT" || !strings.HasPrefix(o.Number, "SO-") || o.Subtotal != "62.50" || o.Total != "74.38" && o.Total != "74.37" {
		t.Fatalf("created %+v", o)
	}
	if o.Lines[0].UnitPrice != "10.00" || o.ShipTo.City != "Potsdam" {
		t.Fatalf("price from the list and ship-to from the default address: %+v", o)
	}
	var c struct{ ConfirmOrder orderOut }
	e.with(t).must(sales.RoleSalesRep, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
	if c.ConfirmOrder.Status != "CONFIRMED" || c.ConfirmOrder.Lines[0].ReservedQuantity != "4" {
		t.Fatalf("confirmed %+v", c.ConfirmOrder)
	}
	if _, reserved := e.level(t, s.widget); reserved != "4" {
		t.Fatalf("widget reserved %s after confirming 4", reserved)
	}
	ev := c.ConfirmOrder.StatusEvents
	if len(ev) != 2 || ev[0].Status != "DRAFT" || ev[1].Status != "CONFIRMED" || ev[1].PreviousStatus == nil || *ev[1].PreviousStatus != "DRAFT" {
		t.Fatalf("live-feed events %+v", ev)
	}

	t.Run("ConfirmedCannotBeEdited", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleSalesRep, updateOrderMutation, map[string]any{"id": o.ID, "v": c.ConfirmOrder.Version,
				"input": map[string]any{"notes": "x"}}), "INVALID_TRANSITION", "status")
		})
	})

	var x struct{ CancelOrder orderOut }
	e.with(t).must(sales.RoleSalesRep, cancelOrderMutation, map[string]any{"id": o.ID, "v": c.ConfirmOrder.Version, "reason": "customer changed mind"}, &x)
	if x.CancelOrder.Status != "CANCELLED" || x.CancelOrder.Lines[0].ReservedQuantity != "0" {
		t.Fatalf("cancelled %+v", x.CancelOrder)
	}
	if _, reserved := e.level(t, s.widget); reserved != "0" {
		t.Fatalf("widget reserved %s after cancelling", reserved)
	}
	h := x.CancelOrder.History
	if last := h[len(h)-1]; last.Action != "CANCEL" || last.Reason != "customer changed mind" || last.Actor.Email != e.users[sales.RoleSalesRep].Email {
		t.Fatalf("history %+v", h)
	}
	var kinds []string
	if err := e.store.SelectContext(t.Context(), &kinds, `SELECT kind FROM stock_movements WHERE order_id IS NOT NULL ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kinds, ",") != "RESERVATION,RESERVATION,RELEASE,RELEASE" {
		t.Fatalf("ledger kinds %v", kinds)
	}
}

func TestOrders_ShortStock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "3", "gadget": "1"})
	o := e.createOrder(t, sales.RoleSalesManager, s.order(nil, line(s.widget, "5"), line(s.gadget, "1"), line(s.gadget, "2")))

	t.Run("RefusedNamingEachShortLine", func(t *testing.T) {
		unchanged(t, e.store, func() {
			r := e.with(t).as(sales.RoleSalesManager, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version})
			wantError(t, r, "INSUFFICIENT_STOCK", "lines")
			msg := r.Errors[0].Message
			if !strings.Contains(msg, "line 1 (W-1)") || !strings.Contains(msg, "line 3 (G-1)") || strings.Contains(msg, "line 2") {
				t.Fatalf("message should name lines 1 and 3 only: %s", msg)
			}
		})
	})

	t.Run("BackorderReservesWhatThereIsThenReceipts", func(t *testing.T) {
		var u struct{ UpdateOrder orderOut }
		e.with(t).must(sales.RoleSalesManager, updateOrderMutation, map[string]any{"id": o.ID, "v": o.Version, "input": map[string]any{"allowBackorder": true}}, &u)
		var c struct{ ConfirmOrder orderOut }
		e.with(t).must(sales.RoleSalesManager, confirmOrderMutation, map[string]any{"id": o.ID, "v": u.UpdateOrder.Version}, &c)
		got := []string{c.ConfirmOrder.Lines[0].ReservedQuantity, c.ConfirmOrder.Lines[1].ReservedQuantity, c.ConfirmOrder.Lines[2].ReservedQuantity}
		if strings.Join(got, ",") != "3,1,0" {
			t.Fatalf("reserved %v, want 3,1,0", got)
		}
		e.with(t).must(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": s.gadget, "warehouseId": s.warehouse, "quantity": "5"}}, nil)
		var after struct{ Order orderOut }
		e.with(t).must(sales.RoleViewer, `query($id: ID!) { order(id: $id) { ...order } }`+orderFragment, map[string]any{"id": o.ID}, &after)
		if after.Order.Lines[2].ReservedQuantity != "2" {
			t.Fatalf("receipt should reserve the backordered gadget line: %+v", after.Order.Lines)
		}
		if onHand, reserved := e.level(t, s.gadget); onHand != "6" || reserved != "3" {
			t.Fatalf("gadget on hand %s reserved %s, want 6 and 3", onHand, reserved)
		}
	})
}

func TestOrders_CreditHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "10"})
	var cust struct{ Customer struct{ Version int } }
	e.with(t).must(sales.RoleAdmin, `query($id: ID!) { customer(id: $id) { version } }`, map[string]any{"id": s.customer}, &cust)
	e.with(t).must(sales.RoleAccountant, updateCustomerMutation, map[string]any{"id": s.customer, "version": cust.Customer.Version, "input": map[string]any{"creditHold": true}}, nil)
	o := e.createOrder(t, sales.RoleSalesRep, s.order(nil, line(s.widget, "2")))
	var c struct{ ConfirmOrder orderOut }
	e.with(t).must(sales.RoleSalesRep, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
	if c.ConfirmOrder.Status != "ON_HOLD" || c.ConfirmOrder.HoldReason == nil || *c.ConfirmOrder.HoldReason != "CUSTOMER_ON_HOLD" || c.ConfirmOrder.Lines[0].ReservedQuantity != "0" {
		t.Fatalf("held %+v", c.ConfirmOrder)
	}
	vars := map[string]any{"id": o.ID, "v": c.ConfirmOrder.Version, "reason": "paid in advance"}
	t.Run("RepCannotRelease", func(t *testing.T) {
		wantError(t, e.with(t).as(sales.RoleSalesRep, releaseHoldMutation, vars), "FORBIDDEN", "")
	})
	var rel struct{ ReleaseOrderHold orderOut }
	e.with(t).must(sales.RoleSalesManager, releaseHoldMutation, vars, &rel)
	if rel.ReleaseOrderHold.Status != "CONFIRMED" || rel.ReleaseOrderHold.HoldReason != nil || rel.ReleaseOrderHold.Lines[0].ReservedQuantity != "2" {
		t.Fatalf("released %+v", rel.ReleaseOrderHold)
	}
	if h := rel.ReleaseOrderHold.History; h[len(h)-1].Reason != "paid in advance" || h[len(h)-1].Actor.Email != e.users[sales.RoleSalesManager].Email {
		t.Fatalf("release not recorded with who and why: %+v", h)
	}
}

func TestOrders_BadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "10"})
	unpriced := e.with(t).product("U-1")
	o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "1")))
	for _, tc := range []struct {
		name, query, code, field string
		role                     sales.Role
		vars                     map[string]any
	}{
		{"NoLines", createOrderMutation, "VALIDATION", "input.lines", sales.RoleAdmin, s.order(nil)},
		{"ZeroQuantity", createOrderMutation, "VALIDATION", "input.lines.0.quantity", sales.RoleAdmin, s.order(nil, line(s.widget, "0"))},
		{"MalformedQuantity", createOrderMutation, "VALIDATION", "input.lines.0.quantity", sales.RoleAdmin, s.order(nil, line(s.widget, "1,5"))},
		{"UnknownProduct", createOrderMutation, "NOT_FOUND", "input.lines.0.productId", sales.RoleAdmin, s.order(nil, line("UHJvZHVjdDo5OTk5", "1"))},
		{"NoPriceForProduct", createOrderMutation, "NO_PRICE", "input.lines.0.unitPrice", sales.RoleAdmin, s.order(nil, line(unpriced, "1"))},
		{"OverrideWithoutReason", createOrderMutation, "VALIDATION", "input.lines.0.priceOverrideReason", sales.RoleAdmin,
			s.order(nil, map[string]any{"productId": s.widget, "quantity": "1", "unitPrice": "9"})},
		{"DiscountOver100", createOrderMutation, "VALIDATION", "input.lines.0.discountPercent", sales.RoleAdmin,
			s.order(nil, map[string]any{"productId": s.widget, "quantity": "1", "discountPercent": "101"})},
		{"UnknownWarehouse", createOrderMutation, "NOT_FOUND", "input.warehouseId", sales.RoleAdmin, s.order(map[string]any{"warehouseId": "V2FyZWhvdXNlOjk5OTk"}, line(s.widget, "1"))},
		{"DeliveryBeforeOrder", createOrderMutation, "VALIDATION", "input.requestedDeliveryDate", sales.RoleAdmin,
			s.order(map[string]any{"orderDate": "2026-11-10", "requestedDeliveryDate": "2026-11-01"}, line(s.widget, "1"))},
		{"OtherRepsCustomer", createOrderMutation, "NOT_FOUND", "input.customerId", "rep2", s.order(nil, line(s.widget, "1"))},
		{"StaleVersion", confirmOrderMutation, "CONFLICT", "version", sales.RoleAdmin, map[string]any{"id": o.ID, "v": 99}},
		{"CancelWithoutReason", cancelOrderMutation, "VALIDATION", "reason", sales.RoleAdmin, map[string]any{"id": o.ID, "v": o.Version, "reason": " "}},
		{"CloseADraft", `mutation($id: ID!, $v: Int!) { closeOrder(id: $id, version: $v, reason: "x") { id } }`, "INVALID_TRANSITION", "status", sales.RoleAdmin, map[string]any{"id": o.ID, "v": o.Version}},
		{"ReleaseNotHeld", releaseHoldMutation, "INVALID_TRANSITION", "status", sales.RoleAdmin, map[string]any{"id": o.ID, "v": o.Version, "reason": "x"}},
		{"WarehouseMayNotOrder", createOrderMutation, "FORBIDDEN", "", sales.RoleWarehouse, s.order(nil, line(s.widget, "1"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role := tc.role
			if role == "rep2" {
				_, tok := e.addUser("rep2-"+strings.ToLower(tc.name)+"@test.example", sales.RoleSalesRep)
				e.tokens["rep2"] = tok
			}
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(role, tc.query, tc.vars), tc.code, tc.field)
			})
		})
	}
}

// TestOrders_ConfirmRace: orders racing for the last units — exactly as many
// confirm as the stock covers; the rest get INSUFFICIENT_STOCK; reserved
// never exceeds on hand.
func TestOrders_ConfirmRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "5"})
	const racers = 8
	orders := make([]orderOut, racers)
	for i := range orders {
		orders[i] = e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "2")))
	}
	codes := make([]string, racers)
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			r := gqlPost(e, sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version})
			if len(r.Errors) > 0 {
				codes[i] = r.Errors[0].Code()
			} else {
				codes[i] = "OK"
			}
		})
	}
	wg.Wait()
	if strings.Count(strings.Join(codes, " "), "OK") != 2 || strings.Count(strings.Join(codes, " "), "INSUFFICIENT_STOCK") != racers-2 {
		t.Fatalf("codes %v: want 2 OK (5 units, 2 each) and the rest INSUFFICIENT_STOCK", codes)
	}
	if onHand, reserved := e.level(t, s.widget); onHand != "5" || reserved != "4" {
		t.Fatalf("on hand %s reserved %s, want 5 and 4", onHand, reserved)
	}
	checkStockInvariants(t, e.store)
}

// TestOrders_FinishCancelsDraftDeliveries: cancelling or closing an order
// cancels its draft deliveries, which then can no longer ship, and releases
// what the order still reserved.
func TestOrders_FinishCancelsDraftDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	const closeOrderMutation = `mutation($id: ID!, $v: Int!, $reason: String!) { closeOrder(id: $id, version: $v, reason: $reason) { ...order } }` + orderFragment
	orderDeliveries := func(t *testing.T, id string) map[string]string {
		var out struct {
			Order struct {
				Deliveries []struct{ Number, Status string }
			}
		}
		e.with(t).must(sales.RoleAdmin, `query($id: ID!) { order(id: $id) { deliveries { number status } } }`, map[string]any{"id": id}, &out)
		m := map[string]string{}
		for _, d := range out.Order.Deliveries {
			m[d.Number] = d.Status
		}
		return m
	}
	mustNotShip := func(t *testing.T, d deliveryOut) {
		t.Helper()
		var now struct{ Delivery struct{ Version int } }
		e.with(t).must(sales.RoleAdmin, `query($id: ID!) { delivery(id: $id) { version } }`, map[string]any{"id": d.ID}, &now)
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": now.Delivery.Version}), "INVALID_TRANSITION", "status")
		})
	}

	t.Run("Cancel", func(t *testing.T) {
		o := e.confirmedOrder(t, s)
		d := e.delivery(t, map[string]any{"orderId": o.ID})
		var x struct{ CancelOrder orderOut }
		e.with(t).must(sales.RoleSalesManager, cancelOrderMutation, map[string]any{"id": o.ID, "v": o.Version, "reason": "customer withdrew"}, &x)
		if got := orderDeliveries(t, o.ID); got[d.Number] != "CANCELLED" || len(got) != 1 {
			t.Fatalf("after cancelOrder the draft delivery is %v, want %s CANCELLED", got, d.Number)
		}
		mustNotShip(t, d)
		checkStockInvariants(t, e.store)
	})

	t.Run("Close", func(t *testing.T) {
		o := e.confirmedOrder(t, s)
		first := e.delivery(t, map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "4"}}})
		var sh struct{ ShipDelivery deliveryOut }
		e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": first.ID, "v": first.Version}, &sh)
		rest := e.delivery(t, map[string]any{"orderId": o.ID})
		var now struct{ Order orderOut }
		e.with(t).must(sales.RoleAdmin, `query($id: ID!) { order(id: $id) { ...order } }`+orderFragment, map[string]any{"id": o.ID}, &now)
		var c struct{ CloseOrder orderOut }
		e.with(t).must(sales.RoleSalesManager, closeOrderMutation, map[string]any{"id": o.ID, "v": now.Order.Version, "reason": "rest no longer needed"}, &c)
		if c.CloseOrder.Status != "CLOSED" {
			t.Fatalf("closed order is %s", c.CloseOrder.Status)
		}
		if got := orderDeliveries(t, o.ID); got[first.Number] != "SHIPPED" || got[rest.Number] != "CANCELLED" {
			t.Fatalf("after closeOrder the deliveries are %v, want %s SHIPPED and %s CANCELLED", got, first.Number, rest.Number)
		}
		mustNotShip(t, rest)
		checkStockInvariants(t, e.store)
	})
}
