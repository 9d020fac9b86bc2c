package sales

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// The delivery decisions, without a database: each case names the code,
// field and message a client would see, or checks the plan a store writes.

func qty(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func dateOf(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// wantError fails unless err is an *Error with code and field and, when
// message is not empty, exactly that message.
func wantRefused(t *testing.T, err error, code Code, field, message string) {
	t.Helper()
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("error %v; want %s on %q", err, code, field)
	}
	if e.Code != code || e.Field != field || (message != "" && e.Message != message) {
		t.Fatalf("error %s on %q: %q; want %s on %q: %q", e.Code, e.Field, e.Message, code, field, message)
	}
}

// fixture: order SO-1 (warehouse 7, ordered 2026-03-10) with line 11
// (product 200, 10 ordered and reserved) and line 12 (product 100, 5
// ordered and reserved).
func fixtureOrder(status OrderStatus) (*SalesOrder, []*OrderLine) {
	o := &SalesOrder{ID: 1, Number: "SO-1", WarehouseID: 7, OrderDate: dateOf("2026-03-10"), Status: status,
		ShipTo: Address{Line1: "1 Main St", City: "Berlin", Country: "DE"}}
	return o, []*OrderLine{
		{ID: 11, OrderID: 1, LineNo: 1, ProductID: 200, Quantity: qty("10"), ReservedQuantity: qty("10")},
		{ID: 12, OrderID: 1, LineNo: 2, ProductID: 100, Quantity: qty("5"), ReservedQuantity: qty("5")},
	}
}

func TestPlanDelivery_OrderMustBeDeliverable(t *testing.T) {
	for _, status := range OrderStatuses {
		t.Run(string(status), func(t *testing.T) {
			o, lines := fixtureOrder(status)
			_, err := PlanDelivery(NewDeliverySnapshot{Order: o, Lines: lines})
			if status == OrderConfirmed || status == OrderPartiallyDelivered {
				if err != nil {
					t.Fatalf("delivering a %s order: %v", status, err)
				}
				return
			}
			wantRefused(t, err, CodeInvalidTransition, "input.orderId", "cannot deliver a sales order that is "+string(status))
		})
	}
}

func TestPlanDelivery_Lines(t *testing.T) {
	line := func(id int64, q string) DeliveryLineInput {
		return DeliveryLineInput{OrderLineID: id, Quantity: qty(q)}
	}
	for _, tc := range []struct {
		name         string
		onOpen       map[int64]decimal.Decimal
		lines        []DeliveryLineInput
		want         []DeliveryLineInput // when allowed
		code         Code
		field, error string
	}{
		{name: "NoLinesCarriesAllDeliverable", want: []DeliveryLineInput{line(11, "10"), line(12, "5")}},
		{name: "NoLinesLeavesWhatOpenDeliveriesCarry", onOpen: map[int64]decimal.Decimal{11: qty("4"), 12: qty("5")},
			want: []DeliveryLineInput{line(11, "6")}},
		{name: "NothingDeliverable", onOpen: map[int64]decimal.Decimal{11: qty("10"), 12: qty("5")},
			code: CodeValidation, field: "input.lines", error: "nothing on order SO-1 is reserved and not already on a delivery"},
		{name: "Partial", lines: []DeliveryLineInput{line(12, "2.5")}, want: []DeliveryLineInput{line(12, "2.5")}},
		{name: "AllOfWhatIsLeft", onOpen: map[int64]decimal.Decimal{11: qty("6")}, lines: []DeliveryLineInput{line(11, "4")},
			want: []DeliveryLineInput{line(11, "4")}},
		{name: "OverDelivery", onOpen: map[int64]decimal.Decimal{11: qty("6")}, lines: []DeliveryLineInput{line(11, "4.001")},
			code: CodeValidation, field: "input.lines.0.quantity", error: "more than reserved: 4 can be delivered on this line"},
		{name: "OverDeliveryWhenOpenCarryMoreThanReserved", onOpen: map[int64]decimal.Decimal{12: qty("7")}, lines: []DeliveryLineInput{line(12, "1")},
			code: CodeValidation, field: "input.lines.0.quantity", error: "more than reserved: 0 can be delivered on this line"},
		{name: "LineNotOnOrder", lines: []DeliveryLineInput{line(11, "1"), line(99, "1")},
			code: CodeValidation, field: "input.lines.1.orderLineId", error: "that line is not on order SO-1"},
		{name: "LineTwice", lines: []DeliveryLineInput{line(11, "1"), line(12, "1"), line(11, "1")},
			code: CodeValidation, field: "input.lines.2.orderLineId", error: "each order line may appear once"},
		{name: "ZeroQuantity", lines: []DeliveryLineInput{line(11, "0")},
			code: CodeValidation, field: "input.lines.0.quantity", error: "quantity must be greater than zero"},
		{name: "FourDecimals", lines: []DeliveryLineInput{line(11, "1.0001")},
			code: CodeValidation, field: "input.lines.0.quantity", error: "quantity may have at most 3 decimal places"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, lines := fixtureOrder(OrderConfirmed)
			plan, err := PlanDelivery(NewDeliverySnapshot{Order: o, Lines: lines, OnOpenDeliveries: tc.onOpen, Input: NewDelivery{OrderID: 1, Lines: tc.lines}})
			if tc.code != "" {
				wantRefused(t, err, tc.code, tc.field, tc.error)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(plan.Lines, tc.want) {
				t.Fatalf("lines %v; want %v", plan.Lines, tc.want)
			}
			if plan.Status != DeliveryDraft || plan.WarehouseID != 7 || plan.Event.Action != "CREATE" || plan.Event.From != nil || plan.Event.To != "DRAFT" {
				t.Fatalf("plan %+v", plan)
			}
		})
	}
}

func TestPlanDelivery_Texts(t *testing.T) {
	o, lines := fixtureOrder(OrderPartiallyDelivered)
	plan, err := PlanDelivery(NewDeliverySnapshot{Order: o, Lines: lines, Input: NewDelivery{Carrier: " UPS ", TrackingNumber: " 1Z ", Notes: " dock 4 "}})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Carrier != "UPS" || plan.TrackingNumber != "1Z" || plan.Notes != "dock 4" || plan.ShipTo != o.ShipTo {
		t.Fatalf("plan %+v", plan)
	}
	other := Address{Line1: "2 Side St", City: "Paris", Country: "FR"}
	plan, _ = PlanDelivery(NewDeliverySnapshot{Order: o, Lines: lines, Input: NewDelivery{ShipTo: &other}})
	if plan.ShipTo != other {
		t.Fatalf("ship to %+v; want the address given", plan.ShipTo)
	}

	for _, tc := range []struct {
		name, carrier, tracking, notes string
		shipTo                         *Address
		field                          string
	}{
		{name: "CarrierTooLong", carrier: strings.Repeat("é", 101), field: "input.carrier"},
		{name: "NulInTracking", tracking: "a\x00b", field: "input.trackingNumber"},
		{name: "NotesTooLong", notes: strings.Repeat("x", 2001), field: "input.notes"},
		{name: "BadCountry", shipTo: &Address{Line1: "x", City: "y", Country: "Germany"}, field: "input.shipTo.country"},
		{name: "NoCity", shipTo: &Address{Line1: "x", Country: "DE"}, field: "input.shipTo.city"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRefused(t, CheckDeliveryText(tc.carrier, tc.tracking, tc.notes, tc.shipTo), CodeValidation, tc.field, "")
		})
	}
	if err := CheckDeliveryText("UPS", "1Z", "", &other); err != nil {
		t.Fatal(err)
	}
}

