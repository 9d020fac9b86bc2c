package db

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// Credit control: the exposure a confirmation's credit check decides on,
// read under the customer's lock, and the CreditDecision rows that keep
// each check. Which states count is sales' (sales.OpenInvoiceStatuses and
// friends), passed as parameters.

// creditExposureSQL reads the exposure of each customer of $1 in one
// statement, part by part:
//   - open invoices: total less paid of their invoices in an open state;
//   - uninvoiced orders: for each committed order, its total less the totals
//     of its billed invoices, never below zero;
//   - unallocated credit: what the customer's payments (deposits included)
//     have not yet allocated to an invoice or refunded; a payment is always
//     in the customer's currency (sales.CheckNewPayment), and what the
//     customer's credit notes not yet applied in full (sales.
//     UnappliedCreditNoteStatuses) have left to apply, in the order's
//     currency, which is the customer's;
//   - oldest overdue days: today ($7) less the earliest due date of an
//     unpaid invoice in a dunnable state that is past due, as
//     sales.Invoice.DaysOverdue counts; 0 when none is.
const creditExposureSQL = `
	SELECT c.id AS customer_id,
	  COALESCE((SELECT sum(i.total - i.paid_amount) FROM invoices i
	            WHERE i.customer_id = c.id AND i.kind = $2 AND i.status = ANY($3)), 0) AS open_invoices,
	  COALESCE((SELECT sum(GREATEST(o.total - COALESCE((SELECT sum(b.total) FROM invoices b
	                                                    WHERE b.order_id = o.id AND b.kind = $2 AND b.status = ANY($4)), 0), 0))
	            FROM sales_orders o WHERE o.customer_id = c.id AND o.status = ANY($5)), 0) AS uninvoiced_orders,
	  COALESCE((SELECT sum(p.amount - p.allocated_amount - p.refunded_amount) FROM payments p
	            WHERE p.customer_id = c.id), 0)
	  + COALESCE((SELECT sum(n.total - n.paid_amount) FROM invoices n
	            WHERE n.customer_id = c.id AND n.kind = $8 AND n.status = ANY($9)), 0) AS unallocated_credit,
	  COALESCE((SELECT max($7::date - i.due_date) FROM invoices i
	            WHERE i.customer_id = c.id AND i.kind = $2 AND i.status = ANY($6)
	              AND i.total > i.paid_amount AND i.due_date < $7::date), 0) AS oldest_overdue_days
	FROM unnest($1::bigint[]) AS c(id)`

// CustomerExposure is one customer's exposure as creditExposureSQL reads it.
type CustomerExposure struct {
	CustomerID        int64           `db:"customer_id"`
	OpenInvoices      decimal.Decimal `db:"open_invoices"`
	UninvoicedOrders  decimal.Decimal `db:"uninvoiced_orders"`
	UnallocatedCredit decimal.Decimal `db:"unallocated_credit"`
	OldestOverdueDays int             `db:"oldest_overdue_days"`
}

// Exposure is the row as the domain's figures.
func (e *CustomerExposure) Exposure() sales.CreditExposure {
	return sales.CreditExposure{OpenInvoices: e.OpenInvoices, UninvoicedOrders: e.UninvoicedOrders,
		UnallocatedCredit: e.UnallocatedCredit, OldestOverdueDays: e.OldestOverdueDays}
}

func readCreditExposures(ctx context.Context, q sqlx.QueryerContext, customerIDs []int64, today time.Time) ([]*CustomerExposure, error) {
	var rows []*CustomerExposure
	err := sqlx.SelectContext(ctx, q, &rows, creditExposureSQL, pqArray(customerIDs), string(sales.KindInvoice),
		statusArray(sales.OpenInvoiceStatuses()), statusArray(sales.BilledInvoiceStatuses()),
		statusArray(sales.CommittedOrderStatuses()), statusArray(sales.DunnableInvoiceStatuses()),
		today.UTC().Format(time.DateOnly), string(sales.KindCreditNote), statusArray(sales.UnappliedCreditNoteStatuses()))
	return rows, err
}

