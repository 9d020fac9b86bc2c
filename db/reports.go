package db

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// Reports (docs/domain.md, "Reports"): the receivables aging, customers'
// balances and statements, read in SQL so that a company with 100k invoices
// never loads them into Go for one page. Which states count and where the
// aging's buckets end are sales' (sales.OpenInvoiceStatuses,
// sales.AgingBucketEnds, ...), passed as parameters.

// ReportStore reads the reports.
type ReportStore struct{ db *DB }

// agingRows is, in SQL, what one customer and currency has open: each open
// invoice's balance in its bucket on the report's day, and the unapplied
// credit (payments not allocated nor refunded, credit notes not applied).
// Its parameters are agingArgs' ($1-$9); cond limits each branch to a
// customer or customers.
func agingRows(cond string) string {
	return `
	  SELECT i.customer_id, i.currency::text AS currency,
	    CASE WHEN i.status <> $4 AND $1::date - i.due_date <= 0 THEN i.total - i.paid_amount ELSE 0 END AS current_amount,
	    CASE WHEN i.status <> $4 AND $1::date - i.due_date BETWEEN 1 AND $5 THEN i.total - i.paid_amount ELSE 0 END AS days_1_30,
	    CASE WHEN i.status <> $4 AND $1::date - i.due_date BETWEEN $5 + 1 AND $6 THEN i.total - i.paid_amount ELSE 0 END AS days_31_60,
	    CASE WHEN i.status <> $4 AND $1::date - i.due_date BETWEEN $6 + 1 AND $7 THEN i.total - i.paid_amount ELSE 0 END AS days_61_90,
	    CASE WHEN i.status <> $4 AND $1::date - i.due_date > $7 THEN i.total - i.paid_amount ELSE 0 END AS over_90,
	    CASE WHEN i.status = $4 THEN i.total - i.paid_amount ELSE 0 END AS disputed,
	    0::numeric AS unapplied_credit
	  FROM invoices i WHERE ` + strings.ReplaceAll(cond, "%", "i") + ` AND i.kind = $2 AND i.status = ANY($3) AND i.total > i.paid_amount
	  UNION ALL
	  SELECT p.customer_id, p.currency::text, 0, 0, 0, 0, 0, 0, p.amount - p.allocated_amount - p.refunded_amount
	  FROM payments p WHERE ` + strings.ReplaceAll(cond, "%", "p") + ` AND p.amount > p.allocated_amount + p.refunded_amount
	  UNION ALL
	  SELECT n.customer_id, n.currency::text, 0, 0, 0, 0, 0, 0, n.total - n.paid_amount
	  FROM invoices n WHERE ` + strings.ReplaceAll(cond, "%", "n") + ` AND n.kind = $8 AND n.status = ANY($9) AND n.total > n.paid_amount`
}

const agingSums = `sum(current_amount) AS current_amount, sum(days_1_30) AS days_1_30, sum(days_31_60) AS days_31_60,
	sum(days_61_90) AS days_61_90, sum(over_90) AS over_90, sum(disputed) AS disputed, sum(unapplied_credit) AS unapplied_credit`

// agingByCustomer is the aging's customer lines: for each customer in id
// order, its rows grouped by currency (a lateral join on the customer's
// indexes). A page walks the customers' primary key from its cursor and
// stops after its lines, so it reads its own customers' invoices only,
// however many the company has.
var agingByCustomer = `FROM (SELECT c.id AS customer_id, x.* FROM customers c CROSS JOIN LATERAL (
	SELECT currency, ` + agingSums + ` FROM (` + agingRows("%.customer_id = c.id") + `) y GROUP BY currency) x) AS a`

// agingByCustomerAndCurrency is agingByCustomer in one aggregate, for
// counting its lines.
var agingByCustomerAndCurrency = `FROM (SELECT customer_id, currency, ` + agingSums + ` FROM (` + agingRows("true") + `) r
	GROUP BY customer_id, currency) AS a`

