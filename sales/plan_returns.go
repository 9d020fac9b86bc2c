package sales

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The return decisions: pure, like the delivery ones (plan_deliveries.go).

// OpenReturnStatuses are the return states whose lines still count against
// what can come back: requested or approved, not yet received or rejected.
func OpenReturnStatuses() []ReturnStatus { return []ReturnStatus{ReturnRequested, ReturnApproved} }

// ReturnableDeliveryStatuses are the delivery states goods can come back from: they left the warehouse.
func ReturnableDeliveryStatuses() []DeliveryStatus {
	return []DeliveryStatus{DeliveryShipped, DeliveryDelivered}
}

// CheckNewReturn validates a return request before anything is read: a
// reason, at least one line, quantities and texts within bounds. It returns
// the request with its reason trimmed.
func CheckNewReturn(in NewReturn) (NewReturn, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var p Problems
	p.Check(in.Reason != "", "input.reason", "say why the goods come back")
	CheckText(&p, "input.reason", in.Reason, 0, 1000)
	p.Check(len(in.Lines) > 0, "input.lines", "a return needs at least one line")
	for i, l := range in.Lines {
		CheckQuantity(&p, fmt.Sprintf("input.lines.%d.quantity", i), l.Quantity)
		CheckText(&p, fmt.Sprintf("input.lines.%d.reason", i), l.Reason, 0, 500)
	}
	return in, p.Err()
}

// NewReturnSnapshot is what deciding a return request needs.
type NewReturnSnapshot struct {
	Order         *SalesOrder
	Lines         []*OrderLine              // the order's lines
	Delivery      *Delivery                 // the delivery Input names; nil when it names none
	DeliveryLines []*DeliveryLine           // that delivery's lines
	OnOpenReturns map[int64]decimal.Decimal // per order line, on the order's open returns
	Input         NewReturn                 // as CheckNewReturn returned it
}

// NewReturnPlan is the return to write.
type NewReturnPlan struct {
	Status     ReturnStatus
	DeliveryID *int64
	Reason     string
	Lines      []ReturnLineInput // line reasons trimmed
	Event      PlannedEvent
}

// PlanReturn decides a return request. Goods come back only from a
// delivery that left (VALIDATION on input.deliveryId) and only lines that
// were on it; each line must be on the order, appear once, and ask for at
// most what was delivered less what is returned or on another open return
// (VALIDATION naming the line's field). The return starts REQUESTED.
func PlanReturn(s NewReturnSnapshot) (NewReturnPlan, error) {
	in := s.Input
	if d := s.Delivery; d != nil {
		if !slices.Contains(ReturnableDeliveryStatuses(), d.Status) {
			return NewReturnPlan{}, Errorf(CodeValidation, "input.deliveryId", "delivery is %s: nothing of it can come back", d.Status)
		}
		for i, l := range in.Lines {
			if !slices.ContainsFunc(s.DeliveryLines, func(dl *DeliveryLine) bool { return dl.OrderLineID == l.OrderLineID }) {
				return NewReturnPlan{}, Errorf(CodeValidation, fmt.Sprintf("input.lines.%d.orderLineId", i), "that line was not on the delivery")
			}
		}
	}
	return planReturnLines(s.Order, s.Lines, s.OnOpenReturns, in, ReturnRequested, func(i int, sub string) string {
		return fmt.Sprintf("input.lines.%d.%s", i, sub)
	})
}

// planReturnLines checks each line of in against what was delivered and is
// not yet returned or on another open return, and plans the return in
// status. fieldOf names the input field of line i's part sub ("orderLineId", "quantity").
func planReturnLines(o *SalesOrder, lines []*OrderLine, onOpen map[int64]decimal.Decimal, in NewReturn, status ReturnStatus,
	fieldOf func(i int, sub string) string) (NewReturnPlan, error) {
	can := make(map[int64]decimal.Decimal, len(lines))
	for _, l := range lines {
		can[l.ID] = l.DeliveredQuantity.Sub(l.ReturnedQuantity).Sub(onOpen[l.ID])
	}
	seen := map[int64]bool{}
	out := make([]ReturnLineInput, 0, len(in.Lines))
	for i, l := range in.Lines {
		avail, ok := can[l.OrderLineID]
		if !ok {
			return NewReturnPlan{}, Errorf(CodeValidation, fieldOf(i, "orderLineId"), "that line is not on order %s", o.Number)
		}
		if seen[l.OrderLineID] {
			return NewReturnPlan{}, Errorf(CodeValidation, fieldOf(i, "orderLineId"), "each order line may appear once")
		}
		seen[l.OrderLineID] = true
		if l.Quantity.GreaterThan(avail) {
			return NewReturnPlan{}, Errorf(CodeValidation, fieldOf(i, "quantity"),
				"more than was delivered and not yet returned: %s can come back on this line", decimal.Max(avail, decimal.Zero))
		}
		l.Reason = strings.TrimSpace(l.Reason)
		out = append(out, l)
	}
	return NewReturnPlan{Status: status, DeliveryID: in.DeliveryID, Reason: in.Reason, Lines: out,
		Event: PlannedEvent{Action: "CREATE", To: string(status), Reason: in.Reason}}, nil
}

