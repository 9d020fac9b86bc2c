package sales

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestDisputeStates(t *testing.T) {
	checkMachine(t, DisputeStatuses, DisputeActions, map[string]DisputeStatus{
		"OPEN RESOLVE": DisputeResolved,
	}, NextDisputeStatus)
}

// disputedInvoice is an issued EUR invoice of two lines: 10 × 19.99 less
// 5 % at 19 % tax (225.99) and 3 × 7.50 at 7 % (24.08), total 250.07, with
// paid as given.
func disputedInvoice(status InvoiceStatus, paid string) (*Invoice, []*InvoiceLine) {
	n := "INV-2026-000007"
	lines := []*InvoiceLine{
		{ID: 21, InvoiceID: 1, OrderLineID: 11, LineNo: 1, Quantity: dec("10"), UnitPrice: dec("19.99"), DiscountPercent: dec("5"), TaxRate: dec("0.19")},
		{ID: 22, InvoiceID: 1, OrderLineID: 12, LineNo: 2, Quantity: dec("3"), UnitPrice: dec("7.50"), DiscountPercent: decimal.Zero, TaxRate: dec("0.07")},
	}
	var amounts []Amounts
	for _, l := range lines {
		a := LineAmounts(l.Quantity, l.UnitPrice, l.DiscountPercent, l.TaxRate, "EUR")
		l.Subtotal, l.Tax, l.Total = a.Subtotal, a.Tax, a.Total
		amounts = append(amounts, a)
	}
	tot := DocumentAmounts(amounts)
	due := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	return &Invoice{ID: 1, Number: &n, Kind: KindInvoice, Status: status, Currency: "EUR", DueDate: &due,
		Subtotal: tot.Subtotal, TaxTotal: tot.Tax, Total: tot.Total, PaidAmount: dec(paid)}, lines
}

