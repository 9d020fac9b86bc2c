package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

const (
	creditNoteFields = `id number kind status currency issueDate dueDate total paidAmount balance version
		return { id number status } creditedInvoice { number }
		lines { lineNo quantity unitPrice total orderLine { id invoicedQuantity creditedQuantity } }
		creditAllocations { amount reversedAt invoice { id number status paidAmount balance } creditNote { number } }
		history { action fromStatus toStatus reason }`
	creditReturnMutation = `mutation($id: ID!, $v: Int!, $a: CreditNoteAllocation, $key: String) {
		creditReturn(id: $id, version: $v, allocate: $a, idempotencyKey: $key) { ` + creditNoteFields + ` } }`
	allocateCreditNoteMutation = `mutation($id: ID!, $v: Int!, $in: [AllocationInput!]!) {
		allocateCreditNote(id: $id, version: $v, allocations: $in) { ` + creditNoteFields + ` } }`
	unallocateCreditNoteMutation = `mutation($id: ID!, $v: Int!, $inv: ID!) {
		unallocateCreditNote(id: $id, version: $v, invoiceId: $inv) { ` + creditNoteFields + ` } }`
)

type creditNoteOut struct {
	ID, Kind, Status, Currency, Total, PaidAmount, Balance string
	Number, IssueDate, DueDate                             *string
	Version                                                int
	Return                                                 *struct{ ID, Number, Status string }
	CreditedInvoice                                        *struct{ Number string }
	Lines                                                  []struct {
		LineNo              int
		Quantity, UnitPrice string
		Total               string
		OrderLine           struct{ ID, InvoicedQuantity, CreditedQuantity string }
	}
	CreditAllocations []struct {
		Amount     string
		ReversedAt *string
		Invoice    struct{ ID, Number, Status, PaidAmount, Balance string }
		CreditNote struct{ Number string }
	}
	History []struct {
		Action, ToStatus, Reason string
		FromStatus               *string
	}
}

func (e *env) creditNoteDo(t *testing.T, role sales.Role, query string, vars map[string]any) creditNoteOut {
	t.Helper()
	var out map[string]creditNoteOut
	e.with(t).must(role, query, vars, &out)
	for _, cn := range out {
		return cn
	}
	return creditNoteOut{}
}

// receivedReturnOf ships an order of 10 widgets (10.00) and 4 gadgets
// (2.50) at 19 % tax and receives a return of 2 widgets and 1 gadget: a
// credit note of 23.80 + 2.98 = 26.78. With invoiced, the order is
// invoiced in full (130.90) and the invoice issued first.
func (e *env) receivedReturnOf(t *testing.T, s salesSetup, invoiced bool) (returnOut, *invoiceOut) {
	t.Helper()
	o, _ := e.shippedOrder(t, s)
	var inv *invoiceOut
	if invoiced {
		i := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID))
		i = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": i.ID, "v": i.Version})
		inv = &i
	}
	r := e.returnDo(t, sales.RoleSalesRep, createReturnKey, returnIn(o.ID, "wrong colour", returnLine(o.Lines[0].ID, "2"), returnLine(o.Lines[1].ID, "1")))
	r = e.returnDo(t, sales.RoleSalesManager, approveReturn, map[string]any{"id": r.ID, "v": r.Version})
	r = e.returnDo(t, sales.RoleWarehouse, receiveReturn, map[string]any{"id": r.ID, "v": r.Version, "w": s.warehouse})
	return r, inv
}

// wantRefusal checks a refusal's code, field and message.
func wantRefusal(t *testing.T, r gqltest.Response, code, field, message string) {
	t.Helper()
	wantError(t, r, code, field)
	if got := r.Errors[0].Message; got != message {
		t.Fatalf("%s on %s says %q; want %q", code, field, got, message)
	}
}

