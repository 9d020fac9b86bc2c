package graph_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/graph"
	"salesgraph/printable"
	"salesgraph/relay"
	"salesgraph/sales"
)

const agingLineFields = `customer { code } currency current days1To30 days31To60 days61To90 over90 disputed total unappliedCredit net`

type agingLineOut struct {
	Customer                                                     *struct{ Code string }
	Currency                                                     string
	Current, Days1To30, Days31To60, Days61To90, Over90, Disputed string
	Total, UnappliedCredit, Net                                  string
}

type agingOut struct {
	ReceivablesAging struct {
		AsOf      string
		Totals    []agingLineOut
		Customers struct {
			Nodes      []agingLineOut
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
}

func dec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

func (l agingLineOut) buckets(t *testing.T) sales.AgingBuckets {
	return sales.AgingBuckets{Current: dec(t, l.Current), Days1To30: dec(t, l.Days1To30), Days31To60: dec(t, l.Days31To60),
		Days61To90: dec(t, l.Days61To90), Over90: dec(t, l.Over90), Disputed: dec(t, l.Disputed)}
}

// agingFixture: two EUR customers and one USD customer with invoices of
// several ages, issued through the API (ages set by moving due dates), one
// part-paid, one paid in full, one disputed, and an unallocated payment.
type agingFixture struct {
	s                salesSetup
	eur2, usd        string
	partPaid, paid   invoiceOut
	disputed         invoiceOut
	unallocated      paymentOut
	voided           invoiceOut // CUST-2's, issued and voided today
	invoicesByNumber map[string]invoiceOut
}

func (e *env) agingFixture(t *testing.T) agingFixture {
	t.Helper()
	s := e.salesSetup(t, map[string]string{"widget": "1000", "gadget": "1000"})
	f := agingFixture{s: s, invoicesByNumber: map[string]invoiceOut{}}
	in := validCustomer("CUST-2")
	f.eur2 = e.with(t).createCustomer(sales.RoleAdmin, in).ID
	usdList := e.with(t).priceList(map[string]any{"code": "USD", "name": "Dollars", "currency": "USD", "isDefault": false, "items": []any{
		map[string]any{"productId": s.widget, "unitPrice": "11.00"},
		map[string]any{"productId": s.gadget, "unitPrice": "3.00"},
	}})
	in = validCustomer("CUST-USD")
	in["currency"], in["priceListId"] = "USD", usdList
	f.usd = e.with(t).createCustomer(sales.RoleAdmin, in).ID

	// Days past due on the report's day (today) of each invoice issued. All
	// are issued first, then aged (an overdue invoice would hold the next
	// order at its credit check).
	ages := map[string][]int{s.customer: {-10, 0, 5, 30, 31, 75, 120}, f.eur2: {45, 91}, f.usd: {-3, 20, 61}}
	aged := map[string]int{}
	for _, cust := range []string{s.customer, f.eur2, f.usd} {
		cs := s
		cs.customer = cust
		for _, days := range ages[cust] {
			inv := e.issuedInvoiceOf(t, cs)
			f.invoicesByNumber[*inv.Number] = inv
			aged[*inv.Number] = days
		}
	}
	// Part of another order of CUST-2 invoiced, issued and voided (an order
	// invoiced in full is completed and takes credit notes instead).
	cs := s
	cs.customer = f.eur2
	o, _ := e.shippedOrder(t, cs)
	part := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(o.ID, invoiceLine(o.Lines[0].ID, "1")))
	f.voided = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": part.ID, "v": part.Version})
	e.invoiceDo(t, sales.RoleAccountant, voidInvoiceMutation, map[string]any{"id": f.voided.ID, "v": f.voided.Version, "r": "wrong"})
	for number, days := range aged {
		if _, err := e.store.ExecContext(t.Context(), `UPDATE invoices SET issue_date = current_date - $2::int - 30,
			due_date = current_date - $2::int WHERE number = $1`, number, days); err != nil {
			t.Fatal(err)
		}
	}
	// Pay some of the EUR customer's: 150.00 auto-allocates oldest due
	// first: the 120-day invoice in full (130.90), 19.10 of the 75-day one.
	p := e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, paymentIn(s.customer, "150.00"))
	f.paid, f.partPaid = e.invoiceState(t, p.Allocations[0].Invoice.ID), e.invoiceState(t, p.Allocations[1].Invoice.ID)
	if f.paid.Status != "PAID" || f.partPaid.Status != "PARTIALLY_PAID" || f.partPaid.PaidAmount != "19.10" {
		t.Fatalf("after the payment: %+v, %+v", f.paid.Status, f.partPaid)
	}
	// 40.00 to CUST-2's credit, allocated to nothing.
	f.unallocated = e.paymentDo(t, sales.RoleAccountant, recordPaymentMutation, func() map[string]any {
		v := paymentIn(f.eur2, "40.00")
		v["in"].(map[string]any)["allocations"] = []any{}
		return v
	}())
	// CUST-2's 91-day invoice is disputed (disputes are another branch's
	// mutation; its state is what the report reads).
	for _, inv := range f.invoicesByNumber {
		if inv.Customer.Code == "CUST-2" {
			var due string
			if err := e.store.GetContext(t.Context(), &due, `SELECT (current_date - due_date)::text FROM invoices WHERE id = $1`, mustKey(t, inv.ID)); err != nil {
				t.Fatal(err)
			}
			if due == "91" {
				if _, err := e.store.ExecContext(t.Context(), `UPDATE invoices SET status = 'DISPUTED' WHERE id = $1`, mustKey(t, inv.ID)); err != nil {
					t.Fatal(err)
				}
				f.disputed = inv
			}
		}
	}
	if f.disputed.ID == "" {
		t.Fatal("no invoice to dispute")
	}
	return f
}

