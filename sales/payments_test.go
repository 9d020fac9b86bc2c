package sales

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestPaymentActions(t *testing.T) {
	allowed := map[string]bool{
		"UNALLOCATED ALLOCATE": true, "UNALLOCATED REFUND": true,
		"PARTIALLY_ALLOCATED ALLOCATE": true, "PARTIALLY_ALLOCATED UNALLOCATE": true, "PARTIALLY_ALLOCATED REFUND": true,
		"ALLOCATED UNALLOCATE": true,
	}
	for _, s := range PaymentStatuses {
		for _, a := range PaymentActions {
			err := CheckPaymentAction(s, a)
			if want := allowed[string(s)+" "+string(a)]; want != (err == nil) {
				t.Errorf("%s %s: %v, want allowed %v", s, a, err, want)
			}
			if e, ok := AsError(err); err != nil && (!ok || e.Code != CodeInvalidTransition || e.Field != "status") {
				t.Errorf("%s %s: %v, want INVALID_TRANSITION on status", s, a, err)
			}
		}
	}
}

func TestPaymentStatusOf(t *testing.T) {
	for _, c := range []struct {
		amount, allocated, refunded string
		want                        PaymentStatus
	}{
		{"100", "0", "0", PaymentUnallocated},
		{"100", "0", "40", PaymentUnallocated},
		{"100", "0.01", "0", PaymentPartiallyAllocated},
		{"100", "60", "40", PaymentAllocated},
		{"100", "100", "0", PaymentAllocated},
		{"100", "0", "100", PaymentRefunded},
	} {
		if got := PaymentStatusOf(dec(c.amount), dec(c.allocated), dec(c.refunded)); got != c.want {
			t.Errorf("%s allocated %s refunded %s: %s, want %s", c.amount, c.allocated, c.refunded, got, c.want)
		}
	}
}

func TestPlanInvoicePayment(t *testing.T) {
	n := "INV-2026-000001"
	for _, c := range []struct {
		status       InvoiceStatus
		paid, change string
		want         string // status and paid, or code|field
	}{
		{InvoiceIssued, "0", "40", "PARTIALLY_PAID 40"},
		{InvoiceIssued, "0", "100", "PAID 100"},
		{InvoicePartiallyPaid, "40", "60", "PAID 100"},
		{InvoicePartiallyPaid, "40", "0.01", "PARTIALLY_PAID 40.01"},
		{InvoicePaid, "100", "-30", "PARTIALLY_PAID 70"},
		{InvoicePaid, "100", "-100", "ISSUED 0"},
		{InvoicePartiallyPaid, "40", "-40", "ISSUED 0"},
		{InvoicePartiallyPaid, "40", "60.01", "VALIDATION|input.allocations.0.amount"},
		{InvoicePartiallyPaid, "40", "-40.01", "VALIDATION|input.allocations.0.amount"},
		{InvoiceDraft, "0", "10", "INVALID_TRANSITION|status"},
		{InvoiceVoid, "0", "10", "INVALID_TRANSITION|status"},
		{InvoiceDisputed, "0", "10", "INVALID_TRANSITION|status"},
		{InvoicePaid, "100", "0.01", "VALIDATION|input.allocations.0.amount"},
	} {
		inv := &Invoice{ID: 7, Number: &n, Status: c.status, Total: dec("100"), PaidAmount: dec(c.paid)}
		got, err := PlanInvoicePayment(inv, dec(c.change), "input.allocations.0.amount")
		var s string
		if err != nil {
			e, _ := AsError(err)
			s = string(e.Code) + "|" + e.Field
		} else {
			s = string(got.Status) + " " + got.Paid.String()
		}
		if s != c.want {
			t.Errorf("%s paid %s %+s: %s, want %s", c.status, c.paid, c.change, s, c.want)
		}
	}
}

