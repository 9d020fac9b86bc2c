package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// TestReports_CreditNotesAndWriteOffs: credit notes and write-offs (written
// by another branch's code; here fixture rows of migration 0014's tables)
// count in the aging's unapplied credit, the balance and the statement: an
// unapplied credit note lowers the balance, a write-off closes its invoice,
// and the statement to today closes at the balance. Refunds are kept as
// rows with their amount, reason and who.
func TestReports_CreditNotesAndWriteOffs(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "100")
	}
	ctx := context.Background()
	s := w.store
	invs := issuedInvoices(t, w, 3)
	cur := w.customer.Currency
	// invs[0] paid in full; 30 more received unallocated, 10 of it refunded.
	if _, err := s.Payments.Record(ctx, w.admin, sales.NewPayment{CustomerID: w.customer.ID, Amount: invs[0].Total, Currency: cur,
		Method: sales.MethodCash, Allocations: []sales.AllocationInput{{InvoiceID: invs[0].ID, Amount: invs[0].Total}}}, nil); err != nil {
		t.Fatal(err)
	}
	p, err := s.Payments.Record(ctx, w.admin, sales.NewPayment{CustomerID: w.customer.ID, Amount: decimal.NewFromInt(30), Currency: cur,
		Method: sales.MethodCash, Allocations: []sales.AllocationInput{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Payments.Refund(ctx, w.admin, p.ID, p.Version, decimal.NewFromInt(10), "asked back"); err != nil {
		t.Fatal(err)
	}
	var refund struct {
		Amount decimal.Decimal
		Reason string
		By     int64
	}
	if err := s.GetContext(ctx, &refund, `SELECT amount, reason, refunded_by AS by FROM payment_refunds WHERE payment_id = $1`, p.ID); err != nil ||
		!refund.Amount.Equal(decimal.NewFromInt(10)) || refund.Reason != "asked back" || refund.By != w.admin.ID {
		t.Fatalf("the refund's row: %+v, %v", refund, err)
	}
	// A credit note of 8.00 issued two days ago, 3.00 of it applied to invs[1].
	fixture := []string{
		`INSERT INTO invoices (number, order_id, customer_id, kind, status, currency, issue_date, due_date, subtotal, tax_total, total, paid_amount, credited_invoice_id)
		 SELECT 'CN-2026-000001', order_id, customer_id, 'CREDIT_NOTE', 'PARTIALLY_APPLIED', currency, current_date - 2, current_date - 2, 8, 0, 8, 3, id
		 FROM invoices WHERE id = $1`,
		`INSERT INTO credit_allocations (credit_note_id, invoice_id, amount, allocated_at) SELECT id, $1, 3, now() FROM invoices WHERE number = 'CN-2026-000001'`,
		`UPDATE invoices SET paid_amount = 3, status = 'PARTIALLY_PAID' WHERE id = $1`,
	}
	for _, q := range fixture {
		if _, err := s.ExecContext(ctx, q, invs[1].ID); err != nil {
			t.Fatal(err)
		}
	}
	// invs[2] written off whole.
	if _, err := s.ExecContext(ctx, `UPDATE invoices SET status = 'WRITTEN_OFF' WHERE id = $1`, invs[2].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExecContext(ctx, `INSERT INTO write_offs (invoice_id, customer_id, currency, amount, reason, written_off_at, written_off_by)
		VALUES ($1, $2, $3, $4, 'gone bust', now(), $5)`, invs[2].ID, w.customer.ID, cur, invs[2].Total, w.admin.ID); err != nil {
		t.Fatal(err)
	}

	open := invs[1].Total.Sub(decimal.NewFromInt(3))
	credit := decimal.NewFromInt(20 + 5) // 30 − 10 refunded, and 8 − 3 of the credit note
	want := open.Sub(credit)
	bal, err := s.Reports.Balances(ctx, []int64{w.customer.ID})
	if err != nil || len(bal) != 1 || !bal[0].Balance.Equal(want) {
		t.Fatalf("balance %+v (%v), want %s", bal, err, want)
	}
	today := time.Now().UTC()
	totals, err := s.Reports.AgingTotals(ctx, today, nil)
	if err != nil || len(totals) != 1 || !totals[0].Total().Equal(open) || !totals[0].UnappliedCredit.Equal(credit) || !totals[0].Net().Equal(want) {
		t.Fatalf("aging totals %+v (%v), want total %s, unapplied %s", totals, err, open, credit)
	}
	page, err := s.Reports.AgingCustomers(ctx, today, sales.AgingFilter{}, db.Page{Limit: 10, Count: true})
	if err != nil || page.Total != 1 || len(page.Items) != 1 || !page.Items[0].Total().Equal(open) || page.Items[0].CustomerID != w.customer.ID {
		t.Fatalf("aging lines %+v (%v)", page.Items, err)
	}

	rows, err := s.Reports.Statements(ctx, []int64{w.customer.ID}, today.AddDate(0, 0, -30), today)
	if err != nil || len(rows) != 1 {
		t.Fatalf("statements %+v (%v)", rows, err)
	}
	st := sales.BuildStatement(w.customer.ID, rows[0].Currency, today.AddDate(0, 0, -30), today, rows[0].Opening, rows[0].Lines)
	var kinds []string
	for _, l := range st.Lines {
		kinds = append(kinds, string(l.Kind))
	}
	wantKinds := "CREDIT_NOTE INVOICE INVOICE INVOICE PAYMENT PAYMENT REFUND WRITE_OFF"
	if got := strings.Join(kinds, " "); got != wantKinds || !st.OpeningBalance.IsZero() || !st.ClosingBalance.Equal(want) {
		t.Fatalf("statement %s opening %s closing %s, want %s closing at the balance %s", got, st.OpeningBalance, st.ClosingBalance, wantKinds, want)
	}
	if cn := st.Lines[0]; cn.Number != "CN-2026-000001" || !cn.Credit.Equal(decimal.NewFromInt(8)) || !cn.Date.Equal(st.From.AddDate(0, 0, 28)) {
		t.Errorf("credit note line %+v", cn)
	}
	if wo := st.Lines[7]; wo.DocID != invs[2].ID || !wo.Credit.Equal(invs[2].Total) || wo.Number != *invs[2].Number {
		t.Errorf("write-off line %+v", wo)
	}
	// The period from after the credit note opens with it.
	rows, err = s.Reports.Statements(ctx, []int64{w.customer.ID}, today.AddDate(0, 0, -1), today)
	if err != nil || !rows[0].Opening.Equal(decimal.NewFromInt(-8)) || len(rows[0].Lines) != 7 {
		t.Fatalf("statement from yesterday: opening %s with %d lines (%v), want -8 and 7", rows[0].Opening, len(rows[0].Lines), err)
	}
}

// TestReports_AgingBucketsMatchSales: invoices due on each side of every
// bucket's end land in the same buckets in the SQL as in sales.Aging, the
// reference, for the customer line and the total.
func TestReports_AgingBucketsMatchSales(t *testing.T) {
	t.Parallel()
	w := newOrderWorld(t)
	for _, p := range w.products {
		w.receive(t, p, "100")
	}
	ctx := context.Background()
	ages := []int{-1, 0, 1, 30, 31, 60, 61, 90, 91, 400}
	invs := issuedInvoices(t, w, len(ages))
	asOf := time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)
	var rs []sales.Receivable
	for i, inv := range invs {
		due := asOf.AddDate(0, 0, -ages[i])
		// Each a different amount, so a misplaced one shows.
		total := decimal.NewFromInt(int64(1000 + i))
		if _, err := w.store.ExecContext(ctx, `UPDATE invoices SET issue_date = $2::date - 30, due_date = $2::date, subtotal = $3, tax_total = 0, total = $3
			WHERE id = $1`, inv.ID, due.Format(time.DateOnly), total); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, sales.Receivable{CustomerID: w.customer.ID, Currency: w.customer.Currency, DueDate: due, Open: total})
	}
	ref := sales.Aging(asOf, rs)
	totals, err := w.store.Reports.AgingTotals(ctx, asOf, nil)
	if err != nil {
		t.Fatal(err)
	}
	page, err := w.store.Reports.AgingCustomers(ctx, asOf, sales.AgingFilter{}, db.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b sales.AgingBuckets) bool {
		return a.Current.Equal(b.Current) && a.Days1To30.Equal(b.Days1To30) && a.Days31To60.Equal(b.Days31To60) &&
			a.Days61To90.Equal(b.Days61To90) && a.Over90.Equal(b.Over90) && a.Disputed.Equal(b.Disputed)
	}
	if len(totals) != 1 || len(page.Items) != 1 || !same(totals[0].AgingBuckets, ref.Totals[0].AgingBuckets) ||
		!same(page.Items[0].AgingBuckets, ref.Customers[0].AgingBuckets) {
		t.Fatalf("SQL totals %+v, line %+v; sales.Aging %+v", totals, page.Items, ref.Totals)
	}
	if !ref.Totals[0].Current.Equal(decimal.NewFromInt(1000+1001)) || !ref.Totals[0].Over90.Equal(decimal.NewFromInt(1008+1009)) {
		t.Fatalf("the reference itself: %+v", ref.Totals[0])
	}
}