// TestCreditNotes_ReturnToCredit: a received return is credited once, by
// a credit note numbered CN-YYYY-000001, then 000002, priced as the order
// lines, applied to the order's invoice (which is then part paid) or left
// as credit and allocated later, as a payment is; refusals give a code,
// field and message and change nothing; the same key issues one credit note.
func TestCreditNotes_ReturnToCredit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	year := time.Now().UTC().Year()
	acc := sales.RoleAccountant
	credit := func(r returnOut, extra map[string]any) map[string]any {
		vars := map[string]any{"id": r.ID, "v": r.Version}
		for k, v := range extra {
			vars[k] = v
		}
		return vars
	}

	// Returned before it was invoiced: nothing to credit.
	unbilled, _ := e.receivedReturnOf(t, s, false)
	unchanged(t, e.store, func() {
		wantRefusal(t, e.with(t).as(acc, creditReturnMutation, credit(unbilled, nil)), "VALIDATION", "id",
			"nothing of return "+unbilled.Number+" was invoiced: the customer was never billed for it, so there is nothing to credit")
	})

	r, inv := e.receivedReturnOf(t, s, true)
	t.Run("OnlyBillingRolesAndManagers", func(t *testing.T) {
		for _, role := range []sales.Role{sales.RoleSalesRep, sales.RoleWarehouse, sales.RoleViewer} {
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(role, creditReturnMutation, credit(r, nil)), "FORBIDDEN", "")
			})
		}
	})
	cn := e.creditNoteDo(t, acc, creditReturnMutation, credit(r, nil))
	if cn.Kind != "CREDIT_NOTE" || deref(cn.Number) != fmt.Sprintf("CN-%d-000001", year) || cn.Status != "APPLIED" ||
		cn.Total != "26.78" || cn.PaidAmount != "26.78" || cn.Balance != "0.00" || deref(cn.IssueDate) != deref(cn.DueDate) ||
		cn.Return == nil || cn.Return.ID != r.ID || cn.Return.Status != "CREDITED" || cn.CreditedInvoice != nil {
		t.Fatalf("credit note %+v", cn)
	}
	if len(cn.Lines) != 2 || cn.Lines[0].Quantity != "2" || cn.Lines[0].UnitPrice != "10.00" || cn.Lines[0].Total != "23.80" ||
		cn.Lines[1].Total != "2.98" || cn.Lines[0].OrderLine.CreditedQuantity != "2" || cn.Lines[0].OrderLine.InvoicedQuantity != "10" {
		t.Fatalf("credit note lines %+v", cn.Lines)
	}
	if len(cn.CreditAllocations) != 1 || cn.CreditAllocations[0].Amount != "26.78" || cn.CreditAllocations[0].Invoice.ID != inv.ID ||
		cn.CreditAllocations[0].Invoice.Status != "PARTIALLY_PAID" || cn.CreditAllocations[0].Invoice.Balance != "104.12" {
		t.Fatalf("credit note applied %+v; want 26.78 to %s, now PARTIALLY_PAID with 104.12 open", cn.CreditAllocations, deref(inv.Number))
	}
	if h := cn.History; len(h) != 2 || h[0].Action != "ISSUE" || h[1].Action != "APPLY_ALL" || h[1].ToStatus != "APPLIED" {
		t.Fatalf("credit note history %+v", h)
	}
	var seen struct {
		Invoice struct {
			Order             struct{ Invoices []struct{ Kind string } }
			CreditNotes       []struct{ Number string }
			CreditAllocations []struct {
				Amount     string
				CreditNote struct{ Number string }
			}
		}
		Return struct {
			Status     string
			CreditNote *struct{ Number string }
		}
	}
	e.with(t).must(acc, `query($inv: ID!, $r: ID!) { invoice(id: $inv) { order { invoices { kind } } creditNotes { number } creditAllocations { amount creditNote { number } } }
		return: node(id: $r) { ... on Return { status creditNote { number } } } }`, map[string]any{"inv": inv.ID, "r": r.ID}, &seen)
	if len(seen.Invoice.CreditNotes) != 1 || seen.Invoice.CreditNotes[0].Number != *cn.Number || len(seen.Invoice.CreditAllocations) != 1 ||
		seen.Invoice.CreditAllocations[0].CreditNote.Number != *cn.Number || seen.Return.Status != "CREDITED" ||
		seen.Return.CreditNote == nil || seen.Return.CreditNote.Number != *cn.Number ||
		len(seen.Invoice.Order.Invoices) != 1 || seen.Invoice.Order.Invoices[0].Kind != "INVOICE" {
		t.Fatalf("seen from the invoice and the return: %+v", seen)
	}

	t.Run("Refusals", func(t *testing.T) {
		credited := e.returnDo(t, acc, `query($id: ID!) { node(id: $id) { ... on Return { `+returnFields+` } } }`, map[string]any{"id": r.ID})
		requested := func() returnOut {
			o, _ := e.shippedOrder(t, s)
			return e.returnDo(t, sales.RoleSalesRep, createReturnKey, returnIn(o.ID, "dented", returnLine(o.Lines[0].ID, "1")))
		}()
		unchanged(t, e.store, func() {
			wantRefusal(t, e.with(t).as(acc, creditReturnMutation, credit(credited, nil)), "INVALID_TRANSITION", "status",
				"cannot credit a return that is CREDITED")
			wantRefusal(t, e.with(t).as(acc, creditReturnMutation, credit(requested, nil)), "INVALID_TRANSITION", "status",
				"cannot credit a return that is REQUESTED")
			wantError(t, e.with(t).as(acc, creditReturnMutation, credit(r, nil)), "CONFLICT", "version")
			wantError(t, e.with(t).as(acc, creditReturnMutation, map[string]any{"id": inv.ID, "v": 1}), "VALIDATION", "id")
		})
	})

	// A second return, its credit note left as credit (and the key taken).
	r2, inv2 := e.receivedReturnOf(t, s, true)
	vars := credit(r2, map[string]any{"a": "NONE", "key": "credit-r2"})
	cn2 := e.creditNoteDo(t, acc, creditReturnMutation, vars)
	if deref(cn2.Number) != fmt.Sprintf("CN-%d-000002", year) || cn2.Status != "ISSUED" || cn2.PaidAmount != "0.00" ||
		cn2.Balance != "26.78" || len(cn2.CreditAllocations) != 0 {
		t.Fatalf("credit note left as credit %+v", cn2)
	}
	t.Run("IdempotencyKey", func(t *testing.T) {
		unchanged(t, e.store, func() {
			again := e.creditNoteDo(t, acc, creditReturnMutation, vars)
			if again.ID != cn2.ID || deref(again.Number) != deref(cn2.Number) {
				t.Fatalf("the same key twice: %s then %s", deref(cn2.Number), deref(again.Number))
			}
			wantError(t, e.with(t).as(acc, creditReturnMutation, credit(r2, map[string]any{"a": "ORDER_INVOICES", "key": "credit-r2"})),
				"IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		})
	})

	// The first invoice is part paid so that 4.12 is open on it.
	e.paymentDo(t, acc, recordPaymentMutation, paymentIn(s.customer, "100.00", allocation(inv.ID, "100.00")))
	other := s
	other.customer = e.with(t).createCustomer(sales.RoleAdmin, validCustomer("CUST-2")).ID
	foreign := e.issuedInvoiceOf(t, other)
	allocate := func(allocs ...any) map[string]any {
		return map[string]any{"id": cn2.ID, "v": cn2.Version, "in": allocs}
	}
	t.Run("AllocationRefusals", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, allocate(allocation(inv.ID, "4.13"))), "VALIDATION",
				"input.allocations.0.amount", fmt.Sprintf("invoice %s has 4.12 EUR open; 4.13 cannot be allocated to it", deref(inv.Number)))
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, allocate(allocation(inv2.ID, "26.79"))), "VALIDATION",
				"input.allocations", "the allocations add up to 26.79 EUR; only 26.78 is unallocated")
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, allocate(allocation(inv.ID, "4.12"), allocation(inv2.ID, "22.67"))), "VALIDATION",
				"input.allocations", "the allocations add up to 26.79 EUR; only 26.78 is unallocated")
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, allocate(allocation(foreign.ID, "1.00"))), "VALIDATION",
				"input.allocations.0.invoiceId", "that invoice is not open for this customer in EUR")
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, allocate(allocation(cn.ID, "1.00"))), "VALIDATION",
				"input.allocations.0.invoiceId", "that invoice is not open for this customer in EUR")
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, allocate(allocation(inv.ID, "-1.00"))), "VALIDATION",
				"input.allocations.0.amount", "an allocation must be positive")
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, map[string]any{"id": cn.ID, "v": cn.Version,
				"in": []any{allocation(inv2.ID, "1.00")}}), "INVALID_TRANSITION", "status", "cannot apply a credit note that is APPLIED")
			wantRefusal(t, e.with(t).as(acc, allocateCreditNoteMutation, map[string]any{"id": inv2.ID, "v": inv2.Version,
				"in": []any{allocation(inv.ID, "1.00")}}), "NOT_FOUND", "id", "credit note not found")
			// A payment cannot be allocated to a credit note either.
			wantError(t, e.with(t).as(acc, recordPaymentMutation, paymentIn(s.customer, "1.00", allocation(cn2.ID, "1.00"))),
				"VALIDATION", "input.allocations.0.invoiceId")
		})
	})

	// 4.12 settles the first invoice: PAID, as a payment would.
	cn2 = e.creditNoteDo(t, acc, allocateCreditNoteMutation, allocate(allocation(inv.ID, "4.12")))
	if paid := e.invoiceState(t, inv.ID); paid.Status != "PAID" || paid.PaidAmount != "130.90" || paid.Balance != "0.00" ||
		cn2.Status != "PARTIALLY_APPLIED" || cn2.PaidAmount != "4.12" || cn2.Balance != "22.66" {
		t.Fatalf("after applying 4.12: invoice %s paid %s; credit note %s applied %s open %s", paid.Status, paid.PaidAmount, cn2.Status, cn2.PaidAmount, cn2.Balance)
	}
	// Taken back: the invoice is part paid again; the allocation stays, reversed.
	cn2 = e.creditNoteDo(t, sales.RoleSalesManager, unallocateCreditNoteMutation, map[string]any{"id": cn2.ID, "v": cn2.Version, "inv": inv.ID})
	if back := e.invoiceState(t, inv.ID); back.Status != "PARTIALLY_PAID" || back.Balance != "4.12" || cn2.Status != "ISSUED" ||
		cn2.PaidAmount != "0.00" || len(cn2.CreditAllocations) != 1 || cn2.CreditAllocations[0].ReversedAt == nil ||
		cn2.History[len(cn2.History)-1].Action != "UNAPPLY_ALL" {
		t.Fatalf("after taking it back: invoice %s open %s; credit note %+v", back.Status, back.Balance, cn2)
	}
	t.Run("UnallocateTwice", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantRefusal(t, e.with(t).as(acc, unallocateCreditNoteMutation, map[string]any{"id": cn2.ID, "v": cn2.Version, "inv": inv.ID}),
				"VALIDATION", "invoiceId", fmt.Sprintf("credit note %s has nothing applied to that invoice", deref(cn2.Number)))
		})
	})
	t.Run("KindFilter", func(t *testing.T) {
		var out struct {
			Invoices struct {
				Nodes []struct{ Number, Kind string }
			}
		}
		e.with(t).must(acc, `query { invoices(first: 50, filter: {kind: CREDIT_NOTE}) { nodes { number kind } } }`, nil, &out)
		var got []string
		for _, n := range out.Invoices.Nodes {
			got = append(got, n.Kind+" "+n.Number)
		}
		if want := fmt.Sprintf("CREDIT_NOTE CN-%d-000002,CREDIT_NOTE CN-%d-000001", year, year); strings.Join(got, ",") != want {
			t.Fatalf("credit notes listed %v; want %s", got, want)
		}
	})
}

