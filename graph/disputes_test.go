package graph_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/sales"
)

const (
	disputeFields = `id number status reasonCode notes disputedAmount currency version resolution resolutionNote resolvedAt
		resolvedBy { email } createdBy { email }
		invoice { id number status paidAmount balance } customer { code }
		lines { quantity amount invoiceLine { id lineNo } }
		creditNote { id number kind status total paidAmount }
		writeOff { amount currency reason writtenOffBy { email } writtenOffAt invoice { number } dispute { number } }
		history { action fromStatus toStatus reason }`
	disputeInvoiceMutation = `mutation($in: DisputeInvoiceInput!, $key: String) { disputeInvoice(input: $in, idempotencyKey: $key) { ` + disputeFields + ` } }`
	resolveDisputeMutation = `mutation($id: ID!, $v: Int!, $in: ResolveDisputeInput!) { resolveDispute(id: $id, version: $v, input: $in) { ` + disputeFields + ` } }`
)

type disputeOut struct {
	ID, Number, Status, ReasonCode, Notes, DisputedAmount, Currency string
	Version                                                         int
	Resolution, ResolutionNote, ResolvedAt                          *string
	ResolvedBy, CreatedBy                                           *struct{ Email string }
	Invoice                                                         struct{ ID, Number, Status, PaidAmount, Balance string }
	Customer                                                        struct{ Code string }
	Lines                                                           []struct {
		Quantity, Amount string
		InvoiceLine      struct {
			ID     string
			LineNo int
		}
	}
	CreditNote *struct{ ID, Number, Kind, Status, Total, PaidAmount string }
	WriteOff   *struct {
		Amount, Currency, Reason, WrittenOffAt string
		WrittenOffBy                           struct{ Email string }
		Invoice                                struct{ Number string }
		Dispute                                *struct{ Number string }
	}
	History []struct {
		Action, ToStatus, Reason string
		FromStatus               *string
	}
}

func (e *env) disputeDo(t *testing.T, role sales.Role, query string, vars map[string]any) disputeOut {
	t.Helper()
	var out map[string]disputeOut
	e.with(t).must(role, query, vars, &out)
	for _, d := range out {
		return d
	}
	return disputeOut{}
}

func disputeIn(invoice, reason, notes string, lines ...any) map[string]any {
	in := map[string]any{"invoiceId": invoice, "reasonCode": reason, "notes": notes}
	if lines != nil {
		in["lines"] = lines
	}
	return map[string]any{"in": in}
}

func disputeLine(invoiceLine, qty string) map[string]any {
	return map[string]any{"invoiceLineId": invoiceLine, "quantity": qty}
}

func resolveIn(d disputeOut, resolution, note string, creditLines ...any) map[string]any {
	in := map[string]any{"resolution": resolution, "note": note}
	if creditLines != nil {
		in["creditLines"] = creditLines
	}
	return map[string]any{"id": d.ID, "v": d.Version, "in": in}
}

// wantMessage checks a refusal's code, field and the words of its message.
func wantMessage(t *testing.T, e *env, role sales.Role, query string, vars map[string]any, code, field, text string) {
	t.Helper()
	r := e.with(t).as(role, query, vars)
	wantError(t, r, code, field)
	if !strings.Contains(r.Errors[0].Message, text) {
		t.Fatalf("message %q, want it to say %q", r.Errors[0].Message, text)
	}
}

