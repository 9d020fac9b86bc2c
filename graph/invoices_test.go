package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/relay"
	"salesgraph/sales"
)

const (
	invoiceFields = `id number kind status currency issueDate dueDate subtotal taxTotal total paidAmount balance isOverdue daysOverdue version
		order { number status } customer { code }
		lines { lineNo quantity unitPrice subtotal tax total orderLine { id invoicedQuantity } product { sku } }
		history { action fromStatus toStatus reason }`
	createInvoiceMutation = `mutation($in: CreateInvoiceInput!, $key: String) { createInvoice(input: $in, idempotencyKey: $key) { ` + invoiceFields + ` } }`
	issueInvoiceMutation  = `mutation($id: ID!, $v: Int!) { issueInvoice(id: $id, version: $v) { ` + invoiceFields + ` } }`
	voidInvoiceMutation   = `mutation($id: ID!, $v: Int!, $r: String!) { voidInvoice(id: $id, version: $v, reason: $r) { ` + invoiceFields + ` } }`
)

type invoiceOut struct {
	ID, Kind, Status, Currency, Subtotal, TaxTotal, Total, PaidAmount, Balance string
	Number, IssueDate, DueDate                                                 *string
	IsOverdue                                                                  bool
	DaysOverdue, Version                                                       int
	Order                                                                      struct{ Number, Status string }
	Customer                                                                   struct{ Code string }
	Lines                                                                      []struct {
		LineNo                                    int
		Quantity, UnitPrice, Subtotal, Tax, Total string
		OrderLine                                 struct{ ID, InvoicedQuantity string }
		Product                                   struct{ SKU string }
	}
	History []struct {
		Action, ToStatus, Reason string
		FromStatus               *string
	}
}

func (e *env) invoiceDo(t *testing.T, role sales.Role, query string, vars map[string]any) invoiceOut {
	t.Helper()
	var out map[string]invoiceOut
	e.with(t).must(role, query, vars, &out)
	for _, inv := range out {
		return inv
	}
	return invoiceOut{}
}

func invoiceIn(order string, lines ...any) map[string]any {
	in := map[string]any{"orderId": order}
	if lines != nil {
		in["lines"] = lines
	}
	return map[string]any{"in": in}
}

func invoiceLine(orderLine, qty string) map[string]any {
	return map[string]any{"orderLineId": orderLine, "quantity": qty}
}

// invoiceSummary is an invoice's lines and totals as one comparable string.
func invoiceSummary(inv invoiceOut) string {
	var parts []string
	for _, l := range inv.Lines {
		parts = append(parts, fmt.Sprintf("%d:%s×%s=%s+%s=%s", l.LineNo, l.Quantity, l.UnitPrice, l.Subtotal, l.Tax, l.Total))
	}
	return strings.Join(parts, " ") + fmt.Sprintf(" | %s+%s=%s paid %s balance %s", inv.Subtotal, inv.TaxTotal, inv.Total, inv.PaidAmount, inv.Balance)
}

