package sales

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// SeriesCreditNote numbers credit notes (CN-2026-000001): an invoices row of
// kind CREDIT_NOTE carries it instead of an INV number.
const SeriesCreditNote NumberSeries = "CN"

// CreditNoteStatus is where a credit note stands: how much of it has been
// applied to invoices.
type CreditNoteStatus string

// Credit note states. A credit note is issued at once; applying it to
// invoices moves it to PARTIALLY_APPLIED and APPLIED, taking an
// application back moves it back.
const (
	CreditNoteIssued           CreditNoteStatus = "ISSUED"
	CreditNotePartiallyApplied CreditNoteStatus = "PARTIALLY_APPLIED"
	CreditNoteApplied          CreditNoteStatus = "APPLIED"
	CreditNoteVoid             CreditNoteStatus = "VOID"
)

// CreditNoteStatuses lists every credit note state; CreditNoteOnlyStatuses
// those an invoice of kind INVOICE never takes.
var (
	CreditNoteStatuses     = []CreditNoteStatus{CreditNoteIssued, CreditNotePartiallyApplied, CreditNoteApplied, CreditNoteVoid}
	CreditNoteOnlyStatuses = []CreditNoteStatus{CreditNotePartiallyApplied, CreditNoteApplied}
)

// The credit note (docs/domain.md, "Credit note"): an invoices row of kind
// CREDIT_NOTE that gives a customer money back for order lines they were
// billed for: goods that came back (a received return) or an invoice the
// customer disputed. It is issued at once, numbered from the CN series, and
// its amount is the customer's credit until it is applied to their open
// invoices (credit allocations), where it settles them exactly as a payment
// does. db locks the customer, the order, its lines, the return, then the
// invoices (by id), and writes what these decide.

// CreditNoteAction is something done to a credit note.
type CreditNoteAction string

// Credit note actions. ApplyPart and ApplyAll follow an allocation to an
// invoice, UnapplyPart and UnapplyAll its reversal
// (PlanCreditNoteApplication chooses). Void takes back a credit note
// nothing of which has been applied.
const (
	CreditNoteApplyPart   CreditNoteAction = "APPLY_PART"
	CreditNoteApplyAll    CreditNoteAction = "APPLY_ALL"
	CreditNoteUnapplyPart CreditNoteAction = "UNAPPLY_PART"
	CreditNoteUnapplyAll  CreditNoteAction = "UNAPPLY_ALL"
	CreditNoteVoidIt      CreditNoteAction = "VOID"
)

// CreditNoteActions lists every action.
var CreditNoteActions = []CreditNoteAction{CreditNoteApplyPart, CreditNoteApplyAll, CreditNoteUnapplyPart, CreditNoteUnapplyAll, CreditNoteVoidIt}

// Voiding is possible only while nothing is applied: only ISSUED has VOID.
var creditNoteMachine = machine[CreditNoteStatus, CreditNoteAction]{
	CreditNoteIssued: {CreditNoteApplyPart: CreditNotePartiallyApplied, CreditNoteApplyAll: CreditNoteApplied, CreditNoteVoidIt: CreditNoteVoid},
	CreditNotePartiallyApplied: {CreditNoteApplyPart: CreditNotePartiallyApplied, CreditNoteApplyAll: CreditNoteApplied,
		CreditNoteUnapplyPart: CreditNotePartiallyApplied, CreditNoteUnapplyAll: CreditNoteIssued},
	CreditNoteApplied: {CreditNoteUnapplyPart: CreditNotePartiallyApplied, CreditNoteUnapplyAll: CreditNoteIssued},
}

// NextCreditNoteStatus returns the state action leads to, or INVALID_TRANSITION.
func NextCreditNoteStatus(from CreditNoteStatus, action CreditNoteAction) (CreditNoteStatus, error) {
	return creditNoteMachine.next("credit note", from, action)
}

