package sales

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// snapshotOf builds an order snapshot: lines as (id, product, ordered,
// reserved, delivered), stock available per product.
func snapshotOf(status OrderStatus, backorder bool, lines [][5]string, available map[int64]string) OrderSnapshot {
	s := OrderSnapshot{Order: SalesOrder{ID: 100, Number: "SO-2026-000100", WarehouseID: 3, Status: status, AllowBackorder: backorder},
		Available: map[int64]decimal.Decimal{}, SKUs: map[int64]string{}}
	for i, l := range lines {
		id := int64(d(l[0]).IntPart())
		product := int64(d(l[1]).IntPart())
		s.Lines = append(s.Lines, OrderLine{ID: id, OrderID: 100, LineNo: i + 1, ProductID: product,
			Quantity: d(l[2]), ReservedQuantity: d(l[3]), DeliveredQuantity: d(l[4])})
		s.SKUs[product] = "SKU-" + l[1]
	}
	for p, q := range available {
		s.Available[p] = d(q)
	}
	return s
}

// reserved renders a plan's reservations as "line:product:quantity".
func reserved(p OrderPlan) []string {
	out := []string{}
	for _, r := range p.Reservations {
		out = append(out, r.Quantity.String()+"@"+lineRef(r))
	}
	return out
}

func lineRef(r Reservation) string {
	return decimal.NewFromInt(r.LineID).String() + "/p" + decimal.NewFromInt(r.ProductID).String() + "/" + string(r.Kind())
}