// TestInvoices_PartThenRestCompletesTheOrder: a delivered order of 10
// widgets at 10.00 and 4 gadgets at 2.50 (19 % tax) invoiced in two parts;
// more than is left is refused with nothing written; issuing numbers the
// invoices in turn; the order completes when the last one is issued, with
// its order event.
func TestInvoices_PartThenRestCompletesTheOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o, _ := e.shippedOrder(t, s)

	first := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[0].ID, "4")))
	if first.Status != "DRAFT" || first.Number != nil || first.IssueDate != nil || first.DueDate != nil || first.Kind != "INVOICE" ||
		first.Currency != "EUR" || first.Customer.Code != "CUST-1" || first.Order.Number != o.Number {
		t.Fatalf("draft %+v", first)
	}
	if got, want := invoiceSummary(first), "1:4×10.00=40.00+7.60=47.60 | 40.00+7.60=47.60 paid 0.00 balance 47.60"; got != want {
		t.Fatalf("first invoice %s, want %s", got, want)
	}
	if q := first.Lines[0].OrderLine.InvoicedQuantity; q != "4" {
		t.Fatalf("widget line invoiced %s, want 4", q)
	}

	t.Run("OverInvoicingRefused", func(t *testing.T) {
		unchanged(t, e.store, func() {
			r := e.with(t).as(sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[1].ID, "1"), invoiceLine(o.Lines[0].ID, "7")))
			wantError(t, r, "VALIDATION", "input.lines.1.quantity")
			if !strings.Contains(r.Errors[0].Message, "6 of line 1 can still be invoiced") {
				t.Fatalf("message %q", r.Errors[0].Message)
			}
		})
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		vars := invoiceIn(o.ID, invoiceLine(o.Lines[1].ID, "1"))
		vars["key"] = "inv-retry-1"
		a := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, vars)
		unchanged(t, e.store, func() {
			if b := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, vars); b.ID != a.ID {
				t.Fatalf("the same key made a second invoice: %s and %s", a.ID, b.ID)
			}
			other := invoiceIn(o.ID, invoiceLine(o.Lines[1].ID, "2"))
			other["key"] = "inv-retry-1"
			wantError(t, e.with(t).as(sales.RoleAccountant, createInvoiceMutation, other), "IDEMPOTENCY_KEY_REUSED", "")
		})
		e.invoiceDo(t, sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": a.ID, "v": a.Version, "r": "test of the key"})
	})
	t.Run("OnlyBillingRoles", func(t *testing.T) {
		for _, role := range []sales.Role{sales.RoleSalesRep, sales.RoleWarehouse, sales.RoleViewer} {
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(role, createInvoiceMutation, invoiceIn(o.ID)), "FORBIDDEN", "")
			})
		}
	})

	rest := e.invoiceDo(t, sales.RoleSalesManager, createInvoiceMutation, invoiceIn(o.ID))
	if got, want := invoiceSummary(rest), "1:6×10.00=60.00+11.40=71.40 2:4×2.50=10.00+1.90=11.90 | 70.00+13.30=83.30 paid 0.00 balance 83.30"; got != want {
		t.Fatalf("rest %s, want %s", got, want)
	}
	t.Run("NothingLeft", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID)), "VALIDATION", "input.orderId")
		})
	})

	year := time.Now().Year()
	today := time.Now().Format(time.DateOnly)
	due := time.Now().AddDate(0, 0, 45).Format(time.DateOnly) // the customer's 45 days' terms, copied onto the order
	first = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": first.ID, "v": first.Version})
	if first.Status != "ISSUED" || first.Number == nil || *first.Number != fmt.Sprintf("INV-%d-000001", year) ||
		*first.IssueDate != today || *first.DueDate != due || first.IsOverdue || first.DaysOverdue != 0 {
		t.Fatalf("issued %+v (number %v, dates %v %v), want INV-%d-000001 dated %s due %s", first, deref(first.Number), deref(first.IssueDate), deref(first.DueDate), year, today, due)
	}
	if first.Order.Status != "DELIVERED" {
		t.Fatalf("order %s with a draft left, want DELIVERED", first.Order.Status)
	}
	rest = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": rest.ID, "v": rest.Version})
	if rest.Number == nil || *rest.Number != fmt.Sprintf("INV-%d-000002", year) || rest.Order.Status != "COMPLETED" {
		t.Fatalf("second issued %v, order %s; want INV-%d-000002 and COMPLETED", deref(rest.Number), rest.Order.Status, year)
	}
	var oq struct {
		Order struct {
			Status       string
			Invoices     []struct{ Number string }
			History      []struct{ Action, ToStatus, Reason string }
			StatusEvents []struct{ Status string }
		}
	}
	// Two issued, and the voided draft of the idempotency check.
	e.with(t).must(sales.RoleAccountant, `query($id: ID!) { order(id: $id) { status invoices { number } history { action toStatus reason } statusEvents { status } } }`,
		map[string]any{"id": o.ID}, &oq)
	last := oq.Order.History[len(oq.Order.History)-1]
	if len(oq.Order.Invoices) != 3 || last.Action != "COMPLETE" || last.ToStatus != "COMPLETED" || !strings.Contains(last.Reason, *rest.Number) ||
		oq.Order.StatusEvents[len(oq.Order.StatusEvents)-1].Status != "COMPLETED" {
		t.Fatalf("order after the last invoice: %+v", oq.Order)
	}
	t.Run("CompletedOrderInvoiceNotVoided", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": rest.ID, "v": rest.Version, "r": "oops"}), "VALIDATION", "id")
		})
	})
	t.Run("IssueTwice", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": rest.ID, "v": rest.Version}), "INVALID_TRANSITION", "status")
		})
	})
}

