package graph_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/sales"
)

const (
	paymentFields = `id number status currency amount allocatedAmount refundedAmount unallocatedAmount receivedDate method reference version
		customer { code } order { number }
		allocations { amount reversedAt invoice { id number status paidAmount balance } }
		history { action fromStatus toStatus reason }`
	recordPaymentMutation = `mutation($in: RecordPaymentInput!, $key: String) { recordPayment(input: $in, idempotencyKey: $key) { ` + paymentFields + ` } }`
	unallocateMutation    = `mutation($id: ID!, $v: Int!, $inv: ID!) { unallocatePayment(id: $id, version: $v, invoiceId: $inv) { ` + paymentFields + ` } }`
	allocateMutation      = `mutation($id: ID!, $v: Int!, $in: AllocatePaymentInput!) { allocatePayment(id: $id, version: $v, input: $in) { ` + paymentFields + ` } }`
	refundMutation        = `mutation($id: ID!, $v: Int!, $a: Decimal!, $r: String!) { refundPayment(id: $id, version: $v, amount: $a, reason: $r) { ` + paymentFields + ` } }`
)

type paymentOut struct {
	ID, Number, Status, Currency, Amount, AllocatedAmount, RefundedAmount, UnallocatedAmount string
	ReceivedDate, Method, Reference                                                          string
	Version                                                                                  int
	Customer                                                                                 struct{ Code string }
	Order                                                                                    *struct{ Number string }
	Allocations                                                                              []struct {
		Amount     string
		ReversedAt *string
		Invoice    struct{ ID, Number, Status, PaidAmount, Balance string }
	}
	History []struct {
		Action, ToStatus, Reason string
		FromStatus               *string
	}
}

func (e *env) paymentDo(t *testing.T, role sales.Role, query string, vars map[string]any) paymentOut {
	t.Helper()
	var out map[string]paymentOut
	e.with(t).must(role, query, vars, &out)
	for _, p := range out {
		return p
	}
	return paymentOut{}
}

// paymentIn is recordPayment's variables: EUR by bank transfer; with no
// allocations given, the payment is auto-allocated.
func paymentIn(customer, amount string, allocations ...any) map[string]any {
	in := map[string]any{"customerId": customer, "amount": amount, "currency": "EUR", "method": "BANK_TRANSFER", "reference": "wire"}
	if allocations != nil {
		in["allocations"] = allocations
	}
	return map[string]any{"in": in}
}

func allocation(invoice, amount string) map[string]any {
	return map[string]any{"invoiceId": invoice, "amount": amount}
}

// issuedInvoiceOf invoices a shipped order in full (130.90 EUR: 10 × 10.00
// and 4 × 2.50 at 19 %) and issues it.
func (e *env) issuedInvoiceOf(t *testing.T, s salesSetup) invoiceOut {
	t.Helper()
	o, _ := e.shippedOrder(t, s)
	inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID))
	return e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version})
}

func (e *env) invoiceState(t *testing.T, id string) invoiceOut {
	t.Helper()
	return e.invoiceDo(t, sales.RoleAccountant, `query($id: ID!) { invoice(id: $id) { `+invoiceFields+` } }`, map[string]any{"id": id})
}

