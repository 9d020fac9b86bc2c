package sales

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The delivery decisions. Each takes a snapshot of what the store locked
// (the order and its lines, the delivery and its lines, what other open
// documents already hold) and returns a plan the store writes as it is:
// next statuses, per-line quantity changes, stock movements and history.
// They read nothing and change nothing; a refusal is a *Error.

// PlannedEvent is one history row a plan writes for its document.
type PlannedEvent struct {
	Action string
	From   *string // nil for a new document
	To     string
	Reason string
}

// PlannedStockMove is one change to a stock level, with its ledger row.
type PlannedStockMove struct {
	ProductID   int64
	WarehouseID int64
	OnHand      decimal.Decimal // change to on hand, signed
	Reserved    decimal.Decimal // change to reserved, signed
	Kind        StockMovementKind
	Reference   string
}

// LineQuantityChange is what a plan adds to an order line's quantities (signed).
type LineQuantityChange struct {
	OrderLineID int64
	Reserved    decimal.Decimal
	Delivered   decimal.Decimal
	Returned    decimal.Decimal
}

// OpenDeliveryStatuses are the delivery states whose lines still hold
// reserved units of their order that have not left: a new delivery may not
// carry them again.
func OpenDeliveryStatuses() []DeliveryStatus { return []DeliveryStatus{DeliveryDraft} }

// CheckDeliveryText validates what a delivery's creator or editor may type:
// carrier, tracking number, notes and an optional ship-to address.
func CheckDeliveryText(carrier, tracking, notes string, shipTo *Address) error {
	var p Problems
	CheckText(&p, "input.carrier", carrier, 0, 100)
	CheckText(&p, "input.trackingNumber", tracking, 0, 100)
	CheckText(&p, "input.notes", notes, 0, 2000)
	checkAddress(&p, "input.shipTo", shipTo)
	return p.Err()
}

// canDeliver refuses a delivery for an order whose state has no shipment to
// follow (a draft, held, cancelled or finished order).
func canDeliver(o *SalesOrder, field string) error {
	if _, err := NextOrderStatus(o.Status, OrderDeliverPart); err != nil {
		return Errorf(CodeInvalidTransition, field, "cannot deliver a sales order that is %s", o.Status)
	}
	return nil
}

// Deliverable is, per order line, what is reserved and not yet on an open
// delivery of the order: what a new delivery may carry. onOpen holds, per
// order line, the quantity on the order's open deliveries.
func Deliverable(lines []*OrderLine, onOpen map[int64]decimal.Decimal) map[int64]decimal.Decimal {
	out := make(map[int64]decimal.Decimal, len(lines))
	for _, l := range lines {
		out[l.ID] = l.ReservedQuantity.Sub(onOpen[l.ID])
	}
	return out
}

// NewDeliverySnapshot is what deciding a new delivery needs.
type NewDeliverySnapshot struct {
	Order            *SalesOrder
	Lines            []*OrderLine              // the order's lines, by id
	OnOpenDeliveries map[int64]decimal.Decimal // per order line, on the order's open deliveries
	Input            NewDelivery
}

// NewDeliveryPlan is the delivery to write: a draft carrying Lines.
type NewDeliveryPlan struct {
	Status                         DeliveryStatus
	WarehouseID                    int64
	ShipTo                         Address
	Carrier, TrackingNumber, Notes string
	Lines                          []DeliveryLineInput
	Event                          PlannedEvent
}

