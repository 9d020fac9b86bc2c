package sales

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// The return decisions, without a database.

// returnable: order SO-1 delivered in part: line 11 (product 200) 6
// delivered and 1 returned, line 12 (product 100) nothing delivered;
// delivery DN-1 (shipped) carried line 11 only.
func returnable(deliveryStatus DeliveryStatus) NewReturnSnapshot {
	o, lines := fixtureOrder(OrderPartiallyDelivered)
	lines[0].DeliveredQuantity, lines[0].ReturnedQuantity, lines[0].ReservedQuantity = qty("6"), qty("1"), qty("4")
	return NewReturnSnapshot{Order: o, Lines: lines,
		Delivery:      &Delivery{ID: 5, Number: "DN-1", OrderID: 1, Status: deliveryStatus},
		DeliveryLines: []*DeliveryLine{{ID: 51, DeliveryID: 5, OrderLineID: 11, Quantity: qty("6")}}}
}

func TestCheckNewReturn(t *testing.T) {
	one := []ReturnLineInput{{OrderLineID: 11, Quantity: qty("1")}}
	in, err := CheckNewReturn(NewReturn{Reason: " broken ", Lines: one})
	if err != nil || in.Reason != "broken" {
		t.Fatalf("%+v, %v", in, err)
	}
	for _, tc := range []struct {
		name, field, error string
		in                 NewReturn
	}{
		{"NoReason", "input.reason", "say why the goods come back", NewReturn{Reason: "  ", Lines: one}},
		{"ReasonTooLong", "input.reason", "reason must be at most 1000 characters", NewReturn{Reason: strings.Repeat("x", 1001), Lines: one}},
		{"NoLines", "input.lines", "a return needs at least one line", NewReturn{Reason: "x"}},
		{"ZeroQuantity", "input.lines.0.quantity", "quantity must be greater than zero", NewReturn{Reason: "x", Lines: []ReturnLineInput{{OrderLineID: 11}}}},
		{"LineReasonTooLong", "input.lines.0.reason", "reason must be at most 500 characters",
			NewReturn{Reason: "x", Lines: []ReturnLineInput{{OrderLineID: 11, Quantity: qty("1"), Reason: strings.Repeat("x", 501)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckNewReturn(tc.in)
			wantRefused(t, err, CodeValidation, tc.field, tc.error)
		})
	}
}

func TestPlanReturn_FromADeliveryThatLeft(t *testing.T) {
	for _, status := range DeliveryStatuses {
		t.Run(string(status), func(t *testing.T) {
			s := returnable(status)
			s.Input = NewReturn{OrderID: 1, DeliveryID: &s.Delivery.ID, Reason: "x", Lines: []ReturnLineInput{{OrderLineID: 11, Quantity: qty("1")}}}
			_, err := PlanReturn(s)
			if status == DeliveryShipped || status == DeliveryDelivered {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefused(t, err, CodeValidation, "input.deliveryId", "delivery is "+string(status)+": nothing of it can come back")
		})
	}
}

func TestPlanReturn_Lines(t *testing.T) {
	line := func(id int64, q, reason string) ReturnLineInput {
		return ReturnLineInput{OrderLineID: id, Quantity: qty(q), Reason: reason}
	}
	for _, tc := range []struct {
		name         string
		ofDelivery   bool
		onOpen       map[int64]decimal.Decimal
		lines        []ReturnLineInput
		code         Code
		field, error string
		want         []ReturnLineInput
	}{
		{name: "AllThatCanComeBack", lines: []ReturnLineInput{line(11, "5", " scratched ")}, want: []ReturnLineInput{line(11, "5", "scratched")}},
		{name: "DeliveredLessReturned", lines: []ReturnLineInput{line(11, "5.001", "")},
			code: CodeValidation, field: "input.lines.0.quantity", error: "more than was delivered and not yet returned: 5 can come back on this line"},
		{name: "LessWhatOpenReturnsAskFor", onOpen: map[int64]decimal.Decimal{11: qty("2")}, lines: []ReturnLineInput{line(11, "4", "")},
			code: CodeValidation, field: "input.lines.0.quantity", error: "more than was delivered and not yet returned: 3 can come back on this line"},
		{name: "OpenReturnsAskForMoreThanDelivered", onOpen: map[int64]decimal.Decimal{11: qty("9")}, lines: []ReturnLineInput{line(11, "1", "")},
			code: CodeValidation, field: "input.lines.0.quantity", error: "more than was delivered and not yet returned: 0 can come back on this line"},
		{name: "NothingDelivered", lines: []ReturnLineInput{line(11, "1", ""), line(12, "1", "")},
			code: CodeValidation, field: "input.lines.1.quantity", error: "more than was delivered and not yet returned: 0 can come back on this line"},
		{name: "LineNotOnOrder", lines: []ReturnLineInput{line(99, "1", "")},
			code: CodeValidation, field: "input.lines.0.orderLineId", error: "that line is not on order SO-1"},
		{name: "LineTwice", lines: []ReturnLineInput{line(11, "1", ""), line(11, "1", "")},
			code: CodeValidation, field: "input.lines.1.orderLineId", error: "each order line may appear once"},
		{name: "OfTheDelivery", ofDelivery: true, lines: []ReturnLineInput{line(11, "2", "")}, want: []ReturnLineInput{line(11, "2", "")}},
		{name: "LineNotOnTheDelivery", ofDelivery: true, lines: []ReturnLineInput{line(11, "1", ""), line(12, "1", "")},
			code: CodeValidation, field: "input.lines.1.orderLineId", error: "that line was not on the delivery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := returnable(DeliveryShipped)
			s.OnOpenReturns = tc.onOpen
			s.Input = NewReturn{OrderID: 1, Reason: "broken", Lines: tc.lines}
			if tc.ofDelivery {
				s.Input.DeliveryID = &s.Delivery.ID
			} else {
				s.Delivery, s.DeliveryLines = nil, nil
			}
			plan, err := PlanReturn(s)
			if tc.code != "" {
				wantRefused(t, err, tc.code, tc.field, tc.error)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.Status != ReturnRequested || plan.Reason != "broken" || !reflect.DeepEqual(plan.Lines, tc.want) ||
				plan.Event.Action != "CREATE" || plan.Event.From != nil || plan.Event.To != "REQUESTED" || plan.Event.Reason != "broken" {
				t.Fatalf("plan %+v", plan)
			}
			if tc.ofDelivery != (plan.DeliveryID != nil) {
				t.Fatalf("delivery %v", plan.DeliveryID)
			}
		})
	}
}

func TestPlanReturnApprovalAndRejection(t *testing.T) {
	for _, status := range ReturnStatuses {
		t.Run(string(status), func(t *testing.T) {
			r := &Return{ID: 8, Number: "RMA-1", Status: status}
			approve, aerr := PlanReturnApproval(r)
			reject, rerr := PlanReturnRejection(r, " not ours ")
			if status != ReturnRequested {
				wantRefused(t, aerr, CodeInvalidTransition, "status", "cannot approve a return that is "+string(status))
				wantRefused(t, rerr, CodeInvalidTransition, "status", "cannot reject a return that is "+string(status))
				return
			}
			if aerr != nil || approve.Status != ReturnApproved || approve.Event.Action != "APPROVE" || *approve.Event.From != "REQUESTED" || approve.Event.To != "APPROVED" {
				t.Fatalf("approve %+v, %v", approve, aerr)
			}
			if rerr != nil || reject.Status != ReturnRejected || reject.Event.Action != "REJECT" || reject.Event.To != "REJECTED" || reject.Event.Reason != "not ours" {
				t.Fatalf("reject %+v, %v", reject, rerr)
			}
		})
	}
}

// returnReceipt: return RMA-1 (approved) of 2 of line 11 and 1 of line 12;
// line 11 (product 200) 6 delivered, line 12 (product 100) 5 delivered.
func returnReceipt() ReturnReceiptSnapshot {
	o, lines := fixtureOrder(OrderPartiallyDelivered)
	lines[0].DeliveredQuantity, lines[1].DeliveredQuantity = qty("6"), qty("5")
	return ReturnReceiptSnapshot{Order: o, Lines: lines,
		Return: &Return{ID: 8, Number: "RMA-1", OrderID: 1, Status: ReturnApproved},
		ReturnLines: []*ReturnLine{
			{ID: 81, ReturnID: 8, OrderLineID: 11, Quantity: qty("2")},
			{ID: 82, ReturnID: 8, OrderLineID: 12, Quantity: qty("1")},
		},
		Warehouse: &Warehouse{ID: 3, Active: true}, Today: dateOf("2026-04-01")}
}

func TestPlanReturnReceipt_OnlyApproved(t *testing.T) {
	for _, status := range ReturnStatuses {
		t.Run(string(status), func(t *testing.T) {
			s := returnReceipt()
			s.Return.Status = status
			_, err := PlanReturnReceipt(s)
			if status == ReturnApproved {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefused(t, err, CodeInvalidTransition, "status", "cannot receive a return that is "+string(status))
		})
	}
}

func TestPlanReturnReceipt(t *testing.T) {
	t.Run("Restocks", func(t *testing.T) {
		s := returnReceipt()
		received := dateOf("2026-04-02")
		s.ReceivedDate = &received
		plan, err := PlanReturnReceipt(s)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Status != ReturnReceived || plan.WarehouseID != 3 || plan.ReceivedDate.Format(time.DateOnly) != "2026-04-02" ||
			plan.Event.Action != "RECEIVE" || *plan.Event.From != "APPROVED" || plan.Event.To != "RECEIVED" {
			t.Fatalf("plan %+v", plan)
		}
		// By product: line 12 (product 100) before line 11 (product 200).
		wantMoves := []PlannedStockMove{
			{ProductID: 100, WarehouseID: 3, OnHand: qty("1"), Kind: MovementReturn, Reference: "RMA-1"},
			{ProductID: 200, WarehouseID: 3, OnHand: qty("2"), Kind: MovementReturn, Reference: "RMA-1"},
		}
		wantLines := []LineQuantityChange{{OrderLineID: 12, Returned: qty("1")}, {OrderLineID: 11, Returned: qty("2")}}
		if !reflect.DeepEqual(plan.Moves, wantMoves) || !reflect.DeepEqual(plan.Lines, wantLines) {
			t.Fatalf("moves %+v, lines %+v; want %+v, %+v", plan.Moves, plan.Lines, wantMoves, wantLines)
		}
		if !s.Lines[0].ReturnedQuantity.IsZero() {
			t.Fatal("the decision changed its snapshot")
		}
	})
	t.Run("TodayWithoutADate", func(t *testing.T) {
		plan, err := PlanReturnReceipt(returnReceipt())
		if err != nil || plan.ReceivedDate.Format(time.DateOnly) != "2026-04-01" {
			t.Fatalf("%+v, %v", plan, err)
		}
	})
	for _, tc := range []struct {
		name  string
		edit  func(*ReturnReceiptSnapshot)
		code  Code
		field string
		error string
	}{
		{"NoSuchWarehouse", func(s *ReturnReceiptSnapshot) { s.Warehouse = nil }, CodeNotFound, "input.warehouseId", "warehouse not found"},
		{"InactiveWarehouse", func(s *ReturnReceiptSnapshot) { s.Warehouse.Active = false }, CodeNotFound, "input.warehouseId", "warehouse not found"},
		{"MoreThanDelivered", func(s *ReturnReceiptSnapshot) { s.Lines[0].ReturnedQuantity = qty("4.5") }, CodeValidation, "id",
			"line 1 of order SO-1: 6 delivered, 4.5 already returned; 2 more cannot come back"},
		{"RequestedIsNotReceivable", func(s *ReturnReceiptSnapshot) { s.Return.Status = ReturnRequested; s.Warehouse = nil }, CodeInvalidTransition, "status",
			"cannot receive a return that is REQUESTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := returnReceipt()
			tc.edit(&s)
			_, err := PlanReturnReceipt(s)
			wantRefused(t, err, tc.code, tc.field, tc.error)
		})
	}
}

func TestOpenReturnStatuses(t *testing.T) {
	// Requested and approved returns still expect goods; received ones
	// count in returned quantities, rejected ones never will.
	if got := OpenReturnStatuses(); !slices.Equal(got, []ReturnStatus{ReturnRequested, ReturnApproved}) {
		t.Fatalf("open return states %v", got)
	}
}