func TestPlanDeliveryEditAndCancel(t *testing.T) {
	carrier := " DHL "
	for _, status := range DeliveryStatuses {
		t.Run(string(status), func(t *testing.T) {
			d := &Delivery{ID: 5, Number: "DN-1", Status: status, Carrier: "UPS", Notes: "keep"}
			edit, err := PlanDeliveryEdit(d, DeliveryChange{Carrier: &carrier})
			step, cerr := PlanDeliveryCancel(d, "  customer collects ")
			if status != DeliveryDraft {
				wantRefused(t, err, CodeInvalidTransition, "status", "cannot edit a delivery that is "+string(status))
				wantRefused(t, cerr, CodeInvalidTransition, "status", "cannot cancel a delivery that is "+string(status))
				return
			}
			if err != nil || edit.Carrier != "DHL" || edit.Notes != "keep" {
				t.Fatalf("edit %+v, %v", edit, err)
			}
			if cerr != nil || step.Status != DeliveryCancelled || step.Event.Action != "CANCEL" || *step.Event.From != "DRAFT" ||
				step.Event.To != "CANCELLED" || step.Event.Reason != "customer collects" {
				t.Fatalf("cancel %+v, %v", step, cerr)
			}
		})
	}
}

// shipment: delivery DN-1 of SO-1 from warehouse 7 carrying q11 of line 11
// and q12 of line 12 (a zero leaves the line off).
func shipment(order OrderStatus, q11, q12 string) ShipmentSnapshot {
	o, lines := fixtureOrder(order)
	d := &Delivery{ID: 5, Number: "DN-1", OrderID: 1, WarehouseID: 7, Status: DeliveryDraft}
	var dl []*DeliveryLine
	if q := qty(q11); q.IsPositive() {
		dl = append(dl, &DeliveryLine{ID: 51, DeliveryID: 5, OrderLineID: 11, Quantity: q})
	}
	if q := qty(q12); q.IsPositive() {
		dl = append(dl, &DeliveryLine{ID: 52, DeliveryID: 5, OrderLineID: 12, Quantity: q})
	}
	return ShipmentSnapshot{Order: o, Lines: lines, Delivery: d, DeliveryLines: dl, Today: dateOf("2026-03-20")}
}