// UnappliedCreditNoteStatuses are the states a credit note has money left to apply in.
func UnappliedCreditNoteStatuses() []CreditNoteStatus {
	return []CreditNoteStatus{CreditNoteIssued, CreditNotePartiallyApplied}
}

// CreditNoteLineInput asks to credit a quantity of one order line. Field
// names it in errors ("input.lines.0"); the quantity's field is Field+".quantity".
type CreditNoteLineInput struct {
	OrderLineID int64
	Quantity    decimal.Decimal
	Field       string
}

// CreditNoteLinesSnapshot is what deciding a credit note's lines needs,
// whatever it comes from (a return, a dispute).
type CreditNoteLinesSnapshot struct {
	Order *SalesOrder
	Lines []*OrderLine // the order's lines, locked
	// Billed is, per order line, the quantity on the order's issued invoices
	// (not drafts, not void): what the customer was billed for.
	Billed            map[int64]decimal.Decimal
	Requests          []CreditNoteLineInput
	ReturnID          *int64 // what the credit note credits: a return,
	CreditedInvoiceID *int64 // or an invoice (a dispute's)
	// CreditNotesOfInvoice counts the credit notes already crediting
	// CreditedInvoiceID, void ones included (MaxCreditNotesPerInvoice).
	CreditNotesOfInvoice int
	Reason               string // the history row's reason
	Today                time.Time
}

// CreditNotePlan is a credit note to issue: its lines priced as the order
// lines, its totals, the order lines' credited quantities it raises, its
// dates (issued and due the day it is issued) and its history row. The
// number is db's: the next of the CN series for the issue date's year.
type CreditNotePlan struct {
	OrderID           int64
	CustomerID        int64
	Currency          string
	ReturnID          *int64
	CreditedInvoiceID *int64
	Status            CreditNoteStatus
	IssueDate         time.Time
	Lines             []PlannedInvoiceLine // in order line order
	Totals            Amounts
	Credited          []InvoicedChange // added to order_lines.credited_quantity
	Event             PlannedEvent
}

// Creditable is what of line l can still be credited: billed less credited. Never negative.
func Creditable(l *OrderLine, billed decimal.Decimal) decimal.Decimal {
	return decimal.Max(billed.Sub(l.CreditedQuantity), decimal.Zero)
}

