package graph_test

import (
	"strings"
	"sync"
	"testing"

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
// units (the second written as a concurrent creator would have); racing
// shipDelivery on both, exactly one ships, every round.
func TestDeliveries_ShipRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "1000"})
	for round := range 10 {
		o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "5")))
		var c struct{ ConfirmOrder orderOut }
		e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
		d1 := e.delivery(t, map[string]any{"orderId": o.ID})
		// A second draft for the same units, as if created concurrently.
		var d2id int64
		if err := e.store.GetContext(t.Context(), &d2id, `INSERT INTO deliveries (number, bol_number, order_id, warehouse_id, ship_to)
			SELECT number || '-B', bol_number || '-B', order_id, warehouse_id, ship_to FROM deliveries WHERE number = $1 RETURNING id`, d1.Number); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.ExecContext(t.Context(), `INSERT INTO delivery_lines (delivery_id, order_line_id, quantity)
			SELECT $1, order_line_id, quantity FROM delivery_lines WHERE delivery_id = (SELECT id FROM deliveries WHERE number = $2)`, d2id, d1.Number); err != nil {
			t.Fatal(err)
		}
		ids := []string{d1.ID, relayID("Delivery", d2id)}
		codes := make([]string, 2)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				r := gqlPost(e, sales.RoleWarehouse, shipMutation, map[string]any{"id": id, "v": 1})
				codes[i] = "OK"
				if len(r.Errors) > 0 {
					codes[i] = r.Errors[0].Code()
				}
			})
		}
		wg.Wait()
		if strings.Join(codes, ",") != "OK,INSUFFICIENT_STOCK" && strings.Join(codes, ",") != "INSUFFICIENT_STOCK,OK" {
			t.Fatalf("round %d: %v; want exactly one shipment", round, codes)
		}
	}
	var onHand, ledger, delivered string
	_ = e.store.GetContext(t.Context(), &onHand, `SELECT on_hand::text FROM stock_levels`)
	_ = e.store.GetContext(t.Context(), &ledger, `SELECT sum(quantity)::text FROM stock_movements`)
	_ = e.store.GetContext(t.Context(), &delivered, `SELECT sum(delivered_quantity)::text FROM order_lines`)
	if onHand != "950.000" || ledger != "950.000" || delivered != "50.000" {
		t.Fatalf("on hand %s, ledger %s, delivered %s; want 950, 950, 50", onHand, ledger, delivered)
	}
}

func TestReturns_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.confirmedOrder(t, s)
	d := e.delivery(t, map[string]any{"orderId": o.ID})
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, nil)
	var r struct {
		CreateReturn struct {
			ID, Number, Status string
			Version            int
		}
	}
	e.with(t).must(sales.RoleSalesRep, createReturn, map[string]any{"in": map[string]any{"orderId": o.ID, "deliveryId": d.ID, "reason": "wrong colour",
		"lines": []any{map[string]any{"orderLineId": o.Lines[1].ID, "quantity": "2"}}}}, &r)
	if r.CreateReturn.Status != "REQUESTED" {
		t.Fatalf("created %+v", r.CreateReturn)
	}
	const receive = `mutation($id: ID!, $v: Int!, $w: ID!) { receiveReturn(id: $id, version: $v, input: {warehouseId: $w}) { status version } }`
	t.Run("ReceiveBeforeApproval", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleWarehouse, receive, map[string]any{"id": r.CreateReturn.ID, "v": r.CreateReturn.Version, "w": s.warehouse}),
				"INVALID_TRANSITION", "status")
		})
	})
	t.Run("RepCannotApprove", func(t *testing.T) {
		wantError(t, e.with(t).as(sales.RoleSalesRep, `mutation($id: ID!, $v: Int!) { approveReturn(id: $id, version: $v) { status } }`,
			map[string]any{"id": r.CreateReturn.ID, "v": r.CreateReturn.Version}), "FORBIDDEN", "")
	})
	var ap struct{ ApproveReturn struct{ Version int } }
	e.with(t).must(sales.RoleSalesManager, `mutation($id: ID!, $v: Int!) { approveReturn(id: $id, version: $v) { version } }`,
		map[string]any{"id": r.CreateReturn.ID, "v": r.CreateReturn.Version}, &ap)
	var rv struct{ ReceiveReturn struct{ Status string } }
	e.with(t).must(sales.RoleWarehouse, receive, map[string]any{"id": r.CreateReturn.ID, "v": ap.ApproveReturn.Version, "w": s.warehouse}, &rv)
	if rv.ReceiveReturn.Status != "RECEIVED" {
		t.Fatalf("received %+v", rv.ReceiveReturn)
	}
	if onHand, _ := e.level(t, s.gadget); onHand != "48" {
		t.Fatalf("gadgets on hand %s: 50 − 4 shipped + 2 returned = 48", onHand)
	}
	var lines struct {
		Order struct {
			Lines []struct{ ReturnedQuantity string }
		}
	}
	e.with(t).must(sales.RoleViewer, `query($id: ID!) { order(id: $id) { lines { returnedQuantity } } }`, map[string]any{"id": o.ID}, &lines)
	if lines.Order.Lines[1].ReturnedQuantity != "2" {
		t.Fatalf("returned quantity %+v", lines.Order.Lines)
	}

	t.Run("Reject", func(t *testing.T) {
		var r2 struct {
			CreateReturn struct {
				ID      string
				Version int
			}
		}
		e.with(t).must(sales.RoleWarehouse, createReturn, map[string]any{"in": map[string]any{"orderId": o.ID, "reason": "changed mind",
			"lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "1"}}}}, &r2)
		var rj struct{ RejectReturn struct{ Status string } }
		e.with(t).must(sales.RoleSalesManager, `mutation($id: ID!, $v: Int!) { rejectReturn(id: $id, version: $v, reason: "outside the 30 days") { status } }`,
			map[string]any{"id": r2.CreateReturn.ID, "v": r2.CreateReturn.Version}, &rj)
		if rj.RejectReturn.Status != "REJECTED" {
			t.Fatalf("rejected %+v", rj.RejectReturn)
		}
	})

	t.Run("RepScoping", func(t *testing.T) {
		_, tok := e.addUser("other-rep@test.example", sales.RoleSalesRep)
		e.tokens["other"] = tok
		r := e.with(t).as("other", `query($id: ID!, $d: ID!) { order(id: $id) { id } delivery(id: $d) { id } returns { totalCount } deliveries { totalCount } orders { totalCount } }`,
			map[string]any{"id": o.ID, "d": d.ID})
		if len(r.Errors) > 0 || string(r.Data) != `{"order":null,"delivery":null,"returns":{"totalCount":0},"deliveries":{"totalCount":0},"orders":{"totalCount":0}}` {
			t.Fatalf("another rep saw: %s %+v", r.Data, r.Errors)
		}
	})
}