// agingByCurrency is every customer's rows, for the total lines: one
// aggregate over the open invoices and credit, grouped by currency.
var agingByCurrency = `FROM (` + agingRows("true") + `) AS a`

const agingColumns = `customer_id, currency, current_amount, days_1_30, days_31_60, days_61_90, over_90, disputed, unapplied_credit`

// agingArgs are agingSource's parameters, first in every statement's where.
func agingArgs(asOf time.Time) where {
	b := sales.AgingBucketEnds
	return where{args: []any{asOf.Format(time.DateOnly), string(sales.KindInvoice), statusArray(sales.OpenInvoiceStatuses()),
		string(sales.InvoiceDisputed), b[0], b[1], b[2], string(sales.KindCreditNote), statusArray(sales.UnappliedCreditNoteStatuses())}}
}

// agingOwner limits the aging to a sales rep's own customers.
func agingOwner(w *where, owner *int64) {
	if owner != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *owner)
	}
}

var agingKeys = &keyset[sales.AgingLine]{
	list: "receivablesAging",
	sorts: map[string]sortKey[sales.AgingLine]{
		"CUSTOMER": {column: "currency", expr: "%s", typ: keyText, within: 1,
			value: func(r *sales.AgingLine) *string { s := r.Currency; return &s }},
	},
	fallback: "CUSTOMER",
	key:      []string{"customer_id"},
	keyOf:    func(r *sales.AgingLine) []int64 { return []int64{r.CustomerID} },
}

// AgingCustomers returns a page of the aging's customer lines on asOf, by
// customer then currency (keyset on both), and when page.Count asks, how
// many lines there are.
func (s *ReportStore) AgingCustomers(ctx context.Context, asOf time.Time, f sales.AgingFilter, page Page) (_ Window[sales.AgingLine], err error) {
	defer wrap(&err, "Reports.AgingCustomers")
	filters := agingArgs(asOf)
	agingOwner(&filters, f.OwnerID)
	if f.Currency != nil {
		filters.add("currency = ?", *f.Currency)
	}
	if f.CustomerID != nil {
		filters.add("customer_id = ?", *f.CustomerID)
	}
	if f.OverdueOnly {
		filters.add("days_1_30 + days_31_60 + days_61_90 + over_90 > 0")
	}
	// The cursors' customers bound the walk of the customers' primary key
	// (the row comparison on customer and currency that listPage adds is no
	// index condition). A malformed cursor is refused by listPage.
	w := where{conds: slices.Clone(filters.conds), args: slices.Clone(filters.args)}
	if c := page.After; c != nil && len(c.Key) == 1 {
		w.add("customer_id >= ?", c.Key[0])
	}
	if c := page.Before; c != nil && len(c.Key) == 1 {
		w.add("customer_id <= ?", c.Key[0])
	}
	count := page.Count
	page.Count = false
	out, err := listPage(ctx, s.db, `SELECT `+agingColumns, agingByCustomer, &w, agingKeys, Sort{}, page)
	if err != nil || !count {
		return out, err
	}
	// The count, of the whole list whatever the cursors, in one aggregate
	// (the lateral walk of every customer would cost more).
	err = sqlx.GetContext(ctx, s.db, &out.Total, `SELECT count(*) `+agingByCustomerAndCurrency+filters.sql(), filters.args...)
	return out, err
}

// AgingTotals returns the aging's total line per currency on asOf (a sales
// rep's own customers' only when owner is set), by currency.
func (s *ReportStore) AgingTotals(ctx context.Context, asOf time.Time, owner *int64) (_ []*sales.AgingLine, err error) {
	defer wrap(&err, "Reports.AgingTotals")
	w := agingArgs(asOf)
	agingOwner(&w, owner)
	var rows []*sales.AgingLine
	err = selectContext(ctx, s.db, &rows, `SELECT 0::bigint AS customer_id, currency, `+agingSums+` `+agingByCurrency+w.sql()+
		` GROUP BY currency ORDER BY currency`, w.args...)
	return rows, err
}

