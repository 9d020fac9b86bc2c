package sales

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestInvoiceStates(t *testing.T) {
	checkMachine(t, InvoiceStatuses, InvoiceActions, map[string]InvoiceStatus{
		"DRAFT ISSUE": InvoiceIssued, "DRAFT VOID": InvoiceVoid,
		"ISSUED PAY_PART": InvoicePartiallyPaid, "ISSUED PAY_ALL": InvoicePaid, "ISSUED DISPUTE": InvoiceDisputed, "ISSUED VOID": InvoiceVoid,
		"PARTIALLY_PAID PAY_PART": InvoicePartiallyPaid, "PARTIALLY_PAID PAY_ALL": InvoicePaid, "PARTIALLY_PAID DISPUTE": InvoiceDisputed,
		"PARTIALLY_PAID UNPAY_PART": InvoicePartiallyPaid, "PARTIALLY_PAID UNPAY_ALL": InvoiceIssued,
		"PAID UNPAY_PART": InvoicePartiallyPaid, "PAID UNPAY_ALL": InvoiceIssued,
		"DISPUTED WRITE_OFF":      InvoiceWrittenOff,
		"DISPUTED RESOLVE_UNPAID": InvoiceIssued, "DISPUTED RESOLVE_PART_PAID": InvoicePartiallyPaid, "DISPUTED RESOLVE_PAID": InvoicePaid,
	}, NextInvoiceStatus)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// invoiceOrder is an order of two lines: 10 × 19.99 less 5 % at 19 % tax,
// and 3 × 7.50 at 7 %, with delivered and invoiced as given.
func invoiceOrder(status OrderStatus, policy InvoicingPolicy, delivered, invoiced [2]string) (*SalesOrder, []*OrderLine) {
	o := &SalesOrder{ID: 1, Number: "SO-2026-000001", Currency: "EUR", Status: status, InvoicingPolicy: policy, PaymentTermsDays: 30}
	return o, []*OrderLine{
		{ID: 11, LineNo: 1, Quantity: dec("10"), DeliveredQuantity: dec(delivered[0]), InvoicedQuantity: dec(invoiced[0]),
			UnitPrice: dec("19.99"), DiscountPercent: dec("5"), TaxRate: dec("0.19")},
		{ID: 12, LineNo: 2, Quantity: dec("3"), DeliveredQuantity: dec(delivered[1]), InvoicedQuantity: dec(invoiced[1]),
			UnitPrice: dec("7.50"), DiscountPercent: decimal.Zero, TaxRate: dec("0.07")},
	}
}

func wantError(t *testing.T, err error, code Code, field, text string) {
	t.Helper()
	e, ok := AsError(err)
	if !ok || e.Code != code || e.Field != field || !strings.Contains(e.Message, text) {
		t.Fatalf("error %v, want %s on %q containing %q", err, code, field, text)
	}
}

func TestPlanInvoice(t *testing.T) {
	qty := func(lines []PlannedInvoiceLine) string {
		var parts []string
		for _, l := range lines {
			parts = append(parts, l.Quantity.String())
		}
		return strings.Join(parts, ",")
	}
	cases := []struct {
		name      string
		status    OrderStatus
		policy    InvoicingPolicy
		delivered [2]string
		invoiced  [2]string
		lines     []InvoiceLineInput
		want      string // quantities planned, or the error's field and text
		code      Code
	}{
		{"delivered policy bills what was delivered", OrderPartiallyDelivered, InvoiceDelivered, [2]string{"4", "3"}, [2]string{"0", "0"}, nil, "4,3", ""},
		{"less what is invoiced", OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"4", "3"}, nil, "6", ""},
		{"ordered policy bills what was ordered", OrderConfirmed, InvoiceOrdered, [2]string{"0", "0"}, [2]string{"0", "1"}, nil, "10,2", ""},
		{"a closed order bills only what was delivered", OrderClosed, InvoiceOrdered, [2]string{"4", "0"}, [2]string{"0", "0"}, nil, "4", ""},
		{"lines asked for", OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"0", "0"},
			[]InvoiceLineInput{{OrderLineID: 12, Quantity: dec("1")}}, "1", ""},
		{"exactly what is left", OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"7", "0"},
			[]InvoiceLineInput{{OrderLineID: 11, Quantity: dec("3")}}, "3", ""},
		{"more than is left", OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"7", "0"},
			[]InvoiceLineInput{{OrderLineID: 12, Quantity: dec("1")}, {OrderLineID: 11, Quantity: dec("3.001")}}, "input.lines.1.quantity|3 of line 1", CodeValidation},
		{"more than delivered", OrderPartiallyDelivered, InvoiceDelivered, [2]string{"4", "0"}, [2]string{"0", "0"},
			[]InvoiceLineInput{{OrderLineID: 12, Quantity: dec("1")}}, "input.lines.0.quantity|0 of line 2", CodeValidation},
		{"a line of another order", OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"0", "0"},
			[]InvoiceLineInput{{OrderLineID: 99, Quantity: dec("1")}}, "input.lines.0.orderLineId|not on order", CodeValidation},
		{"a line twice", OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"0", "0"},
			[]InvoiceLineInput{{OrderLineID: 11, Quantity: dec("1")}, {OrderLineID: 11, Quantity: dec("1")}}, "input.lines.1.orderLineId|once", CodeValidation},
		{"nothing left", OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"10", "3"}, nil, "input.orderId|nothing left", CodeValidation},
		{"nothing delivered yet", OrderConfirmed, InvoiceDelivered, [2]string{"0", "0"}, [2]string{"0", "0"}, nil, "input.orderId|nothing left", CodeValidation},
		{"a draft order", OrderDraft, InvoiceOrdered, [2]string{"0", "0"}, [2]string{"0", "0"}, nil, "input.orderId|DRAFT", CodeInvalidTransition},
		{"an order on hold", OrderOnHold, InvoiceOrdered, [2]string{"0", "0"}, [2]string{"0", "0"}, nil, "input.orderId|ON_HOLD", CodeInvalidTransition},
		{"a cancelled order", OrderCancelled, InvoiceOrdered, [2]string{"0", "0"}, [2]string{"0", "0"}, nil, "input.orderId|CANCELLED", CodeInvalidTransition},
		{"a completed order", OrderCompleted, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"10", "3"}, nil, "input.orderId|COMPLETED", CodeInvalidTransition},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, lines := invoiceOrder(c.status, c.policy, c.delivered, c.invoiced)
			plan, err := PlanInvoice(NewInvoiceSnapshot{Order: o, Lines: lines, Input: NewInvoice{OrderID: 1, Lines: c.lines}})
			if c.code != "" {
				field, text, _ := strings.Cut(c.want, "|")
				wantError(t, err, c.code, field, text)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := qty(plan.Lines); got != c.want {
				t.Fatalf("quantities %s, want %s", got, c.want)
			}
			if plan.Status != InvoiceDraft || plan.Kind != KindInvoice || plan.Currency != "EUR" || len(plan.Invoiced) != len(plan.Lines) {
				t.Fatalf("plan %+v", plan)
			}
		})
	}
}