// PlanDelivery decides a new delivery. Only an order a shipment may follow
// can be delivered (INVALID_TRANSITION on input.orderId). Without input
// lines the delivery carries everything deliverable (VALIDATION when that
// is nothing); with lines each must be on the order, appear once, and carry
// at most what is deliverable (VALIDATION naming the line's field).
func PlanDelivery(s NewDeliverySnapshot) (NewDeliveryPlan, error) {
	o, in := s.Order, s.Input
	if err := canDeliver(o, "input.orderId"); err != nil {
		return NewDeliveryPlan{}, err
	}
	can := Deliverable(s.Lines, s.OnOpenDeliveries)
	want := in.Lines
	if len(want) == 0 {
		for _, l := range s.Lines {
			if q := can[l.ID]; q.IsPositive() {
				want = append(want, DeliveryLineInput{OrderLineID: l.ID, Quantity: q})
			}
		}
		if len(want) == 0 {
			return NewDeliveryPlan{}, Errorf(CodeValidation, "input.lines", "nothing on order %s is reserved and not already on a delivery", o.Number)
		}
	}
	seen := map[int64]bool{}
	for i, l := range want {
		f := fmt.Sprintf("input.lines.%d", i)
		var p Problems
		CheckQuantity(&p, f+".quantity", l.Quantity)
		if err := p.Err(); err != nil {
			return NewDeliveryPlan{}, err
		}
		avail, ok := can[l.OrderLineID]
		if !ok {
			return NewDeliveryPlan{}, Errorf(CodeValidation, f+".orderLineId", "that line is not on order %s", o.Number)
		}
		if seen[l.OrderLineID] {
			return NewDeliveryPlan{}, Errorf(CodeValidation, f+".orderLineId", "each order line may appear once")
		}
		seen[l.OrderLineID] = true
		if l.Quantity.GreaterThan(avail) {
			return NewDeliveryPlan{}, Errorf(CodeValidation, f+".quantity", "more than reserved: %s can be delivered on this line", decimal.Max(avail, decimal.Zero))
		}
	}
	shipTo := o.ShipTo
	if in.ShipTo != nil {
		shipTo = *in.ShipTo
	}
	return NewDeliveryPlan{
		Status:         DeliveryDraft,
		WarehouseID:    o.WarehouseID,
		ShipTo:         shipTo,
		Carrier:        strings.TrimSpace(in.Carrier),
		TrackingNumber: strings.TrimSpace(in.TrackingNumber),
		Notes:          strings.TrimSpace(in.Notes),
		Lines:          want,
		Event:          PlannedEvent{Action: "CREATE", To: string(DeliveryDraft)},
	}, nil
}

// DeliveryEditPlan is a draft delivery's fields after an edit.
type DeliveryEditPlan struct {
	Carrier, TrackingNumber, Notes string
	ShipTo                         Address
}

// PlanDeliveryEdit decides an edit of d: only a draft may be edited
// (INVALID_TRANSITION); fields the change leaves nil stay as they are.
func PlanDeliveryEdit(d *Delivery, ch DeliveryChange) (DeliveryEditPlan, error) {
	if _, err := NextDeliveryStatus(d.Status, DeliveryEdit); err != nil {
		return DeliveryEditPlan{}, err
	}
	p := DeliveryEditPlan{Carrier: d.Carrier, TrackingNumber: d.TrackingNumber, Notes: d.Notes, ShipTo: d.ShipTo}
	if ch.Carrier != nil {
		p.Carrier = strings.TrimSpace(*ch.Carrier)
	}
	if ch.TrackingNumber != nil {
		p.TrackingNumber = strings.TrimSpace(*ch.TrackingNumber)
	}
	if ch.Notes != nil {
		p.Notes = strings.TrimSpace(*ch.Notes)
	}
	if ch.ShipTo != nil {
		p.ShipTo = *ch.ShipTo
	}
	return p, nil
}

// DeliveryStepPlan is a delivery's next status and the history row saying so.
type DeliveryStepPlan struct {
	Status DeliveryStatus
	Event  PlannedEvent
}

func deliveryStep(d *Delivery, action DeliveryAction, reason string) (DeliveryStepPlan, error) {
	next, err := NextDeliveryStatus(d.Status, action)
	if err != nil {
		return DeliveryStepPlan{}, err
	}
	from := string(d.Status)
	return DeliveryStepPlan{Status: next, Event: PlannedEvent{Action: string(action), From: &from, To: string(next), Reason: reason}}, nil
}