func TestPlanDispute(t *testing.T) {
	cases := []struct {
		name    string
		status  InvoiceStatus
		paid    string
		open    string
		count   int
		in      NewDispute
		amount  string // the disputed amount, or the error's field|text
		lines   string // planned quantities
		code    Code
		invoice InvoiceStatus
	}{
		{"the whole balance of an issued invoice", InvoiceIssued, "0", "", 0, NewDispute{ReasonCode: ReasonPrice}, "250.07", "", "", InvoiceDisputed},
		{"the whole balance of a part-paid invoice", InvoicePartiallyPaid, "100", "", 0, NewDispute{ReasonCode: ReasonOther, Notes: " late "}, "150.07", "", "", InvoiceDisputed},
		{"some lines, priced as the invoice line", InvoiceIssued, "0", "", 3,
			NewDispute{ReasonCode: ReasonDamaged, Lines: []DisputeLineInput{{InvoiceLineID: 22, Quantity: dec("1")}, {InvoiceLineID: 21, Quantity: dec("2")}}},
			"53.23", "2,1", "", InvoiceDisputed},
		{"a line in full up to the balance", InvoicePartiallyPaid, "24.08", "", 0,
			NewDispute{ReasonCode: ReasonQuality, Lines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("10")}}}, "225.99", "10", "", InvoiceDisputed},
		{"lines over the balance", InvoicePartiallyPaid, "24.09", "", 0,
			NewDispute{ReasonCode: ReasonQuality, Lines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("10")}}}, "input.lines|more than the balance", "", CodeValidation, ""},
		{"more than invoiced", InvoiceIssued, "0", "", 0,
			NewDispute{ReasonCode: ReasonQuantity, Lines: []DisputeLineInput{{InvoiceLineID: 22, Quantity: dec("3.001")}}}, "input.lines.0.quantity|more than was invoiced: 3 of line 2", "", CodeValidation, ""},
		{"a line of another invoice", InvoiceIssued, "0", "", 0,
			NewDispute{ReasonCode: ReasonQuantity, Lines: []DisputeLineInput{{InvoiceLineID: 99, Quantity: dec("1")}}}, "input.lines.0.invoiceLineId|not on the invoice", "", CodeValidation, ""},
		{"a line twice", InvoiceIssued, "0", "", 0,
			NewDispute{ReasonCode: ReasonQuantity, Lines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("1")}, {InvoiceLineID: 21, Quantity: dec("1")}}}, "input.lines.1.invoiceLineId|once", "", CodeValidation, ""},
		{"a zero quantity", InvoiceIssued, "0", "", 0,
			NewDispute{ReasonCode: ReasonQuantity, Lines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("0")}}}, "input.lines.0.quantity|", "", CodeValidation, ""},
		{"an unknown reason", InvoiceIssued, "0", "", 0, NewDispute{ReasonCode: "BORED"}, "input.reasonCode|unknown reason code", "", CodeValidation, ""},
		{"notes too long", InvoiceIssued, "0", "", 0, NewDispute{ReasonCode: ReasonOther, Notes: strings.Repeat("x", MaxDisputeNotes+1)}, "input.notes|at most 2000", "", CodeValidation, ""},
		{"notes at the limit", InvoiceIssued, "0", "", 0, NewDispute{ReasonCode: ReasonOther, Notes: strings.Repeat("x", MaxDisputeNotes)}, "250.07", "", "", InvoiceDisputed},
		{"a draft", InvoiceDraft, "0", "", 0, NewDispute{ReasonCode: ReasonPrice}, "input.invoiceId|it is DRAFT", "", CodeInvalidTransition, ""},
		{"a void invoice", InvoiceVoid, "0", "", 0, NewDispute{ReasonCode: ReasonPrice}, "input.invoiceId|it is VOID", "", CodeInvalidTransition, ""},
		{"a paid invoice", InvoicePaid, "250.07", "", 0, NewDispute{ReasonCode: ReasonPrice}, "input.invoiceId|it is PAID", "", CodeInvalidTransition, ""},
		{"a written-off invoice", InvoiceWrittenOff, "0", "", 1, NewDispute{ReasonCode: ReasonPrice}, "input.invoiceId|it is WRITTEN_OFF", "", CodeInvalidTransition, ""},
		{"a second open dispute", InvoiceDisputed, "0", "DSP-2026-000001", 1, NewDispute{ReasonCode: ReasonPrice}, "input.invoiceId|already disputed (DSP-2026-000001)", "", CodeInvalidTransition, ""},
		{"the last dispute an invoice may have", InvoiceIssued, "0", "", MaxDisputesPerInvoice - 1, NewDispute{ReasonCode: ReasonPrice}, "250.07", "", "", InvoiceDisputed},
		{"one dispute too many", InvoiceIssued, "0", "", MaxDisputesPerInvoice, NewDispute{ReasonCode: ReasonPrice}, "input.invoiceId|at most 10 times", "", CodeValidation, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, lines := disputedInvoice(c.status, c.paid)
			plan, err := PlanDispute(DisputeSnapshot{Invoice: inv, Lines: lines, OpenNumber: c.open, Disputes: c.count, Input: c.in})
			if c.code != "" {
				field, text, _ := strings.Cut(c.amount, "|")
				wantError(t, err, c.code, field, text)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var qs []string
			sum := decimal.Zero
			for _, l := range plan.Lines {
				qs = append(qs, l.Quantity.String())
				sum = sum.Add(l.Amount)
			}
			if plan.Amount.String() != c.amount || strings.Join(qs, ",") != c.lines || plan.InvoiceStatus != c.invoice || plan.Status != DisputeOpen || plan.Currency != "EUR" {
				t.Fatalf("plan %s (%s) %s %s, want %s (%s) %s OPEN", plan.Amount, strings.Join(qs, ","), plan.InvoiceStatus, plan.Status, c.amount, c.lines, c.invoice)
			}
			if len(plan.Lines) > 0 && !sum.Equal(plan.Amount) {
				t.Fatalf("lines add up to %s, amount %s", sum, plan.Amount)
			}
			if plan.Notes != strings.TrimSpace(c.in.Notes) || plan.InvoiceEvent.Action != "DISPUTE" || *plan.InvoiceEvent.From != string(c.status) {
				t.Fatalf("notes %q, invoice event %+v", plan.Notes, plan.InvoiceEvent)
			}
		})
	}
}