// TestInvoices_VoidOnlyUnpaid: an issued invoice is voided with its reason
// and keeps its number; its quantities can be invoiced again. An invoice
// with money on it, or already void, is refused with nothing written.
func TestInvoices_VoidOnlyUnpaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o, _ := e.shippedOrder(t, s)
	inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[1].ID, "3")))
	inv = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version})

	t.Run("ReasonRequired", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version, "r": " "}), "VALIDATION", "reason")
		})
	})
	t.Run("PaidRefused", func(t *testing.T) {
		// A payment allocation is billing's next step; put money on the invoice directly.
		if _, err := e.store.ExecContext(t.Context(), `UPDATE invoices SET paid_amount = 0.01 WHERE number = $1`, *inv.Number); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := e.store.ExecContext(t.Context(), `UPDATE invoices SET paid_amount = 0 WHERE number = $1`, *inv.Number); err != nil {
				t.Fatal(err)
			}
		}()
		unchanged(t, e.store, func() {
			r := e.with(t).as(sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version, "r": "wrong"})
			wantError(t, r, "VALIDATION", "id")
			if !strings.Contains(r.Errors[0].Message, "only an unpaid invoice") {
				t.Fatalf("message %q", r.Errors[0].Message)
			}
		})
	})

	void := e.invoiceDo(t, sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version, "r": " wrong customer reference "})
	h := void.History[len(void.History)-1]
	if void.Status != "VOID" || deref(void.Number) != deref(inv.Number) || h.Action != "VOID" || deref(h.FromStatus) != "ISSUED" ||
		h.Reason != "wrong customer reference" || void.Lines[0].OrderLine.InvoicedQuantity != "0" {
		t.Fatalf("voided %+v", void)
	}
	again := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[1].ID, "4")))
	if again.Lines[0].Quantity != "4" {
		t.Fatalf("after the void, invoiced %s gadgets, want all 4", again.Lines[0].Quantity)
	}
	t.Run("VoidTwice", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": void.ID, "v": void.Version, "r": "again"}), "INVALID_TRANSITION", "status")
		})
	})
	t.Run("DraftVoided", func(t *testing.T) {
		d := e.invoiceDo(t, sales.RoleAdmin, voidInvoiceMutation, map[string]any{"id": again.ID, "v": again.Version, "r": "not yet"})
		if d.Status != "VOID" || d.Number != nil {
			t.Fatalf("voided draft %+v", d)
		}
	})
	t.Run("Stale", func(t *testing.T) {
		fresh := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[1].ID, "1")))
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": fresh.ID, "v": fresh.Version - 1}), "CONFLICT", "version")
		})
	})
}

