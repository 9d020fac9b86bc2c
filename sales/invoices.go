package sales

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The invoice (docs/domain.md, "Invoice"): its types, its state machine,
// its description, and the pure decisions its actions need. db locks the
// customer, the order, its lines, then the invoice, and writes what these
// decide.

// InvoiceKind says whether an invoice bills the customer or credits them.
// A credit note (creditnotes.go) is an invoices row of kind CREDIT_NOTE.
type InvoiceKind string

// Invoice kinds.
const (
	KindInvoice    InvoiceKind = "INVOICE"
	KindCreditNote InvoiceKind = "CREDIT_NOTE"
)

// InvoiceKinds lists every kind.
var InvoiceKinds = []InvoiceKind{KindInvoice, KindCreditNote}

// InvoiceStatus is where an invoice stands.
type InvoiceStatus string

// Invoice states. PARTIALLY_PAID, PAID, DISPUTED and WRITTEN_OFF are
// reached through payments and disputes; the table already knows them.
const (
	InvoiceDraft         InvoiceStatus = "DRAFT"
	InvoiceIssued        InvoiceStatus = "ISSUED"
	InvoicePartiallyPaid InvoiceStatus = "PARTIALLY_PAID"
	InvoicePaid          InvoiceStatus = "PAID"
	InvoiceDisputed      InvoiceStatus = "DISPUTED"
	InvoiceVoid          InvoiceStatus = "VOID"
	InvoiceWrittenOff    InvoiceStatus = "WRITTEN_OFF"
)

// InvoiceAction is something done to an invoice.
type InvoiceAction string

// Invoice actions. PayPart and PayAll follow a payment's allocation;
// UnpayPart and UnpayAll its reversal (PlanInvoicePayment chooses). The
// allocations themselves are the record of these changes (who, when, how
// much), so they write no row to the invoice's history, which stays
// bounded however often money comes and goes.
const (
	InvoiceIssue     InvoiceAction = "ISSUE"
	InvoicePayPart   InvoiceAction = "PAY_PART"
	InvoicePayAll    InvoiceAction = "PAY_ALL"
	InvoiceUnpayPart InvoiceAction = "UNPAY_PART"
	InvoiceUnpayAll  InvoiceAction = "UNPAY_ALL"
	InvoiceDispute   InvoiceAction = "DISPUTE"
	InvoiceVoidIt    InvoiceAction = "VOID"
	InvoiceWriteOff  InvoiceAction = "WRITE_OFF"
	// A dispute's end sends the invoice back to the state its paid amount
	// says (ResolvedInvoiceAction chooses): nothing paid, part, or all.
	InvoiceResolveUnpaid   InvoiceAction = "RESOLVE_UNPAID"
	InvoiceResolvePartPaid InvoiceAction = "RESOLVE_PART_PAID"
	InvoiceResolvePaid     InvoiceAction = "RESOLVE_PAID"
)

// Voiding is possible only while nothing is paid: the paid states have no
// VOID, and PlanVoid refuses an issued invoice with a paid amount.
var invoiceMachine = machine[InvoiceStatus, InvoiceAction]{
	InvoiceDraft:  {InvoiceIssue: InvoiceIssued, InvoiceVoidIt: InvoiceVoid},
	InvoiceIssued: {InvoicePayPart: InvoicePartiallyPaid, InvoicePayAll: InvoicePaid, InvoiceDispute: InvoiceDisputed, InvoiceVoidIt: InvoiceVoid},
	InvoicePartiallyPaid: {InvoicePayPart: InvoicePartiallyPaid, InvoicePayAll: InvoicePaid, InvoiceDispute: InvoiceDisputed,
		InvoiceUnpayPart: InvoicePartiallyPaid, InvoiceUnpayAll: InvoiceIssued},
	InvoicePaid: {InvoiceUnpayPart: InvoicePartiallyPaid, InvoiceUnpayAll: InvoiceIssued},
	InvoiceDisputed: {InvoiceWriteOff: InvoiceWrittenOff,
		InvoiceResolveUnpaid: InvoiceIssued, InvoiceResolvePartPaid: InvoicePartiallyPaid, InvoiceResolvePaid: InvoicePaid},
}