// TestDisputes_CustomerPays: an invoice of 130.90 (10 widgets at 10.00 and
// 4 gadgets at 2.50, 19 % tax) with 30.90 paid is disputed for 2 widgets
// (23.80). While disputed it takes no payment and no second dispute; a
// dispute over the balance, of a draft, a void or a paid invoice, and by a
// role that may not, are refused with nothing written. Resolved as
// CUSTOMER_PAYS it goes back to PARTIALLY_PAID; resolving again is refused.
func TestDisputes_CustomerPays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	inv := e.issuedInvoiceOf(t, s)
	e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "30.90", allocation(inv.ID, "30.90")))
	inv = e.invoiceState(t, inv.ID)
	if inv.Status != "PARTIALLY_PAID" || inv.Balance != "100.00" {
		t.Fatalf("invoice %s balance %s", inv.Status, inv.Balance)
	}
	widgets := inv.Lines[0]
	widgetLine := e.sqlText(t, `SELECT min(id)::text FROM invoice_lines`)
	wl := relayID("InvoiceLine", mustInt(t, widgetLine))

	t.Run("Refused", func(t *testing.T) {
		unchanged(t, e.store, func() {
			// 10 widgets are 119.00, more than the 100.00 left to pay.
			wantMessage(t, e, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "PRICE", "", disputeLine(wl, "10")),
				"VALIDATION", "input.lines", "the lines come to 119.00 EUR, more than the balance of invoice "+*inv.Number+" (100.00 EUR)")
			wantMessage(t, e, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "PRICE", "", disputeLine(wl, "11")),
				"VALIDATION", "input.lines.0.quantity", "more than was invoiced: 10 of line 1")
			wantMessage(t, e, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "PRICE", strings.Repeat("x", 2001)),
				"VALIDATION", "input.notes", "notes must be at most 2000 characters")
			for _, role := range []sales.Role{sales.RoleSalesRep, sales.RoleWarehouse, sales.RoleViewer} {
				wantError(t, e.with(t).as(role, disputeInvoiceMutation, disputeIn(inv.ID, "PRICE", "")), "FORBIDDEN", "")
			}
		})
	})
	t.Run("NotIssuedOrPaid", func(t *testing.T) {
		o, _ := e.shippedOrder(t, s)
		draft := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[0].ID, "1")))
		void := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[0].ID, "1")))
		void = e.invoiceDo(t, sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": void.ID, "v": void.Version, "r": "wrong"})
		paid := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[1].ID, "1")))
		paid = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": paid.ID, "v": paid.Version})
		e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, paid.Total, allocation(paid.ID, paid.Total)))
		unchanged(t, e.store, func() {
			for status, id := range map[string]string{"DRAFT": draft.ID, "VOID": void.ID, "PAID": paid.ID} {
				wantMessage(t, e, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(id, "QUALITY", ""),
					"INVALID_TRANSITION", "input.invoiceId", "it is "+status+"; only an issued invoice with a balance can be disputed")
			}
		})
	})

	vars := disputeIn(inv.ID, "DAMAGED", "  two crushed  ", disputeLine(wl, "2"))
	vars["key"] = "dsp-1"
	d := e.disputeDo(t, sales.RoleAccountant, disputeInvoiceMutation, vars)
	year := time.Now().Year()
	if !strings.HasPrefix(d.Number, "DSP-") || !strings.Contains(d.Number, "-000001") || !strings.Contains(d.Number, strconv.Itoa(year)) ||
		d.Status != "OPEN" || d.ReasonCode != "DAMAGED" || d.Notes != "two crushed" || d.DisputedAmount != "23.80" || d.Currency != "EUR" ||
		d.Invoice.Status != "DISPUTED" || d.Invoice.Balance != "100.00" || d.Customer.Code != "CUST-1" || d.Resolution != nil ||
		d.CreditNote != nil || d.WriteOff != nil || d.CreatedBy == nil || len(d.Lines) != 1 || d.Lines[0].Quantity != "2" ||
		d.Lines[0].Amount != "23.80" || d.Lines[0].InvoiceLine.LineNo != 1 || widgets.LineNo != 1 {
		t.Fatalf("dispute %+v", d)
	}
	if h := d.History; len(h) != 1 || h[0].Action != "CREATE" || h[0].ToStatus != "OPEN" {
		t.Fatalf("dispute history %+v", h)
	}
	if h := e.invoiceState(t, inv.ID).History; h[len(h)-1].Action != "DISPUTE" || *h[len(h)-1].FromStatus != "PARTIALLY_PAID" {
		t.Fatalf("invoice history %+v", h)
	}

	t.Run("WhileDisputed", func(t *testing.T) {
		unchanged(t, e.store, func() {
			if again := e.disputeDo(t, sales.RoleAccountant, disputeInvoiceMutation, vars); again.ID != d.ID {
				t.Fatalf("the same key opened a second dispute: %s and %s", d.ID, again.ID)
			}
			wantMessage(t, e, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "PRICE", ""),
				"INVALID_TRANSITION", "input.invoiceId", "invoice "+*inv.Number+" is already disputed ("+d.Number+"): resolve that dispute first")
			wantMessage(t, e, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "10.00", allocation(inv.ID, "10.00")),
				"VALIDATION", "input.allocations.0.invoiceId", "that invoice is not open for this customer in EUR")
			wantMessage(t, e, sales.RoleAccountant, resolveDisputeMutation, resolveIn(d, "WRITE_OFF", "   "),
				"VALIDATION", "input.note", "say why invoice "+*inv.Number+" is written off")
			wantMessage(t, e, sales.RoleAccountant, resolveDisputeMutation, resolveIn(d, "CUSTOMER_PAYS", "", disputeLine(wl, "1")),
				"VALIDATION", "input.creditLines", "only a credit note resolution takes creditLines")
			for _, role := range []sales.Role{sales.RoleSalesRep, sales.RoleWarehouse, sales.RoleViewer} {
				wantError(t, e.with(t).as(role, resolveDisputeMutation, resolveIn(d, "CUSTOMER_PAYS", "")), "FORBIDDEN", "")
			}
		})
		// Not dunned: the invoice is never overdue while disputed, whatever the day.
		var late struct{ Invoice struct{ IsOverdue bool } }
		e.with(t).must(sales.RoleAccountant, `query($id: ID!) { invoice(id: $id) { isOverdue(asOf: "2099-01-01") } }`, map[string]any{"id": inv.ID}, &late)
		if late.Invoice.IsOverdue {
			t.Fatal("a disputed invoice is overdue")
		}
	})

	r := e.disputeDo(t, sales.RoleSalesManager, resolveDisputeMutation, resolveIn(d, "CUSTOMER_PAYS", "customer accepts the photos were of another order"))
	if r.Status != "RESOLVED" || deref(r.Resolution) != "CUSTOMER_PAYS" || deref(r.ResolutionNote) != "customer accepts the photos were of another order" ||
		r.ResolvedAt == nil || r.ResolvedBy == nil || r.Invoice.Status != "PARTIALLY_PAID" || r.Invoice.Balance != "100.00" || r.Version != d.Version+1 ||
		r.CreditNote != nil || r.WriteOff != nil {
		t.Fatalf("resolved %+v", r)
	}
	if h := r.History; len(h) != 2 || h[1].Action != "RESOLVE" || deref(h[1].FromStatus) != "OPEN" || h[1].ToStatus != "RESOLVED" {
		t.Fatalf("dispute history %+v", h)
	}
	if h := e.invoiceState(t, inv.ID).History; h[len(h)-1].Action != "RESOLVE_PART_PAID" || h[len(h)-1].ToStatus != "PARTIALLY_PAID" {
		t.Fatalf("invoice history %+v", h)
	}
	t.Run("ResolvedTwice", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantMessage(t, e, sales.RoleAccountant, resolveDisputeMutation, resolveIn(r, "WRITE_OFF", "changed our mind"),
				"INVALID_TRANSITION", "status", "cannot resolve a dispute that is RESOLVED")
		})
	})
	// Paid again, and disputed again (a new dispute, numbered on).
	e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "10.00", allocation(inv.ID, "10.00")))
	if again := e.disputeDo(t, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "OTHER", "")); again.DisputedAmount != "90.00" ||
		!strings.HasSuffix(again.Number, "-000002") {
		t.Fatalf("second dispute %+v", again)
	}
}

