package sales

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The payment (docs/domain.md, "Payments"): money a customer sent, in the
// customer's currency, applied to their open invoices by allocations. What
// is not allocated (nor refunded) is the customer's credit; a payment that
// names an order not yet invoiced is a deposit for that order. db locks the
// customer, then the payment, then the invoices (by id), and writes what
// these decide.

// PaymentMethod is how the money arrived.
type PaymentMethod string

// Payment methods.
const (
	MethodBankTransfer PaymentMethod = "BANK_TRANSFER"
	MethodCard         PaymentMethod = "CARD"
	MethodCash         PaymentMethod = "CASH"
	MethodCheque       PaymentMethod = "CHEQUE"
	MethodOther        PaymentMethod = "OTHER"
)

// PaymentMethods lists every method.
var PaymentMethods = []PaymentMethod{MethodBankTransfer, MethodCard, MethodCash, MethodCheque, MethodOther}

// PaymentStatus is where a payment's money stands. It follows from its
// amounts (PaymentStatusOf), so it is never set by hand.
type PaymentStatus string

// Payment states.
const (
	PaymentUnallocated        PaymentStatus = "UNALLOCATED"         // nothing allocated; money left
	PaymentPartiallyAllocated PaymentStatus = "PARTIALLY_ALLOCATED" // some allocated, some left
	PaymentAllocated          PaymentStatus = "ALLOCATED"           // nothing left; some allocated
	PaymentRefunded           PaymentStatus = "REFUNDED"            // nothing left; all of it refunded
)

// PaymentAction is something done to a payment.
type PaymentAction string

// Payment actions.
const (
	PaymentRecord     PaymentAction = "RECORD"
	PaymentAllocate   PaymentAction = "ALLOCATE"
	PaymentUnallocate PaymentAction = "UNALLOCATE"
	PaymentRefund     PaymentAction = "REFUND"
)

// PaymentStatuses and PaymentActions list every state and action.
var (
	PaymentStatuses = []PaymentStatus{PaymentUnallocated, PaymentPartiallyAllocated, PaymentAllocated, PaymentRefunded}
	PaymentActions  = []PaymentAction{PaymentAllocate, PaymentUnallocate, PaymentRefund}
)

// paymentActions is what each state allows: allocating and refunding need
// money left, unallocating needs an allocation. Where the action leads
// depends on the amounts (PaymentStatusOf).
var paymentActions = map[PaymentStatus][]PaymentAction{
	PaymentUnallocated:        {PaymentAllocate, PaymentRefund},
	PaymentPartiallyAllocated: {PaymentAllocate, PaymentUnallocate, PaymentRefund},
	PaymentAllocated:          {PaymentUnallocate},
}

// CheckPaymentAction refuses an action the payment's state does not allow (INVALID_TRANSITION).
func CheckPaymentAction(from PaymentStatus, action PaymentAction) error {
	if slices.Contains(paymentActions[from], action) {
		return nil
	}
	return &Error{Code: CodeInvalidTransition, Field: "status",
		Message: "cannot " + humanAction(string(action)) + " a payment that is " + string(from)}
}

// PaymentStatusOf is the state of a payment of amount with allocated and refunded.
func PaymentStatusOf(amount, allocated, refunded decimal.Decimal) PaymentStatus {
	left := amount.Sub(allocated).Sub(refunded)
	switch {
	case !left.IsPositive() && allocated.IsZero():
		return PaymentRefunded
	case !left.IsPositive():
		return PaymentAllocated
	case allocated.IsZero():
		return PaymentUnallocated
	default:
		return PaymentPartiallyAllocated
	}
}

// DocPayment is the payment's document type.
const DocPayment DocumentType = "PAYMENT"

var paymentDocument = describe(DocumentDescription{
	Type: DocPayment, Name: "payment", Table: "payments", Series: "PAY",
	NodeType: "Payment", States: names(PaymentStatuses),
	Children: []ChildType{{Table: "payment_allocations", NodeType: "PaymentAllocation"}},
})