// TestPayments_AutoAllocationOldestDueFirst: 200.00 against two invoices of
// 130.90 pays the one due first in full and 69.10 of the other, to the
// cent; refused payments change nothing; the same key records once;
// unallocating gives the invoice back its state; only unallocated money is
// refunded.
func TestPayments_AutoAllocationOldestDueFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	later := e.issuedInvoiceOf(t, s)
	older := e.issuedInvoiceOf(t, s)
	// The second invoice is due first: issued two months ago.
	if _, err := e.store.ExecContext(t.Context(), `UPDATE invoices SET issue_date = current_date - 60, due_date = current_date - 15 WHERE id = (
		SELECT id FROM invoices WHERE number = $1)`, *older.Number); err != nil {
		t.Fatal(err)
	}

	p := e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "200.00"))
	if p.Status != "ALLOCATED" || p.Amount != "200.00" || p.AllocatedAmount != "200.00" || p.UnallocatedAmount != "0.00" ||
		p.Currency != "EUR" || p.Customer.Code != "CUST-1" || p.Order != nil || p.ReceivedDate != time.Now().Format(time.DateOnly) ||
		!strings.HasPrefix(p.Number, "PAY-") {
		t.Fatalf("payment %+v", p)
	}
	if len(p.Allocations) != 2 || p.Allocations[0].Invoice.ID != older.ID || p.Allocations[0].Amount != "130.90" ||
		p.Allocations[1].Invoice.ID != later.ID || p.Allocations[1].Amount != "69.10" {
		t.Fatalf("allocations %+v, want 130.90 to %s then 69.10 to %s", p.Allocations, deref(older.Number), deref(later.Number))
	}
	if a, b := p.Allocations[0].Invoice, p.Allocations[1].Invoice; a.Status != "PAID" || a.Balance != "0.00" ||
		b.Status != "PARTIALLY_PAID" || b.PaidAmount != "69.10" || b.Balance != "61.80" {
		t.Fatalf("invoices after the payment: %+v and %+v", a, b)
	}
	if h := p.History; len(h) != 1 || h[0].Action != "RECORD" || h[0].ToStatus != "ALLOCATED" || !strings.Contains(h[0].Reason, *older.Number+" 130.9") {
		t.Fatalf("history %+v", h)
	}
	var iq struct {
		Invoice struct {
			Payments []struct {
				Amount  string
				Payment struct{ Number string }
			}
		}
	}
	e.with(t).must(sales.RoleSalesManager, `query($id: ID!) { invoice(id: $id) { payments { amount payment { number } } } }`, map[string]any{"id": later.ID}, &iq)
	if ps := iq.Invoice.Payments; len(ps) != 1 || ps[0].Amount != "69.10" || ps[0].Payment.Number != p.Number {
		t.Fatalf("invoice.payments %+v", ps)
	}

	draftOrder, _ := e.shippedOrder(t, s)
	draft := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(draftOrder.ID))
	refused := []struct {
		name, code, field string
		vars              map[string]any
	}{
		{"OverAllocation", "VALIDATION", "input.allocations.0.amount", paymentIn(s.customer, "100.00", allocation(later.ID, "61.81"))},
		{"MoreThanThePayment", "VALIDATION", "input.allocations", paymentIn(s.customer, "5.00", allocation(later.ID, "6.00"))},
		{"PaidInvoice", "VALIDATION", "input.allocations.0.invoiceId", paymentIn(s.customer, "5.00", allocation(older.ID, "1.00"))},
		{"DraftInvoice", "VALIDATION", "input.allocations.0.invoiceId", paymentIn(s.customer, "5.00", allocation(draft.ID, "1.00"))},
		{"NegativeAmount", "VALIDATION", "input.amount", paymentIn(s.customer, "-5.00")},
		{"ZeroAmount", "VALIDATION", "input.amount", paymentIn(s.customer, "0")},
		{"PastTheCents", "VALIDATION", "input.amount", paymentIn(s.customer, "5.001")},
		{"MalformedAmount", "VALIDATION", "input.amount", paymentIn(s.customer, "12,50")},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(sales.RoleAccountant, recordPaymentMutation, c.vars), c.code, c.field)
			})
		})
	}
	t.Run("WrongCurrency", func(t *testing.T) {
		vars := paymentIn(s.customer, "5.00")
		vars["in"].(map[string]any)["currency"] = "USD"
		unchanged(t, e.store, func() {
			r := e.with(t).as(sales.RoleAccountant, recordPaymentMutation, vars)
			wantError(t, r, "VALIDATION", "input.currency")
			if !strings.Contains(r.Errors[0].Message, "EUR") {
				t.Fatalf("message %q", r.Errors[0].Message)
			}
		})
	})
	t.Run("VoidInvoice", func(t *testing.T) {
		void := e.invoiceDo(t, sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": draft.ID, "v": draft.Version, "r": "test"})
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "5.00", allocation(void.ID, "1.00"))),
				"VALIDATION", "input.allocations.0.invoiceId")
		})
	})
	t.Run("ReadByBillingAndManagers", func(t *testing.T) {
		q := `query { payments(first: 5) { nodes { number } } }`
		for _, role := range []sales.Role{sales.RoleSalesRep, sales.RoleWarehouse, sales.RoleViewer} {
			wantError(t, e.with(t).as(role, q, nil), "FORBIDDEN", "")
		}
		var out struct {
			Payments struct{ Nodes []struct{ Number string } }
		}
		e.with(t).must(sales.RoleSalesManager, q, nil, &out)
		if len(out.Payments.Nodes) != 1 || out.Payments.Nodes[0].Number != p.Number {
			t.Fatalf("a sales manager read %+v", out.Payments.Nodes)
		}
	})
	t.Run("OnlyBillingRoles", func(t *testing.T) {
		for _, role := range []sales.Role{sales.RoleSalesRep, sales.RoleSalesManager, sales.RoleWarehouse, sales.RoleViewer} {
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(role, recordPaymentMutation, paymentIn(s.customer, "5.00")), "FORBIDDEN", "")
			})
		}
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		vars := paymentIn(s.customer, "7.00", []any{}...)
		vars["in"].(map[string]any)["allocations"] = []any{}
		vars["key"] = "pay-retry-1"
		a := e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, vars)
		unchanged(t, e.store, func() {
			b := e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, vars)
			if b.ID != a.ID || b.Number != a.Number || b.Amount != "7.00" || b.Status != "UNALLOCATED" {
				t.Fatalf("the same key twice: %+v then %+v", a, b)
			}
			other := paymentIn(s.customer, "8.00")
			other["key"] = "pay-retry-1"
			wantError(t, e.with(t).as(sales.RoleAccountant, recordPaymentMutation, other), "IDEMPOTENCY_KEY_REUSED", "")
		})
		r := e.paymentDo(t, sales.RoleAdmin, refundMutation, map[string]any{"id": a.ID, "v": a.Version, "a": "7.00", "r": "test of the key"})
		if r.Status != "REFUNDED" || r.UnallocatedAmount != "0.00" || r.RefundedAmount != "7.00" {
			t.Fatalf("refunded in full: %+v", r)
		}
	})

	// Unallocating the invoice due first gives it back its ISSUED state; the allocation stays, reversed.
	p = e.paymentDo(t, sales.RoleAccountant, unallocateMutation, map[string]any{"id": p.ID, "v": p.Version, "inv": older.ID})
	if inv := e.invoiceState(t, older.ID); inv.Status != "ISSUED" || inv.PaidAmount != "0.00" || inv.Balance != "130.90" {
		t.Fatalf("invoice after unallocating: %s paid %s balance %s", inv.Status, inv.PaidAmount, inv.Balance)
	}
	if p.Status != "PARTIALLY_ALLOCATED" || p.AllocatedAmount != "69.10" || p.UnallocatedAmount != "130.90" ||
		p.Allocations[0].ReversedAt == nil || p.Allocations[1].ReversedAt != nil || p.History[1].Action != "UNALLOCATE" {
		t.Fatalf("payment after unallocating: %+v", p)
	}
	t.Run("UnallocateTwice", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, unallocateMutation, map[string]any{"id": p.ID, "v": p.Version, "inv": older.ID}), "VALIDATION", "invoiceId")
		})
	})
	// Part of it back to the invoice: PARTIALLY_PAID.
	p = e.paymentDo(t, sales.RoleAccountant, allocateMutation, map[string]any{"id": p.ID, "v": p.Version,
		"in": map[string]any{"allocations": []any{allocation(older.ID, "30.90")}}})
	if inv := e.invoiceState(t, older.ID); inv.Status != "PARTIALLY_PAID" || inv.Balance != "100.00" || p.UnallocatedAmount != "100.00" {
		t.Fatalf("after allocating 30.90: invoice %s balance %s, payment unallocated %s", inv.Status, inv.Balance, p.UnallocatedAmount)
	}
	t.Run("RefundOnlyUnallocated", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, refundMutation, map[string]any{"id": p.ID, "v": p.Version, "a": "100.01", "r": "too much"}), "VALIDATION", "amount")
			wantError(t, e.with(t).as(sales.RoleAccountant, refundMutation, map[string]any{"id": p.ID, "v": p.Version, "a": "-1.00", "r": "negative"}), "VALIDATION", "amount")
		})
	})
	p = e.paymentDo(t, sales.RoleAccountant, refundMutation, map[string]any{"id": p.ID, "v": p.Version, "a": "100.00", "r": "customer asked for it back"})
	if p.Status != "ALLOCATED" || p.RefundedAmount != "100.00" || p.UnallocatedAmount != "0.00" || p.AllocatedAmount != "100.00" {
		t.Fatalf("after the refund: %+v", p)
	}
	t.Run("NothingLeftToRefund", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, refundMutation, map[string]any{"id": p.ID, "v": p.Version, "a": "0.01", "r": "more"}), "INVALID_TRANSITION", "status")
		})
	})
	t.Run("PaidInvoiceNotVoided", func(t *testing.T) {
		inv := e.invoiceState(t, older.ID)
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version, "r": "x"}), "INVALID_TRANSITION", "status")
		})
	})
}