// TestDisputes_WriteOff: an unpaid invoice of 130.90 disputed in full and
// written off: the invoice WRITTEN_OFF, the write-off row with its amount,
// who and why, on the dispute and on the invoice; the customer's exposure
// no longer counts it.
func TestDisputes_WriteOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	inv := e.issuedInvoiceOf(t, s)
	d := e.disputeDo(t, sales.RoleSalesManager, disputeInvoiceMutation, disputeIn(inv.ID, "NOT_DELIVERED", "never arrived"))
	if d.DisputedAmount != "130.90" || len(d.Lines) != 0 || d.Invoice.Status != "DISPUTED" {
		t.Fatalf("dispute %+v", d)
	}
	exposure := func() string {
		var out struct {
			Customer struct{ CreditExposure struct{ OpenInvoices string } }
		}
		e.with(t).must(sales.RoleAccountant, `query($id: ID!) { customer(id: $id) { creditExposure { openInvoices } } }`, map[string]any{"id": s.customer}, &out)
		return out.Customer.CreditExposure.OpenInvoices
	}
	if got := exposure(); got != "130.90" {
		t.Fatalf("a disputed invoice's exposure %s, want 130.90 (it is still owed)", got)
	}
	w := e.disputeDo(t, sales.RoleAccountant, resolveDisputeMutation, resolveIn(d, "WRITE_OFF", " customer insolvent "))
	if w.Status != "RESOLVED" || deref(w.Resolution) != "WRITE_OFF" || w.Invoice.Status != "WRITTEN_OFF" || w.WriteOff == nil ||
		w.WriteOff.Amount != "130.90" || w.WriteOff.Currency != "EUR" || w.WriteOff.Reason != "customer insolvent" ||
		w.WriteOff.WrittenOffBy.Email != w.ResolvedBy.Email || w.WriteOff.Invoice.Number != *inv.Number ||
		w.WriteOff.Dispute == nil || w.WriteOff.Dispute.Number != d.Number || w.CreditNote != nil {
		t.Fatalf("written off %+v (%+v)", w, w.WriteOff)
	}
	if !strings.Contains(w.WriteOff.WrittenOffBy.Email, "accountant") {
		t.Fatalf("written off by %s, want the accountant", w.WriteOff.WrittenOffBy.Email)
	}
	var byInvoice struct {
		Invoice struct {
			Status   string
			WriteOff *struct{ Amount, Reason string }
			Disputes []struct{ Number, Status string }
			History  []struct{ Action, ToStatus, Reason string }
		}
	}
	e.with(t).must(sales.RoleAccountant, `query($id: ID!) { invoice(id: $id) { status writeOff { amount reason } disputes { number status }
		history { action toStatus reason } } }`, map[string]any{"id": inv.ID}, &byInvoice)
	bi := byInvoice.Invoice
	if bi.WriteOff == nil || bi.WriteOff.Amount != "130.90" || len(bi.Disputes) != 1 || bi.Disputes[0].Status != "RESOLVED" ||
		bi.History[len(bi.History)-1].Action != "WRITE_OFF" || !strings.Contains(bi.History[len(bi.History)-1].Reason, "customer insolvent") {
		t.Fatalf("invoice %+v", bi)
	}
	if n := e.sqlText(t, `SELECT count(*)::text FROM write_offs`); n != "1" {
		t.Fatalf("%s write_offs rows", n)
	}
	if got := exposure(); got != "0.00" && got != "0" {
		t.Fatalf("a written-off invoice's exposure %s, want 0", got)
	}
	unchanged(t, e.store, func() {
		wantMessage(t, e, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "PRICE", ""),
			"INVALID_TRANSITION", "input.invoiceId", "it is WRITTEN_OFF")
	})
}