// InvoiceStatuses and InvoiceActions list every state and action.
var (
	InvoiceStatuses = []InvoiceStatus{InvoiceDraft, InvoiceIssued, InvoicePartiallyPaid, InvoicePaid, InvoiceDisputed, InvoiceVoid, InvoiceWrittenOff}
	InvoiceActions  = []InvoiceAction{InvoiceIssue, InvoicePayPart, InvoicePayAll, InvoiceUnpayPart, InvoiceUnpayAll, InvoiceDispute, InvoiceVoidIt, InvoiceWriteOff,
		InvoiceResolveUnpaid, InvoiceResolvePartPaid, InvoiceResolvePaid}
)

// DocInvoice is the invoice's document type.
const DocInvoice DocumentType = "INVOICE"

var invoiceDocument = describe(DocumentDescription{
	Type: DocInvoice, Name: "invoice", Table: "invoices", Series: "INV",
	OtherNumbers: []NumberSeries{SeriesCreditNote}, // a credit note is an invoices row of kind CREDIT_NOTE
	NodeType:     "Invoice", States: append(names(InvoiceStatuses), names(CreditNoteOnlyStatuses)...),
	Children: []ChildType{{Table: "invoice_lines", NodeType: "InvoiceLine"}},
})

// NextInvoiceStatus returns the state action leads to, or INVALID_TRANSITION.
func NextInvoiceStatus(from InvoiceStatus, action InvoiceAction) (InvoiceStatus, error) {
	return invoiceMachine.next("invoice", from, action)
}

// Invoice bills a customer for (part of) one order. A draft has no number,
// issue date or due date: they are given when it is issued, so the
// numbers of issued invoices run without gaps (drafts that are never
// issued take none).
type Invoice struct {
	ID         int64           `db:"id"`
	Number     *string         `db:"number"`
	OrderID    int64           `db:"order_id"`
	CustomerID int64           `db:"customer_id"`
	Kind       InvoiceKind     `db:"kind"`
	Status     InvoiceStatus   `db:"status"`
	Currency   string          `db:"currency"`
	IssueDate  *time.Time      `db:"issue_date"`
	DueDate    *time.Time      `db:"due_date"`
	Subtotal   decimal.Decimal `db:"subtotal"`
	TaxTotal   decimal.Decimal `db:"tax_total"`
	Total      decimal.Decimal `db:"total"`
	PaidAmount decimal.Decimal `db:"paid_amount"` // an invoice: paid and credited; a credit note: applied
	// A credit note's source: the return it credits, or the invoice (disputed) it credits.
	ReturnID          *int64    `db:"return_id"`
	CreditedInvoiceID *int64    `db:"credited_invoice_id"`
	CreatedBy         *int64    `db:"created_by"`
	Version           int       `db:"version"`
	CreatedAt         time.Time `db:"created_at"`
	UpdatedAt         time.Time `db:"updated_at"`
}

// Balance is what is still owed: total less paid.
func (inv *Invoice) Balance() decimal.Decimal { return inv.Total.Sub(inv.PaidAmount) }

// DunnableInvoiceStatuses are the states an invoice can be overdue in: issued
// and not fully paid. A disputed invoice leaves dunning while the dispute runs.
func DunnableInvoiceStatuses() []InvoiceStatus {
	return []InvoiceStatus{InvoiceIssued, InvoicePartiallyPaid}
}

// DaysOverdue is how many days past its due date the invoice is on day: 0
// for a credit note, and unless it is issued, not fully paid, and day is after its due date.
// Never stored: it changes every day.
func (inv *Invoice) DaysOverdue(day time.Time) int {
	if inv.Kind == KindCreditNote || inv.DueDate == nil || !slices.Contains(DunnableInvoiceStatuses(), inv.Status) || !inv.Balance().IsPositive() {
		return 0
	}
	return max(daysPastDue(*inv.DueDate, day), 0)
}

