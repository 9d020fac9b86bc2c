package sales

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestCreditNoteStates(t *testing.T) {
	checkMachine(t, CreditNoteStatuses, CreditNoteActions, map[string]CreditNoteStatus{
		"ISSUED APPLY_PART": CreditNotePartiallyApplied, "ISSUED APPLY_ALL": CreditNoteApplied, "ISSUED VOID": CreditNoteVoid,
		"PARTIALLY_APPLIED APPLY_PART": CreditNotePartiallyApplied, "PARTIALLY_APPLIED APPLY_ALL": CreditNoteApplied,
		"PARTIALLY_APPLIED UNAPPLY_PART": CreditNotePartiallyApplied, "PARTIALLY_APPLIED UNAPPLY_ALL": CreditNoteIssued,
		"APPLIED UNAPPLY_PART": CreditNotePartiallyApplied, "APPLIED UNAPPLY_ALL": CreditNoteIssued,
	}, NextCreditNoteStatus)
}

// creditOrder is invoiceOrder's order with billed and credited quantities:
// line 11 (10 × 19.99 less 5 % at 19 %), line 12 (3 × 7.50 at 7 %).
func creditOrder(billed, credited [2]string) (*SalesOrder, []*OrderLine, map[int64]decimal.Decimal) {
	o, lines := invoiceOrder(OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"10", "3"})
	o.CustomerID = 7
	lines[0].CreditedQuantity, lines[1].CreditedQuantity = dec(credited[0]), dec(credited[1])
	return o, lines, map[int64]decimal.Decimal{11: dec(billed[0]), 12: dec(billed[1])}
}