// TestDisputes_RepSeesOwnCustomers: a sales rep sees their own customers'
// disputes (by id, as a node and in the list), and none of another's;
// the list filters by status, customer and invoice.
func TestDisputes_RepSeesOwnCustomers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	inv := e.issuedInvoiceOf(t, s)
	d := e.disputeDo(t, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "PRICE", ""))
	const q = `query($id: ID!) { dispute(id: $id) { id } node(id: $id) { id } disputes { totalCount nodes { id } } }`
	own := e.with(t).as(sales.RoleSalesRep, q, map[string]any{"id": d.ID})
	if len(own.Errors) > 0 || strings.Count(string(own.Data), d.ID) != 3 || !strings.Contains(string(own.Data), `"totalCount":1`) {
		t.Fatalf("the customer's rep saw %s %+v", own.Data, own.Errors)
	}
	_, tok := e.addUser("other-rep@test.example", sales.RoleSalesRep)
	e.tokens["other"] = tok
	other := e.with(t).as("other", q, map[string]any{"id": d.ID})
	if len(other.Errors) > 0 || string(other.Data) != `{"dispute":null,"node":null,"disputes":{"totalCount":0,"nodes":[]}}` {
		t.Fatalf("another rep saw %s %+v", other.Data, other.Errors)
	}
	for filter, want := range map[string]int{
		`{status: [OPEN]}`: 1, `{status: [RESOLVED]}`: 0, `{customerId: "` + s.customer + `"}`: 1, `{invoiceId: "` + inv.ID + `"}`: 1,
	} {
		var out struct{ Disputes struct{ TotalCount int } }
		e.with(t).must(sales.RoleAccountant, `{ disputes(filter: `+filter+`) { totalCount } }`, nil, &out)
		if out.Disputes.TotalCount != want {
			t.Errorf("disputes(filter: %s): %d, want %d", filter, out.Disputes.TotalCount, want)
		}
	}
}