// TestPrefetch_PaymentPagesStayFlat: a page of payments with their
// allocations and invoices, a customer's payments and an order's, cost as
// many statements for 1 parent as for 3, with the loader timer set to a
// minute (an edge no prefetch foresaw would wait for it and time out).
func TestPrefetch_PaymentPagesStayFlat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	for range 3 {
		o := e.createOrder(t, sales.RoleAdmin, s.order(map[string]any{"depositAmount": "5.00"}, line(s.widget, "1")))
		deposit := paymentIn(s.customer, "5.00")
		deposit["in"].(map[string]any)["orderId"] = o.ID
		e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, deposit)
		inv := e.issuedInvoiceOf(t, s)
		e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "50.00", allocation(inv.ID, "20.00"), allocation(inv.ID, "10.00")))
	}
	e = e.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
		c.Limits.MaxCost = 1_000_000
	})
	queries := map[string]string{
		"payments": `query($n: Int!) { payments(first: $n) { nodes { number amount unallocatedAmount customer { code } createdBy { email }
			allocations { amount allocatedBy { email } invoice { number balance order { number } payments { amount } } payment { number } }
			history { action actor { email } } } } }`,
		"invoices":  `query($n: Int!) { invoices(first: $n) { nodes { number payments { amount payment { number amount } } } } }`,
		"customers": `query($n: Int!) { customers(first: $n) { nodes { code payments(first: 5) { nodes { number allocations { amount } } } } } }`,
		"orders":    `query($n: Int!) { orders(first: $n, filter: {status: [DRAFT]}) { nodes { number depositRequired payments { number amount order { number } } } } }`,
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			count := func(n int) int64 {
				before := e.store.Statements()
				e.with(t).must(sales.RoleAdmin, q, map[string]any{"n": n}, nil)
				return e.store.Statements() - before
			}
			count(1)
			one, three := count(1), count(3)
			if one != three || count(3) != three {
				t.Fatalf("statements per request: %d for 1 parent, %d for 3, then %d", one, three, count(3))
			}
			t.Logf("%s: %d statements for 1 or 3 parents", name, three)
		})
	}
}