// TestPlanInvoice_Amounts: lines priced by LineAmounts, per line rounded to
// the cent, and totals the sum of the rows.
func TestPlanInvoice_Amounts(t *testing.T) {
	o, lines := invoiceOrder(OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"0", "0"})
	plan, err := PlanInvoice(NewInvoiceSnapshot{Order: o, Lines: lines, Input: NewInvoice{Lines: []InvoiceLineInput{
		{OrderLineID: 12, Quantity: dec("3")}, {OrderLineID: 11, Quantity: dec("7")}}}})
	if err != nil {
		t.Fatal(err)
	}
	// 7 × 19.99 = 139.93, less 5 % = 132.9335 → 132.93; tax 25.2567 → 25.26.
	// 3 × 7.50 = 22.50; tax 1.575 → 1.58.
	want := []string{"1 11 7 132.93 25.26 158.19", "2 12 3 22.5 1.58 24.08"}
	for i, l := range plan.Lines {
		got := strings.Join([]string{decimal.NewFromInt(int64(l.LineNo)).String(), decimal.NewFromInt(l.OrderLineID).String(),
			l.Quantity.String(), l.Subtotal.String(), l.Tax.String(), l.Total.String()}, " ")
		if got != want[i] {
			t.Errorf("line %d: %s, want %s", i, got, want[i])
		}
	}
	if plan.Totals.Subtotal.String() != "155.43" || plan.Totals.Tax.String() != "26.84" || plan.Totals.Total.String() != "182.27" {
		t.Fatalf("totals %+v, want 155.43 + 26.84 = 182.27", plan.Totals)
	}
}

