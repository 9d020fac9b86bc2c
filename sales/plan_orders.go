package sales

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// Order decisions (docs/domain.md, "Sales order"). Each takes a snapshot
// that db reads under its locks (customer, order, order lines, stock levels
// by product) and returns an OrderPlan for db to write, or an *Error.
// Nothing here reads or writes a database.

// CustomerStanding is what an order decision knows of the customer's
// credit, read under the customer's lock: the hold flag, the limit, what is
// already exposed (before this order) and the tolerated days overdue.
type CustomerStanding struct {
	CreditHold bool
	Limit      decimal.Decimal
	Exposure   CreditExposure
	GraceDays  int
}

// DeliveryState is one of an order's deliveries, as cancel and close see it.
type DeliveryState struct {
	ID     int64
	Status DeliveryStatus
}

// OrderSnapshot is an order as db locked it, with what its decisions need.
type OrderSnapshot struct {
	Order    SalesOrder
	Lines    []OrderLine // the order's lines, by id
	Customer CustomerStanding
	// Available is the stock available (on hand less reserved) per product in
	// the order's warehouse; a product without a stock level has none.
	Available map[int64]decimal.Decimal
	// SKUs names the order's products, so a refusal can name each short line.
	SKUs map[int64]string
	// Deliveries are the order's deliveries (read for cancel and close).
	Deliveries []DeliveryState
	// Reason is what the user said (release, cancel, close), trimmed.
	Reason string
}

// OrderPlan is what an order decision asks db to write: the deliveries to
// cancel, the reservation changes (each a ledger row and the line's
// reserved quantity), the history of the cancelled deliveries, then the
// order's status. db writes them in that order, the lock order.
type OrderPlan struct {
	// Reservations change what is reserved for order lines, in the order the
	// stock levels are locked: by product, then by line.
	Reservations []Reservation
	// CancelDeliveries are draft deliveries to cancel; Events holds their history.
	CancelDeliveries []int64
	// Events are state changes of other documents to record (the order's own
	// is Status: db writes it to the history and the live feed).
	Events []LinkedEvent
	// Status is the order's status change; nil when its status stays.
	Status *StatusChange
	// Credit is the credit check a confirmation ran, kept as a
	// CreditDecision; nil for other actions.
	Credit *CreditCheck
}

// Reservation is a change to what is reserved for one order line: positive
// reserves (a RESERVATION ledger row), negative releases (RELEASE).
type Reservation struct {
	OrderID     int64
	OrderNumber string // the ledger row's reference
	LineID      int64
	ProductID   int64
	WarehouseID int64
	Quantity    decimal.Decimal // signed change to reserved
	Field       string          // the input a stock error would name
}

// Kind is the ledger kind of the reservation.
func (r Reservation) Kind() StockMovementKind { return ReservationKind(r.Quantity) }

// StatusChange moves an order from one status to the next for an action.
type StatusChange struct {
	Action     OrderAction
	From, To   OrderStatus
	HoldReason *HoldReason
	Reason     string
}

// LinkedEvent is a history row a plan writes for another document than the
// one it acts on (a draft delivery its order's cancellation cancels).
type LinkedEvent struct {
	DocType DocumentType
	DocID   int64
	PlannedEvent
}

// CheckOrderReason validates the reason a user gives to release, cancel or
// close an order, and returns it trimmed. Returns VALIDATION on "reason".
func CheckOrderReason(reason string) (string, error) {
	var p Problems
	p.Check(strings.TrimSpace(reason) != "", "reason", "say why")
	p.Check(len(reason) <= 1000, "reason", "reason must be at most 1000 characters")
	return strings.TrimSpace(reason), p.Err()
}

// CheckOrderTerms checks (and trims) the parts of order terms that need no
// database. Returns VALIDATION naming the field.
func CheckOrderTerms(t *OrderTerms) error {
	var p Problems
	t.CustomerReference, t.Notes = strings.TrimSpace(t.CustomerReference), strings.TrimSpace(t.Notes)
	p.Check(len(t.CustomerReference) <= 100, "input.customerReference", "customerReference must be at most 100 characters")
	p.Check(len(t.Notes) <= 4000, "input.notes", "notes must be at most 4000 characters")
	if t.ShipTo != nil {
		// A bad address is reported before the other fields.
		var a Problems
		checkAddress(&a, "input.shipTo", t.ShipTo)
		if err := a.Err(); err != nil {
			return err
		}
	}
	if t.OrderDate != nil && t.RequestedDeliveryDate != nil {
		p.Check(!t.RequestedDeliveryDate.Before(*t.OrderDate), "input.requestedDeliveryDate", "the requested delivery date is before the order date")
	}
	if t.InvoicingPolicy != nil {
		p.Check(*t.InvoicingPolicy == InvoiceOrdered || *t.InvoicingPolicy == InvoiceDelivered, "input.invoicingPolicy", "unknown invoicing policy")
	}
	return p.Err()
}