func TestCheckNewPayment(t *testing.T) {
	c := &Customer{Code: "C-1", Currency: "EUR"}
	good := NewPayment{CustomerID: 1, Amount: dec("10.50"), Currency: "EUR", Method: MethodBankTransfer, Reference: "wire 1"}
	if err := CheckNewPayment(good, c); err != nil {
		t.Fatal(err)
	}
	for name, c2 := range map[string]struct {
		change func(*NewPayment)
		field  string
	}{
		"negative":       {func(p *NewPayment) { p.Amount = dec("-1") }, "input.amount"},
		"zero":           {func(p *NewPayment) { p.Amount = decimal.Zero }, "input.amount"},
		"past the cents": {func(p *NewPayment) { p.Amount = dec("1.005") }, "input.amount"},
		"other currency": {func(p *NewPayment) { p.Currency = "USD" }, "input.currency"},
		"unknown method": {func(p *NewPayment) { p.Method = "GOLD" }, "input.method"},
		"long reference": {func(p *NewPayment) { p.Reference = strings.Repeat("x", 101) }, "input.reference"},
	} {
		in := good
		c2.change(&in)
		err := CheckNewPayment(in, c)
		if e, ok := AsError(err); !ok || e.Code != CodeValidation || e.Field != c2.field {
			t.Errorf("%s: %v, want VALIDATION on %s", name, err, c2.field)
		}
	}
	if err := CheckNewPayment(NewPayment{Amount: dec("10"), Currency: "JPY", Method: MethodCash}, &Customer{Currency: "JPY"}); err != nil {
		t.Errorf("whole yen: %v", err)
	}
	if err := CheckNewPayment(NewPayment{Amount: dec("10.5"), Currency: "JPY", Method: MethodCash}, &Customer{Currency: "JPY"}); err == nil {
		t.Errorf("half a yen accepted")
	}
}

func TestCheckRefund(t *testing.T) {
	p := &Payment{Number: "PAY-2026-000001", Currency: "EUR", Amount: dec("100"), AllocatedAmount: dec("60"), RefundedAmount: dec("10"),
		Status: PaymentPartiallyAllocated, ReceivedDate: time.Now()}
	if reason, err := CheckRefund(p, dec("30"), " overpaid "); err != nil || reason != "overpaid" {
		t.Fatalf("refund of all that is left: %q %v", reason, err)
	}
	for _, c := range []struct {
		amount, reason, field string
		code                  Code
	}{
		{"30.01", "x", "amount", CodeValidation},
		{"0", "x", "amount", CodeValidation},
		{"-1", "x", "amount", CodeValidation},
		{"1.001", "x", "amount", CodeValidation},
		{"1", " ", "reason", CodeValidation},
	} {
		_, err := CheckRefund(p, dec(c.amount), c.reason)
		if e, ok := AsError(err); !ok || e.Code != c.code || e.Field != c.field {
			t.Errorf("refund %s for %q: %v, want %s on %s", c.amount, c.reason, err, c.code, c.field)
		}
	}
	allocated := *p
	allocated.Status = PaymentAllocated
	if _, err := CheckRefund(&allocated, dec("1"), "x"); err == nil {
		t.Errorf("refund of an allocated payment accepted")
	}
}

func TestCheckDeposit(t *testing.T) {
	d := func(s string) *decimal.Decimal { v := dec(s); return &v }
	for _, c := range []struct {
		name            string
		amount, percent *decimal.Decimal
		field           string
	}{
		{"none", nil, nil, ""},
		{"amount", d("100.00"), nil, ""},
		{"percent", nil, d("30"), ""},
		{"all of it", nil, d("100"), ""},
		{"both", d("1"), d("1"), "input.depositPercent"},
		{"negative amount", d("-1"), nil, "input.depositAmount"},
		{"zero amount", d("0"), nil, "input.depositAmount"},
		{"past the cents", d("1.001"), nil, "input.depositAmount"},
		{"over 100 %", nil, d("100.01"), "input.depositPercent"},
		{"zero percent", nil, d("0"), "input.depositPercent"},
		{"three decimals", nil, d("10.125"), "input.depositPercent"},
	} {
		err := CheckDeposit(c.amount, c.percent, "EUR")
		if e, ok := AsError(err); (c.field == "") != (err == nil) || (err != nil && (!ok || e.Code != CodeValidation || e.Field != c.field)) {
			t.Errorf("%s: %v, want VALIDATION on %q", c.name, err, c.field)
		}
	}
}