// PlanDeliveryCancel decides cancelling d (a draft reserved nothing of its
// own, so nothing else changes). reason is recorded as given, trimmed.
func PlanDeliveryCancel(d *Delivery, reason string) (DeliveryStepPlan, error) {
	return deliveryStep(d, DeliveryCancel, strings.TrimSpace(reason))
}

// ShipmentSnapshot is what deciding a shipment needs.
type ShipmentSnapshot struct {
	Order         *SalesOrder
	Lines         []*OrderLine // the order's lines
	Delivery      *Delivery
	DeliveryLines []*DeliveryLine
	ShipDate      *time.Time // as asked; nil ships today
	Today         time.Time
	// DepositsReceived is what the payments naming the order bring, less
	// refunds (read only when the order requires a deposit).
	DepositsReceived decimal.Decimal
}

// ShipmentPlan is what a shipment writes: the delivery shipped on ShipDate,
// each line's units leaving the warehouse (Moves, by product id: the lock
// order) and delivered on its order line (Lines, in the same order), and
// the order's next status.
type ShipmentPlan struct {
	DeliveryStatus DeliveryStatus
	ShipDate       time.Time
	Lines          []LineQuantityChange
	Moves          []PlannedStockMove
	DeliveryEvent  PlannedEvent
	OrderAction    OrderAction // DELIVER_ALL once every line is delivered in full, else DELIVER_PART
	OrderStatus    OrderStatus
	OrderReason    string
}

// PlanShipment decides shipping a delivery. Only a draft ships
// (INVALID_TRANSITION); not before the order date (VALIDATION on
// shipDate); each line must still be reserved on its order line
// (INSUFFICIENT_STOCK: a shipment that raced this one took it); and the
// order must be in a state a shipment may follow (INVALID_TRANSITION).
func PlanShipment(s ShipmentSnapshot) (ShipmentPlan, error) {
	o, d := s.Order, s.Delivery
	step, err := deliveryStep(d, DeliveryShip, "")
	if err != nil {
		return ShipmentPlan{}, err
	}
	if err := CheckDepositReceived(o, s.DepositsReceived); err != nil {
		return ShipmentPlan{}, err
	}
	if s.ShipDate != nil && s.ShipDate.Format(time.DateOnly) < o.OrderDate.Format(time.DateOnly) {
		return ShipmentPlan{}, Errorf(CodeValidation, "shipDate", "the ship date is before the order date %s", o.OrderDate.Format(time.DateOnly))
	}
	byID := linesByID(s.Lines)
	dlines, err := byProduct(s.DeliveryLines, func(l *DeliveryLine) int64 { return l.OrderLineID }, byID)
	if err != nil {
		return ShipmentPlan{}, err
	}
	reserved, delivered := map[int64]decimal.Decimal{}, map[int64]decimal.Decimal{}
	for _, l := range s.Lines {
		reserved[l.ID], delivered[l.ID] = l.ReservedQuantity, l.DeliveredQuantity
	}
	plan := ShipmentPlan{DeliveryStatus: step.Status, ShipDate: s.Today, DeliveryEvent: step.Event}
	if s.ShipDate != nil {
		plan.ShipDate = *s.ShipDate
	}
	for _, dl := range dlines {
		ol := byID[dl.OrderLineID]
		if dl.Quantity.GreaterThan(reserved[ol.ID]) {
			return ShipmentPlan{}, Errorf(CodeInsufficientStock, "id", "line %d of order %s has %s reserved; this delivery ships %s",
				ol.LineNo, o.Number, reserved[ol.ID], dl.Quantity)
		}
		reserved[ol.ID] = reserved[ol.ID].Sub(dl.Quantity)
		delivered[ol.ID] = delivered[ol.ID].Add(dl.Quantity)
		plan.Moves = append(plan.Moves, PlannedStockMove{ProductID: ol.ProductID, WarehouseID: d.WarehouseID,
			OnHand: dl.Quantity.Neg(), Reserved: dl.Quantity.Neg(), Kind: MovementShipment, Reference: d.Number})
		plan.Lines = append(plan.Lines, LineQuantityChange{OrderLineID: ol.ID, Reserved: dl.Quantity.Neg(), Delivered: dl.Quantity})
	}
	plan.OrderAction = OrderDeliverAll
	for _, l := range s.Lines {
		if delivered[l.ID].LessThan(l.Quantity) {
			plan.OrderAction = OrderDeliverPart
		}
	}
	if plan.OrderStatus, err = NextOrderStatus(o.Status, plan.OrderAction); err != nil {
		return ShipmentPlan{}, err
	}
	plan.OrderReason = "delivery " + d.Number + " shipped"
	return plan, nil
}