// TestPrefetch_CreditNotePagesStayFlat: pages of invoices with their credit
// notes and allocations, of credit notes with their returns, and of returns
// with their credit notes cost as many statements for 1 parent as for 3,
// with the loader timer set to a minute.
func TestPrefetch_CreditNotePagesStayFlat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	for range 3 {
		r, _ := e.receivedReturnOf(t, s, true)
		e.creditNoteDo(t, sales.RoleAccountant, creditReturnMutation, map[string]any{"id": r.ID, "v": r.Version})
	}
	e = e.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
		c.Limits.MaxCost = 1_000_000
	})
	queries := map[string]string{
		"invoices": `query($n: Int!) { invoices(first: $n, filter: {kind: INVOICE}) { nodes { number
			creditNotes { number return { number status } creditAllocations { amount invoice { number } } }
			creditAllocations { amount allocatedBy { email } reversedBy { email } creditNote { number creditedInvoice { number } } } } } }`,
		"creditNotes": `query($n: Int!) { invoices(first: $n, filter: {kind: CREDIT_NOTE}) { nodes { number total
			return { number creditNote { number } lines { quantity } } creditNotes { number }
			lines { orderLine { creditedQuantity } } creditAllocations { amount invoice { number creditNotes { number } } } } } }`,
		"returns": `query($n: Int!) { returns(first: $n, filter: {status: [CREDITED]}) { nodes { number creditNote { number total
			creditAllocations { amount } } } } }`,
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