// CheckCustomerActive refuses new work for an archived customer: VALIDATION on field.
func CheckCustomerActive(c *Customer, field string) error {
	if c.Archived {
		return Errorf(CodeValidation, field, "customer %s is archived", c.Code)
	}
	return nil
}

// ShipToChoice is what an order's ship-to is chosen from, in this order:
// the customer's address the user picked, the address the user gave, the
// customer's default shipping address, its billing address.
type ShipToChoice struct {
	Picked, Given, Default, Billing *Address
}

// ChooseShipTo settles an order's ship-to. Returns VALIDATION on
// "input.shipTo" when the customer has no address and none was given.
func ChooseShipTo(c ShipToChoice) (Address, error) {
	for _, a := range []*Address{c.Picked, c.Given, c.Default, c.Billing} {
		if a != nil {
			return *a, nil
		}
	}
	return Address{}, Errorf(CodeValidation, "input.shipTo", "the customer has no address on file: give shipTo")
}

// CheckOrderEdit decides whether a draft order may be edited as ch asks.
// Returns INVALID_TRANSITION when it is not a draft, VALIDATION when it asks
// to replace the lines of an order converted from a quote.
func CheckOrderEdit(o *SalesOrder, ch OrderChange) error {
	if _, err := NextOrderStatus(o.Status, OrderEdit); err != nil {
		return err
	}
	if ch.Lines != nil && o.QuoteID != nil {
		return Errorf(CodeValidation, "input.lines", "the lines of an order converted from a quote keep the quote's prices; revise the quote instead")
	}
	return nil
}

// PlanConfirm decides a draft order's confirmation. It runs the credit
// check (CheckCredit) on the order's total: a held order goes ON_HOLD with
// the check's hold reason and nothing reserved; an approved one is
// CONFIRMED with its stock reserved (see reserve). Either way the plan
// carries the check, to be kept. Returns INVALID_TRANSITION, INSUFFICIENT_STOCK.
func PlanConfirm(s OrderSnapshot) (OrderPlan, error) {
	if _, err := NextOrderStatus(s.Order.Status, OrderConfirm); err != nil {
		return OrderPlan{}, err
	}
	c := s.Customer
	check := CheckCredit(c.Limit, c.CreditHold, c.Exposure, s.Order.Total, c.GraceDays)
	if check.Outcome == CreditHeld {
		to, err := NextOrderStatus(s.Order.Status, OrderHold)
		if err != nil {
			return OrderPlan{}, err
		}
		return OrderPlan{Credit: &check, Status: &StatusChange{Action: OrderHold, From: s.Order.Status, To: to,
			HoldReason: check.HoldReason, Reason: check.Reason}}, nil
	}
	reservations, err := reserve(s)
	if err != nil {
		return OrderPlan{}, err
	}
	return OrderPlan{Reservations: reservations, Credit: &check,
		Status: &StatusChange{Action: OrderConfirm, From: s.Order.Status, To: OrderConfirmed}}, nil
}

// PlanRelease decides releasing a held order on a manager's word: it is
// CONFIRMED with its stock reserved. Returns INVALID_TRANSITION, INSUFFICIENT_STOCK.
func PlanRelease(s OrderSnapshot) (OrderPlan, error) {
	to, err := NextOrderStatus(s.Order.Status, OrderRelease)
	if err != nil {
		return OrderPlan{}, err
	}
	reservations, err := reserve(s)
	if err != nil {
		return OrderPlan{}, err
	}
	return OrderPlan{Reservations: reservations,
		Status: &StatusChange{Action: OrderRelease, From: s.Order.Status, To: to, Reason: s.Reason}}, nil
}

// PlanCancel decides cancelling an order (possible only while nothing is
// delivered: the state table says so). Returns INVALID_TRANSITION.
func PlanCancel(s OrderSnapshot) (OrderPlan, error) { return planFinish(s, OrderCancel) }

// PlanClose decides short-closing a partly delivered order. Returns INVALID_TRANSITION.
func PlanClose(s OrderSnapshot) (OrderPlan, error) { return planFinish(s, OrderClose) }

// planFinish releases every reservation, cancels the draft deliveries (with
// their history, naming the order and the reason) and moves the order on.
func planFinish(s OrderSnapshot, action OrderAction) (OrderPlan, error) {
	to, err := NextOrderStatus(s.Order.Status, action)
	if err != nil {
		return OrderPlan{}, err
	}
	plan := OrderPlan{Status: &StatusChange{Action: action, From: s.Order.Status, To: to, Reason: s.Reason}}
	for _, l := range linesByProduct(s.Lines) {
		if l.ReservedQuantity.IsPositive() {
			plan.Reservations = append(plan.Reservations, reservation(&s.Order, l, l.ReservedQuantity.Neg(), "id"))
		}
	}
	for _, d := range s.Deliveries {
		if d.Status != DeliveryDraft {
			continue // only drafts are cancelled; shipped ones stand
		}
		from := string(DeliveryDraft)
		plan.CancelDeliveries = append(plan.CancelDeliveries, d.ID)
		plan.Events = append(plan.Events, LinkedEvent{DocType: DocDelivery, DocID: d.ID, PlannedEvent: PlannedEvent{Action: string(DeliveryCancel),
			From: &from, To: string(DeliveryCancelled), Reason: fmt.Sprintf("order %s: %s", s.Order.Number, s.Reason)}})
	}
	return plan, nil
}