func TestCheckDepositReceived(t *testing.T) {
	d := func(s string) *decimal.Decimal { v := dec(s); return &v }
	for _, c := range []struct {
		name            string
		amount, percent *decimal.Decimal
		received        string
		refused         bool
	}{
		{"no deposit asked", nil, nil, "0", false},
		{"amount not received", d("50.00"), nil, "0", true},
		{"amount short by a cent", d("50.00"), nil, "49.99", true},
		{"amount received", d("50.00"), nil, "50.00", false},
		{"more received", d("50.00"), nil, "80", false},
		{"30 % of 130.90 is 39.27", nil, d("30"), "39.26", true},
		{"30 % received", nil, d("30"), "39.27", false},
	} {
		o := &SalesOrder{Number: "SO-1", Currency: "EUR", Total: dec("130.90"), DepositAmount: c.amount, DepositPercent: c.percent}
		err := CheckDepositReceived(o, dec(c.received))
		if e, ok := AsError(err); c.refused != (err != nil) || (err != nil && (!ok || e.Code != CodeDepositRequired || e.Field != "id")) {
			t.Errorf("%s: %v, want refused %v", c.name, err, c.refused)
		}
		// PlanShipment asks the same question first.
		_, err = PlanShipment(ShipmentSnapshot{Order: o, Delivery: &Delivery{Status: DeliveryDraft}, DepositsReceived: dec(c.received), Today: time.Now()})
		if got := CodeOf(err) == CodeDepositRequired; got != c.refused {
			t.Errorf("%s: PlanShipment %v, want DEPOSIT_REQUIRED %v", c.name, err, c.refused)
		}
	}
}

func TestPaymentLimits(t *testing.T) {
	if err := CheckAllocationLimit("payment", MaxAllocations-2, 2); err != nil {
		t.Errorf("up to the limit: %v", err)
	}
	if err := CheckAllocationLimit("payment", MaxAllocations-2, 3); CodeOf(err) != CodeValidation {
		t.Errorf("past the limit: %v", err)
	}
	if err := CheckPaymentHistoryLimit(MaxHistoryEvents - 1); err != nil {
		t.Errorf("one event left: %v", err)
	}
	if err := CheckPaymentHistoryLimit(MaxHistoryEvents); CodeOf(err) != CodeValidation {
		t.Errorf("history full: %v", err)
	}
	c := &Customer{ID: 1, Code: "C-1"}
	if err := CheckPaymentOrder(c, 1, MaxDepositsPerOrder-1); err != nil {
		t.Errorf("the last deposit: %v", err)
	}
	for name, err := range map[string]error{
		"too many":                 CheckPaymentOrder(c, 1, MaxDepositsPerOrder),
		"another customer's order": CheckPaymentOrder(c, 2, 0),
	} {
		if e, ok := AsError(err); !ok || e.Code != CodeValidation || e.Field != "input.orderId" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestPlanSettlement: allocations settle invoices in turn, each seeing what
// the earlier ones paid; one change per invoice, in the order first named;
// a refusal names the allocation at fault and settles nothing.
func TestPlanSettlement(t *testing.T) {
	a, b := "INV-2026-000001", "INV-2026-000002"
	invoices := func() []*Invoice {
		return []*Invoice{{ID: 1, Number: &a, Status: InvoiceIssued, Total: dec("100")},
			{ID: 2, Number: &b, Status: InvoicePartiallyPaid, Total: dec("50"), PaidAmount: dec("20")}}
	}
	got, err := PlanSettlement(invoices(), []Allocation{{InvoiceID: 2, Amount: dec("10")}, {InvoiceID: 1, Amount: dec("60")},
		{InvoiceID: 2, Amount: dec("20")}})
	if err != nil {
		t.Fatal(err)
	}
	want := []InvoicePayment{{InvoiceID: 2, Paid: dec("50"), Status: InvoicePaid, Action: InvoicePayAll},
		{InvoiceID: 1, Paid: dec("60"), Status: InvoicePartiallyPaid, Action: InvoicePayPart}}
	if len(got.Invoices) != len(want) || !got.Total.Equal(dec("90")) {
		t.Fatalf("settlement %+v, want %+v and 90 in all", got, want)
	}
	for i, w := range want {
		if g := got.Invoices[i]; g.InvoiceID != w.InvoiceID || !g.Paid.Equal(w.Paid) || g.Status != w.Status || g.Action != w.Action {
			t.Errorf("invoice change %d: %+v, want %+v", i, g, w)
		}
	}
	ins := invoices()
	_, err = PlanSettlement(ins, []Allocation{{InvoiceID: 2, Amount: dec("20")}, {InvoiceID: 2, Amount: dec("20")}})
	if e, ok := AsError(err); !ok || e.Code != CodeValidation || e.Field != "input.allocations.1.amount" ||
		e.Message != "invoice INV-2026-000002 would be paid 60 of its 50" {
		t.Fatalf("over-settling: %v", err)
	}
	if !ins[1].PaidAmount.Equal(dec("20")) || ins[1].Status != InvoicePartiallyPaid {
		t.Fatalf("planning changed the invoice passed: %+v", ins[1])
	}
}