// TestPrefetch_DisputePagesStayFlat: a page of disputes with their lines,
// invoices, customers, write-offs and histories, and a page of invoices
// with their disputes and write-offs, cost as many statements for 1 parent
// as for 3, with the loader timer set to a minute (an edge no prefetch
// foresaw would wait for it and time out).
func TestPrefetch_DisputePagesStayFlat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	for range 3 {
		inv := e.issuedInvoiceOf(t, s)
		line := e.sqlText(t, `SELECT max(id)::text FROM invoice_lines`)
		d := e.disputeDo(t, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "QUANTITY", "", disputeLine(relayID("InvoiceLine", mustInt(t, line)), "1")))
		e.disputeDo(t, sales.RoleAccountant, resolveDisputeMutation, resolveIn(d, "WRITE_OFF", "bad debt"))
	}
	e = e.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
		c.Limits.MaxCost = 1_000_000
	})
	queries := map[string]string{
		"disputes": `query($n: Int!) { disputes(first: $n) { nodes { number disputedAmount customer { code } createdBy { email } resolvedBy { email }
			invoice { number balance order { number } lines { total } } creditNote { number }
			lines { quantity amount invoiceLine { lineNo total invoice { number } } dispute { number } }
			writeOff { amount reason writtenOffBy { email } invoice { number } dispute { number } }
			history { action actor { email } } } } }`,
		"invoices": `query($n: Int!) { invoices(first: $n) { nodes { number status writeOff { amount writtenOffBy { email } }
			disputes { number status lines { amount invoiceLine { lineNo } } writeOff { amount } } } } }`,
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

// TestDisputes_CreditNote: three invoices of 130.90 (10 widgets at 11.90
// and 4 gadgets at 2.975 with tax). The first, disputed for 3 widgets and 2
// gadgets (41.65), is credited in part (2 widgets, 23.80): a CN-numbered
// credit note, issued and applied in full, the invoice PARTIALLY_PAID with
// 107.10 left; a credit over what is disputed is refused with nothing
// written. The second, disputed for 4 gadgets, is credited in full (11.90).
// The third, disputed as a whole, is credited in full and becomes PAID.
func TestDisputes_CreditNote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	lineIDs := func(inv invoiceOut) (string, string) {
		var out struct {
			Invoice struct{ Lines []struct{ ID string } }
		}
		e.with(t).must(sales.RoleAccountant, `query($id: ID!) { invoice(id: $id) { lines { id } } }`, map[string]any{"id": inv.ID}, &out)
		return out.Invoice.Lines[0].ID, out.Invoice.Lines[1].ID
	}
	inv := e.issuedInvoiceOf(t, s)
	w, g := lineIDs(inv)
	d := e.disputeDo(t, sales.RoleAccountant, disputeInvoiceMutation, disputeIn(inv.ID, "QUALITY", "", disputeLine(w, "3"), disputeLine(g, "2")))
	if d.DisputedAmount != "41.65" || len(d.Lines) != 2 {
		t.Fatalf("dispute %+v", d)
	}
	unchanged(t, e.store, func() {
		wantMessage(t, e, sales.RoleAccountant, resolveDisputeMutation, resolveIn(d, "CREDIT_NOTE", "", disputeLine(w, "4")),
			"VALIDATION", "input.creditLines.0.quantity", "more than was disputed: 3 of line 1")
		wantMessage(t, e, sales.RoleAccountant, resolveDisputeMutation, resolveIn(d, "CREDIT_NOTE", "", disputeLine(w, "1"), disputeLine(w, "1")),
			"VALIDATION", "input.creditLines.1.invoiceLineId", "each invoice line may appear once")
	})
	r := e.disputeDo(t, sales.RoleAccountant, resolveDisputeMutation, resolveIn(d, "CREDIT_NOTE", "two widgets were scratched", disputeLine(w, "2")))
	cn := r.CreditNote
	if r.Status != "RESOLVED" || deref(r.Resolution) != "CREDIT_NOTE" || cn == nil || cn.Kind != "CREDIT_NOTE" || !strings.HasPrefix(cn.Number, "CN-") ||
		cn.Total != "23.80" || cn.PaidAmount != "23.80" || cn.Status != "APPLIED" || r.WriteOff != nil {
		t.Fatalf("resolved %+v, credit note %+v", r, cn)
	}
	after := e.invoiceState(t, inv.ID)
	if after.Status != "PARTIALLY_PAID" || after.PaidAmount != "23.80" || after.Balance != "107.10" {
		t.Fatalf("invoice %s paid %s balance %s, want PARTIALLY_PAID 23.80 107.10", after.Status, after.PaidAmount, after.Balance)
	}
	var credited struct {
		Invoice struct {
			Lines []struct {
				OrderLine struct{ CreditedQuantity string }
			}
		}
	}
	e.with(t).must(sales.RoleAccountant, `query($id: ID!) { invoice(id: $id) { lines { orderLine { creditedQuantity } } } }`, map[string]any{"id": inv.ID}, &credited)
	if q := credited.Invoice.Lines[0].OrderLine.CreditedQuantity; q != "2" {
		t.Fatalf("widget line credited %s, want 2", q)
	}
	if h := after.History; h[len(h)-1].Action != "RESOLVE_UNPAID" || h[len(h)-1].ToStatus != "ISSUED" {
		t.Fatalf("invoice history %+v", h)
	}

	second := e.issuedInvoiceOf(t, s)
	_, g2 := lineIDs(second)
	d2 := e.disputeDo(t, sales.RoleSalesManager, disputeInvoiceMutation, disputeIn(second.ID, "PRICE", "", disputeLine(g2, "4")))
	r2 := e.disputeDo(t, sales.RoleSalesManager, resolveDisputeMutation, resolveIn(d2, "CREDIT_NOTE", ""))
	if r2.CreditNote == nil || r2.CreditNote.Total != "11.90" || r2.Invoice.Status != "PARTIALLY_PAID" || r2.Invoice.Balance != "119.00" {
		t.Fatalf("full credit of the disputed lines: %+v %+v", r2.Invoice, r2.CreditNote)
	}

	third := e.issuedInvoiceOf(t, s)
	d3 := e.disputeDo(t, sales.RoleAdmin, disputeInvoiceMutation, disputeIn(third.ID, "OTHER", "wrong customer billed"))
	r3 := e.disputeDo(t, sales.RoleAdmin, resolveDisputeMutation, resolveIn(d3, "CREDIT_NOTE", "credited in full"))
	if r3.CreditNote == nil || r3.CreditNote.Total != "130.90" || r3.Invoice.Status != "PAID" || r3.Invoice.Balance != "0.00" ||
		r3.CreditNote.Number == cn.Number {
		t.Fatalf("full credit of a whole invoice: %+v %+v", r3.Invoice, r3.CreditNote)
	}
}