// readCreditExposure reads customerID's exposure on today's date. Inside a
// confirmation it runs after the customer's row is locked, so it sees every
// order another confirmation for that customer committed.
func readCreditExposure(ctx context.Context, q sqlx.QueryerContext, customerID int64, today time.Time) (sales.CreditExposure, error) {
	rows, err := readCreditExposures(ctx, q, []int64{customerID}, today)
	if err != nil {
		return sales.CreditExposure{}, err
	}
	return rows[0].Exposure(), nil
}

// recordCreditDecision keeps the credit check a confirmation of o ran, inside its transaction.
func recordCreditDecision(ctx context.Context, tx *Tx, o *sales.SalesOrder, c *sales.CreditCheck, actorID int64) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO credit_decisions (order_id, customer_id, currency, credit_limit, credit_hold, open_invoices, uninvoiced_orders,
		  unallocated_credit, oldest_overdue_days, grace_days, order_value, outcome, hold_reason, reason, decided_at, decided_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		o.ID, o.CustomerID, o.Currency, c.Limit, c.CreditHold, c.Exposure.OpenInvoices, c.Exposure.UninvoicedOrders,
		c.Exposure.UnallocatedCredit, c.Exposure.OldestOverdueDays, c.GraceDays, c.OrderValue, string(c.Outcome),
		c.HoldReason, c.Reason, tx.Now, actorID)
	return err
}

// recordCreditRelease writes who released order orderID, when and why on
// its latest held decision still unreleased (an order held before decisions
// were kept has none: nothing to write).
func recordCreditRelease(ctx context.Context, tx *Tx, orderID int64, note string, actorID int64) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE credit_decisions SET released_by = $2, released_at = $3, release_note = $4
		WHERE id = (SELECT max(id) FROM credit_decisions WHERE order_id = $1 AND outcome = $5 AND released_at IS NULL)`,
		orderID, actorID, tx.Now, note, string(sales.CreditHeld))
	return err
}

const creditDecisionColumns = `id, order_id, customer_id, currency, credit_limit, credit_hold, open_invoices, uninvoiced_orders,
	unallocated_credit, oldest_overdue_days, grace_days, order_value, outcome, hold_reason, reason, decided_at, decided_by,
	released_by, released_at, release_note`

// CreditDecisionsByOrderIDs returns the credit decisions of these orders,
// by order, oldest first.
func (s *OrderStore) CreditDecisionsByOrderIDs(ctx context.Context, orderIDs []int64) (_ []*sales.CreditDecision, err error) {
	defer wrap(&err, "Orders.CreditDecisionsByOrderIDs")
	var rows []*sales.CreditDecision
	err = s.db.SelectContext(ctx, &rows, `SELECT `+creditDecisionColumns+` FROM credit_decisions
		WHERE order_id = ANY($1) ORDER BY order_id, id`, pqArray(orderIDs))
	return rows, err
}

// CreditExposures reads customers' exposure now, as a confirmation would
// see it (without the customers' locks: it is for reading).
func (s *CustomerStore) CreditExposures(ctx context.Context, customerIDs []int64) (_ []*CustomerExposure, err error) {
	defer wrap(&err, "Customers.CreditExposures")
	return readCreditExposures(ctx, s.db, customerIDs, time.Now())
}

// The credit decision table's constraints: every value is computed by
// sales and written with the order's confirmation or release.
var creditDecisionConstraints = describeConstraints(map[string]*sales.Error{}, map[string]string{
	"credit_decisions_pkey": generatedKey, "credit_decisions_order_key": "an order is confirmed once, under its lock (sales.MaxCreditDecisionsPerOrder)", "credit_decisions_order_fkey": writtenTogether,
	"credit_decisions_customer_fkey": writtenTogether, "credit_decisions_decided_by_fkey": writtenTogether,
	"credit_decisions_released_by_fkey": writtenTogether, "credit_decisions_outcome_known": computed,
	"credit_decisions_hold_reason_known": computed, "credit_decisions_held_has_reason": computed,
	"credit_decisions_release_whole": computed,
})