func mustKey(t *testing.T, id string) int64 {
	t.Helper()
	for _, typ := range []string{"Invoice", "Customer", "Payment"} {
		if k, err := relay.Key("id", typ, id); err == nil {
			return k
		}
	}
	t.Fatalf("%q is no invoice, customer or payment ID", id)
	return 0
}

// TestReports_AgingAddsUpToOpenBalances: the report's totals per currency
// equal the open invoice balances (total − paid of open invoices) to the
// cent, bucket by bucket as sales.Aging (the reference) puts them; the
// customers' lines add up to the totals; currencies never mix; a walk page
// by page gives the same lines as one page, and a page cannot be larger
// than the limit.
func TestReports_AgingAddsUpToOpenBalances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.agingFixture(t)

	q := `query($asOf: Date, $first: Int, $after: String, $filter: AgingFilter) { receivablesAging(asOf: $asOf) { asOf
		totals { ` + agingLineFields + ` }
		customers(first: $first, after: $after, filter: $filter) { totalCount nodes { ` + agingLineFields + ` } pageInfo { hasNextPage endCursor } } } }`
	var out agingOut
	e.with(t).must(sales.RoleAccountant, q, map[string]any{"first": 100}, &out)
	rep := out.ReceivablesAging
	if rep.AsOf != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("asOf %s, want today", rep.AsOf)
	}

	// What the database says is open, per currency, to the cent.
	var open []struct {
		Currency string
		Sum      decimal.Decimal
	}
	if err := e.store.SelectContext(t.Context(), &open, `SELECT currency, sum(total - paid_amount) AS sum FROM invoices
		WHERE kind = 'INVOICE' AND status IN ('ISSUED','PARTIALLY_PAID','DISPUTED') GROUP BY currency ORDER BY currency`); err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || len(rep.Totals) != 2 {
		t.Fatalf("open balances %+v, totals %+v: want EUR and USD", open, rep.Totals)
	}
	for i, o := range open {
		tot := rep.Totals[i]
		if tot.Currency != o.Currency || tot.Customer != nil || !dec(t, tot.Total).Equal(o.Sum) || tot.Total != o.Sum.StringFixed(2) {
			t.Errorf("total %+v, want %s %s", tot, o.Currency, o.Sum.StringFixed(2))
		}
		if !tot.buckets(t).Total().Equal(dec(t, tot.Total)) {
			t.Errorf("%s: the columns %+v do not add up to the total %s", tot.Currency, tot, tot.Total)
		}
	}

	// The reference: sales.Aging over the same open invoices.
	var recv []struct {
		CustomerID int64     `db:"customer_id"`
		Currency   string    `db:"currency"`
		DueDate    time.Time `db:"due_date"`
		Open       decimal.Decimal
		Disputed   bool
	}
	if err := e.store.SelectContext(t.Context(), &recv, `SELECT customer_id, currency, due_date, total - paid_amount AS open,
		status = 'DISPUTED' AS disputed FROM invoices WHERE kind = 'INVOICE' AND status IN ('ISSUED','PARTIALLY_PAID','DISPUTED')`); err != nil {
		t.Fatal(err)
	}
	var rs []sales.Receivable
	for _, r := range recv {
		rs = append(rs, sales.Receivable{CustomerID: r.CustomerID, Currency: r.Currency, DueDate: r.DueDate, Open: r.Open, Disputed: r.Disputed})
	}
	ref := sales.Aging(time.Now().UTC(), rs)
	for i, want := range ref.Totals {
		if got := rep.Totals[i].buckets(t); !got.Total().Equal(want.Total()) || !got.Current.Equal(want.Current) ||
			!got.Days1To30.Equal(want.Days1To30) || !got.Days31To60.Equal(want.Days31To60) || !got.Days61To90.Equal(want.Days61To90) ||
			!got.Over90.Equal(want.Over90) || !got.Disputed.Equal(want.Disputed) {
			t.Errorf("%s: served %+v, sales.Aging %+v", want.Currency, got, want.AgingBuckets)
		}
	}
	// Known figures: EUR 7 + 2 invoices of 130.90 less the 150.00 paid; the
	// 91-day one disputed; USD 3 invoices of 11×10+3×4 = 122 × 1.19.
	eur := rep.Totals[0]
	if eur.Currency != "EUR" || eur.Total != "1028.10" || eur.Disputed != "130.90" || eur.Over90 != "0.00" ||
		eur.Days61To90 != "111.80" || eur.Current != "261.80" || eur.UnappliedCredit != "40.00" || eur.Net != "988.10" {
		t.Errorf("EUR total %+v", eur)
	}

	// Customer lines add up to the totals, per currency.
	sums := map[string]sales.AgingBuckets{}
	for _, l := range rep.Customers.Nodes {
		if l.Customer == nil {
			t.Fatalf("a customer line without its customer: %+v", l)
		}
		b, lb := sums[l.Currency], l.buckets(t)
		sums[l.Currency] = sales.AgingBuckets{Current: b.Current.Add(lb.Current), Days1To30: b.Days1To30.Add(lb.Days1To30),
			Days31To60: b.Days31To60.Add(lb.Days31To60), Days61To90: b.Days61To90.Add(lb.Days61To90), Over90: b.Over90.Add(lb.Over90),
			Disputed: b.Disputed.Add(lb.Disputed)}
	}
	for _, tot := range rep.Totals {
		if got := sums[tot.Currency]; !got.Total().Equal(dec(t, tot.Total)) || !got.Over90.Equal(dec(t, tot.Over90)) || !got.Disputed.Equal(dec(t, tot.Disputed)) {
			t.Errorf("%s: customer lines add up to %+v, total %+v", tot.Currency, got, tot)
		}
	}
	if rep.Customers.TotalCount != 3 || len(rep.Customers.Nodes) != 3 {
		t.Fatalf("customer lines %d (totalCount %d), want 3", len(rep.Customers.Nodes), rep.Customers.TotalCount)
	}
	if c2 := rep.Customers.Nodes[1]; c2.Customer.Code != "CUST-2" || c2.UnappliedCredit != "40.00" || c2.Disputed != "130.90" ||
		c2.Days31To60 != "130.90" || c2.Total != "261.80" || c2.Net != "221.80" {
		t.Errorf("CUST-2 %+v", c2)
	}

	// Page by page (first: 1) walks the same lines.
	var walked []string
	var after *string
	for range 10 {
		var page agingOut
		e.with(t).must(sales.RoleAccountant, q, map[string]any{"first": 1, "after": after}, &page)
		for _, n := range page.ReceivablesAging.Customers.Nodes {
			walked = append(walked, n.Customer.Code+" "+n.Currency+" "+n.Total)
		}
		if page.ReceivablesAging.Customers.TotalCount != 3 {
			t.Errorf("totalCount after %v: %d, want 3 whatever the cursor", after, page.ReceivablesAging.Customers.TotalCount)
		}
		if !page.ReceivablesAging.Customers.PageInfo.HasNextPage {
			break
		}
		after = page.ReceivablesAging.Customers.PageInfo.EndCursor
	}
	var whole []string
	for _, n := range rep.Customers.Nodes {
		whole = append(whole, n.Customer.Code+" "+n.Currency+" "+n.Total)
	}
	if strings.Join(walked, "|") != strings.Join(whole, "|") {
		t.Errorf("walked %v, one page %v", walked, whole)
	}
	wantLimit(t, e.as(sales.RoleAccountant, q, map[string]any{"first": 101}), "first", 100)
	// Backwards (last: 1, before) walks them in reverse.
	back := `query($before: String) { receivablesAging { customers(last: 1, before: $before) { nodes { customer { code } currency total }
		pageInfo { hasPreviousPage startCursor } } } }`
	var backwards []string
	var before *string
	for range 10 {
		var page struct {
			ReceivablesAging struct {
				Customers struct {
					Nodes    []agingLineOut
					PageInfo struct {
						HasPreviousPage bool
						StartCursor     *string
					}
				}
			}
		}
		e.with(t).must(sales.RoleAccountant, back, map[string]any{"before": before}, &page)
		for _, n := range page.ReceivablesAging.Customers.Nodes {
			backwards = append([]string{n.Customer.Code + " " + n.Currency + " " + n.Total}, backwards...)
		}
		if !page.ReceivablesAging.Customers.PageInfo.HasPreviousPage {
			break
		}
		before = page.ReceivablesAging.Customers.PageInfo.StartCursor
	}
	if strings.Join(backwards, "|") != strings.Join(whole, "|") {
		t.Errorf("walked backwards %v, one page %v", backwards, whole)
	}

	// Filters: a currency, overdue only, a customer.
	var usd agingOut
	e.with(t).must(sales.RoleAccountant, q, map[string]any{"filter": map[string]any{"currency": "USD"}}, &usd)
	if n := usd.ReceivablesAging.Customers.Nodes; len(n) != 1 || n[0].Customer.Code != "CUST-USD" || n[0].Total != rep.Totals[1].Total {
		t.Errorf("USD lines %+v", n)
	}
	// asOf moves the ages: 200 days on, everything is over 90 (disputed aside).
	var later agingOut
	e.with(t).must(sales.RoleAccountant, q, map[string]any{"asOf": time.Now().AddDate(0, 0, 200).Format(time.DateOnly)}, &later)
	if l := later.ReceivablesAging.Totals[0]; l.Over90 != "897.20" || l.Disputed != "130.90" || l.Total != eur.Total {
		t.Errorf("EUR 200 days on: %+v", l)
	}

	// A sales rep sees their own customers only (CUST-1 is theirs).
	var rep2 agingOut
	e.with(t).must(sales.RoleSalesRep, q, nil, &rep2)
	if n := rep2.ReceivablesAging.Customers.Nodes; len(n) != 1 || n[0].Customer.Code != "CUST-1" ||
		len(rep2.ReceivablesAging.Totals) != 1 || rep2.ReceivablesAging.Totals[0].Total != n[0].Total {
		t.Errorf("the rep's aging: %+v", rep2.ReceivablesAging)
	}
	wantError(t, e.as(sales.RoleWarehouse, q, nil), "FORBIDDEN", "")
}

