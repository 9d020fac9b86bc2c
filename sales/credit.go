package sales

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// The credit check an order's confirmation runs (docs/domain.md, "Credit
// control"). It is a pure decision over figures the store reads under the
// customer's lock, so two confirmations for one customer see each other's
// orders and cannot both slip under one limit. Its inputs and outcome are
// kept whole (CreditCheck), so a credit controller sees why an order was held.

// CreditExposure is what a customer owes or has committed to, in the
// customer's currency, before the order being checked.
type CreditExposure struct {
	OpenInvoices      decimal.Decimal // open balances of issued invoices, disputed ones included
	UninvoicedOrders  decimal.Decimal // confirmed orders' value not yet invoiced
	UnallocatedCredit decimal.Decimal // payments and credit notes not yet allocated to an invoice
	OldestOverdueDays int             // days past due of the oldest unpaid invoice; 0 when none is overdue
}

// Total is the exposure the limit is held against: what is open and
// committed, less the credit the customer already has with us.
func (e CreditExposure) Total() decimal.Decimal {
	return e.OpenInvoices.Add(e.UninvoicedOrders).Sub(e.UnallocatedCredit)
}

// CreditOutcome is what a credit check decided.
type CreditOutcome string

// Credit outcomes: the order is confirmed, or held for credit control.
const (
	CreditApproved CreditOutcome = "APPROVED"
	CreditHeld     CreditOutcome = "HELD"
)

// CreditCheck is one credit check: every input, the outcome and why. It is
// what a CreditDecision record keeps.
type CreditCheck struct {
	Limit      decimal.Decimal
	CreditHold bool // the customer's own hold flag
	Exposure   CreditExposure
	OrderValue decimal.Decimal // the order being confirmed, with tax
	GraceDays  int             // how many days overdue are tolerated

	Outcome    CreditOutcome
	HoldReason *HoldReason // set when Outcome is HELD
	Reason     string      // a sentence for people: which figure decided
}

// Available is the credit left before this order: the limit less the exposure.
func (c CreditCheck) Available() decimal.Decimal { return c.Limit.Sub(c.Exposure.Total()) }

// CheckCredit decides whether an order of value may be confirmed for a
// customer with this limit, hold flag and exposure. In order, an order is
// held when the customer is on credit hold (CUSTOMER_ON_HOLD), when an
// invoice is overdue by more than graceDays (OVERDUE_INVOICES), or when the
// exposure with this order would pass the limit (CREDIT_LIMIT); otherwise it
// is approved. An order of no value is never held for the limit.
func CheckCredit(limit decimal.Decimal, creditHold bool, exposure CreditExposure, value decimal.Decimal, graceDays int) CreditCheck {
	c := CreditCheck{Limit: limit, CreditHold: creditHold, Exposure: exposure, OrderValue: value, GraceDays: graceDays, Outcome: CreditApproved}
	hold := func(reason HoldReason, format string, args ...any) CreditCheck {
		c.Outcome, c.HoldReason, c.Reason = CreditHeld, &reason, fmt.Sprintf(format, args...)
		return c
	}
	after := exposure.Total().Add(value)
	switch {
	case creditHold:
		return hold(HoldCustomerOnHold, "customer is on credit hold")
	case exposure.OldestOverdueDays > graceDays:
		return hold(HoldOverdueInvoices, "an invoice is %d days overdue; %d are tolerated", exposure.OldestOverdueDays, graceDays)
	case value.IsPositive() && after.GreaterThan(limit):
		return hold(HoldCreditLimit, "exposure with this order would be %s, over the credit limit of %s (%s available)",
			after, limit, c.Available())
	}
	c.Reason = fmt.Sprintf("exposure with this order is %s, within the credit limit of %s", after, limit)
	return c
}

// What the store sums for a customer's exposure. The states are the
// domain's; db passes them to its query as parameters.

// OpenInvoiceStatuses are the states whose balance (total less paid) a
// customer still owes: issued, partly paid, and disputed (a dispute leaves
// dunning, not exposure).
func OpenInvoiceStatuses() []InvoiceStatus {
	return []InvoiceStatus{InvoiceIssued, InvoicePartiallyPaid, InvoiceDisputed}
}

// BilledInvoiceStatuses are the states of an invoice that has billed its
// order's value: issued and not void. Drafts have not billed anything yet.
func BilledInvoiceStatuses() []InvoiceStatus {
	return []InvoiceStatus{InvoiceIssued, InvoicePartiallyPaid, InvoicePaid, InvoiceDisputed, InvoiceWrittenOff}
}

// CommittedOrderStatuses are the order states whose value not yet billed
// counts as exposure: confirmed and not finished. An order's uninvoiced
// value is its total less the totals of its billed invoices, never below
// zero. A held order is not committed (its release is a person's decision);
// a short-closed order's delivered-but-unbilled rest is not counted.
func CommittedOrderStatuses() []OrderStatus {
	return []OrderStatus{OrderConfirmed, OrderPartiallyDelivered, OrderDelivered}
}

// MaxCreditDecisionsPerOrder is how many credit decisions an order has at
// most: one, from its confirmation (a draft is confirmed once; a held order
// is released by a person, not checked again).
const MaxCreditDecisionsPerOrder = 1

// CreditDecision is a kept credit check: the figures it decided on, its
// outcome and reason, and, for a held order released later, who released
// it, when and why.
type CreditDecision struct {
	ID                int64           `db:"id"`
	OrderID           int64           `db:"order_id"`
	CustomerID        int64           `db:"customer_id"`
	Currency          string          `db:"currency"`
	Limit             decimal.Decimal `db:"credit_limit"`
	CreditHold        bool            `db:"credit_hold"`
	OpenInvoices      decimal.Decimal `db:"open_invoices"`
	UninvoicedOrders  decimal.Decimal `db:"uninvoiced_orders"`
	UnallocatedCredit decimal.Decimal `db:"unallocated_credit"`
	OldestOverdueDays int             `db:"oldest_overdue_days"`
	GraceDays         int             `db:"grace_days"`
	OrderValue        decimal.Decimal `db:"order_value"`
	Outcome           CreditOutcome   `db:"outcome"`
	HoldReason        *HoldReason     `db:"hold_reason"`
	Reason            string          `db:"reason"`
	DecidedAt         time.Time       `db:"decided_at"`
	DecidedBy         *int64          `db:"decided_by"`
	ReleasedBy        *int64          `db:"released_by"`
	ReleasedAt        *time.Time      `db:"released_at"`
	ReleaseNote       *string         `db:"release_note"`
}

// Exposure is the decision's exposure before the order, part by part.
func (d *CreditDecision) Exposure() CreditExposure {
	return CreditExposure{OpenInvoices: d.OpenInvoices, UninvoicedOrders: d.UninvoicedOrders,
		UnallocatedCredit: d.UnallocatedCredit, OldestOverdueDays: d.OldestOverdueDays}
}

// CustomerCredit is a customer's credit as a credit controller reads it:
// the limit and hold flag with the exposure now, in the customer's currency.
type CustomerCredit struct {
	Currency   string
	CreditHold bool
	Limit      decimal.Decimal
	Exposure   CreditExposure
}

// Available is the limit less the exposure; negative when over it.
func (c CustomerCredit) Available() decimal.Decimal { return c.Limit.Sub(c.Exposure.Total()) }