func linesByID(lines []*OrderLine) map[int64]*OrderLine {
	out := make(map[int64]*OrderLine, len(lines))
	for _, l := range lines {
		out[l.ID] = l
	}
	return out
}

// byProduct returns a copy of lines sorted by their order line's product
// (then order line): stock levels are locked by product, so two writers
// never wait on each other in opposite orders. Every line must be of one of
// orderLines.
func byProduct[L any](lines []L, orderLineID func(L) int64, orderLines map[int64]*OrderLine) ([]L, error) {
	out := append([]L(nil), lines...)
	for _, l := range out {
		if orderLines[orderLineID(l)] == nil {
			return nil, fmt.Errorf("order line %d is not on the document's order", orderLineID(l))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := orderLines[orderLineID(out[i])], orderLines[orderLineID(out[j])]
		if a.ProductID != b.ProductID {
			return a.ProductID < b.ProductID
		}
		return a.ID < b.ID
	})
	return out, nil
}

// CheckDeliveryReceipt validates a proof of delivery before anything is
// read: someone signed for the goods, texts within bounds. It returns the
// receipt with its texts trimmed.
func CheckDeliveryReceipt(rc DeliveryReceipt) (DeliveryReceipt, error) {
	rc.ReceivedBy, rc.RefusalReason = strings.TrimSpace(rc.ReceivedBy), strings.TrimSpace(rc.RefusalReason)
	var p Problems
	p.Check(rc.ReceivedBy != "", "input.receivedBy", "who signed for the goods?")
	CheckText(&p, "input.receivedBy", rc.ReceivedBy, 0, 200)
	CheckText(&p, "input.refusalReason", rc.RefusalReason, 0, 1000)
	return rc, p.Err()
}

// ReceiptSnapshot is what deciding a proof of delivery needs.
type ReceiptSnapshot struct {
	Order         *SalesOrder
	Lines         []*OrderLine // the order's lines
	Delivery      *Delivery
	DeliveryLines []*DeliveryLine           // by id
	OnOpenReturns map[int64]decimal.Decimal // per order line, on the order's open returns
	Receipt       DeliveryReceipt           // as CheckDeliveryReceipt returned it
	Today         time.Time
}

// ReceiptOutcome is what the customer accepted and refused of one delivery line.
type ReceiptOutcome struct {
	DeliveryLineID int64
	Accepted       decimal.Decimal
	Refused        decimal.Decimal
}

// ReceiptPlan is what a proof of delivery writes: the delivery delivered,
// each line's outcome and, when goods were refused, the return that brings
// them back (already approved: the carrier has them).
type ReceiptPlan struct {
	DeliveryStatus DeliveryStatus
	DeliveredDate  time.Time
	ReceivedBy     string
	Outcomes       []ReceiptOutcome // one per delivery line, in DeliveryLines' order
	Refusal        *NewReturnPlan   // nil when nothing was refused
	Event          PlannedEvent
}