// PlanCreditNoteLines decides a credit note of the order lines requested,
// for a return or an invoice (exactly one of ReturnID, CreditedInvoiceID;
// a programming error otherwise). Each request must name a line of the
// order (VALIDATION on Field+".orderLineId"), once, with a positive
// quantity of at most three decimals that is no more than the line's
// billed less credited quantity (VALIDATION on Field+".quantity"). No
// request is VALIDATION on "id", and so is an invoice credited by
// MaxCreditNotesPerInvoice credit notes already. Each line is priced by LineAmounts from
// the order line's price, discount and tax rate, in the order's currency.
func PlanCreditNoteLines(s CreditNoteLinesSnapshot) (CreditNotePlan, error) {
	if (s.ReturnID == nil) == (s.CreditedInvoiceID == nil) {
		panic("sales: a credit note credits a return or an invoice")
	}
	o := s.Order
	if s.CreditedInvoiceID != nil {
		if err := CheckCreditNotesPerInvoice(s.CreditNotesOfInvoice); err != nil {
			return CreditNotePlan{}, err
		}
	}
	if len(s.Requests) == 0 {
		return CreditNotePlan{}, Errorf(CodeValidation, "id", "a credit note needs at least one line")
	}
	byID := linesByID(s.Lines)
	want := map[int64]decimal.Decimal{}
	for _, r := range s.Requests {
		l, ok := byID[r.OrderLineID]
		if !ok {
			return CreditNotePlan{}, Errorf(CodeValidation, r.Field+".orderLineId", "that line is not on order %s", o.Number)
		}
		if _, dup := want[l.ID]; dup {
			return CreditNotePlan{}, Errorf(CodeValidation, r.Field+".orderLineId", "each order line may appear once")
		}
		var p Problems
		CheckQuantity(&p, r.Field+".quantity", r.Quantity)
		if err := p.Err(); err != nil {
			return CreditNotePlan{}, err
		}
		if left := Creditable(l, s.Billed[l.ID]); r.Quantity.GreaterThan(left) {
			return CreditNotePlan{}, Errorf(CodeValidation, r.Field+".quantity",
				"more than can be credited: %s of line %d was billed and is not credited yet", left, l.LineNo)
		}
		want[l.ID] = r.Quantity
	}
	day := dateOnly(s.Today)
	plan := CreditNotePlan{OrderID: o.ID, CustomerID: o.CustomerID, Currency: o.Currency, ReturnID: s.ReturnID,
		CreditedInvoiceID: s.CreditedInvoiceID, Status: CreditNoteIssued, IssueDate: day,
		Event: PlannedEvent{Action: "ISSUE", To: string(CreditNoteIssued), Reason: s.Reason}}
	var amounts []Amounts
	for _, l := range s.Lines { // by order line id: the order the lines were locked in
		q, ok := want[l.ID]
		if !ok {
			continue
		}
		a := LineAmounts(q, l.UnitPrice, l.DiscountPercent, l.TaxRate, o.Currency)
		plan.Lines = append(plan.Lines, PlannedInvoiceLine{OrderLineID: l.ID, LineNo: len(plan.Lines) + 1, Quantity: q,
			UnitPrice: l.UnitPrice, DiscountPercent: l.DiscountPercent, TaxRate: l.TaxRate, Amounts: a})
		plan.Credited = append(plan.Credited, InvoicedChange{OrderLineID: l.ID, Quantity: q})
		amounts = append(amounts, a)
	}
	plan.Totals = DocumentAmounts(amounts)
	if !plan.Totals.Total.IsPositive() {
		return CreditNotePlan{}, Errorf(CodeValidation, "id", "the lines credited are worth nothing: a credit note must credit some money")
	}
	return plan, nil
}

// ReturnCreditSnapshot is what deciding a return's credit note needs.
type ReturnCreditSnapshot struct {
	Order       *SalesOrder
	Lines       []*OrderLine // the order's lines, locked
	Return      *Return
	ReturnLines []*ReturnLine
	Billed      map[int64]decimal.Decimal // per order line, on issued invoices
	Today       time.Time
}

// ReturnCreditPlan is a return's credit note and the return's step to CREDITED.
type ReturnCreditPlan struct {
	CreditNote CreditNotePlan
	Return     ReturnStepPlan
}

// PlanReturnCredit decides the credit note of a received return (else
// INVALID_TRANSITION on status, as the return machine words it): one line
// per return line, for the quantity returned but never more than the order
// line's billed less credited quantity (goods returned before they were
// invoiced are not credited: the customer was never billed for them).
// When nothing of the return was billed it is VALIDATION on id. The
// return becomes CREDITED.
func PlanReturnCredit(s ReturnCreditSnapshot) (ReturnCreditPlan, error) {
	r := s.Return
	step, err := returnStep(r, ReturnCredit, "")
	if err != nil {
		return ReturnCreditPlan{}, err
	}
	byID := linesByID(s.Lines)
	var requests []CreditNoteLineInput
	for i, rl := range s.ReturnLines {
		l, ok := byID[rl.OrderLineID]
		if !ok {
			continue
		}
		q := decimal.Min(rl.Quantity, Creditable(l, s.Billed[l.ID]))
		if q.IsPositive() {
			requests = append(requests, CreditNoteLineInput{OrderLineID: l.ID, Quantity: q, Field: fmt.Sprintf("lines.%d", i)})
		}
	}
	if len(requests) == 0 {
		return ReturnCreditPlan{}, Errorf(CodeValidation, "id",
			"nothing of return %s was invoiced: the customer was never billed for it, so there is nothing to credit", r.Number)
	}
	cn, err := PlanCreditNoteLines(CreditNoteLinesSnapshot{Order: s.Order, Lines: s.Lines, Billed: s.Billed, Requests: requests,
		ReturnID: &r.ID, Reason: "return " + r.Number, Today: s.Today})
	if err != nil {
		return ReturnCreditPlan{}, err
	}
	step.Event.Reason = "credited"
	return ReturnCreditPlan{CreditNote: cn, Return: step}, nil
}