func TestPlanInvoice_Limit(t *testing.T) {
	o, lines := invoiceOrder(OrderDelivered, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"0", "0"})
	_, err := PlanInvoice(NewInvoiceSnapshot{Order: o, Lines: lines, Invoices: MaxInvoicesPerOrder})
	wantError(t, err, CodeValidation, "input.orderId", "20")
	if _, err := PlanInvoice(NewInvoiceSnapshot{Order: o, Lines: lines, Invoices: MaxInvoicesPerOrder - 1}); err != nil {
		t.Fatal(err)
	}
}

func TestPlanIssue(t *testing.T) {
	today := time.Date(2026, 11, 30, 15, 4, 0, 0, time.UTC)
	cases := []struct {
		name        string
		invoice     InvoiceStatus
		order       OrderStatus
		invoiced    [2]string
		otherDrafts int
		complete    bool
		err         bool
	}{
		{"the last invoice completes a delivered order", InvoiceDraft, OrderDelivered, [2]string{"10", "3"}, 0, true, false},
		{"not while another draft is left", InvoiceDraft, OrderDelivered, [2]string{"10", "3"}, 1, false, false},
		{"not while a line is left to invoice", InvoiceDraft, OrderDelivered, [2]string{"10", "2"}, 0, false, false},
		{"not before it is delivered", InvoiceDraft, OrderPartiallyDelivered, [2]string{"10", "3"}, 0, false, false},
		{"not a closed order", InvoiceDraft, OrderClosed, [2]string{"10", "3"}, 0, false, false},
		{"an issued invoice", InvoiceIssued, OrderDelivered, [2]string{"10", "3"}, 0, false, true},
		{"a void invoice", InvoiceVoid, OrderDelivered, [2]string{"10", "3"}, 0, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			delivered := [2]string{"10", "3"}
			if c.order == OrderPartiallyDelivered || c.order == OrderClosed {
				delivered = [2]string{"10", "2"}
			}
			o, lines := invoiceOrder(c.order, InvoiceOrdered, delivered, c.invoiced)
			plan, err := PlanIssue(IssueSnapshot{Invoice: &Invoice{Status: c.invoice}, Order: o, Lines: lines, OtherDrafts: c.otherDrafts, Today: today})
			if c.err {
				wantError(t, err, CodeInvalidTransition, "status", string(c.invoice))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.Status != InvoiceIssued || plan.IssueDate.Format(time.DateOnly) != "2026-11-30" || plan.DueDate.Format(time.DateOnly) != "2026-12-30" {
				t.Fatalf("plan %+v, want ISSUED on 2026-11-30 due 2026-12-30", plan)
			}
			if plan.CompleteOrder != c.complete {
				t.Fatalf("complete order: %v, want %v", plan.CompleteOrder, c.complete)
			}
		})
	}
}