// PlanReceipt decides a proof of delivery. Only a shipped delivery can be
// received (INVALID_TRANSITION), not before its ship date (VALIDATION on
// input.deliveredDate). Each receipt line must be a line of the delivery,
// given once, with accepted and refused adding up to what was shipped;
// lines not given were accepted in full. Refusing anything needs a reason
// (input.refusalReason) and opens an approved return of the refused goods.
func PlanReceipt(s ReceiptSnapshot) (ReceiptPlan, error) {
	d, rc := s.Delivery, s.Receipt
	step, err := deliveryStep(d, DeliveryConfirmReceipt, rc.RefusalReason)
	if err != nil {
		return ReceiptPlan{}, err
	}
	if rc.DeliveredDate != nil && d.ShipDate != nil && rc.DeliveredDate.Format(time.DateOnly) < d.ShipDate.Format(time.DateOnly) {
		return ReceiptPlan{}, Errorf(CodeValidation, "input.deliveredDate", "the delivered date is before the ship date %s", d.ShipDate.Format(time.DateOnly))
	}
	given := map[int64]ReceiptLine{}
	inputIndex := map[int64]int{} // delivery line → its index in input.lines
	for i, l := range rc.Lines {
		f := fmt.Sprintf("input.lines.%d", i)
		found := false
		for _, dl := range s.DeliveryLines {
			if dl.ID == l.DeliveryLineID {
				found = true
				var p Problems
				p.Check(!l.Accepted.IsNegative() && !l.Refused.IsNegative(), f, "quantities must not be negative")
				p.Check(l.Accepted.Equal(l.Accepted.Truncate(3)) && l.Refused.Equal(l.Refused.Truncate(3)), f, "quantities may have at most 3 decimal places")
				p.Check(l.Accepted.Add(l.Refused).Equal(dl.Quantity), f, "accepted and refused must add up to the %s shipped", dl.Quantity)
				if err := p.Err(); err != nil {
					return ReceiptPlan{}, err
				}
			}
		}
		if !found {
			return ReceiptPlan{}, Errorf(CodeValidation, f+".deliveryLineId", "that line is not on delivery %s", d.Number)
		}
		if _, dup := given[l.DeliveryLineID]; dup {
			return ReceiptPlan{}, Errorf(CodeValidation, f+".deliveryLineId", "each delivery line may appear once")
		}
		given[l.DeliveryLineID] = l
		inputIndex[l.DeliveryLineID] = i
	}
	plan := ReceiptPlan{DeliveryStatus: step.Status, DeliveredDate: s.Today, ReceivedBy: rc.ReceivedBy, Event: step.Event}
	if rc.DeliveredDate != nil {
		plan.DeliveredDate = *rc.DeliveredDate
	}
	var refused []ReturnLineInput
	var refusedFrom []int // per refused line, its index in input.lines
	for _, dl := range s.DeliveryLines {
		l, ok := given[dl.ID]
		if !ok {
			l = ReceiptLine{DeliveryLineID: dl.ID, Accepted: dl.Quantity}
		}
		plan.Outcomes = append(plan.Outcomes, ReceiptOutcome{DeliveryLineID: dl.ID, Accepted: l.Accepted, Refused: l.Refused})
		if l.Refused.IsPositive() {
			refused = append(refused, ReturnLineInput{OrderLineID: dl.OrderLineID, Quantity: l.Refused, Reason: "refused at delivery"})
			refusedFrom = append(refusedFrom, inputIndex[dl.ID])
		}
	}
	if len(refused) > 0 {
		if rc.RefusalReason == "" {
			return ReceiptPlan{}, Errorf(CodeValidation, "input.refusalReason", "say why goods were refused")
		}
		r, err := planReturnLines(s.Order, s.Lines, s.OnOpenReturns, NewReturn{OrderID: s.Order.ID, DeliveryID: &d.ID,
			Reason: rc.RefusalReason, Lines: refused}, ReturnApproved,
			func(i int, _ string) string { return fmt.Sprintf("input.lines.%d", refusedFrom[i]) })
		if err != nil {
			return ReceiptPlan{}, err
		}
		plan.Refusal = &r
	}
	return plan, nil
}