// TestPayments_DepositBeforeShipping: an order that requires a 30 %
// deposit (39.27 of 130.90) is refused at shipping until a payment naming
// it brings that much; the payment waits unallocated as the order's
// deposit, and goes to the order's invoice when it is issued.
func TestPayments_DepositBeforeShipping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	t.Run("AmountOrPercent", func(t *testing.T) {
		unchanged(t, e.store, func() {
			r := e.with(t).as(sales.RoleAdmin, createOrderMutation, s.order(map[string]any{"depositAmount": "10.00", "depositPercent": "10"}, line(s.widget, "1")))
			wantError(t, r, "VALIDATION", "input.depositPercent")
		})
	})
	o := e.createOrder(t, sales.RoleAdmin, s.order(map[string]any{"depositPercent": "30"}, line(s.widget, "10"), line(s.gadget, "4")))
	var c struct{ ConfirmOrder orderOut }
	e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
	d := e.delivery(t, map[string]any{"orderId": o.ID})
	var oq struct {
		Order struct {
			DepositPercent, DepositRequired string
			Payments                        []struct{ Number, Status, UnallocatedAmount string }
		}
	}
	orderQuery := `query($id: ID!) { order(id: $id) { depositPercent depositRequired payments { number status unallocatedAmount } } }`
	e.with(t).must(sales.RoleAccountant, orderQuery, map[string]any{"id": o.ID}, &oq)
	if oq.Order.DepositPercent != "30" || oq.Order.DepositRequired != "39.27" || len(oq.Order.Payments) != 0 {
		t.Fatalf("order %+v", oq.Order)
	}
	short := paymentIn(s.customer, "39.26")
	short["in"].(map[string]any)["orderId"] = o.ID
	p := e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, short)
	if p.Status != "UNALLOCATED" || p.Order == nil || p.Order.Number != o.Number {
		t.Fatalf("deposit %+v", p)
	}
	unchanged(t, e.store, func() {
		r := e.with(t).as(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version})
		wantError(t, r, "DEPOSIT_REQUIRED", "id")
		if !strings.Contains(r.Errors[0].Message, "39.27 EUR") || !strings.Contains(r.Errors[0].Message, "39.26") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
	})
	cent := paymentIn(s.customer, "0.01")
	cent["in"].(map[string]any)["orderId"] = o.ID
	e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, cent)
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, nil)

	inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID))
	inv = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version})
	if inv.Status != "PARTIALLY_PAID" || inv.PaidAmount != "39.27" || inv.Balance != "91.63" {
		t.Fatalf("issued invoice %s paid %s balance %s, want PARTIALLY_PAID 39.27 and 91.63", inv.Status, inv.PaidAmount, inv.Balance)
	}
	e.with(t).must(sales.RoleAccountant, orderQuery, map[string]any{"id": o.ID}, &oq)
	if ps := oq.Order.Payments; len(ps) != 2 || ps[0].Status != "ALLOCATED" || ps[1].Status != "ALLOCATED" || ps[0].UnallocatedAmount != "0.00" {
		t.Fatalf("order's deposits after the invoice: %+v", ps)
	}
}