// CustomerBalance is what a customer owes now, in their currency.
type CustomerBalance struct {
	CustomerID int64           `db:"customer_id"`
	Currency   string          `db:"currency"`
	Balance    decimal.Decimal `db:"balance"`
}

// Balances reads customers' balances now, in one statement: open invoice
// balances (disputed included) less unallocated payments and unapplied
// credit notes, in each customer's currency.
func (s *ReportStore) Balances(ctx context.Context, customerIDs []int64) (_ []*CustomerBalance, err error) {
	defer wrap(&err, "Reports.Balances")
	var rows []*CustomerBalance
	err = selectContext(ctx, s.db, &rows, `
		SELECT c.id AS customer_id, c.currency,
		  COALESCE((SELECT sum(i.total - i.paid_amount) FROM invoices i
		            WHERE i.customer_id = c.id AND i.currency = c.currency AND i.kind = $2 AND i.status = ANY($3)), 0)
		  - COALESCE((SELECT sum(p.amount - p.allocated_amount - p.refunded_amount) FROM payments p
		            WHERE p.customer_id = c.id AND p.currency = c.currency), 0)
		  - COALESCE((SELECT sum(n.total - n.paid_amount) FROM invoices n
		            WHERE n.customer_id = c.id AND n.currency = c.currency AND n.kind = $4 AND n.status = ANY($5)), 0) AS balance
		FROM customers c WHERE c.id = ANY($1)`,
		pqArray(customerIDs), string(sales.KindInvoice), statusArray(sales.OpenInvoiceStatuses()),
		string(sales.KindCreditNote), statusArray(sales.UnappliedCreditNoteStatuses()))
	return rows, err
}

// ledgerSQL is the dated movements of the customers of $1, in each one's
// currency ($2 INVOICE, $3 CREDIT_NOTE, $4 VOID, $5 the invoice's document
// type in events, $6 the payment's). A void is dated by its VOID event (the
// invoice keeps no void date of its own; without one, by its last update,
// so the ledger still adds up), a refund by its payment_refunds
// row, a write-off by its row; timestamps count by their UTC date.
const ledgerSQL = `WITH c AS (SELECT id, currency FROM customers WHERE id = ANY($1)),
	ledger AS (
	  SELECT i.customer_id, i.issue_date AS date,
	    CASE WHEN i.kind = $2 THEN 'INVOICE' ELSE 'CREDIT_NOTE' END AS kind, $5::text AS doc_type, i.id AS doc_id,
	    COALESCE(i.number, '') AS number,
	    CASE WHEN i.kind = $2 THEN i.total ELSE 0 END AS debit, CASE WHEN i.kind = $2 THEN 0 ELSE i.total END AS credit,
	    CASE WHEN i.kind = $2 THEN 1 ELSE 2 END AS ord, i.id AS seq
	  FROM invoices i JOIN c ON c.id = i.customer_id AND c.currency = i.currency
	  WHERE i.issue_date IS NOT NULL AND i.kind IN ($2, $3)
	  UNION ALL
	  SELECT i.customer_id, (COALESCE(e.occurred_at, i.updated_at) AT TIME ZONE 'UTC')::date,
	    CASE WHEN i.kind = $2 THEN 'INVOICE_VOID' ELSE 'CREDIT_NOTE_VOID' END, $5, i.id, COALESCE(i.number, ''),
	    CASE WHEN i.kind = $2 THEN 0 ELSE i.total END, CASE WHEN i.kind = $2 THEN i.total ELSE 0 END,
	    CASE WHEN i.kind = $2 THEN 6 ELSE 7 END, COALESCE(e.id, 0)
	  FROM invoices i JOIN c ON c.id = i.customer_id AND c.currency = i.currency
	  LEFT JOIN LATERAL (SELECT e.id, e.occurred_at FROM document_events e
	                WHERE e.doc_type = $5 AND e.doc_id = i.id AND e.to_status = $4 ORDER BY e.id LIMIT 1) e ON true
	  WHERE i.status = $4 AND i.issue_date IS NOT NULL
	  UNION ALL
	  SELECT p.customer_id, p.received_date, 'PAYMENT', $6::text, p.id, p.number, 0, p.amount, 3, p.id
	  FROM payments p JOIN c ON c.id = p.customer_id AND c.currency = p.currency
	  UNION ALL
	  SELECT p.customer_id, (r.refunded_at AT TIME ZONE 'UTC')::date, 'REFUND', $6, p.id, p.number, r.amount, 0, 4, r.id
	  FROM payment_refunds r JOIN payments p ON p.id = r.payment_id JOIN c ON c.id = p.customer_id AND c.currency = p.currency
	  UNION ALL
	  SELECT w.customer_id, (w.written_off_at AT TIME ZONE 'UTC')::date, 'WRITE_OFF', $5, i.id, COALESCE(i.number, ''), 0, w.amount, 5, w.id
	  FROM write_offs w JOIN invoices i ON i.id = w.invoice_id JOIN c ON c.id = w.customer_id AND c.currency = w.currency
	)`

