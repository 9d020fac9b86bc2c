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

// creditExposureSQL reads a customer's exposure in one statement:
//   - open invoices: total less paid of their invoices in an open state;
//   - uninvoiced orders: for each committed order, its total less the totals
//     of its billed invoices, never below zero;
//   - unallocated credit: 0 until payments and credit notes exist (the term
//     is kept so the sum and the records already have their place);
//   - oldest overdue days: today less the earliest due date of an unpaid
//     invoice in a dunnable state that is past due (sales.Invoice.DaysOverdue).
const creditExposureSQL = `
	SELECT
	  COALESCE((SELECT sum(i.total - i.paid_amount) FROM invoices i
	            WHERE i.customer_id = $1 AND i.kind = $2 AND i.status = ANY($3)), 0) AS open_invoices,
	  COALESCE((SELECT sum(GREATEST(o.total - COALESCE((SELECT sum(b.total) FROM invoices b
	                                                    WHERE b.order_id = o.id AND b.kind = $2 AND b.status = ANY($4)), 0), 0))
	            FROM sales_orders o WHERE o.customer_id = $1 AND o.status = ANY($5)), 0) AS uninvoiced_orders,
	  0::numeric AS unallocated_credit,
	  COALESCE((SELECT max($7::date - i.due_date) FROM invoices i
	            WHERE i.customer_id = $1 AND i.kind = $2 AND i.status = ANY($6)
	              AND i.total > i.paid_amount AND i.due_date < $7::date), 0) AS oldest_overdue_days`

// readCreditExposure reads customerID's exposure on today's date. Inside a
// confirmation it runs after the customer's row is locked, so it sees every
// order another confirmation for that customer committed.
func readCreditExposure(ctx context.Context, q sqlx.QueryerContext, customerID int64, today time.Time) (sales.CreditExposure, error) {
	var row struct {
		Open        decimal.Decimal `db:"open_invoices"`
		Uninvoiced  decimal.Decimal `db:"uninvoiced_orders"`
		Unallocated decimal.Decimal `db:"unallocated_credit"`
		Overdue     int             `db:"oldest_overdue_days"`
	}
	err := sqlx.GetContext(ctx, q, &row, creditExposureSQL, customerID, string(sales.KindInvoice),
		statusArray(sales.OpenInvoiceStatuses()), statusArray(sales.BilledInvoiceStatuses()),
		statusArray(sales.CommittedOrderStatuses()), statusArray(sales.DunnableInvoiceStatuses()),
		today.UTC().Format(time.DateOnly))
	return sales.CreditExposure{OpenInvoices: row.Open, UninvoicedOrders: row.Uninvoiced,
		UnallocatedCredit: row.Unallocated, OldestOverdueDays: row.Overdue}, err
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

// CreditDecisions returns the latest credit decisions of each order (at
// most perOrder each, newest first), in one statement for all of them.
func (s *OrderStore) CreditDecisions(ctx context.Context, orderIDs []int64, perOrder int) (_ map[int64][]*sales.CreditDecision, err error) {
	defer wrap(&err, "Orders.CreditDecisions")
	var rows []*sales.CreditDecision
	if err := s.db.SelectContext(ctx, &rows, `
		SELECT `+creditDecisionColumns+` FROM (
		  SELECT d.*, row_number() OVER (PARTITION BY d.order_id ORDER BY d.id DESC) AS n
		  FROM credit_decisions d WHERE d.order_id = ANY($1)) d
		WHERE n <= $2 ORDER BY order_id, id DESC`, pqArray(orderIDs), perOrder); err != nil {
		return nil, err
	}
	out := make(map[int64][]*sales.CreditDecision, len(orderIDs))
	for _, d := range rows {
		out[d.OrderID] = append(out[d.OrderID], d)
	}
	return out, nil
}

// CreditExposure reads a customer's exposure now, as a confirmation would
// see it (without taking the customer's lock: it is for reading).
func (s *CustomerStore) CreditExposure(ctx context.Context, customerID int64) (_ sales.CreditExposure, err error) {
	defer wrap(&err, "Customers.CreditExposure(%d)", customerID)
	return readCreditExposure(ctx, s.db, customerID, time.Now())
}

// The credit decision table's constraints: every value is computed by
// sales and written with the order's confirmation or release.
var creditDecisionConstraints = describeConstraints(map[string]*sales.Error{}, map[string]string{
	"credit_decisions_pkey": generatedKey, "credit_decisions_order_fkey": writtenTogether,
	"credit_decisions_customer_fkey": writtenTogether, "credit_decisions_decided_by_fkey": writtenTogether,
	"credit_decisions_released_by_fkey": writtenTogether, "credit_decisions_outcome_known": computed,
	"credit_decisions_hold_reason_known": computed, "credit_decisions_held_has_reason": computed,
	"credit_decisions_release_whole": computed,
})