// TestInvoices_RepSeesOwnCustomers: the customer's rep sees its invoices;
// another rep sees none of them, by list, by ID or as a node.
func TestInvoices_RepSeesOwnCustomers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o, _ := e.shippedOrder(t, s)
	inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID))
	line := e.sqlText(t, `SELECT min(id)::text FROM invoice_lines`)
	const q = `query($id: ID!, $l: ID!) { invoice(id: $id) { id } node(id: $l) { id } invoices { totalCount nodes { id } } }`
	vars := map[string]any{"id": inv.ID, "l": relayID("InvoiceLine", mustInt(t, line))}
	own := e.with(t).as(sales.RoleSalesRep, q, vars)
	if len(own.Errors) > 0 || !strings.Contains(string(own.Data), inv.ID) || strings.Contains(string(own.Data), `"node":null`) ||
		!strings.Contains(string(own.Data), `"totalCount":1`) {
		t.Fatalf("the customer's rep saw %s %+v", own.Data, own.Errors)
	}
	_, tok := e.addUser("other-rep@test.example", sales.RoleSalesRep)
	e.tokens["other"] = tok
	other := e.with(t).as("other", q, vars)
	if len(other.Errors) > 0 || string(other.Data) != `{"invoice":null,"node":null,"invoices":{"totalCount":0,"nodes":[]}}` {
		t.Fatalf("another rep saw %s %+v", other.Data, other.Errors)
	}
	var filtered struct {
		Invoices struct{ TotalCount int }
	}
	e.with(t).must(sales.RoleAccountant, `query($c: ID!) { invoices(filter: {customerId: $c, status: [DRAFT]}) { totalCount } }`, map[string]any{"c": s.customer}, &filtered)
	if filtered.Invoices.TotalCount != 1 {
		t.Fatalf("filtered by customer and DRAFT: %d, want 1", filtered.Invoices.TotalCount)
	}
	// The same through the customer: its first page, then filtered (another customer's ID is refused).
	var through struct {
		Customer struct {
			All, Issued struct {
				TotalCount int
				Nodes      []struct{ ID string }
			}
		}
	}
	e.with(t).must(sales.RoleAccountant, `query($c: ID!) { customer(id: $c) { all: invoices { totalCount nodes { id } }
		issued: invoices(filter: {status: [ISSUED]}) { totalCount nodes { id } } } }`, map[string]any{"c": s.customer}, &through)
	if c := through.Customer; c.All.TotalCount != 1 || len(c.All.Nodes) != 1 || c.All.Nodes[0].ID != inv.ID || c.Issued.TotalCount != 0 {
		t.Fatalf("customer.invoices: %+v, want the one draft, none issued", c)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// TestInvoices_GaplessNumbersUnderConcurrencyAndRollback: invoices of four
// customers issued all at once, some of them in transactions that fail
// after taking their number (a trigger refuses their update, so the
// transaction rolls back). The issued invoices are numbered exactly 1..N of
// the year, no gap, no duplicate; the refused ones, issued afterwards, take
// the next numbers.
func TestInvoices_GaplessNumbersUnderConcurrencyAndRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "500"})
	const customers, perOrder, doomedPerOrder = 4, 8, 2
	var drafts []invoiceOut
	var doomed []string
	for c := range customers {
		customer := s.customer
		if c > 0 {
			in := validCustomer(fmt.Sprintf("CUST-%d", c+1))
			customer = e.with(t).createCustomer(sales.RoleAdmin, in).ID
		}
		o := e.createOrder(t, sales.RoleAdmin, map[string]any{"input": map[string]any{"customerId": customer, "warehouseId": s.warehouse,
			"invoicingPolicy": "ORDERED", "lines": []any{line(s.widget, fmt.Sprint(perOrder))}}})
		e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, nil)
		for i := range perOrder {
			inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[0].ID, "1")))
			drafts = append(drafts, inv)
			if i < doomedPerOrder {
				doomed = append(doomed, inv.ID)
			}
		}
	}
	// Refuse the doomed invoices' issue after nextNumber has taken a number in the same transaction.
	if _, err := e.store.ExecContext(t.Context(), `
		CREATE TABLE doomed_invoices (id bigint PRIMARY KEY);
		CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.status = 'ISSUED' AND EXISTS (SELECT 1 FROM doomed_invoices WHERE id = NEW.id) THEN
				RAISE EXCEPTION 'doomed invoice %', NEW.id;
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_doomed BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION refuse_doomed();`); err != nil {
		t.Fatal(err)
	}
	for _, id := range doomed {
		k, err := relay.Key("id", "Invoice", id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.ExecContext(t.Context(), `INSERT INTO doomed_invoices VALUES ($1)`, k); err != nil {
			t.Fatal(err)
		}
	}

	issueAll := func(list []invoiceOut) (ok, failed int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, inv := range list {
			wg.Go(func() {
				r := e.as(sales.RoleAccountant, `mutation($id: ID!, $v: Int!) { issueInvoice(id: $id, version: $v) { number } }`,
					map[string]any{"id": inv.ID, "v": inv.Version})
				mu.Lock()
				defer mu.Unlock()
				if len(r.Errors) == 0 {
					ok++
				} else {
					failed++
				}
			})
		}
		wg.Wait()
		return ok, failed
	}
	year := time.Now().Year()
	numbers := func() []string {
		var out []string
		if err := e.store.SelectContext(t.Context(), &out, `SELECT number FROM invoices WHERE number IS NOT NULL ORDER BY number`); err != nil {
			t.Fatal(err)
		}
		return out
	}
	wantRun := func(n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf("INV-%d-%06d", year, i))
		}
		return out
	}

	ok, failed := issueAll(drafts)
	total, nDoomed := customers*perOrder, customers*doomedPerOrder
	if ok != total-nDoomed || failed != nDoomed {
		t.Fatalf("%d issued, %d failed; want %d and %d", ok, failed, total-nDoomed, nDoomed)
	}
	if got, want := numbers(), wantRun(total-nDoomed); !slices.Equal(got, want) {
		t.Fatalf("after %d concurrent issues (%d rolled back after numbering): numbers %v, want %v", total, nDoomed, got, want)
	}
	if _, err := e.store.ExecContext(t.Context(), `DELETE FROM doomed_invoices`); err != nil {
		t.Fatal(err)
	}
	var retry []invoiceOut
	for _, inv := range drafts {
		if slices.Contains(doomed, inv.ID) {
			retry = append(retry, inv)
		}
	}
	if ok, failed := issueAll(retry); ok != nDoomed || failed != 0 {
		t.Fatalf("retrying the refused: %d issued, %d failed", ok, failed)
	}
	if got, want := numbers(), wantRun(total); !slices.Equal(got, want) {
		t.Fatalf("after the retries: numbers %v, want %v", got, want)
	}
	t.Logf("%d invoices issued concurrently, %d rolled back after taking a number, then issued: numbers 1..%d without gap", total, nDoomed, total)
}