func ledgerArgs(customerIDs []int64) []any {
	return []any{pqArray(customerIDs), string(sales.KindInvoice), string(sales.KindCreditNote), string(sales.InvoiceVoid),
		string(sales.DocInvoice), string(sales.DocPayment)}
}

// StatementRows is a customer's ledger for a period, as read: the balance
// before it and up to sales.MaxStatementLines+1 lines (one more than a
// statement shows, so the caller can refuse the period).
type StatementRows struct {
	CustomerID int64
	Currency   string
	Opening    decimal.Decimal
	Lines      []*sales.StatementLine
}

// Statements reads the ledgers of customers between from and to (both
// included) in two statements whatever the number of customers: the
// opening balances, then the lines, by date and then the order of
// sales.StatementKinds.
func (s *ReportStore) Statements(ctx context.Context, customerIDs []int64, from, to time.Time) (_ []*StatementRows, err error) {
	defer wrap(&err, "Reports.Statements")
	args := ledgerArgs(customerIDs)
	var opening []struct {
		CustomerID int64           `db:"customer_id"`
		Currency   string          `db:"currency"`
		Opening    decimal.Decimal `db:"opening"`
	}
	err = selectContext(ctx, s.db, &opening, ledgerSQL+`
		SELECT c.id AS customer_id, c.currency, COALESCE((SELECT sum(l.debit - l.credit) FROM ledger l
		  WHERE l.customer_id = c.id AND l.date < $7::date), 0) AS opening FROM c`,
		append(args, from.Format(time.DateOnly))...)
	if err != nil {
		return nil, err
	}
	var lines []*struct {
		CustomerID int64 `db:"customer_id"`
		sales.StatementLine
	}
	err = selectContext(ctx, s.db, &lines, ledgerSQL+`
		SELECT customer_id, date, kind, doc_type, doc_id, number, debit, credit, seq FROM (
		  SELECT l.*, row_number() OVER (PARTITION BY l.customer_id ORDER BY l.date, l.ord, l.doc_id, l.seq) AS n
		  FROM ledger l WHERE l.date BETWEEN $7::date AND $8::date) x
		WHERE n <= $9 ORDER BY customer_id, n`,
		append(args, from.Format(time.DateOnly), to.Format(time.DateOnly), sales.MaxStatementLines+1)...)
	if err != nil {
		return nil, err
	}
	byCustomer := map[int64]*StatementRows{}
	out := make([]*StatementRows, 0, len(opening))
	for _, o := range opening {
		r := &StatementRows{CustomerID: o.CustomerID, Currency: o.Currency, Opening: o.Opening}
		byCustomer[o.CustomerID] = r
		out = append(out, r)
	}
	for _, l := range lines {
		if r := byCustomer[l.CustomerID]; r != nil {
			line := l.StatementLine
			r.Lines = append(r.Lines, &line)
		}
	}
	return out, nil
}