// IsOverdue reports whether the invoice is past due on day (DaysOverdue > 0).
func (inv *Invoice) IsOverdue(day time.Time) bool { return inv.DaysOverdue(day) > 0 }

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// InvoiceLine is a quantity of one order line on an invoice, priced as the
// order line is (its unit price, discount and tax rate).
type InvoiceLine struct {
	ID              int64           `db:"id"`
	InvoiceID       int64           `db:"invoice_id"`
	OrderLineID     int64           `db:"order_line_id"`
	LineNo          int             `db:"line_no"`
	Quantity        decimal.Decimal `db:"quantity"`
	UnitPrice       decimal.Decimal `db:"unit_price"`
	DiscountPercent decimal.Decimal `db:"discount_percent"`
	TaxRate         decimal.Decimal `db:"tax_rate"`
	Subtotal        decimal.Decimal `db:"subtotal"`
	Tax             decimal.Decimal `db:"tax"`
	Total           decimal.Decimal `db:"total"`
}

// InvoiceFilter narrows a list of invoices; OwnerID limits it to a sales
// rep's own customers (set from the viewer, never from input).
type InvoiceFilter struct {
	Statuses   []InvoiceStatus
	Kind       *InvoiceKind
	OrderID    *int64
	CustomerID *int64
	OwnerID    *int64
}

// NewInvoice asks for an invoice of an order: the lines given, or without
// lines everything invoiceable.
type NewInvoice struct {
	OrderID int64
	Lines   []InvoiceLineInput
}

// InvoiceLineInput is a quantity of one order line to invoice.
type InvoiceLineInput struct {
	OrderLineID int64
	Quantity    decimal.Decimal
}

// CheckNewInvoice validates a request before anything is read: each line's
// quantity (VALIDATION naming the line).
func CheckNewInvoice(in NewInvoice) error {
	var p Problems
	for i, l := range in.Lines {
		CheckQuantity(&p, fmt.Sprintf("input.lines.%d.quantity", i), l.Quantity)
	}
	return p.Err()
}

// InvoiceableOrderStatuses are the order states an invoice can be made in:
// confirmed (only under the ORDERED policy: nothing is delivered yet),
// partly or fully delivered, or short-closed (what was delivered is billed).
func InvoiceableOrderStatuses() []OrderStatus {
	return []OrderStatus{OrderConfirmed, OrderPartiallyDelivered, OrderDelivered, OrderClosed}
}

// Invoiceable is what of line l is left to invoice on order o: delivered
// less invoiced under the DELIVERED policy, ordered less invoiced under
// ORDERED, except that a short-closed order bills only what was delivered
// (the rest will never ship). Never negative.
func Invoiceable(o *SalesOrder, l *OrderLine) decimal.Decimal {
	most := l.DeliveredQuantity
	if o.InvoicingPolicy == InvoiceOrdered && o.Status != OrderClosed {
		most = l.Quantity
	}
	return decimal.Max(most.Sub(l.InvoicedQuantity), decimal.Zero)
}

// NewInvoiceSnapshot is what deciding a new invoice needs.
type NewInvoiceSnapshot struct {
	Order    *SalesOrder
	Lines    []*OrderLine // the order's lines, locked
	Invoices int          // the order's invoices so far, void ones included
	Input    NewInvoice
}

// PlannedInvoiceLine is one line of a new invoice, priced.
type PlannedInvoiceLine struct {
	OrderLineID     int64
	LineNo          int
	Quantity        decimal.Decimal
	UnitPrice       decimal.Decimal
	DiscountPercent decimal.Decimal
	TaxRate         decimal.Decimal
	Amounts
}

// InvoicedChange is what a plan adds to an order line's invoiced quantity (signed).
type InvoicedChange struct {
	OrderLineID int64
	Quantity    decimal.Decimal
}

// NewInvoicePlan is the draft invoice to write, and the order lines'
// invoiced quantities it raises (a draft holds its quantities, so two
// drafts cannot together bill more than is invoiceable).
type NewInvoicePlan struct {
	Kind     InvoiceKind
	Status   InvoiceStatus
	Currency string
	Lines    []PlannedInvoiceLine // in order line order
	Totals   Amounts
	Invoiced []InvoicedChange
	Event    PlannedEvent
}