func TestPlanDisputeResolution(t *testing.T) {
	someLines := []*DisputeLine{{DisputeID: 5, InvoiceLineID: 21, Quantity: dec("2"), Amount: dec("45.20")}, {DisputeID: 5, InvoiceLineID: 22, Quantity: dec("1"), Amount: dec("8.03")}}
	cases := []struct {
		name     string
		status   DisputeStatus
		invoice  InvoiceStatus
		paid     string
		amount   string // disputed
		lines    []*DisputeLine
		in       DisputeResolutionInput
		want     string // invoice status, credit quantities and total, write-off; or field|text of the error
		code     Code
		resolved InvoiceStatus
	}{
		{"customer pays an unpaid invoice", DisputeOpen, InvoiceDisputed, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCustomerPays, Note: "agreed"}, "ISSUED", "", InvoiceIssued},
		{"customer pays a part-paid invoice", DisputeOpen, InvoiceDisputed, "100", "150.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCustomerPays}, "PARTIALLY_PAID", "", InvoicePartiallyPaid},
		{"a credit note of the disputed lines in full", DisputeOpen, InvoiceDisputed, "0", "53.23", someLines,
			DisputeResolutionInput{Resolution: ResolutionCreditNote}, "ISSUED credit 2,1 = 53.23", "", InvoiceIssued},
		{"a credit note of part of the disputed lines", DisputeOpen, InvoiceDisputed, "100", "53.23", someLines,
			DisputeResolutionInput{Resolution: ResolutionCreditNote, CreditLines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("1")}}}, "PARTIALLY_PAID credit 1 = 22.60", "", InvoicePartiallyPaid},
		{"a credit note of a whole unpaid invoice", DisputeOpen, InvoiceDisputed, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCreditNote}, "ISSUED credit 10,3 = 250.07", "", InvoiceIssued},
		{"a credit note of lines of a whole-balance dispute", DisputeOpen, InvoiceDisputed, "100", "150.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCreditNote, CreditLines: []DisputeLineInput{{InvoiceLineID: 22, Quantity: dec("3")}}}, "PARTIALLY_PAID credit 3 = 24.08", "", InvoicePartiallyPaid},
		{"a whole part-paid invoice needs its lines named", DisputeOpen, InvoiceDisputed, "100", "150.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCreditNote}, "input.creditLines|name the lines", CodeValidation, ""},
		{"credit over the disputed amount", DisputeOpen, InvoiceDisputed, "150", "100.06", nil,
			DisputeResolutionInput{Resolution: ResolutionCreditNote, CreditLines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("5")}}}, "input.creditLines|more than the 100.06 EUR disputed", CodeValidation, ""},
		{"credit over a disputed line's quantity", DisputeOpen, InvoiceDisputed, "0", "53.23", someLines,
			DisputeResolutionInput{Resolution: ResolutionCreditNote, CreditLines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("3")}}}, "input.creditLines.0.quantity|more than was disputed: 2 of line 1", CodeValidation, ""},
		{"credit of a line not disputed", DisputeOpen, InvoiceDisputed, "0", "45.20", someLines[:1],
			DisputeResolutionInput{Resolution: ResolutionCreditNote, CreditLines: []DisputeLineInput{{InvoiceLineID: 22, Quantity: dec("1")}}}, "input.creditLines.0.invoiceLineId|not disputed", CodeValidation, ""},
		{"a write-off", DisputeOpen, InvoiceDisputed, "100", "53.23", someLines,
			DisputeResolutionInput{Resolution: ResolutionWriteOff, Note: "  customer insolvent "}, "WRITTEN_OFF write-off 150.07 customer insolvent", "", InvoiceWrittenOff},
		{"a write-off without a reason", DisputeOpen, InvoiceDisputed, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: ResolutionWriteOff, Note: "   "}, "input.note|say why invoice INV-2026-000007 is written off", CodeValidation, ""},
		{"credit lines with a write-off", DisputeOpen, InvoiceDisputed, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: ResolutionWriteOff, Note: "x", CreditLines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("1")}}}, "input.creditLines|only a credit note", CodeValidation, ""},
		{"credit lines with customer pays", DisputeOpen, InvoiceDisputed, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCustomerPays, CreditLines: []DisputeLineInput{{InvoiceLineID: 21, Quantity: dec("1")}}}, "input.creditLines|only a credit note", CodeValidation, ""},
		{"an unknown resolution", DisputeOpen, InvoiceDisputed, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: "SHRUG"}, "input.resolution|unknown resolution", CodeValidation, ""},
		{"a note too long", DisputeOpen, InvoiceDisputed, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCustomerPays, Note: strings.Repeat("x", MaxResolutionNote+1)}, "input.note|at most 1000", CodeValidation, ""},
		{"resolving twice", DisputeResolved, InvoiceIssued, "0", "250.07", nil,
			DisputeResolutionInput{Resolution: ResolutionCustomerPays}, "status|cannot resolve a dispute that is RESOLVED", CodeInvalidTransition, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, lines := disputedInvoice(c.invoice, c.paid)
			d := &Dispute{ID: 5, Number: "DSP-2026-000001", InvoiceID: 1, Status: c.status, Currency: "EUR", DisputedAmount: dec(c.amount)}
			plan, err := PlanDisputeResolution(ResolutionSnapshot{Dispute: d, Lines: c.lines, Invoice: inv, InvoiceLines: lines, Input: c.in})
			if c.code != "" {
				field, text, _ := strings.Cut(c.want, "|")
				wantError(t, err, c.code, field, text)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := string(plan.InvoiceStatus)
			if len(plan.Credit) > 0 {
				var qs []string
				for _, l := range plan.Credit {
					qs = append(qs, l.Quantity.String())
				}
				got += " credit " + strings.Join(qs, ",") + " = " + plan.CreditTotals.Total.StringFixed(2)
			}
			if plan.WriteOff != nil {
				got += " write-off " + plan.WriteOff.Amount.String() + " " + plan.WriteOff.Reason
			}
			if got != c.want || plan.Status != DisputeResolved || plan.Resolution != c.in.Resolution || plan.InvoiceStatus != c.resolved {
				t.Fatalf("plan %q %s, want %q RESOLVED", got, plan.Status, c.want)
			}
			if plan.Note != strings.TrimSpace(c.in.Note) || plan.Event.Action != "RESOLVE" || *plan.Event.From != "OPEN" || *plan.InvoiceEvent.From != "DISPUTED" {
				t.Fatalf("note %q, events %+v %+v", plan.Note, plan.Event, plan.InvoiceEvent)
			}
		})
	}
}