// Payment is money received from a customer.
type Payment struct {
	ID              int64           `db:"id"`
	Number          string          `db:"number"`
	CustomerID      int64           `db:"customer_id"`
	OrderID         *int64          `db:"order_id"`
	Currency        string          `db:"currency"`
	Amount          decimal.Decimal `db:"amount"`
	AllocatedAmount decimal.Decimal `db:"allocated_amount"`
	RefundedAmount  decimal.Decimal `db:"refunded_amount"`
	Status          PaymentStatus   `db:"status"`
	ReceivedDate    time.Time       `db:"received_date"`
	Method          PaymentMethod   `db:"method"`
	Reference       string          `db:"reference"`
	CreatedBy       *int64          `db:"created_by"`
	Version         int             `db:"version"`
	CreatedAt       time.Time       `db:"created_at"`
	UpdatedAt       time.Time       `db:"updated_at"`
}

// Unallocated is what of the payment is neither allocated nor refunded.
func (p *Payment) Unallocated() decimal.Decimal {
	return p.Amount.Sub(p.AllocatedAmount).Sub(p.RefundedAmount)
}

// PaymentAllocation is an amount of a payment applied to an invoice. An
// unallocated one is kept, marked reversed, so the history stays.
type PaymentAllocation struct {
	ID          int64           `db:"id"`
	PaymentID   int64           `db:"payment_id"`
	InvoiceID   int64           `db:"invoice_id"`
	Amount      decimal.Decimal `db:"amount"`
	AllocatedAt time.Time       `db:"allocated_at"`
	AllocatedBy *int64          `db:"allocated_by"`
	ReversedAt  *time.Time      `db:"reversed_at"`
	ReversedBy  *int64          `db:"reversed_by"`
}

// PaymentFilter narrows a list of payments; OwnerID limits it to a sales
// rep's own customers (set from the viewer, never from input).
type PaymentFilter struct {
	CustomerID *int64
	OrderID    *int64
	OwnerID    *int64
}

// NewPayment asks to record a payment. Allocations nil means
// auto-allocation, oldest due first (to the order's invoices when an order
// is named); an empty list allocates nothing.
type NewPayment struct {
	CustomerID   int64
	OrderID      *int64
	Amount       decimal.Decimal
	Currency     string
	ReceivedDate *time.Time
	Method       PaymentMethod
	Reference    string
	Allocations  []AllocationInput
}

// CheckNewPayment validates a payment for customer c before anything is
// written: a positive amount with at most the currency's decimals, the
// customer's own currency (VALIDATION on input.currency), a known method
// and a reference of at most 100 characters.
func CheckNewPayment(in NewPayment, c *Customer) error {
	var p Problems
	p.Check(in.Amount.IsPositive(), "input.amount", "a payment's amount must be positive")
	checkMoney(&p, "input.amount", in.Amount, MinorUnits(c.Currency))
	p.Check(in.Currency == c.Currency, "input.currency", "customer %s pays in %s, not %s", c.Code, c.Currency, in.Currency)
	p.Check(slices.Contains(PaymentMethods, in.Method), "input.method", "unknown payment method %q", in.Method)
	CheckText(&p, "input.reference", in.Reference, 0, 100)
	return p.Err()
}

// InvoicePayment is what an allocation (or its reversal) does to an
// invoice: its new paid amount and status, and the action that led there.
type InvoicePayment struct {
	InvoiceID int64
	Paid      decimal.Decimal
	Status    InvoiceStatus
	Action    InvoiceAction
}

// PlanInvoicePayment decides what change (signed) to its paid amount does
// to invoice inv: paying part or all of it moves it to PARTIALLY_PAID or
// PAID, taking money back to PARTIALLY_PAID or ISSUED, through the invoice
// state machine (a draft or void invoice is INVALID_TRANSITION). More than
// its total, or less than nothing, is VALIDATION on field.
func PlanInvoicePayment(inv *Invoice, change decimal.Decimal, field string) (InvoicePayment, error) {
	paid := inv.PaidAmount.Add(change)
	if paid.GreaterThan(inv.Total) || paid.IsNegative() {
		return InvoicePayment{}, Errorf(CodeValidation, field, "invoice %s would be paid %s of its %s", deref(inv.Number), paid, inv.Total)
	}
	var action InvoiceAction
	switch {
	case change.IsPositive() && paid.Equal(inv.Total):
		action = InvoicePayAll
	case change.IsPositive():
		action = InvoicePayPart
	case paid.IsZero():
		action = InvoiceUnpayAll
	default:
		action = InvoiceUnpayPart
	}
	next, err := NextInvoiceStatus(inv.Status, action)
	if err != nil {
		return InvoicePayment{}, err
	}
	return InvoicePayment{InvoiceID: inv.ID, Paid: paid, Status: next, Action: action}, nil
}