// CreditNoteApplication is what applying (or taking back) part of a credit
// note does to it: its new applied amount (its paid_amount) and status.
type CreditNoteApplication struct {
	Applied decimal.Decimal
	Status  CreditNoteStatus
	Action  CreditNoteAction
}

// PlanCreditNoteApplication decides what change (signed) to its applied
// amount does to credit note cn: applying part or all of it moves it to
// PARTIALLY_APPLIED or APPLIED, taking some back to PARTIALLY_APPLIED or
// ISSUED, through its state machine (a void one is INVALID_TRANSITION).
// More than its total, or less than nothing, is VALIDATION on field.
func PlanCreditNoteApplication(cn *Invoice, change decimal.Decimal, field string) (CreditNoteApplication, error) {
	applied := cn.PaidAmount.Add(change)
	if applied.GreaterThan(cn.Total) || applied.IsNegative() {
		return CreditNoteApplication{}, Errorf(CodeValidation, field, "credit note %s has %s %s left to apply; %s cannot be applied",
			deref(cn.Number), cn.Total.Sub(cn.PaidAmount), cn.Currency, change)
	}
	var action CreditNoteAction
	switch {
	case change.IsPositive() && applied.Equal(cn.Total):
		action = CreditNoteApplyAll
	case change.IsPositive():
		action = CreditNoteApplyPart
	case applied.IsZero():
		action = CreditNoteUnapplyAll
	default:
		action = CreditNoteUnapplyPart
	}
	next, err := NextCreditNoteStatus(CreditNoteStatus(cn.Status), action)
	if err != nil {
		return CreditNoteApplication{}, err
	}
	return CreditNoteApplication{Applied: applied, Status: next, Action: action}, nil
}

// CheckCreditNote refuses an invoice that is not a credit note (NOT_FOUND
// on id: the caller asked for a credit note by an invoice's id).
func CheckCreditNote(inv *Invoice) error {
	if inv.Kind != KindCreditNote {
		return Errorf(CodeNotFound, "id", "credit note not found")
	}
	return nil
}

// CreditToAllocate is a credit note as an allocation sees it: its currency
// and what of it is not applied yet. Applying needs money left
// (INVALID_TRANSITION on status when it is applied in full or void).
func CreditToAllocate(cn *Invoice) (MoneyToAllocate, error) {
	if !slices.Contains(UnappliedCreditNoteStatuses(), CreditNoteStatus(cn.Status)) {
		return MoneyToAllocate{}, Errorf(CodeInvalidTransition, "status", "cannot apply a credit note that is %s", cn.Status)
	}
	return MoneyToAllocate{Currency: cn.Currency, Unallocated: cn.Balance()}, nil
}

// CreditAllocation is an amount of a credit note applied to an invoice. A
// taken-back one is kept, marked reversed.
type CreditAllocation struct {
	ID           int64           `db:"id"`
	CreditNoteID int64           `db:"credit_note_id"`
	InvoiceID    int64           `db:"invoice_id"`
	Amount       decimal.Decimal `db:"amount"`
	AllocatedAt  time.Time       `db:"allocated_at"`
	AllocatedBy  *int64          `db:"allocated_by"`
	ReversedAt   *time.Time      `db:"reversed_at"`
	ReversedBy   *int64          `db:"reversed_by"`
}

// CheckCreditNoteHistoryLimit refuses an action on a credit note whose
// history already holds MaxHistoryEvents events (each application and
// taking back writes one).
func CheckCreditNoteHistoryLimit(events int) error {
	if events >= MaxHistoryEvents {
		return Errorf(CodeValidation, "id", "credit note has %d events, the most it may have", events)
	}
	return nil
}