// TestPrefetch_InvoicePagesStayFlat: a page of invoices with their lines,
// order, customer and history, and a page of orders with their invoices,
// cost as many statements for 1 parent as for 3, with the loader timer set
// to a minute (an edge no prefetch foresaw would wait for it and time out).
func TestPrefetch_InvoicePagesStayFlat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	for i := range 3 {
		o, _ := e.shippedOrder(t, s)
		if i == 0 {
			e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[0].ID, "1")))
		}
		inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID))
		e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version})
	}
	e = e.retuned(t, func(c *graph.HandlerConfig) {
		c.LoaderWait = time.Minute
		c.Limits.OperationTimeout = 10 * time.Second
		c.Limits.MaxCost = 1_000_000
	})
	queries := map[string]string{
		"invoices": `query($n: Int!) { invoices(first: $n) { nodes { number total balance daysOverdue
			order { number customer { code } lines { invoicedQuantity } } customer { code salesRep { email } } createdBy { email }
			lines { quantity total product { sku } orderLine { lineNo } invoice { number } } history { action actor { email } } } } }`,
		"orders":    `query($n: Int!) { orders(first: $n) { nodes { number invoices { number total lines { total product { sku } } history { action } } } } }`,
		"customers": `query($n: Int!) { customers(first: $n) { nodes { code invoices(first: 5) { totalCount nodes { number balance order { number } lines { total } } } } } }`,
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

// TestInvoices_OrderedPolicyCompletesOnLastShipment: an order invoiced in
// full under the ORDERED policy before it ships stays CONFIRMED; the
// shipment that delivers it in full completes it, with its order event.
func TestInvoices_OrderedPolicyCompletesOnLastShipment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	o := e.createOrder(t, sales.RoleAdmin, s.order(map[string]any{"invoicingPolicy": "ORDERED"}, line(s.widget, "5"), line(s.gadget, "2")))
	e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, nil)
	inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID))
	if got, want := invoiceSummary(inv), "1:5×10.00=50.00+9.50=59.50 2:2×2.50=5.00+0.95=5.95 | 55.00+10.45=65.45 paid 0.00 balance 65.45"; got != want {
		t.Fatalf("invoice %s, want %s", got, want)
	}
	inv = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version})
	if inv.Order.Status != "CONFIRMED" {
		t.Fatalf("order %s after invoicing before shipment, want CONFIRMED", inv.Order.Status)
	}
	d := e.delivery(t, map[string]any{"orderId": o.ID})
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, nil)
	var oq struct {
		Order struct {
			Status       string
			StatusEvents []struct{ Status string }
		}
	}
	e.with(t).must(sales.RoleAdmin, `query($id: ID!) { order(id: $id) { status statusEvents { status } } }`, map[string]any{"id": o.ID}, &oq)
	var events []string
	for _, ev := range oq.Order.StatusEvents {
		events = append(events, ev.Status)
	}
	if oq.Order.Status != "COMPLETED" || strings.Join(events, ",") != "DRAFT,CONFIRMED,DELIVERED,COMPLETED" {
		t.Fatalf("order %s with events %v, want COMPLETED after DRAFT,CONFIRMED,DELIVERED", oq.Order.Status, events)
	}
}