// PlanInvoice decides a new invoice of an order. The order must be in an
// invoiceable state (INVALID_TRANSITION on input.orderId) and below
// MaxInvoicesPerOrder (VALIDATION). Without input lines every line with
// something invoiceable is billed in full; with lines each must be on the
// order, appear once and ask for at most what is left to invoice
// (VALIDATION naming the line's field). Nothing to invoice is VALIDATION on
// input.orderId. Each line is priced by LineAmounts from the order line's
// price, discount and tax rate, in the order's currency.
func PlanInvoice(s NewInvoiceSnapshot) (NewInvoicePlan, error) {
	o := s.Order
	if !slices.Contains(InvoiceableOrderStatuses(), o.Status) {
		return NewInvoicePlan{}, Errorf(CodeInvalidTransition, "input.orderId", "cannot invoice a sales order that is %s", o.Status)
	}
	if err := CheckInvoiceLimit(s.Invoices); err != nil {
		return NewInvoicePlan{}, err
	}
	byID := linesByID(s.Lines)
	want := map[int64]decimal.Decimal{}
	if len(s.Input.Lines) == 0 {
		for _, l := range s.Lines {
			if q := Invoiceable(o, l); q.IsPositive() {
				want[l.ID] = q
			}
		}
		if len(want) == 0 {
			return NewInvoicePlan{}, Errorf(CodeValidation, "input.orderId", "order %s has nothing left to invoice", o.Number)
		}
	}
	for i, in := range s.Input.Lines {
		l, ok := byID[in.OrderLineID]
		if !ok {
			return NewInvoicePlan{}, Errorf(CodeValidation, fmt.Sprintf("input.lines.%d.orderLineId", i), "that line is not on order %s", o.Number)
		}
		if _, dup := want[l.ID]; dup {
			return NewInvoicePlan{}, Errorf(CodeValidation, fmt.Sprintf("input.lines.%d.orderLineId", i), "each order line may appear once")
		}
		if left := Invoiceable(o, l); in.Quantity.GreaterThan(left) {
			return NewInvoicePlan{}, Errorf(CodeValidation, fmt.Sprintf("input.lines.%d.quantity", i),
				"more than is left to invoice: %s of line %d can still be invoiced", left, l.LineNo)
		}
		want[l.ID] = in.Quantity
	}
	plan := NewInvoicePlan{Kind: KindInvoice, Status: InvoiceDraft, Currency: o.Currency,
		Event: PlannedEvent{Action: "CREATE", To: string(InvoiceDraft)}}
	var amounts []Amounts
	for _, l := range s.Lines { // by order line id: the order the lines were locked in
		q, ok := want[l.ID]
		if !ok {
			continue
		}
		a := LineAmounts(q, l.UnitPrice, l.DiscountPercent, l.TaxRate, o.Currency)
		plan.Lines = append(plan.Lines, PlannedInvoiceLine{OrderLineID: l.ID, LineNo: len(plan.Lines) + 1, Quantity: q,
			UnitPrice: l.UnitPrice, DiscountPercent: l.DiscountPercent, TaxRate: l.TaxRate, Amounts: a})
		plan.Invoiced = append(plan.Invoiced, InvoicedChange{OrderLineID: l.ID, Quantity: q})
		amounts = append(amounts, a)
	}
	plan.Totals = DocumentAmounts(amounts)
	return plan, nil
}

// IssueSnapshot is what deciding an invoice's issue needs.
type IssueSnapshot struct {
	Invoice     *Invoice
	Order       *SalesOrder
	Lines       []*OrderLine // the order's lines, locked
	OtherDrafts int          // the order's other draft invoices
	Today       time.Time
}

// IssuePlan is an invoice's issue: its status, dates and history row, and
// whether its order is now complete (db then moves the order with
// OrderComplete, which writes the order's event). The number is db's: the
// next of the INV series for the issue date's year.
type IssuePlan struct {
	Status        InvoiceStatus
	IssueDate     time.Time
	DueDate       time.Time
	Event         PlannedEvent
	CompleteOrder bool
}

// PlanIssue decides issuing a draft invoice (INVALID_TRANSITION otherwise):
// it is dated today and due after the order's payment terms. The order
// completes when it is fully delivered, every line is fully invoiced and
// no other draft of it is left.
func PlanIssue(s IssueSnapshot) (IssuePlan, error) {
	if err := checkInvoiceKind(s.Invoice); err != nil {
		return IssuePlan{}, err
	}
	next, err := NextInvoiceStatus(s.Invoice.Status, InvoiceIssue)
	if err != nil {
		return IssuePlan{}, err
	}
	day := dateOnly(s.Today)
	from := string(s.Invoice.Status)
	return IssuePlan{Status: next, IssueDate: day, DueDate: day.AddDate(0, 0, s.Order.PaymentTermsDays),
		Event:         PlannedEvent{Action: string(InvoiceIssue), From: &from, To: string(next)},
		CompleteOrder: OrderCompletes(s.Order, s.Lines, s.OtherDrafts)}, nil
}