func TestPlanReturnCredit(t *testing.T) {
	day := time.Date(2026, 5, 4, 15, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		status   ReturnStatus
		billed   [2]string
		credited [2]string
		returned [2]string // "" for no return line
		want     [2]string // quantities credited; "" for no line
		total    string
		code     Code
		field    string
		message  string
	}{
		{name: "all returned, all billed", status: ReturnReceived, billed: [2]string{"10", "3"}, returned: [2]string{"2", "1"},
			want: [2]string{"2", "1"}, total: "53.23"}, // 37.98 + 7.22 tax = 45.20; 7.50 + 0.53 tax = 8.03
		{name: "capped at billed less credited", status: ReturnReceived, billed: [2]string{"4", "3"}, credited: [2]string{"3", "3"},
			returned: [2]string{"2", "1"}, want: [2]string{"1", ""}},
		{name: "one line never billed", status: ReturnReceived, billed: [2]string{"10", "0"}, returned: [2]string{"1", "2"},
			want: [2]string{"1", ""}},
		{name: "nothing billed", status: ReturnReceived, billed: [2]string{"0", "0"}, returned: [2]string{"1", "2"},
			code: CodeValidation, field: "id", message: "nothing of return RMA-2026-000001 was invoiced: the customer was never billed for it, so there is nothing to credit"},
		{name: "all billed is credited already", status: ReturnReceived, billed: [2]string{"5", "3"}, credited: [2]string{"5", "3"},
			returned: [2]string{"1", "1"}, code: CodeValidation, field: "id",
			message: "nothing of return RMA-2026-000001 was invoiced: the customer was never billed for it, so there is nothing to credit"},
		{name: "not received", status: ReturnApproved, billed: [2]string{"10", "3"}, returned: [2]string{"1", "1"},
			code: CodeInvalidTransition, field: "status", message: "cannot credit a return that is APPROVED"},
		{name: "credited already", status: ReturnCredited, billed: [2]string{"10", "3"}, returned: [2]string{"1", "1"},
			code: CodeInvalidTransition, field: "status", message: "cannot credit a return that is CREDITED"},
		{name: "rejected", status: ReturnRejected, billed: [2]string{"10", "3"}, returned: [2]string{"1", "1"},
			code: CodeInvalidTransition, field: "status", message: "cannot credit a return that is REJECTED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			credited := c.credited
			if credited[0] == "" {
				credited = [2]string{"0", "0"}
			}
			o, lines, billed := creditOrder(c.billed, credited)
			r := &Return{ID: 5, Number: "RMA-2026-000001", OrderID: o.ID, Status: c.status}
			var rls []*ReturnLine
			for i, q := range c.returned {
				if q != "" {
					rls = append(rls, &ReturnLine{ID: int64(100 + i), ReturnID: 5, OrderLineID: lines[i].ID, Quantity: dec(q)})
				}
			}
			plan, err := PlanReturnCredit(ReturnCreditSnapshot{Order: o, Lines: lines, Return: r, ReturnLines: rls, Billed: billed, Today: day})
			if c.code != "" {
				e, ok := AsError(err)
				if !ok || e.Code != c.code || e.Field != c.field || e.Message != c.message {
					t.Fatalf("error %v; want %s on %q: %q", err, c.code, c.field, c.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := [2]string{}
			var amounts []Amounts
			for _, l := range plan.CreditNote.Lines {
				i := map[int64]int{11: 0, 12: 1}[l.OrderLineID]
				got[i] = l.Quantity.String()
				src := lines[i]
				if !l.UnitPrice.Equal(src.UnitPrice) || !l.DiscountPercent.Equal(src.DiscountPercent) || !l.TaxRate.Equal(src.TaxRate) {
					t.Fatalf("line %d priced %+v; want as the order line", l.LineNo, l)
				}
				if a := LineAmounts(l.Quantity, src.UnitPrice, src.DiscountPercent, src.TaxRate, "EUR"); !sameAmounts(a, l.Amounts) {
					t.Fatalf("line %d amounts %+v; LineAmounts says %+v", l.LineNo, l.Amounts, a)
				}
				amounts = append(amounts, l.Amounts)
			}
			if got != c.want {
				t.Fatalf("credited %v; want %v", got, c.want)
			}
			cn := plan.CreditNote
			if c.total != "" && !cn.Totals.Total.Equal(dec(c.total)) {
				t.Fatalf("total %s; want %s", cn.Totals.Total, c.total)
			}
			if !sameAmounts(cn.Totals, DocumentAmounts(amounts)) || cn.Status != CreditNoteIssued || cn.ReturnID == nil || *cn.ReturnID != 5 ||
				cn.CreditedInvoiceID != nil || cn.CustomerID != 7 || cn.OrderID != o.ID || cn.Currency != "EUR" ||
				!cn.IssueDate.Equal(time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("credit note %+v", cn)
			}
			if len(cn.Credited) != len(cn.Lines) || cn.Event.Action != "ISSUE" || cn.Event.To != "ISSUED" || cn.Event.Reason != "return RMA-2026-000001" {
				t.Fatalf("credited %+v, event %+v", cn.Credited, cn.Event)
			}
			if plan.Return.Status != ReturnCredited || plan.Return.Event.Action != "CREDIT" || *plan.Return.Event.From != "RECEIVED" {
				t.Fatalf("return step %+v", plan.Return)
			}
		})
	}
}

func TestPlanCreditNoteLines(t *testing.T) {
	invoice := int64(40)
	cases := []struct {
		name    string
		reqs    []CreditNoteLineInput
		want    string // total, or error
		code    Code
		field   string
		message string
	}{
		{name: "part of a line", reqs: []CreditNoteLineInput{{OrderLineID: 12, Quantity: dec("2"), Field: "input.lines.0"}}, want: "16.05"},
		{name: "all that is left", reqs: []CreditNoteLineInput{{OrderLineID: 11, Quantity: dec("6"), Field: "input.lines.0"}}},
		{name: "more than is left", reqs: []CreditNoteLineInput{{OrderLineID: 11, Quantity: dec("6.001"), Field: "input.lines.0"}},
			code: CodeValidation, field: "input.lines.0.quantity", message: "more than can be credited: 6 of line 1 was billed and is not credited yet"},
		{name: "not on the order", reqs: []CreditNoteLineInput{{OrderLineID: 99, Quantity: dec("1"), Field: "input.lines.0"}},
			code: CodeValidation, field: "input.lines.0.orderLineId", message: "that line is not on order SO-2026-000001"},
		{name: "twice", reqs: []CreditNoteLineInput{{OrderLineID: 12, Quantity: dec("1"), Field: "input.lines.0"}, {OrderLineID: 12, Quantity: dec("1"), Field: "input.lines.1"}},
			code: CodeValidation, field: "input.lines.1.orderLineId", message: "each order line may appear once"},
		{name: "zero", reqs: []CreditNoteLineInput{{OrderLineID: 12, Quantity: dec("0"), Field: "input.lines.0"}},
			code: CodeValidation, field: "input.lines.0.quantity", message: "quantity must be greater than zero"},
		{name: "none", code: CodeValidation, field: "id", message: "a credit note needs at least one line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, lines, billed := creditOrder([2]string{"10", "3"}, [2]string{"4", "0"})
			plan, err := PlanCreditNoteLines(CreditNoteLinesSnapshot{Order: o, Lines: lines, Billed: billed, Requests: c.reqs,
				CreditedInvoiceID: &invoice, Reason: "dispute DSP-2026-000001", Today: time.Now()})
			if c.code != "" {
				e, ok := AsError(err)
				if !ok || e.Code != c.code || e.Field != c.field || e.Message != c.message {
					t.Fatalf("error %v; want %s on %q: %q", err, c.code, c.field, c.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.CreditedInvoiceID == nil || *plan.CreditedInvoiceID != invoice || plan.ReturnID != nil {
				t.Fatalf("plan credits %v / %v", plan.CreditedInvoiceID, plan.ReturnID)
			}
			if c.want != "" && !plan.Totals.Total.Equal(dec(c.want)) {
				t.Fatalf("total %s; want %s", plan.Totals.Total, c.want)
			}
		})
	}
}

func TestPlanCreditNoteApplication(t *testing.T) {
	number := "CN-2026-000001"
	cases := []struct {
		status  CreditNoteStatus
		applied string
		change  string
		want    CreditNoteStatus
		action  CreditNoteAction
		code    Code
		message string
	}{
		{status: CreditNoteIssued, applied: "0", change: "40", want: CreditNotePartiallyApplied, action: CreditNoteApplyPart},
		{status: CreditNoteIssued, applied: "0", change: "100", want: CreditNoteApplied, action: CreditNoteApplyAll},
		{status: CreditNotePartiallyApplied, applied: "40", change: "60", want: CreditNoteApplied, action: CreditNoteApplyAll},
		{status: CreditNoteApplied, applied: "100", change: "-30", want: CreditNotePartiallyApplied, action: CreditNoteUnapplyPart},
		{status: CreditNotePartiallyApplied, applied: "40", change: "-40", want: CreditNoteIssued, action: CreditNoteUnapplyAll},
		{status: CreditNoteIssued, applied: "0", change: "100.01", code: CodeValidation,
			message: "credit note CN-2026-000001 has 100 EUR left to apply; 100.01 cannot be applied"},
		{status: CreditNotePartiallyApplied, applied: "40", change: "-41", code: CodeValidation,
			message: "credit note CN-2026-000001 has 60 EUR left to apply; -41 cannot be applied"},
		{status: CreditNoteVoid, applied: "0", change: "1", code: CodeInvalidTransition, message: "cannot apply part a credit note that is VOID"},
	}
	for _, c := range cases {
		cn := &Invoice{ID: 3, Number: &number, Kind: KindCreditNote, Status: InvoiceStatus(c.status), Currency: "EUR", Total: dec("100"), PaidAmount: dec(c.applied)}
		got, err := PlanCreditNoteApplication(cn, dec(c.change), "input.allocations")
		if c.code != "" {
			e, ok := AsError(err)
			if !ok || e.Code != c.code || e.Message != c.message {
				t.Fatalf("%s %s: error %v; want %s %q", c.status, c.change, err, c.code, c.message)
			}
			continue
		}
		if err != nil || got.Status != c.want || got.Action != c.action || !got.Applied.Equal(dec(c.applied).Add(dec(c.change))) {
			t.Fatalf("%s %s: %+v, %v; want %s by %s", c.status, c.change, got, err, c.want, c.action)
		}
	}
}

// TestCreditToAllocate: only a credit note with money left is applied, for what is left.
func TestCreditToAllocate(t *testing.T) {
	for _, s := range CreditNoteStatuses {
		cn := &Invoice{Kind: KindCreditNote, Status: InvoiceStatus(s), Currency: "EUR", Total: dec("100"), PaidAmount: dec("30")}
		m, err := CreditToAllocate(cn)
		switch s {
		case CreditNoteIssued, CreditNotePartiallyApplied:
			if err != nil || m.Currency != "EUR" || !m.Unallocated.Equal(dec("70")) {
				t.Fatalf("%s: %+v, %v", s, m, err)
			}
		default:
			wantError(t, err, CodeInvalidTransition, "status", "cannot apply a credit note that is "+string(s))
		}
	}
	if err := CheckCreditNote(&Invoice{Kind: KindInvoice}); err == nil {
		t.Fatal("an invoice passed for a credit note")
	}
}

// TestCreditNotesAreNotInvoices: a credit note is never open to payments,
// never overdue, and the invoice's issue and void refuse it.
func TestCreditNotesAreNotInvoices(t *testing.T) {
	due := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	number := "CN-2026-000001"
	cn := &Invoice{ID: 3, Number: &number, Kind: KindCreditNote, Status: InvoiceIssued, Currency: "EUR", Total: dec("100"), DueDate: &due}
	if open := OpenInvoicesOf([]*Invoice{cn}); !open[0].Open.IsZero() {
		t.Fatalf("a credit note is open to payments: %+v", open)
	}
	if d := cn.DaysOverdue(due.AddDate(0, 0, 40)); d != 0 {
		t.Fatalf("a credit note is %d days overdue", d)
	}
	_, err := PlanVoid(VoidSnapshot{Invoice: cn, Order: &SalesOrder{}, Reason: "x"})
	wantError(t, err, CodeInvalidTransition, "id", "CN-2026-000001 is a credit note: the invoice actions do not apply to it")
	_, err = PlanIssue(IssueSnapshot{Invoice: cn, Order: &SalesOrder{}})
	wantError(t, err, CodeInvalidTransition, "id", "is a credit note")
}

func sameAmounts(a, b Amounts) bool {
	return a.Subtotal.Equal(b.Subtotal) && a.Tax.Equal(b.Tax) && a.Total.Equal(b.Total)
}