func TestPlanConfirm(t *testing.T) {
	for _, tc := range []struct {
		name      string
		snap      OrderSnapshot
		hold      bool
		code      Code
		field     string
		parts     []string
		wantTo    OrderStatus
		wantHold  *HoldReason
		wantLines []string // quantity@line/product/kind, in lock order
	}{
		{name: "enough stock reserves every line, by product",
			snap:   snapshotOf(OrderDraft, false, [][5]string{{"11", "9", "5", "0", "0"}, {"12", "4", "2", "0", "0"}}, map[int64]string{9: "5", 4: "10"}),
			wantTo: OrderConfirmed, wantLines: []string{"2@12/p4/RESERVATION", "5@11/p9/RESERVATION"}},
		{name: "two lines of one product share what is available",
			snap:   snapshotOf(OrderDraft, false, [][5]string{{"11", "4", "3", "0", "0"}, {"12", "4", "3", "0", "0"}}, map[int64]string{4: "6"}),
			wantTo: OrderConfirmed, wantLines: []string{"3@11/p4/RESERVATION", "3@12/p4/RESERVATION"}},
		{name: "one short line is named",
			snap: snapshotOf(OrderDraft, false, [][5]string{{"11", "4", "5", "0", "0"}, {"12", "9", "2", "0", "0"}}, map[int64]string{4: "3", 9: "2"}),
			code: CodeInsufficientStock, field: "lines",
			parts: []string{"not enough stock in the order's warehouse: line 1 (SKU-4): 5 to reserve, 3 available"}},
		{name: "two short lines are both named",
			snap: snapshotOf(OrderDraft, false, [][5]string{{"11", "4", "5", "0", "0"}, {"12", "9", "2", "0", "0"}}, map[int64]string{4: "1"}),
			code: CodeInsufficientStock, field: "lines",
			parts: []string{"line 1 (SKU-4): 5 to reserve, 1 available; line 2 (SKU-9): 2 to reserve, 0 available"}},
		{name: "negative availability counts as none",
			snap: snapshotOf(OrderDraft, false, [][5]string{{"11", "4", "1", "0", "0"}}, map[int64]string{4: "-2"}),
			code: CodeInsufficientStock, field: "lines", parts: []string{"1 to reserve, 0 available"}},
		{name: "with backorders what there is is reserved",
			snap:   snapshotOf(OrderDraft, true, [][5]string{{"11", "4", "5", "0", "0"}, {"12", "9", "2", "0", "0"}}, map[int64]string{4: "3"}),
			wantTo: OrderConfirmed, wantLines: []string{"3@11/p4/RESERVATION"}},
		{name: "customer on credit hold: ON_HOLD, nothing reserved",
			snap: snapshotOf(OrderDraft, false, [][5]string{{"11", "4", "5", "0", "0"}}, nil), hold: true,
			wantTo: OrderOnHold, wantHold: ptr(HoldCustomerOnHold), wantLines: []string{}},
		{name: "a confirmed order cannot be confirmed again",
			snap: snapshotOf(OrderConfirmed, false, [][5]string{{"11", "4", "5", "5", "0"}}, nil),
			code: CodeInvalidTransition, field: "status", parts: []string{"cannot confirm a sales order that is CONFIRMED"}},
		{name: "a held order is released, not confirmed",
			snap: snapshotOf(OrderOnHold, false, [][5]string{{"11", "4", "5", "0", "0"}}, nil), hold: true,
			code: CodeInvalidTransition, field: "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.snap.Customer.CreditHold = tc.hold
			plan, err := PlanConfirm(tc.snap)
			checkErr(t, err, tc.code, tc.field, tc.parts...)
			if tc.code != "" {
				return
			}
			if plan.Status == nil || plan.Status.To != tc.wantTo || plan.Status.From != tc.snap.Order.Status {
				t.Fatalf("status change %+v, want to %s", plan.Status, tc.wantTo)
			}
			if !reflect.DeepEqual(plan.Status.HoldReason, tc.wantHold) {
				t.Fatalf("hold reason %v, want %v", plan.Status.HoldReason, tc.wantHold)
			}
			if got := reserved(plan); !reflect.DeepEqual(got, tc.wantLines) {
				t.Fatalf("reservations %v, want %v", got, tc.wantLines)
			}
			for _, r := range plan.Reservations {
				if r.OrderID != 100 || r.OrderNumber != "SO-2026-000100" || r.WarehouseID != 3 || r.Field != "lines" {
					t.Fatalf("reservation %+v does not name the order and its warehouse", r)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestPlanConfirm_HoldNamesTheReason(t *testing.T) {
	s := snapshotOf(OrderDraft, false, nil, nil)
	s.Customer.CreditHold = true
	plan, err := PlanConfirm(s)
	if err != nil || plan.Status.Action != OrderHold || plan.Status.Reason != "customer is on credit hold" {
		t.Fatalf("plan %+v, %v", plan.Status, err)
	}
}

func TestPlanRelease(t *testing.T) {
	s := snapshotOf(OrderOnHold, false, [][5]string{{"11", "4", "5", "0", "0"}}, map[int64]string{4: "5"})
	s.Reason = "paid in advance"
	plan, err := PlanRelease(s)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Status.Action != OrderRelease || plan.Status.To != OrderConfirmed || plan.Status.Reason != "paid in advance" || plan.Status.HoldReason != nil {
		t.Fatalf("status change %+v", plan.Status)
	}
	if got := reserved(plan); !reflect.DeepEqual(got, []string{"5@11/p4/RESERVATION"}) {
		t.Fatalf("reservations %v", got)
	}
	// Short stock refuses the release as it refuses a confirmation.
	s.Available[4] = d("4")
	_, err = PlanRelease(s)
	checkErr(t, err, CodeInsufficientStock, "lines", "line 1 (SKU-4): 5 to reserve, 4 available")
	// Only a held order is released.
	_, err = PlanRelease(snapshotOf(OrderDraft, false, nil, nil))
	checkErr(t, err, CodeInvalidTransition, "status", "cannot release a sales order that is DRAFT")
}

func TestPlanCancelAndClose(t *testing.T) {
	deliveries := []DeliveryState{{ID: 7, Status: DeliveryDraft}, {ID: 8, Status: DeliveryShipped}, {ID: 9, Status: DeliveryDraft}, {ID: 10, Status: DeliveryCancelled}}
	for _, tc := range []struct {
		name      string
		decide    func(OrderSnapshot) (OrderPlan, error)
		snap      OrderSnapshot
		code      Code
		parts     []string
		wantTo    OrderStatus
		wantLines []string
	}{
		{name: "cancel releases every reservation, by product",
			decide: PlanCancel, snap: snapshotOf(OrderConfirmed, false, [][5]string{{"11", "9", "5", "5", "0"}, {"12", "4", "2", "2", "0"}, {"13", "5", "1", "0", "0"}}, nil),
			wantTo: OrderCancelled, wantLines: []string{"-2@12/p4/RELEASE", "-5@11/p9/RELEASE"}},
		{name: "cancel a held order: nothing reserved", decide: PlanCancel,
			snap: snapshotOf(OrderOnHold, false, [][5]string{{"11", "9", "5", "0", "0"}}, nil), wantTo: OrderCancelled, wantLines: []string{}},
		{name: "cancel a partly delivered order is refused", decide: PlanCancel,
			snap: snapshotOf(OrderPartiallyDelivered, false, [][5]string{{"11", "9", "5", "2", "3"}}, nil),
			code: CodeInvalidTransition, parts: []string{"cannot cancel a sales order that is PARTIALLY_DELIVERED"}},
		{name: "close a partly delivered order releases what is left", decide: PlanClose,
			snap:   snapshotOf(OrderPartiallyDelivered, false, [][5]string{{"11", "9", "5", "2", "3"}, {"12", "4", "2", "0", "2"}}, nil),
			wantTo: OrderClosed, wantLines: []string{"-2@11/p9/RELEASE"}},
		{name: "close a confirmed order is refused (cancel it)", decide: PlanClose,
			snap: snapshotOf(OrderConfirmed, false, nil, nil), code: CodeInvalidTransition, parts: []string{"cannot close a sales order that is CONFIRMED"}},
		{name: "close a delivered order is refused", decide: PlanClose,
			snap: snapshotOf(OrderDelivered, false, nil, nil), code: CodeInvalidTransition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.snap.Deliveries, tc.snap.Reason = deliveries, "customer withdrew"
			plan, err := tc.decide(tc.snap)
			checkErr(t, err, tc.code, "status", tc.parts...)
			if tc.code != "" {
				return
			}
			if plan.Status.To != tc.wantTo || plan.Status.Reason != "customer withdrew" {
				t.Fatalf("status change %+v", plan.Status)
			}
			if got := reserved(plan); !reflect.DeepEqual(got, tc.wantLines) {
				t.Fatalf("releases %v, want %v", got, tc.wantLines)
			}
			if !reflect.DeepEqual(plan.CancelDeliveries, []int64{7, 9}) {
				t.Fatalf("deliveries cancelled %v, want the drafts 7 and 9", plan.CancelDeliveries)
			}
			draft := string(DeliveryDraft)
			cancelled := PlannedEvent{Action: "CANCEL", From: &draft, To: "CANCELLED", Reason: "order SO-2026-000100: customer withdrew"}
			want := []LinkedEvent{
				{DocType: DocDelivery, DocID: 7, PlannedEvent: cancelled},
				{DocType: DocDelivery, DocID: 9, PlannedEvent: cancelled},
			}
			if !reflect.DeepEqual(plan.Events, want) {
				t.Fatalf("events %+v, want %+v", plan.Events, want)
			}
		})
	}
}

func TestPlanBackorderAllocation(t *testing.T) {
	waiting := func(orderID int64, status OrderStatus, backorder bool, lineID int64, ordered, reserved, delivered string) WaitingLine {
		return WaitingLine{Order: SalesOrder{ID: orderID, Number: "SO-" + decimal.NewFromInt(orderID).String(), WarehouseID: 3, Status: status, AllowBackorder: backorder},
			Line: OrderLine{ID: lineID, OrderID: orderID, ProductID: 4, Quantity: d(ordered), ReservedQuantity: d(reserved), DeliveredQuantity: d(delivered)}}
	}
	// Three waiting orders, given newest first; 8 units for 4 + 3 + 5 wanted.
	lines := []WaitingLine{
		waiting(30, OrderConfirmed, true, 301, "5", "0", "0"),
		waiting(10, OrderConfirmed, true, 101, "6", "2", "0"),
		waiting(20, OrderPartiallyDelivered, true, 201, "5", "0", "2"),
	}
	plan := PlanBackorderAllocation(AllocationSnapshot{Available: d("8"), Waiting: lines})
	if got := reserved(plan); !reflect.DeepEqual(got, []string{"4@101/p4/RESERVATION", "3@201/p4/RESERVATION", "1@301/p4/RESERVATION"}) {
		t.Fatalf("allocation %v, want oldest first: 4 to order 10, 3 to order 20, the last 1 to order 30", got)
	}
	if plan.Status != nil || plan.Reservations[0].OrderNumber != "SO-10" {
		t.Fatalf("allocation changes no status and names each order: %+v", plan)
	}
	// Enough for all: each line gets what it still needs, no more.
	plan = PlanBackorderAllocation(AllocationSnapshot{Available: d("100"), Waiting: lines})
	if got := reserved(plan); !reflect.DeepEqual(got, []string{"4@101/p4/RESERVATION", "3@201/p4/RESERVATION", "5@301/p4/RESERVATION"}) {
		t.Fatalf("allocation %v", got)
	}
	// Lines that no longer wait get nothing: cancelled meanwhile, no
	// backorders, a draft, fully reserved.
	others := []WaitingLine{
		waiting(1, OrderCancelled, true, 11, "5", "0", "0"),
		waiting(2, OrderConfirmed, false, 21, "5", "0", "0"),
		waiting(3, OrderDraft, true, 31, "5", "0", "0"),
		waiting(4, OrderConfirmed, true, 41, "5", "5", "0"),
		waiting(5, OrderClosed, true, 51, "5", "0", "2"),
	}
	if plan := PlanBackorderAllocation(AllocationSnapshot{Available: d("100"), Waiting: others}); len(plan.Reservations) != 0 {
		t.Fatalf("allocated to lines that do not wait: %v", reserved(plan))
	}
	if plan := PlanBackorderAllocation(AllocationSnapshot{Available: d("0"), Waiting: lines}); len(plan.Reservations) != 0 {
		t.Fatalf("allocated with nothing available: %v", reserved(plan))
	}
}

func TestCheckOrderReason(t *testing.T) {
	r, err := CheckOrderReason("  paid  ")
	if err != nil || r != "paid" {
		t.Fatalf("%q, %v", r, err)
	}
	_, err = CheckOrderReason("   ")
	checkErr(t, err, CodeValidation, "reason", "say why")
	_, err = CheckOrderReason(strings.Repeat("x", 1001))
	checkErr(t, err, CodeValidation, "reason", "at most 1000")
}

func TestCheckOrderTerms(t *testing.T) {
	policy := InvoicingPolicy("SOMETIMES")
	for _, tc := range []struct {
		name  string
		terms OrderTerms
		code  Code
		field string
	}{
		{"fine", OrderTerms{WarehouseID: 1, CustomerReference: " PO-1 "}, "", ""},
		{"long reference", OrderTerms{CustomerReference: strings.Repeat("x", 101)}, CodeValidation, "input.customerReference"},
		{"bad address before a long reference", OrderTerms{CustomerReference: strings.Repeat("x", 101), ShipTo: &Address{Line1: "1 Road", City: "Town", Country: "Germany"}},
			CodeValidation, "input.shipTo.country"},
		{"delivery before order", OrderTerms{OrderDate: day("2026-05-02"), RequestedDeliveryDate: day("2026-05-01")}, CodeValidation, "input.requestedDeliveryDate"},
		{"unknown policy", OrderTerms{InvoicingPolicy: &policy}, CodeValidation, "input.invoicingPolicy"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkErr(t, CheckOrderTerms(&tc.terms), tc.code, tc.field) })
	}
}

func TestChooseShipTo(t *testing.T) {
	picked, given, def, billing := &Address{City: "P"}, &Address{City: "G"}, &Address{City: "D"}, &Address{City: "B"}
	for _, tc := range []struct {
		choice ShipToChoice
		want   string
	}{
		{ShipToChoice{Picked: picked, Given: given, Default: def, Billing: billing}, "P"},
		{ShipToChoice{Given: given, Default: def, Billing: billing}, "G"},
		{ShipToChoice{Default: def, Billing: billing}, "D"},
		{ShipToChoice{Billing: billing}, "B"},
	} {
		a, err := ChooseShipTo(tc.choice)
		if err != nil || a.City != tc.want {
			t.Fatalf("%+v: %v, %v; want %s", tc.choice, a, err, tc.want)
		}
	}
	_, err := ChooseShipTo(ShipToChoice{})
	checkErr(t, err, CodeValidation, "input.shipTo", "the customer has no address on file: give shipTo")
}

func TestCheckOrderEdit(t *testing.T) {
	quote := int64(5)
	draft := &SalesOrder{Status: OrderDraft}
	converted := &SalesOrder{Status: OrderDraft, QuoteID: &quote}
	notes := "x"
	checkErr(t, CheckOrderEdit(draft, OrderChange{Lines: []LineInput{{}}}), "", "")
	checkErr(t, CheckOrderEdit(converted, OrderChange{Notes: &notes}), "", "")
	checkErr(t, CheckOrderEdit(converted, OrderChange{Lines: []LineInput{{}}}), CodeValidation, "input.lines", "keep the quote's prices")
	checkErr(t, CheckOrderEdit(&SalesOrder{Status: OrderConfirmed}, OrderChange{}), CodeInvalidTransition, "status", "cannot edit a sales order that is CONFIRMED")
}

func TestCheckCustomerActive(t *testing.T) {
	checkErr(t, CheckCustomerActive(&Customer{Code: "C1"}, "input.customerId"), "", "")
	checkErr(t, CheckCustomerActive(&Customer{Code: "C1", Archived: true}, "input.customerId"), CodeValidation, "input.customerId", "customer C1 is archived")
}

// PlanConfirm runs the credit check on the order's total with the figures
// db read under the customer's lock: each reason holds the order with
// nothing reserved, exactly at the limit is confirmed, and the plan carries
// the check whole for the CreditDecision record.
func TestPlanConfirm_CreditCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		standing CustomerStanding
		total    string
		wantTo   OrderStatus
		wantHold *HoldReason
		reason   string
	}{
		{name: "exactly at the limit is confirmed",
			standing: CustomerStanding{Limit: d("1000"), Exposure: CreditExposure{OpenInvoices: d("300"), UninvoicedOrders: d("200")}},
			total:    "500", wantTo: OrderConfirmed, reason: "exposure with this order is 1000, within the credit limit of 1000"},
		{name: "a cent over the limit is held for CREDIT_LIMIT",
			standing: CustomerStanding{Limit: d("1000"), Exposure: CreditExposure{OpenInvoices: d("300"), UninvoicedOrders: d("200")}},
			total:    "500.01", wantTo: OrderOnHold, wantHold: ptr(HoldCreditLimit),
			reason: "exposure with this order would be 1000.01, over the credit limit of 1000 (500 available)"},
		{name: "an invoice overdue past the grace days holds for OVERDUE_INVOICES",
			standing: CustomerStanding{Limit: d("1000"), Exposure: CreditExposure{OpenInvoices: d("100"), OldestOverdueDays: 8}, GraceDays: 7},
			total:    "1", wantTo: OrderOnHold, wantHold: ptr(HoldOverdueInvoices), reason: "an invoice is 8 days overdue; 7 are tolerated"},
		{name: "overdue within the grace days is confirmed",
			standing: CustomerStanding{Limit: d("1000"), Exposure: CreditExposure{OpenInvoices: d("100"), OldestOverdueDays: 7}, GraceDays: 7},
			total:    "1", wantTo: OrderConfirmed, reason: "exposure with this order is 101, within the credit limit of 1000"},
		{name: "the customer's hold flag holds for CUSTOMER_ON_HOLD",
			standing: CustomerStanding{CreditHold: true, Limit: d("1000")},
			total:    "1", wantTo: OrderOnHold, wantHold: ptr(HoldCustomerOnHold), reason: "customer is on credit hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := snapshotOf(OrderDraft, false, [][5]string{{"11", "4", "5", "0", "0"}}, map[int64]string{4: "5"})
			s.Order.Total = d(tc.total)
			s.Customer = tc.standing
			plan, err := PlanConfirm(s)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Status == nil || plan.Status.To != tc.wantTo || !reflect.DeepEqual(plan.Status.HoldReason, tc.wantHold) {
				t.Fatalf("status change %+v, want %s %v", plan.Status, tc.wantTo, tc.wantHold)
			}
			wantReserved := []string{"5@11/p4/RESERVATION"}
			wantOutcome := CreditApproved
			if tc.wantHold != nil {
				wantReserved, wantOutcome = []string{}, CreditHeld
				if plan.Status.Action != OrderHold || plan.Status.Reason != tc.reason {
					t.Fatalf("hold %+v, want reason %q", plan.Status, tc.reason)
				}
			}
			if got := reserved(plan); !reflect.DeepEqual(got, wantReserved) {
				t.Fatalf("reservations %v, want %v", got, wantReserved)
			}
			c := plan.Credit
			if c == nil || c.Outcome != wantOutcome || c.Reason != tc.reason || !reflect.DeepEqual(c.HoldReason, tc.wantHold) ||
				!c.OrderValue.Equal(d(tc.total)) || !c.Limit.Equal(tc.standing.Limit) || c.GraceDays != tc.standing.GraceDays ||
				c.Exposure != tc.standing.Exposure || c.CreditHold != tc.standing.CreditHold {
				t.Fatalf("credit check %+v, want the inputs of %+v and outcome %s", c, tc.standing, wantOutcome)
			}
		})
	}
}