// ReturnStepPlan is a return's next status and the history row saying so.
type ReturnStepPlan struct {
	Status ReturnStatus
	Event  PlannedEvent
}

func returnStep(r *Return, action ReturnAction, reason string) (ReturnStepPlan, error) {
	next, err := NextReturnStatus(r.Status, action)
	if err != nil {
		return ReturnStepPlan{}, err
	}
	from := string(r.Status)
	return ReturnStepPlan{Status: next, Event: PlannedEvent{Action: string(action), From: &from, To: string(next), Reason: reason}}, nil
}

// PlanReturnApproval decides approving r: only a requested return (INVALID_TRANSITION).
func PlanReturnApproval(r *Return) (ReturnStepPlan, error) { return returnStep(r, ReturnApprove, "") }

// PlanReturnRejection decides rejecting r: only a requested return
// (INVALID_TRANSITION). reason is recorded trimmed.
func PlanReturnRejection(r *Return, reason string) (ReturnStepPlan, error) {
	return returnStep(r, ReturnReject, strings.TrimSpace(reason))
}

// ReturnReceiptSnapshot is what deciding the receipt of a return needs.
type ReturnReceiptSnapshot struct {
	Order        *SalesOrder
	Lines        []*OrderLine // the order's lines
	Return       *Return
	ReturnLines  []*ReturnLine
	Warehouse    *Warehouse // where the goods go; nil when there is no such warehouse
	ReceivedDate *time.Time // as given; nil is today
	Today        time.Time
}

// ReturnReceiptPlan is what receiving a return writes: the return received
// into WarehouseID, each line's units back on hand (Moves, by product id:
// the lock order) and returned on its order line (Lines, same order).
type ReturnReceiptPlan struct {
	Status       ReturnStatus
	WarehouseID  int64
	ReceivedDate time.Time
	Lines        []LineQuantityChange
	Moves        []PlannedStockMove
	Event        PlannedEvent
}

// PlanReturnReceipt decides receiving a return. Only an approved return is
// received (INVALID_TRANSITION), into an active warehouse (NOT_FOUND on
// input.warehouseId otherwise), and no order line may come back more than
// was delivered (VALIDATION).
func PlanReturnReceipt(s ReturnReceiptSnapshot) (ReturnReceiptPlan, error) {
	o, r := s.Order, s.Return
	step, err := returnStep(r, ReturnReceive, "")
	if err != nil {
		return ReturnReceiptPlan{}, err
	}
	if s.Warehouse == nil || !s.Warehouse.Active {
		return ReturnReceiptPlan{}, Errorf(CodeNotFound, "input.warehouseId", "warehouse not found")
	}
	byID := linesByID(s.Lines)
	rlines, err := byProduct(s.ReturnLines, func(l *ReturnLine) int64 { return l.OrderLineID }, byID)
	if err != nil {
		return ReturnReceiptPlan{}, err
	}
	plan := ReturnReceiptPlan{Status: step.Status, WarehouseID: s.Warehouse.ID, ReceivedDate: s.Today, Event: step.Event}
	if s.ReceivedDate != nil {
		plan.ReceivedDate = *s.ReceivedDate
	}
	returned := map[int64]decimal.Decimal{}
	for _, l := range s.Lines {
		returned[l.ID] = l.ReturnedQuantity
	}
	for _, rl := range rlines {
		ol := byID[rl.OrderLineID]
		if returned[ol.ID].Add(rl.Quantity).GreaterThan(ol.DeliveredQuantity) {
			return ReturnReceiptPlan{}, Errorf(CodeValidation, "id", "line %d of order %s: %s delivered, %s already returned; %s more cannot come back",
				ol.LineNo, o.Number, ol.DeliveredQuantity, returned[ol.ID], rl.Quantity)
		}
		returned[ol.ID] = returned[ol.ID].Add(rl.Quantity)
		plan.Moves = append(plan.Moves, PlannedStockMove{ProductID: ol.ProductID, WarehouseID: s.Warehouse.ID,
			OnHand: rl.Quantity, Kind: MovementReturn, Reference: r.Number})
		plan.Lines = append(plan.Lines, LineQuantityChange{OrderLineID: ol.ID, Returned: rl.Quantity})
	}
	return plan, nil
}