// reserve reserves each line's unreserved open quantity from what is
// available. Without backorders every line must be covered, or nothing is
// reserved and INSUFFICIENT_STOCK (on "lines") names each short line; with
// backorders what there is gets reserved and receipts reserve the rest
// (PlanBackorderAllocation). Lines are served in line-id order; the
// reservations come back by product, the order db locks stock levels in.
func reserve(s OrderSnapshot) ([]Reservation, error) {
	lines := append([]OrderLine(nil), s.Lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].ID < lines[j].ID })
	available := make(map[int64]decimal.Decimal, len(s.Available))
	for p, q := range s.Available {
		available[p] = q
	}
	var short []string
	take := make(map[int64]decimal.Decimal, len(lines))
	for _, l := range lines {
		need := l.OpenQuantity().Sub(l.ReservedQuantity)
		got := decimal.Min(need, decimal.Max(available[l.ProductID], decimal.Zero))
		if got.LessThan(need) && !s.Order.AllowBackorder {
			short = append(short, fmt.Sprintf("line %d (%s): %s to reserve, %s available", l.LineNo, s.SKUs[l.ProductID], need, got))
		}
		available[l.ProductID] = available[l.ProductID].Sub(got)
		take[l.ID] = got
	}
	if len(short) > 0 {
		return nil, Errorf(CodeInsufficientStock, "lines", "not enough stock in the order's warehouse: %s", strings.Join(short, "; "))
	}
	var out []Reservation
	for _, l := range linesByProduct(lines) {
		if q := take[l.ID]; q.IsPositive() {
			out = append(out, reservation(&s.Order, l, q, "lines"))
		}
	}
	return out, nil
}

// linesByProduct returns the lines ordered by product, then by id.
func linesByProduct(lines []OrderLine) []*OrderLine {
	out := make([]*OrderLine, len(lines))
	for i := range lines {
		out[i] = &lines[i]
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ProductID != out[j].ProductID {
			return out[i].ProductID < out[j].ProductID
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func reservation(o *SalesOrder, l *OrderLine, q decimal.Decimal, field string) Reservation {
	return Reservation{OrderID: o.ID, OrderNumber: o.Number, LineID: l.ID, ProductID: l.ProductID,
		WarehouseID: o.WarehouseID, Quantity: q, Field: field}
}

// BackorderStatuses are the order statuses whose lines wait for stock
// receipts (when the order allows backorders).
var BackorderStatuses = []OrderStatus{OrderConfirmed, OrderPartiallyDelivered}

// WaitingLine is an order line that may wait for stock, with its order.
type WaitingLine struct {
	Order SalesOrder // ID, Number, WarehouseID, Status and AllowBackorder are read
	Line  OrderLine
}

// Waits reports whether the line waits for stock: its order allows
// backorders and is confirmed or partly delivered, and part of what is
// still open is not reserved.
func (w WaitingLine) Waits() bool {
	if !w.Order.AllowBackorder {
		return false
	}
	for _, s := range BackorderStatuses {
		if w.Order.Status == s {
			return w.Line.ReservedQuantity.LessThan(w.Line.OpenQuantity())
		}
	}
	return false
}

// AllocationSnapshot is a stock receipt's view of one product in one
// warehouse: what is available after the receipt and the lines that may wait for it.
type AllocationSnapshot struct {
	Available decimal.Decimal
	Waiting   []WaitingLine
}

// PlanBackorderAllocation decides how received stock serves waiting lines:
// oldest order first (then by line), each line as much as it still needs,
// until the available stock runs out. It never refuses.
func PlanBackorderAllocation(s AllocationSnapshot) OrderPlan {
	waiting := make([]WaitingLine, 0, len(s.Waiting))
	for _, w := range s.Waiting {
		if w.Waits() {
			waiting = append(waiting, w)
		}
	}
	sort.SliceStable(waiting, func(i, j int) bool {
		if waiting[i].Order.ID != waiting[j].Order.ID {
			return waiting[i].Order.ID < waiting[j].Order.ID
		}
		return waiting[i].Line.ID < waiting[j].Line.ID
	})
	var plan OrderPlan
	available := s.Available
	for _, w := range waiting {
		if !available.IsPositive() {
			break
		}
		q := decimal.Min(available, w.Line.OpenQuantity().Sub(w.Line.ReservedQuantity))
		plan.Reservations = append(plan.Reservations, reservation(&w.Order, &w.Line, q, "lines"))
		available = available.Sub(q)
	}
	return plan
}
