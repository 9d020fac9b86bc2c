package sales

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestLimits_RefuseOnlyPastTheBound(t *testing.T) {
	cases := []struct {
		name  string
		check func(int) error
		ok    []int // accepted arguments
		over  int   // the first refused one
		limit int
		field string
	}{
		{"revision", CheckRevisionLimit, []int{1, 2, MaxRevisions}, MaxRevisions + 1, MaxRevisions, ""},
		{"delivery", CheckDeliveryLimit, []int{0, 1, MaxDeliveriesPerOrder - 1}, MaxDeliveriesPerOrder, MaxDeliveriesPerOrder, "input.orderId"},
		{"invoice", CheckInvoiceLimit, []int{0, 1, MaxInvoicesPerOrder - 1}, MaxInvoicesPerOrder, MaxInvoicesPerOrder, "input.orderId"},
		{"dispute", CheckDisputeLimit, []int{0, 1, MaxDisputesPerInvoice - 1}, MaxDisputesPerInvoice, MaxDisputesPerInvoice, "input.invoiceId"},
		{"credit note", CheckCreditNotesPerInvoice, []int{0, 1, MaxCreditNotesPerInvoice - 1}, MaxCreditNotesPerInvoice, MaxCreditNotesPerInvoice, "id"},
		{"return", CheckReturnRequestLimit, []int{0, 1, MaxReturnRequests - 1}, MaxReturnRequests, MaxReturnRequests, "input.orderId"},
	}
	for _, c := range cases {
		for _, n := range c.ok {
			if err := c.check(n); err != nil {
				t.Errorf("%s %d: %v, want accepted", c.name, n, err)
			}
		}
		for _, n := range []int{c.over, c.over + 1} {
			err := c.check(n)
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeValidation || e.Field != c.field || !strings.Contains(e.Message, strconv.Itoa(c.limit)) {
				t.Errorf("%s %d: %v, want VALIDATION on %q naming the limit %d", c.name, n, err, c.field, c.limit)
			}
		}
	}
}

// longestHistory is the most status changes a document of machine m can
// record from start: the longest path, where a self-loop action counts
// loops[action] times (an unlisted self-loop fails the test: say how often
// it can happen) and any other cycle fails the test (it would let a
// history grow without end).
func longestHistory[S ~string, A ~string](t *testing.T, name string, m machine[S, A], start S, loops map[A]int) int {
	t.Helper()
	onPath := map[S]bool{}
	var walk func(s S) int
	walk = func(s S) int {
		if onPath[s] {
			t.Fatalf("%s: a cycle through %s lets its history grow without end", name, s)
		}
		onPath[s] = true
		defer delete(onPath, s)
		best, self := 0, 0
		for a, to := range m[s] {
			if to == s {
				n, ok := loops[a]
				if !ok {
					t.Fatalf("%s: self-loop %s on %s: declare how often it records a status change", name, a, s)
				}
				self += n
				continue
			}
			best = max(best, 1+walk(to))
		}
		return self + best
	}
	return walk(start)
}

// TestLimits_HistoriesStayWithinTheirBound: a document's history (creation,
// then one event per status change; edits record none) stays within
// MaxHistoryEvents on every path its state machine allows.
func TestLimits_HistoriesStayWithinTheirBound(t *testing.T) {
	histories := map[string]int{
		// A superseded revision is revised once; a quote converts once (one order per quote).
		"quote": 1 + longestHistory(t, "quote", quoteMachine, QuoteDraft, map[QuoteAction]int{QuoteEdit: 0, QuoteRevise: 1, QuoteConvert: 1}),
		// Every delivery moves the order on once at most.
		"order":    1 + longestHistory(t, "order", orderMachine, OrderDraft, map[OrderAction]int{OrderEdit: 0, OrderDeliverPart: MaxDeliveriesPerOrder}),
		"delivery": 1 + longestHistory(t, "delivery", deliveryMachine, DeliveryDraft, map[DeliveryAction]int{DeliveryEdit: 0}),
		"return":   1 + longestHistory(t, "return", returnMachine, ReturnRequested, nil),
		// Payments and their reversals move an invoice without a history row
		// (the allocations record them), so the walk leaves them out.
		// A dispute's end sends the invoice back where it was (a cycle the walk
		// leaves out): each of its disputes adds two rows (DISPUTE, RESOLVE_*).
		"invoice": 1 + longestHistory(t, "invoice", withoutActions(invoiceMachine, InvoicePayPart, InvoicePayAll, InvoiceUnpayPart, InvoiceUnpayAll,
			InvoiceResolveUnpaid, InvoiceResolvePartPaid, InvoiceResolvePaid), InvoiceDraft, nil) + 2*MaxDisputesPerInvoice,
		"dispute": 1 + longestHistory(t, "dispute", disputeMachine, DisputeOpen, nil),
	}
	for doc, n := range histories {
		if n > MaxHistoryEvents {
			t.Errorf("a %s can record %d history events, more than MaxHistoryEvents (%d)", doc, n, MaxHistoryEvents)
		}
		t.Logf("%s: at most %d history events", doc, n)
	}
}

// withoutActions is m without actions that record no history row.
func withoutActions[S ~string, A ~string](m machine[S, A], actions ...A) machine[S, A] {
	out := machine[S, A]{}
	for s, next := range m {
		out[s] = map[A]S{}
		for a, to := range next {
			if !slices.Contains(actions, a) {
				out[s][a] = to
			}
		}
	}
	return out
}