func TestPlanVoid(t *testing.T) {
	lines := []*InvoiceLine{{OrderLineID: 11, Quantity: dec("4")}, {OrderLineID: 12, Quantity: dec("1")}}
	cases := []struct {
		name   string
		status InvoiceStatus
		paid   string
		order  OrderStatus
		reason string
		code   Code
		field  string
	}{
		{"a draft", InvoiceDraft, "0", OrderDelivered, "typo", "", ""},
		{"an issued, unpaid invoice", InvoiceIssued, "0", OrderDelivered, "wrong customer", "", ""},
		{"an issued invoice with money on it", InvoiceIssued, "0.01", OrderDelivered, "x", CodeValidation, "id"},
		{"a partly paid invoice", InvoicePartiallyPaid, "5", OrderDelivered, "x", CodeInvalidTransition, "status"},
		{"a paid invoice", InvoicePaid, "10", OrderDelivered, "x", CodeInvalidTransition, "status"},
		{"a disputed invoice", InvoiceDisputed, "0", OrderDelivered, "x", CodeInvalidTransition, "status"},
		{"a void invoice", InvoiceVoid, "0", OrderDelivered, "x", CodeInvalidTransition, "status"},
		{"a written-off invoice", InvoiceWrittenOff, "0", OrderDelivered, "x", CodeInvalidTransition, "status"},
		{"of a completed order", InvoiceIssued, "0", OrderCompleted, "x", CodeValidation, "id"},
		{"without a reason", InvoiceIssued, "0", OrderDelivered, "  ", CodeValidation, "reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, _ := invoiceOrder(c.order, InvoiceDelivered, [2]string{"10", "3"}, [2]string{"10", "3"})
			plan, err := PlanVoid(VoidSnapshot{Invoice: &Invoice{Status: c.status, PaidAmount: dec(c.paid)}, Order: o, Lines: lines, Reason: c.reason})
			if c.code != "" {
				wantError(t, err, c.code, c.field, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.Status != InvoiceVoid || plan.Event.Reason != strings.TrimSpace(c.reason) || len(plan.Invoiced) != 2 ||
				plan.Invoiced[0].Quantity.String() != "-4" || plan.Invoiced[1].Quantity.String() != "-1" {
				t.Fatalf("plan %+v, want VOID giving back 4 and 1", plan)
			}
		})
	}
}

func TestInvoice_DaysOverdue(t *testing.T) {
	due := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d.Add(13 * time.Hour) }
	cases := []struct {
		status InvoiceStatus
		paid   string
		on     string
		want   int
	}{
		{InvoiceIssued, "0", "2026-11-01", 0},
		{InvoiceIssued, "0", "2026-11-02", 1},
		{InvoiceIssued, "0", "2027-01-31", 91},
		{InvoicePartiallyPaid, "40", "2026-11-11", 10},
		{InvoicePaid, "100", "2026-12-01", 0},
		{InvoiceDisputed, "0", "2026-12-01", 0},
		{InvoiceVoid, "0", "2026-12-01", 0},
		{InvoiceDraft, "0", "2026-12-01", 0},
	}
	for _, c := range cases {
		inv := &Invoice{Status: c.status, Total: dec("100"), PaidAmount: dec(c.paid), DueDate: &due}
		if got := inv.DaysOverdue(day(c.on)); got != c.want || inv.IsOverdue(day(c.on)) != (c.want > 0) {
			t.Errorf("%s paid %s on %s: %d days overdue, want %d", c.status, c.paid, c.on, got, c.want)
		}
	}
	if (&Invoice{Status: InvoiceDraft}).DaysOverdue(day("2030-01-01")) != 0 {
		t.Error("a draft without a due date is overdue")
	}
}

func TestShipmentCompletes(t *testing.T) {
	cases := []struct {
		name     string
		status   OrderStatus
		invoiced [2]string
		drafts   int
		want     bool
	}{
		{"the last units of an order invoiced in full", OrderDelivered, [2]string{"10", "3"}, 0, true},
		{"a draft invoice left", OrderDelivered, [2]string{"10", "3"}, 1, false},
		{"a line not invoiced in full", OrderDelivered, [2]string{"10", "2"}, 0, false},
		{"not the last units", OrderPartiallyDelivered, [2]string{"10", "3"}, 0, false},
	}
	for _, c := range cases {
		_, lines := invoiceOrder(OrderConfirmed, InvoiceOrdered, [2]string{"0", "0"}, c.invoiced)
		if got := ShipmentCompletes(ShipmentPlan{OrderStatus: c.status}, lines, c.drafts); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