func TestResolvedInvoiceAction(t *testing.T) {
	for paid, want := range map[string]InvoiceAction{"0": InvoiceResolveUnpaid, "0.01": InvoiceResolvePartPaid, "250.06": InvoiceResolvePartPaid, "250.07": InvoiceResolvePaid} {
		inv, _ := disputedInvoice(InvoiceDisputed, paid)
		if got := ResolvedInvoiceAction(inv); got != want {
			t.Errorf("paid %s: %s, want %s", paid, got, want)
		}
	}
}

// A disputed invoice is still owed (exposure), but is not dunned and takes
// no payment while the dispute runs.
func TestDisputedInvoice_OwedNotDunnedNotPayable(t *testing.T) {
	if !slices.Contains(OpenInvoiceStatuses(), InvoiceDisputed) {
		t.Error("a disputed invoice left the customer's exposure")
	}
	if slices.Contains(DunnableInvoiceStatuses(), InvoiceDisputed) {
		t.Error("a disputed invoice is dunned")
	}
	if slices.Contains(PayableInvoiceStatuses(), InvoiceDisputed) {
		t.Error("a disputed invoice takes payments")
	}
	inv, _ := disputedInvoice(InvoiceDisputed, "0")
	late := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if inv.IsOverdue(late) || inv.DaysOverdue(late) != 0 {
		t.Errorf("a disputed invoice is %d days overdue", inv.DaysOverdue(late))
	}
	if open := OpenInvoicesOf([]*Invoice{inv}); !open[0].Open.IsZero() {
		t.Errorf("a disputed invoice has %s open to payments", open[0].Open)
	}
	if _, err := PlanInvoicePayment(inv, dec("10"), "input.allocations.0.amount"); CodeOf(err) != CodeInvalidTransition {
		t.Errorf("paying a disputed invoice: %v, want INVALID_TRANSITION", err)
	}
	inv.Status = InvoiceIssued
	if !inv.IsOverdue(late) {
		t.Error("the same invoice, issued, is not overdue: the test proves nothing")
	}
}