// checkInvoiceKind refuses to treat a credit note as an invoice
// (INVALID_TRANSITION on id): it is issued when made and never voided or
// issued through the invoice's actions.
func checkInvoiceKind(inv *Invoice) error {
	if inv.Kind == KindCreditNote {
		return Errorf(CodeInvalidTransition, "id", "%s is a credit note: the invoice actions do not apply to it", deref(inv.Number))
	}
	return nil
}

// OrderCompletes reports whether order o, with lines, becomes COMPLETED:
// its state allows it (DELIVERED), every line is delivered and invoiced in
// full, and no draft invoice of it is left (otherDrafts).
func OrderCompletes(o *SalesOrder, lines []*OrderLine, otherDrafts int) bool {
	if _, err := NextOrderStatus(o.Status, OrderComplete); err != nil || otherDrafts > 0 {
		return false
	}
	for _, l := range lines {
		if l.DeliveredQuantity.LessThan(l.Quantity) || l.InvoicedQuantity.LessThan(l.Quantity) {
			return false
		}
	}
	return true
}

// VoidSnapshot is what deciding an invoice's void needs.
type VoidSnapshot struct {
	Invoice *Invoice
	Order   *SalesOrder
	Lines   []*InvoiceLine // the invoice's lines
	Reason  string
}

// VoidPlan is an invoice's void: its status and history row, and the order
// lines' invoiced quantities it gives back (negative).
type VoidPlan struct {
	Status   InvoiceStatus
	Invoiced []InvoicedChange
	Event    PlannedEvent
}

// PlanVoid decides voiding an invoice: only a draft or an issued invoice
// (INVALID_TRANSITION), with nothing paid (VALIDATION on id), of an order
// not yet completed (VALIDATION: a completed order's invoices are
// corrected by credit notes), and for a reason (VALIDATION on reason). An
// issued invoice keeps its number: the series stays gapless.
func PlanVoid(s VoidSnapshot) (VoidPlan, error) {
	inv := s.Invoice
	if err := checkInvoiceKind(inv); err != nil {
		return VoidPlan{}, err
	}
	next, err := NextInvoiceStatus(inv.Status, InvoiceVoidIt)
	if err != nil {
		return VoidPlan{}, err
	}
	if !inv.PaidAmount.IsZero() {
		return VoidPlan{}, Errorf(CodeValidation, "id", "%s of this invoice is paid: only an unpaid invoice can be voided", inv.PaidAmount)
	}
	if s.Order.Status == OrderCompleted {
		return VoidPlan{}, Errorf(CodeValidation, "id", "order %s is completed: correct its invoice with a credit note", s.Order.Number)
	}
	reason, err := CheckOrderReason(s.Reason)
	if err != nil {
		return VoidPlan{}, err
	}
	from := string(inv.Status)
	plan := VoidPlan{Status: next, Event: PlannedEvent{Action: string(InvoiceVoidIt), From: &from, To: string(next), Reason: strings.TrimSpace(reason)}}
	for _, l := range s.Lines {
		plan.Invoiced = append(plan.Invoiced, InvoicedChange{OrderLineID: l.OrderLineID, Quantity: l.Quantity.Neg()})
	}
	return plan, nil
}

// InvoicedInFull reports whether every line is invoiced in full (drafts included).
func InvoicedInFull(lines []*OrderLine) bool {
	for _, l := range lines {
		if l.InvoicedQuantity.LessThan(l.Quantity) {
			return false
		}
	}
	return true
}

// ShipmentCompletes reports whether the shipment plan describes completes
// its order: under the ORDERED policy an order can be invoiced in full
// before its last units ship, and then the shipment that delivers it in
// full completes it, unless a draft invoice of it is left (its issue will).
// lines are the order's lines before the shipment.
func ShipmentCompletes(plan ShipmentPlan, lines []*OrderLine, drafts int) bool {
	return plan.OrderStatus == OrderDelivered && drafts == 0 && InvoicedInFull(lines)
}