// TestPayments_ConcurrentAllocationsNeverOverpay: ten payments of 20.00,
// each allocated in full to the same invoice of 130.90, recorded at once:
// six go through, the rest are refused on the amount, and the invoice's
// paid amount is what its live allocations add up to, within its total.
func TestPayments_ConcurrentAllocationsNeverOverpay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	inv := e.issuedInvoiceOf(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.with(t).as(sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "20.00", allocation(inv.ID, "20.00")))
			code := "OK"
			if len(r.Errors) > 0 {
				code = r.Errors[0].Code() + " " + r.Errors[0].Field()
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["OK"] != 6 || codes["VALIDATION input.allocations.0.amount"] != 4 {
		t.Fatalf("outcomes %v, want 6 OK and 4 VALIDATION on input.allocations.0.amount", codes)
	}
	got := e.invoiceState(t, inv.ID)
	var live string
	if err := e.store.GetContext(t.Context(), &live, `SELECT sum(amount)::numeric(18,2)::text FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id
		WHERE i.number = $1 AND a.reversed_at IS NULL`, *inv.Number); err != nil {
		t.Fatal(err)
	}
	if got.PaidAmount != "120.00" || live != "120.00" || got.Status != "PARTIALLY_PAID" {
		t.Fatalf("invoice paid %s (%s), allocations add up to %s; want 120.00 PARTIALLY_PAID", got.PaidAmount, got.Status, live)
	}
}