func TestPlanShipment_DeliveryMustBeDraft(t *testing.T) {
	for _, status := range DeliveryStatuses {
		t.Run(string(status), func(t *testing.T) {
			s := shipment(OrderConfirmed, "1", "0")
			s.Delivery.Status = status
			_, err := PlanShipment(s)
			if status == DeliveryDraft {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefused(t, err, CodeInvalidTransition, "status", "cannot ship a delivery that is "+string(status))
		})
	}
}

func TestPlanShipment(t *testing.T) {
	for _, tc := range []struct {
		name          string
		order         OrderStatus
		q11, q12      string
		delivered11   string // already delivered on line 11 (its reservation already gone)
		shipDate      string
		action        OrderAction
		status        OrderStatus
		code          Code
		field, error  string
		wantShipDate  string
		wantProductAt []int64 // products of the moves, in order
	}{
		{name: "Partial", order: OrderConfirmed, q11: "4", q12: "0", action: OrderDeliverPart, status: OrderPartiallyDelivered,
			wantShipDate: "2026-03-20", wantProductAt: []int64{200}},
		{name: "Full", order: OrderConfirmed, q11: "10", q12: "5", action: OrderDeliverAll, status: OrderDelivered,
			wantShipDate: "2026-03-20", wantProductAt: []int64{100, 200}},
		{name: "RestOfAPartlyDeliveredOrder", order: OrderPartiallyDelivered, q11: "6", q12: "5", delivered11: "4",
			action: OrderDeliverAll, status: OrderDelivered, wantShipDate: "2026-03-20", wantProductAt: []int64{100, 200}},
		{name: "StillPartOfAPartlyDeliveredOrder", order: OrderPartiallyDelivered, q11: "0", q12: "5", delivered11: "4",
			action: OrderDeliverPart, status: OrderPartiallyDelivered, wantShipDate: "2026-03-20", wantProductAt: []int64{100}},
		{name: "OnTheOrderDate", order: OrderConfirmed, q11: "1", q12: "0", shipDate: "2026-03-10",
			action: OrderDeliverPart, status: OrderPartiallyDelivered, wantShipDate: "2026-03-10", wantProductAt: []int64{200}},
		{name: "BeforeTheOrderDate", order: OrderConfirmed, q11: "1", q12: "0", shipDate: "2026-03-09",
			code: CodeValidation, field: "shipDate", error: "the ship date is before the order date 2026-03-10"},
		{name: "MoreThanReserved", order: OrderConfirmed, q11: "6.001", q12: "0", delivered11: "4",
			code: CodeInsufficientStock, field: "id", error: "line 1 of order SO-1 has 6 reserved; this delivery ships 6.001"},
		{name: "CancelledOrderHasNothingReserved", order: OrderCancelled, q11: "1", q12: "0",
			code: CodeInsufficientStock, field: "id", error: "line 1 of order SO-1 has 0 reserved; this delivery ships 1"},
		{name: "HeldOrder", order: OrderOnHold, q11: "1", q12: "0",
			code: CodeInvalidTransition, field: "status", error: "cannot deliver part a sales order that is ON_HOLD"},
		{name: "DraftOrder", order: OrderDraft, q11: "10", q12: "5",
			code: CodeInvalidTransition, field: "status", error: "cannot deliver all a sales order that is DRAFT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := shipment(tc.order, tc.q11, tc.q12)
			if tc.delivered11 != "" {
				l := s.Lines[0]
				l.DeliveredQuantity = qty(tc.delivered11)
				l.ReservedQuantity = l.Quantity.Sub(l.DeliveredQuantity)
			}
			if tc.order == OrderCancelled {
				for _, l := range s.Lines {
					l.ReservedQuantity = decimal.Zero
				}
			}
			if tc.shipDate != "" {
				d := dateOf(tc.shipDate)
				s.ShipDate = &d
			}
			before := s.Lines[0].DeliveredQuantity
			plan, err := PlanShipment(s)
			if tc.code != "" {
				wantRefused(t, err, tc.code, tc.field, tc.error)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !s.Lines[0].DeliveredQuantity.Equal(before) {
				t.Fatal("the decision changed its snapshot")
			}
			if plan.DeliveryStatus != DeliveryShipped || plan.OrderAction != tc.action || plan.OrderStatus != tc.status ||
				plan.OrderReason != "delivery DN-1 shipped" || plan.ShipDate.Format(time.DateOnly) != tc.wantShipDate {
				t.Fatalf("plan %+v", plan)
			}
			if e := plan.DeliveryEvent; e.Action != "SHIP" || *e.From != "DRAFT" || e.To != "SHIPPED" {
				t.Fatalf("event %+v", e)
			}
			var products []int64
			for i, m := range plan.Moves {
				products = append(products, m.ProductID)
				c := plan.Lines[i]
				ol := s.Lines[slices.IndexFunc(s.Lines, func(l *OrderLine) bool { return l.ID == c.OrderLineID })]
				if ol.ProductID != m.ProductID || m.WarehouseID != 7 || m.Kind != MovementShipment || m.Reference != "DN-1" ||
					!m.OnHand.Equal(m.Reserved) || !m.OnHand.Equal(c.Delivered.Neg()) || !c.Reserved.Equal(c.Delivered.Neg()) || !c.Returned.IsZero() {
					t.Fatalf("move %+v for line change %+v", m, c)
				}
			}
			if !slices.Equal(products, tc.wantProductAt) {
				t.Fatalf("moves of products %v; want %v (by product id)", products, tc.wantProductAt)
			}
		})
	}
}

// receipt: delivery DN-1 shipped on 2026-03-20 with line 51 (6 of order
// line 11) and line 52 (5 of order line 12); line 11 delivered 10, line
// 12 delivered 5.
func receipt(rc DeliveryReceipt) ReceiptSnapshot {
	o, lines := fixtureOrder(OrderDelivered)
	for _, l := range lines {
		l.DeliveredQuantity, l.ReservedQuantity = l.Quantity, decimal.Zero
	}
	shipped := dateOf("2026-03-20")
	return ReceiptSnapshot{Order: o, Lines: lines,
		Delivery: &Delivery{ID: 5, Number: "DN-1", OrderID: 1, WarehouseID: 7, Status: DeliveryShipped, ShipDate: &shipped},
		DeliveryLines: []*DeliveryLine{
			{ID: 51, DeliveryID: 5, OrderLineID: 11, Quantity: qty("6")},
			{ID: 52, DeliveryID: 5, OrderLineID: 12, Quantity: qty("5")},
		},
		Receipt: rc, Today: dateOf("2026-03-22")}
}

func TestCheckDeliveryReceipt(t *testing.T) {
	rc, err := CheckDeliveryReceipt(DeliveryReceipt{ReceivedBy: " Ann ", RefusalReason: " wet "})
	if err != nil || rc.ReceivedBy != "Ann" || rc.RefusalReason != "wet" {
		t.Fatalf("%+v, %v", rc, err)
	}
	_, err = CheckDeliveryReceipt(DeliveryReceipt{ReceivedBy: "  "})
	wantRefused(t, err, CodeValidation, "input.receivedBy", "who signed for the goods?")
	_, err = CheckDeliveryReceipt(DeliveryReceipt{ReceivedBy: strings.Repeat("x", 201)})
	wantRefused(t, err, CodeValidation, "input.receivedBy", "receivedBy must be at most 200 characters")
}

func TestPlanReceipt_DeliveryMustBeShipped(t *testing.T) {
	for _, status := range DeliveryStatuses {
		t.Run(string(status), func(t *testing.T) {
			s := receipt(DeliveryReceipt{ReceivedBy: "Ann"})
			s.Delivery.Status = status
			_, err := PlanReceipt(s)
			if status == DeliveryShipped {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefused(t, err, CodeInvalidTransition, "status", "cannot confirm receipt a delivery that is "+string(status))
		})
	}
}

func TestPlanReceipt(t *testing.T) {
	rl := func(id int64, accepted, refused string) ReceiptLine {
		return ReceiptLine{DeliveryLineID: id, Accepted: qty(accepted), Refused: qty(refused)}
	}
	for _, tc := range []struct {
		name          string
		lines         []ReceiptLine
		reason        string
		delivered     string
		onOpenReturns map[int64]decimal.Decimal
		code          Code
		field, error  string
		outcomes      []ReceiptOutcome
		refusal       []ReturnLineInput
	}{
		{name: "AllAcceptedByDefault",
			outcomes: []ReceiptOutcome{{51, qty("6"), decimal.Decimal{}}, {52, qty("5"), decimal.Decimal{}}}},
		{name: "DeliveredOnTheShipDate", delivered: "2026-03-20",
			outcomes: []ReceiptOutcome{{51, qty("6"), decimal.Decimal{}}, {52, qty("5"), decimal.Decimal{}}}},
		{name: "DeliveredBeforeShipped", delivered: "2026-03-19",
			code: CodeValidation, field: "input.deliveredDate", error: "the delivered date is before the ship date 2026-03-20"},
		{name: "RefusalOpensAnApprovedReturn", lines: []ReceiptLine{rl(52, "5", "0"), rl(51, "4", "2")}, reason: "wet",
			outcomes: []ReceiptOutcome{{51, qty("4"), qty("2")}, {52, qty("5"), qty("0")}},
			refusal:  []ReturnLineInput{{OrderLineID: 11, Quantity: qty("2"), Reason: "refused at delivery"}}},
		{name: "RefusalNeedsAReason", lines: []ReceiptLine{rl(51, "4", "2")},
			code: CodeValidation, field: "input.refusalReason", error: "say why goods were refused"},
		{name: "RefusedMoreThanCanComeBack", lines: []ReceiptLine{rl(52, "5", "0"), rl(51, "0", "6")}, reason: "wet",
			onOpenReturns: map[int64]decimal.Decimal{11: qty("5")},
			code:          CodeValidation, field: "input.lines.1", error: "more than was delivered and not yet returned: 5 can come back on this line"},
		{name: "LineNotOnDelivery", lines: []ReceiptLine{rl(99, "1", "0")},
			code: CodeValidation, field: "input.lines.0.deliveryLineId", error: "that line is not on delivery DN-1"},
		{name: "LineTwice", lines: []ReceiptLine{rl(51, "6", "0"), rl(51, "6", "0")},
			code: CodeValidation, field: "input.lines.1.deliveryLineId", error: "each delivery line may appear once"},
		{name: "Negative", lines: []ReceiptLine{rl(51, "7", "-1")}, reason: "x",
			code: CodeValidation, field: "input.lines.0", error: "quantities must not be negative"},
		{name: "FourDecimals", lines: []ReceiptLine{rl(51, "5.9995", "0.0005")}, reason: "x",
			code: CodeValidation, field: "input.lines.0", error: "quantities may have at most 3 decimal places"},
		{name: "DoesNotAddUp", lines: []ReceiptLine{rl(51, "4", "1")}, reason: "x",
			code: CodeValidation, field: "input.lines.0", error: "accepted and refused must add up to the 6 shipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := DeliveryReceipt{ReceivedBy: "Ann", RefusalReason: tc.reason, Lines: tc.lines}
			if tc.delivered != "" {
				d := dateOf(tc.delivered)
				rc.DeliveredDate = &d
			}
			s := receipt(rc)
			s.OnOpenReturns = tc.onOpenReturns
			plan, err := PlanReceipt(s)
			if tc.code != "" {
				wantRefused(t, err, tc.code, tc.field, tc.error)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Outcomes) != len(tc.outcomes) {
				t.Fatalf("outcomes %v; want %v", plan.Outcomes, tc.outcomes)
			}
			for i, o := range plan.Outcomes {
				w := tc.outcomes[i]
				if o.DeliveryLineID != w.DeliveryLineID || !o.Accepted.Equal(w.Accepted) || !o.Refused.Equal(w.Refused) {
					t.Fatalf("outcomes %v; want %v", plan.Outcomes, tc.outcomes)
				}
			}
			wantDay := "2026-03-22"
			if tc.delivered != "" {
				wantDay = tc.delivered
			}
			if plan.DeliveryStatus != DeliveryDelivered || plan.ReceivedBy != "Ann" || plan.DeliveredDate.Format(time.DateOnly) != wantDay ||
				plan.Event.Action != "CONFIRM_RECEIPT" || *plan.Event.From != "SHIPPED" || plan.Event.To != "DELIVERED" || plan.Event.Reason != tc.reason {
				t.Fatalf("plan %+v", plan)
			}
			if tc.refusal == nil {
				if plan.Refusal != nil {
					t.Fatalf("nothing refused, yet a return: %+v", plan.Refusal)
				}
				return
			}
			r := plan.Refusal
			if r == nil || r.Status != ReturnApproved || r.DeliveryID == nil || *r.DeliveryID != 5 || r.Reason != tc.reason ||
				r.Event.To != "APPROVED" || r.Event.From != nil || !reflect.DeepEqual(r.Lines, tc.refusal) {
				t.Fatalf("refusal %+v; want an APPROVED return of %v", r, tc.refusal)
			}
		})
	}
}

func TestOpenDeliveryStatuses(t *testing.T) {
	// Only a draft still holds units that have not left: a shipped delivery
	// took them off the reservation, a cancelled one never will.
	if got := OpenDeliveryStatuses(); !slices.Equal(got, []DeliveryStatus{DeliveryDraft}) {
		t.Fatalf("open delivery states %v", got)
	}
}