const statementQuery = `query($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on Customer { code balance
	statement(from: $from, to: $to) { from to currency openingBalance closingBalance
	  lines { date kind number debit credit balance document { id ... on Invoice { invoiceNumber: number } ... on Payment { paymentNumber: number } } } } } } }`

type statementOut struct {
	From, To, Currency, OpeningBalance, ClosingBalance string
	Lines                                              []struct {
		Date, Kind, Number, Debit, Credit, Balance string
		Document                                   *struct{ ID, InvoiceNumber, PaymentNumber string }
	}
}

func (e *env) statement(t *testing.T, customer string, from, to time.Time) (balance string, st statementOut) {
	t.Helper()
	var out struct {
		Node struct {
			Balance   string
			Statement statementOut
		}
	}
	e.with(t).must(sales.RoleAccountant, statementQuery, map[string]any{"id": customer, "from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly)}, &out)
	return out.Node.Balance, out.Node.Statement
}

// TestReports_StatementChainsAndEndsAtTheBalance: a customer's statement
// adds up (opening + debits − credits = closing, line by line), a period
// ending today closes at customer.balance, two consecutive periods chain;
// an invoice voided, a payment and a refund appear on their days; a period
// backwards or too long is refused.
func TestReports_StatementChainsAndEndsAtTheBalance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.agingFixture(t)
	// A refund of 15.00 of CUST-2's unallocated 40.00, and an issued invoice voided.
	e.paymentDo(t, sales.RoleAccountant, refundMutation, map[string]any{"id": f.unallocated.ID, "v": f.unallocated.Version, "a": "15.00", "r": "asked back"})
	voided := f.voided
	today := time.Now().UTC()
	for _, c := range []string{f.s.customer, f.eur2, f.usd} {
		balance, whole := e.statement(t, c, today.AddDate(0, 0, -300), today)
		if whole.ClosingBalance != balance || whole.OpeningBalance != "0.00" && whole.OpeningBalance != "0" {
			t.Errorf("%s: statement to today opens %s closes %s, balance %s", c, whole.OpeningBalance, whole.ClosingBalance, balance)
		}
		run := dec(t, whole.OpeningBalance)
		for _, l := range whole.Lines {
			run = run.Add(dec(t, l.Debit)).Sub(dec(t, l.Credit))
			if !run.Equal(dec(t, l.Balance)) {
				t.Fatalf("%s: line %+v, running balance %s", c, l, run)
			}
		}
		if !run.Equal(dec(t, whole.ClosingBalance)) {
			t.Errorf("%s: opening + lines = %s, closing %s", c, run, whole.ClosingBalance)
		}
		// Two consecutive periods chain and add up to the whole.
		cut := today.AddDate(0, 0, -40)
		_, first := e.statement(t, c, today.AddDate(0, 0, -300), cut)
		_, second := e.statement(t, c, cut.AddDate(0, 0, 1), today)
		if first.ClosingBalance != second.OpeningBalance || second.ClosingBalance != whole.ClosingBalance ||
			len(first.Lines)+len(second.Lines) != len(whole.Lines) {
			t.Errorf("%s: periods %s→%s and %s→%s (%d + %d lines), whole %s (%d lines)", c, first.OpeningBalance, first.ClosingBalance,
				second.OpeningBalance, second.ClosingBalance, len(first.Lines), len(second.Lines), whole.ClosingBalance, len(whole.Lines))
		}
	}
	// CUST-2: 2 invoices, the payment, its refund and a void, on their days.
	balance, st := e.statement(t, f.eur2, today.AddDate(0, 0, -300), today)
	var kinds []string
	for _, l := range st.Lines {
		kinds = append(kinds, l.Kind+" "+l.Number+" "+l.Debit+" "+l.Credit)
		if l.Document == nil || l.Document.InvoiceNumber+l.Document.PaymentNumber != l.Number {
			t.Errorf("line %+v: its document is missing", l)
		}
	}
	var other string
	for _, inv := range f.invoicesByNumber {
		if inv.Customer.Code == "CUST-2" && inv.ID != f.disputed.ID {
			other = *inv.Number
		}
	}
	want := []string{"INVOICE " + *f.disputed.Number + " 130.90 0.00", "INVOICE " + other + " 130.90 0.00",
		"INVOICE " + *voided.Number + " " + voided.Total + " 0.00", "PAYMENT " + f.unallocated.Number + " 0.00 40.00",
		"REFUND " + f.unallocated.Number + " 15.00 0.00", "INVOICE_VOID " + *voided.Number + " 0.00 " + voided.Total}
	if strings.Join(kinds, "|") != strings.Join(want, "|") || balance != "236.80" || st.Currency != "EUR" {
		t.Errorf("CUST-2 statement (balance %s):\n%s\nwant\n%s", balance, strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}

	// Refused periods.
	vars := func(from, to time.Time) map[string]any {
		return map[string]any{"id": f.s.customer, "from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly)}
	}
	r := e.as(sales.RoleAccountant, statementQuery, vars(today, today.AddDate(0, 0, -1)))
	wantError(t, r, "VALIDATION", "to")
	r = e.as(sales.RoleAccountant, statementQuery, vars(today.AddDate(-2, 0, 0), today))
	wantLimit(t, r, "to", sales.MaxStatementDays)
	// A period of more than 500 lines is refused, not cut: 501 payments of
	// 0.01 on one day, 200 days ago.
	if _, err := e.store.ExecContext(t.Context(), `INSERT INTO payments (number, customer_id, currency, amount, status, received_date, method)
		SELECT 'PAY-X-' || g, $1, 'EUR', 0.01, 'UNALLOCATED', current_date - 200, 'CASH' FROM generate_series(1, 501) g`, mustKey(t, f.s.customer)); err != nil {
		t.Fatal(err)
	}
	r = e.as(sales.RoleAccountant, statementQuery, vars(today.AddDate(0, 0, -250), today))
	wantLimit(t, r, "to", sales.MaxStatementLines)
	balance, st = e.statement(t, f.s.customer, today.AddDate(0, 0, -199), today)
	if st.ClosingBalance != balance || st.OpeningBalance != "-5.01" {
		t.Errorf("after the 501 payments: opening %s closing %s balance %s", st.OpeningBalance, st.ClosingBalance, balance)
	}
}

// TestReports_BalancesAndStatementsPerPageAreConstant: a page of customers
// with their balance and statement costs as many statements for 1 customer
// as for 3.
func TestReports_BalancesAndStatementsPerPageAreConstant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.agingFixture(t)
	q := `query($n: Int!, $from: Date!, $to: Date!) { customers(first: $n) { nodes { code balance
		statement(from: $from, to: $to) { openingBalance closingBalance lines { kind debit credit balance document { id } } } } } }`
	vars := func(n int) map[string]any {
		return map[string]any{"n": n, "from": time.Now().AddDate(0, 0, -200).Format(time.DateOnly), "to": time.Now().Format(time.DateOnly)}
	}
	one, three := e.statementsFor(t, sales.RoleAdmin, q, vars(1)), e.statementsFor(t, sales.RoleAdmin, q, vars(3))
	if one != three {
		t.Errorf("statements for 1 customer: %d, for 3: %d; want the same", one, three)
	}
	t.Logf("a page of customers with balance and statement: %d statements", three)

	// The aging's page of customer lines with their customers: constant too.
	aging := `query($n: Int!) { receivablesAging { totals { currency total } customers(first: $n) { nodes { customer { code balance } total net } } } }`
	one, three = e.statementsFor(t, sales.RoleAdmin, aging, map[string]any{"n": 1}), e.statementsFor(t, sales.RoleAdmin, aging, map[string]any{"n": 3})
	if one != three {
		t.Errorf("aging: statements for 1 line: %d, for 3: %d; want the same", one, three)
	}
	t.Logf("an aging page with totals and customers: %d statements", three)
}

// TestInvoices_PrintURLOpensInAPlainTab: Invoice.printUrl is signed for the
// viewer, opens the page with no header, and a tampered link is refused.
func TestInvoices_PrintURLOpensInAPlainTab(t *testing.T) {
	t.Parallel()
	links := printable.NewLinks(testSecret, 2*time.Minute)
	e := newEnv(t).retuned(t, func(c *graph.HandlerConfig) { c.DocumentLinks = links })
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	inv := e.issuedInvoiceOf(t, s)
	var out struct{ Invoice struct{ PrintURL string } }
	e.with(t).must(sales.RoleAccountant, `query($id: ID!) { invoice(id: $id) { printUrl } }`, map[string]any{"id": inv.ID}, &out)
	u, err := url.Parse(out.Invoice.PrintURL)
	if err != nil || u.Path != "/documents/invoices/"+inv.ID || u.Query().Get("sig") == "" ||
		u.Query().Get("u") != strconv.FormatInt(e.users[sales.RoleAccountant].ID, 10) {
		t.Fatalf("printUrl %q: want the invoice's path signed for the accountant", out.Invoice.PrintURL)
	}
	exp, _ := strconv.ParseInt(u.Query().Get("exp"), 10, 64)
	if left := time.Until(time.Unix(exp, 0)); left <= time.Minute || left > 2*time.Minute {
		t.Errorf("the link opens for %v, want the configured 2 minutes", left)
	}
	docs := printServer(t, e, links)
	status, body := httpGet(t, docs+out.Invoice.PrintURL)
	if status != 200 || !strings.Contains(body, *inv.Number) || !strings.Contains(body, "130.90") {
		t.Fatalf("opening printUrl without a header: %d, want the page of %s:\n%s", status, *inv.Number, body)
	}
	tampered := strings.Replace(out.Invoice.PrintURL, "u="+u.Query().Get("u"), "u="+strconv.FormatInt(e.users[sales.RoleAdmin].ID, 10), 1)
	if status, _ := httpGet(t, docs+tampered); status != 401 {
		t.Errorf("a link signed for another user: %d, want 401", status)
	}
	if status, _ := httpGet(t, docs+u.Path); status != 401 {
		t.Errorf("the bare path without a header: %d, want 401", status)
	}
}

// printServer serves the printable invoice with links, as the server does.
func printServer(t *testing.T, e *env, links *printable.Links) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	mux.Handle("GET /documents/invoices/{id}", printable.Invoice(e.store, &printable.Access{
		Authn: &graph.Authenticator{Secret: testSecret, Users: e.store.Users, Logger: logger}, Links: links, Users: e.store.Users}, "", logger))
	docs := httptest.NewServer(mux)
	t.Cleanup(docs.Close)
	return docs.URL
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