// Settlement is what a plan of allocations does to the invoices it
// settles: each invoice's new paid amount and state, one per invoice in the
// order the plan first names it, and the money allocated in all.
type Settlement struct {
	Invoices []InvoicePayment
	Total    decimal.Decimal
}

// PlanSettlement applies plan (from a payment or a credit note, they settle
// alike) to invoices, each allocation in turn through PlanInvoicePayment on
// the invoice as the earlier ones left it; a refusal names the allocation's
// amount (input.allocations.N.amount). Every planned invoice must be in
// invoices.
func PlanSettlement(invoices []*Invoice, plan []Allocation) (Settlement, error) {
	byID := make(map[int64]*Invoice, len(invoices))
	for _, inv := range invoices {
		byID[inv.ID] = inv
	}
	var s Settlement
	at := map[int64]int{} // invoice ID → its index in s.Invoices
	for i, a := range plan {
		inv := *byID[a.InvoiceID]
		k, seen := at[inv.ID]
		if seen {
			inv.PaidAmount, inv.Status = s.Invoices[k].Paid, s.Invoices[k].Status
		}
		c, err := PlanInvoicePayment(&inv, a.Amount, fmt.Sprintf("input.allocations.%d.amount", i))
		if err != nil {
			return Settlement{}, err
		}
		if seen {
			s.Invoices[k] = c
		} else {
			at[inv.ID] = len(s.Invoices)
			s.Invoices = append(s.Invoices, c)
		}
		s.Total = s.Total.Add(a.Amount)
	}
	return s, nil
}

func deref(s *string) string {
	if s == nil {
		return "(draft)"
	}
	return *s
}

// PayableInvoiceStatuses are the states an invoice takes payments in.
func PayableInvoiceStatuses() []InvoiceStatus {
	return []InvoiceStatus{InvoiceIssued, InvoicePartiallyPaid}
}

// OpenInvoicesOf is invoices as an allocation sees them: only those that
// take payments (of kind INVOICE, not credit notes) have anything open.
func OpenInvoicesOf(invoices []*Invoice) []OpenInvoice {
	out := make([]OpenInvoice, 0, len(invoices))
	for _, inv := range invoices {
		open := inv.Balance()
		if inv.Kind == KindCreditNote || !slices.Contains(PayableInvoiceStatuses(), inv.Status) || inv.DueDate == nil {
			open = decimal.Zero
		}
		var due time.Time
		if inv.DueDate != nil {
			due = *inv.DueDate
		}
		out = append(out, OpenInvoice{ID: inv.ID, Number: deref(inv.Number), Currency: inv.Currency, DueDate: due, Open: open})
	}
	return out
}

// CheckRefund validates refunding amount of payment p for a reason: only
// what is unallocated can be refunded (VALIDATION on amount), with the
// currency's decimals, for a reason (VALIDATION on reason).
func CheckRefund(p *Payment, amount decimal.Decimal, reason string) (string, error) {
	if err := CheckPaymentAction(p.Status, PaymentRefund); err != nil {
		return "", err
	}
	var pr Problems
	pr.Check(amount.IsPositive(), "amount", "a refund must be positive")
	checkMoney(&pr, "amount", amount, MinorUnits(p.Currency))
	if err := pr.Err(); err != nil {
		return "", err
	}
	if amount.GreaterThan(p.Unallocated()) {
		return "", Errorf(CodeValidation, "amount", "only %s %s of payment %s is unallocated; %s cannot be refunded",
			p.Unallocated(), p.Currency, p.Number, amount)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", Errorf(CodeValidation, "reason", "say why the money is refunded")
	}
	var pr2 Problems
	CheckText(&pr2, "reason", reason, 1, 500)
	return reason, pr2.Err()
}

// CheckPaymentHistoryLimit refuses an action on a payment whose history
// already holds MaxHistoryEvents events (Payment.history).
func CheckPaymentHistoryLimit(events int) error {
	if events >= MaxHistoryEvents {
		return Errorf(CodeValidation, "id", "payment has %d events, the most it may have; record a new payment instead", events)
	}
	return nil
}

