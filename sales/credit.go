package sales

import (
	"fmt"

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
