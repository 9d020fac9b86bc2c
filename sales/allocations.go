package sales

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Allocating money to invoices (docs/domain.md, "Payments"): a payment or a
// credit note is applied to a customer's open invoices, never for more than
// either side has open, and only in its own currency. The store locks the
// payment and the invoices (by id) and asks PlanAllocation; it writes the
// allocations as they come back.

// OpenInvoice is an invoice as an allocation sees it.
type OpenInvoice struct {
	ID       int64
	Number   string
	Currency string
	DueDate  time.Time
	Open     decimal.Decimal // total less what is paid, credited or written off
}

// AllocationInput asks for amount of the money to go to one invoice.
type AllocationInput struct {
	InvoiceID int64
	Amount    decimal.Decimal
}

// Allocation is one amount applied to one invoice.
type Allocation struct {
	InvoiceID int64
	Amount    decimal.Decimal
}

// MoneyToAllocate is the payment or credit note being allocated: its
// currency and what of it is not allocated yet.
type MoneyToAllocate struct {
	Currency    string
	Unallocated decimal.Decimal
}

// PlanAllocation decides how money is applied to the customer's open
// invoices. With requests, each goes to its invoice as asked: an invoice
// that is not among the open ones (unknown, paid, void, or the customer's
// other currency) is VALIDATION on its invoiceId; an amount that is not
// positive, has more decimals than the currency, or passes the invoice's
// open amount is VALIDATION on its amount; requests together passing the
// money's unallocated amount are VALIDATION on "input.allocations". Without
// requests the money goes to the open invoices oldest due date first (then
// by id) until it runs out. Field paths are "input.allocations.N.…".
func PlanAllocation(money MoneyToAllocate, open []OpenInvoice, requests []AllocationInput) ([]Allocation, error) {
	if requests == nil {
		return autoAllocate(money, open), nil
	}
	byID := make(map[int64]OpenInvoice, len(open))
	for _, inv := range open {
		byID[inv.ID] = inv
	}
	left := make(map[int64]decimal.Decimal, len(open))
	for _, inv := range open {
		left[inv.ID] = inv.Open
	}
	total := decimal.Zero
	out := make([]Allocation, 0, len(requests))
	for i, r := range requests {
		field := fmt.Sprintf("input.allocations.%d", i)
		inv, ok := byID[r.InvoiceID]
		if !ok || inv.Currency != money.Currency || !inv.Open.IsPositive() {
			return nil, Errorf(CodeValidation, field+".invoiceId", "that invoice is not open for this customer in %s", money.Currency)
		}
		var p Problems
		p.Check(r.Amount.IsPositive(), field+".amount", "an allocation must be positive")
		checkMoney(&p, field+".amount", r.Amount, MinorUnits(money.Currency))
		if err := p.Err(); err != nil {
			return nil, err
		}
		if r.Amount.GreaterThan(left[inv.ID]) {
			return nil, Errorf(CodeValidation, field+".amount", "invoice %s has %s %s open; %s cannot be allocated to it",
				inv.Number, left[inv.ID], money.Currency, r.Amount)
		}
		left[inv.ID] = left[inv.ID].Sub(r.Amount)
		total = total.Add(r.Amount)
		out = append(out, Allocation{InvoiceID: inv.ID, Amount: r.Amount})
	}
	if total.GreaterThan(money.Unallocated) {
		return nil, Errorf(CodeValidation, "input.allocations", "the allocations add up to %s %s; only %s is unallocated",
			total, money.Currency, money.Unallocated)
	}
	return out, nil
}

// autoAllocate applies money to the open invoices of its currency, oldest
// due date first, until it runs out.
func autoAllocate(money MoneyToAllocate, open []OpenInvoice) []Allocation {
	due := make([]OpenInvoice, 0, len(open))
	for _, inv := range open {
		if inv.Currency == money.Currency && inv.Open.IsPositive() {
			due = append(due, inv)
		}
	}
	sort.SliceStable(due, func(i, j int) bool {
		if !due[i].DueDate.Equal(due[j].DueDate) {
			return due[i].DueDate.Before(due[j].DueDate)
		}
		return due[i].ID < due[j].ID
	})
	left := money.Unallocated
	out := []Allocation{}
	for _, inv := range due {
		if !left.IsPositive() {
			break
		}
		amount := decimal.Min(left, inv.Open)
		out = append(out, Allocation{InvoiceID: inv.ID, Amount: amount})
		left = left.Sub(amount)
	}
	return out
}