// CheckAllocationLimit refuses allocations that would give a payment or an
// invoice more than MaxAllocations rows, reversed ones included
// (Payment.allocations, Invoice.payments).
func CheckAllocationLimit(what string, existing, adding int) error {
	if existing+adding > MaxAllocations {
		return Errorf(CodeValidation, "input.allocations", "%s may have at most %d allocations, reversed ones included; it has %d",
			what, MaxAllocations, existing)
	}
	return nil
}

// paymentEvent is a payment's history row for action, from its state before to after.
func paymentEvent(action PaymentAction, from, to PaymentStatus, reason string) PlannedEvent {
	f := string(from)
	return PlannedEvent{Action: string(action), From: &f, To: string(to), Reason: reason}
}

// PaymentEvent is the history row of action on a payment that went from from to to.
func PaymentEvent(action PaymentAction, from, to PaymentStatus, reason string) PlannedEvent {
	if action == PaymentRecord {
		return PlannedEvent{Action: string(action), To: string(to), Reason: reason}
	}
	return paymentEvent(action, from, to, reason)
}

// AllocationReason words an allocation for a payment's history.
func AllocationReason(verb string, allocations []Allocation, numbers map[int64]string, currency string) string {
	parts := make([]string, len(allocations))
	for i, a := range allocations {
		parts[i] = fmt.Sprintf("%s %s %s", numbers[a.InvoiceID], a.Amount, currency)
	}
	return verb + " " + strings.Join(parts, ", ")
}

// CheckPaymentOrder refuses a payment for customer c that names an order
// of another customer (VALIDATION on input.orderId), or an order that
// already has MaxDepositsPerOrder payments (SalesOrder.payments).
func CheckPaymentOrder(c *Customer, orderCustomerID int64, payments int) error {
	if orderCustomerID != c.ID {
		return Errorf(CodeValidation, "input.orderId", "that order is not customer %s's", c.Code)
	}
	if payments >= MaxDepositsPerOrder {
		return Errorf(CodeValidation, "input.orderId", "an order may have at most %d payments, and this one has %d", MaxDepositsPerOrder, payments)
	}
	return nil
}

// CheckDeposit validates the deposit an order asks for, in currency: an
// amount (positive, the currency's decimals; VALIDATION on
// input.depositAmount) or a percentage (more than 0, at most 100, two
// decimals; on input.depositPercent), not both.
func CheckDeposit(amount, percent *decimal.Decimal, currency string) error {
	var p Problems
	if amount != nil && percent != nil {
		return Errorf(CodeValidation, "input.depositPercent", "ask for a deposit amount or a percentage, not both")
	}
	if amount != nil {
		p.Check(amount.IsPositive(), "input.depositAmount", "a deposit must be positive")
		checkMoney(&p, "input.depositAmount", *amount, MinorUnits(currency))
	}
	if percent != nil {
		p.Check(percent.IsPositive() && percent.LessThanOrEqual(decimal.NewFromInt(100)), "input.depositPercent",
			"a deposit percentage is more than 0 and at most 100")
		p.Check(percent.Equal(percent.Truncate(2)), "input.depositPercent", "a deposit percentage has at most 2 decimal places")
	}
	return p.Err()
}

// DepositRequired is the deposit order o requires before it ships: its
// amount, or its percentage of the total rounded to the currency; zero
// when it requires none.
func DepositRequired(o *SalesOrder) decimal.Decimal {
	switch {
	case o.DepositAmount != nil:
		return *o.DepositAmount
	case o.DepositPercent != nil:
		return o.Total.Mul(*o.DepositPercent).Div(decimal.NewFromInt(100)).Round(MinorUnits(o.Currency))
	}
	return decimal.Zero
}

// RequiresDeposit reports whether order o must receive a deposit before it ships.
func RequiresDeposit(o *SalesOrder) bool { return o.DepositAmount != nil || o.DepositPercent != nil }

// CheckDepositReceived refuses to ship order o while the deposits received
// fall short of the deposit it requires (DEPOSIT_REQUIRED on id).
func CheckDepositReceived(o *SalesOrder, received decimal.Decimal) error {
	required := DepositRequired(o)
	if !required.IsPositive() || received.GreaterThanOrEqual(required) {
		return nil
	}
	return Errorf(CodeDepositRequired, "id", "order %s requires a deposit of %s %s before it ships; %s has been received",
		o.Number, required, o.Currency, received)
}
