package db

import (
	"context"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// InvoiceStore persists invoices. Every action locks in the documented
// order: the customer (FOR UPDATE: what the customer owes changes), the
// order, its lines, then the invoice.
type InvoiceStore struct{ db *DB }

const (
	invoiceColumns = `id, number, order_id, customer_id, kind, status, currency, issue_date, due_date, subtotal, tax_total, total,
	paid_amount, return_id, credited_invoice_id, created_by, version, created_at, updated_at`
	invoiceLineColumns = `id, invoice_id, order_line_id, line_no, quantity, unit_price, discount_percent, tax_rate, subtotal, tax, total`
)

// The invoice tables' constraints. Numbers, totals, states and dates are
// computed by sales and db under the order's lock; the order-line checks
// are the last guard against a race the locks did not see.
var invoiceConstraints = describeConstraints(map[string]*sales.Error{
	"invoices_order_fkey":                 {Code: sales.CodeNotFound, Field: "input.orderId", Message: "no such order"},
	"invoices_customer_fkey":              {Code: sales.CodeNotFound, Field: "input.orderId", Message: "the order's customer no longer exists"},
	"invoice_lines_order_line_fkey":       {Code: sales.CodeConflict, Field: "input.lines", Message: "a line names an order line that no longer exists; reload the order and try again"},
	"invoice_lines_order_line_key":        {Code: sales.CodeValidation, Field: "input.lines", Message: "each order line may appear only once on an invoice"},
	"order_lines_invoiced_within_ordered": {Code: sales.CodeConflict, Field: "input.lines", Message: "more would be invoiced than was ordered; another invoice may have been made meanwhile"},
	"order_lines_invoiced_nonnegative":    {Code: sales.CodeConflict, Field: "", Message: "the order's invoiced quantities changed meanwhile; reload it and try again"},
	"invoices_paid_within_total":          {Code: sales.CodeConflict, Field: "", Message: "more would be paid than the invoice's total; reload it and try again"},
}, map[string]string{
	"invoices_pkey": generatedKey, "invoice_lines_pkey": generatedKey, "invoices_number_key": generatedKey,
	"invoice_lines_line_no_key": generatedKey, "invoice_lines_line_no_positive": generatedKey,
	"invoice_lines_invoice_fkey": writtenTogether, "invoices_created_by_fkey": writtenTogether,
	"invoices_kind_known": computed, "invoices_status_known": computed, "invoices_total_adds_up": computed,
	"invoice_lines_total_adds_up": computed, "invoices_due_after_issue": computed, "invoices_issued_has_number": computed,
	"invoices_paid_nonnegative": computed, "invoices_currency_shape": computed,
	"invoice_lines_quantity_positive": "input value validated in sales/ before any write; no race can change it",
})

const (
	generatedKey    = "generated key: the database assigns it"
	writtenTogether = "parent or actor written in the same transaction, or taken from the session"
	computed        = "computed by the application (totals, states, kinds, dates), never taken from input"
)

// ByIDs returns the invoices with these IDs, in any order.
func (s *InvoiceStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Invoice, err error) {
	defer wrap(&err, "Invoices.ByIDs")
	return byIDs[sales.Invoice](ctx, s.db, `SELECT `+invoiceColumns+` FROM invoices WHERE id = ANY($1)`, ids)
}

// ByOrderIDs returns the invoices of these orders (kind INVOICE: at most
// sales.MaxInvoicesPerOrder each; their credit notes are reached through
// the returns and invoices they credit), oldest first.
func (s *InvoiceStore) ByOrderIDs(ctx context.Context, ids []int64) (_ []*sales.Invoice, err error) {
	defer wrap(&err, "Invoices.ByOrderIDs")
	return byIDs[sales.Invoice](ctx, s.db, `SELECT `+invoiceColumns+` FROM invoices WHERE order_id = ANY($1) AND kind = 'INVOICE' ORDER BY order_id, id`, ids)
}

// LinesByInvoiceIDs returns the lines of these invoices, by line number.
func (s *InvoiceStore) LinesByInvoiceIDs(ctx context.Context, ids []int64) (_ []*sales.InvoiceLine, err error) {
	defer wrap(&err, "Invoices.LinesByInvoiceIDs")
	return byIDs[sales.InvoiceLine](ctx, s.db, `SELECT `+invoiceLineColumns+` FROM invoice_lines WHERE invoice_id = ANY($1) ORDER BY invoice_id, line_no`, ids)
}

// LinesByIDs returns invoice lines by ID.
func (s *InvoiceStore) LinesByIDs(ctx context.Context, ids []int64) (_ []*sales.InvoiceLine, err error) {
	defer wrap(&err, "Invoices.LinesByIDs")
	return byIDs[sales.InvoiceLine](ctx, s.db, `SELECT `+invoiceLineColumns+` FROM invoice_lines WHERE id = ANY($1)`, ids)
}

var invoiceKeys = &keyset[sales.Invoice]{
	list: "invoices",
	sorts: map[string]sortKey[sales.Invoice]{
		"CREATED_AT": stampKey("created_at", func(inv *sales.Invoice) time.Time { return inv.CreatedAt }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(inv *sales.Invoice) []int64 { return []int64{inv.ID} },
}

// List returns a page of invoices and, when page.Count asks, the total (else -1); newest first by default.
func (s *InvoiceStore) List(ctx context.Context, f sales.InvoiceFilter, sort Sort, page Page) (_ Window[sales.Invoice], err error) {
	defer wrap(&err, "Invoices.List")
	var w where
	anyOf(&w, "status", f.Statuses)
	if f.Kind != nil {
		w.add("kind = ?", string(*f.Kind))
	}
	if f.OrderID != nil {
		w.add("order_id = ?", *f.OrderID)
	}
	if f.CustomerID != nil {
		w.add("customer_id = ?", *f.CustomerID)
	}
	if f.OwnerID != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *f.OwnerID)
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+invoiceColumns, `FROM invoices`, &w, invoiceKeys, sort, page)
}

func (s *InvoiceStore) byID(ctx context.Context, id int64) (*sales.Invoice, error) {
	var inv sales.Invoice
	if err := s.db.GetContext(ctx, &inv, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "invoice")
	}
	return &inv, nil
}

// lockCustomerOfOrder locks the customer of an order FOR UPDATE: the first
// lock of every invoice action (what the customer owes changes).
func lockCustomerOfOrder(ctx context.Context, tx *Tx, orderID int64, field string) error {
	var customerID int64
	if err := tx.GetContext(ctx, &customerID, `SELECT customer_id FROM sales_orders WHERE id = $1`, orderID); err != nil {
		return notFound(err, field, "sales order")
	}
	var locked int64
	return tx.GetContext(ctx, &locked, `SELECT id FROM customers WHERE id = $1 FOR UPDATE`, customerID)
}

// Create makes a draft invoice of an order, as sales.PlanInvoice decides:
// the lines asked for, or everything invoiceable. Returns NOT_FOUND,
// INVALID_TRANSITION, VALIDATION (over-invoicing, nothing to invoice),
// IDEMPOTENCY_KEY_REUSED.
func (s *InvoiceStore) Create(ctx context.Context, actor *sales.User, in sales.NewInvoice, key *string) (_ *sales.Invoice, err error) {
	defer wrap(&err, "Invoices.Create")
	if err := sales.CheckNewInvoice(in); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createInvoice", key, in, func(tx *Tx) (int64, error) {
		if err := lockCustomerOfOrder(ctx, tx, in.OrderID, "input.orderId"); err != nil {
			return 0, err
		}
		o, err := lockOrder(ctx, tx, actor, in.OrderID, unversioned, "input.orderId")
		if err != nil {
			return 0, err
		}
		lines, err := lockOrderLines(ctx, tx, o.ID)
		if err != nil {
			return 0, err
		}
		snap := sales.NewInvoiceSnapshot{Order: o, Lines: lines, Input: in}
		if err := tx.GetContext(ctx, &snap.Invoices, `SELECT count(*) FROM invoices WHERE order_id = $1 AND kind = $2`, o.ID, string(sales.KindInvoice)); err != nil {
			return 0, err
		}
		plan, err := sales.PlanInvoice(snap)
		if err != nil {
			return 0, err
		}
		return insertInvoice(ctx, tx, actor.ID, o, plan)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

// insertInvoice writes the draft a plan chose, for order o: the invoice,
// its lines and the order lines' invoiced quantities, one statement each.
func insertInvoice(ctx context.Context, tx *Tx, actorID int64, o *sales.SalesOrder, plan sales.NewInvoicePlan) (int64, error) {
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO invoices (order_id, customer_id, kind, status, currency, subtotal, tax_total, total,
			created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
		o.ID, o.CustomerID, string(plan.Kind), string(plan.Status), plan.Currency,
		plan.Totals.Subtotal, plan.Totals.Tax, plan.Totals.Total, actorID, tx.Now); err != nil {
		return 0, err
	}
	if err := insertInvoiceLines(ctx, tx, id, plan.Lines); err != nil {
		return 0, err
	}
	if err := writeInvoiced(ctx, tx, plan.Invoiced); err != nil {
		return 0, err
	}
	return id, writeEvent(ctx, tx, sales.DocInvoice, id, plan.Event, actorID)
}

// insertInvoiceLines writes an invoice's (or a credit note's) lines, in one statement.
func insertInvoiceLines(ctx context.Context, tx *Tx, invoiceID int64, ls []sales.PlannedInvoiceLine) error {
	dec := func(pick func(sales.PlannedInvoiceLine) decimal.Decimal) any { return decimalArray(ls, pick) }
	lineNos := make([]int64, len(ls))
	for i, l := range ls {
		lineNos[i] = int64(l.LineNo)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO invoice_lines (invoice_id, order_line_id, line_no, quantity, unit_price,
			discount_percent, tax_rate, subtotal, tax, total)
		SELECT $1, l.order_line_id, l.line_no, l.quantity, l.unit_price, l.discount_percent, l.tax_rate, l.subtotal, l.tax, l.total
		FROM unnest($2::bigint[], $3::int[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[])
			AS l(order_line_id, line_no, quantity, unit_price, discount_percent, tax_rate, subtotal, tax, total)
		ORDER BY l.line_no`, invoiceID,
		idArray(ls, func(l sales.PlannedInvoiceLine) int64 { return l.OrderLineID }), pq.Array(lineNos),
		dec(func(l sales.PlannedInvoiceLine) decimal.Decimal { return l.Quantity }),
		dec(func(l sales.PlannedInvoiceLine) decimal.Decimal { return l.UnitPrice }),
		dec(func(l sales.PlannedInvoiceLine) decimal.Decimal { return l.DiscountPercent }),
		dec(func(l sales.PlannedInvoiceLine) decimal.Decimal { return l.TaxRate }),
		dec(func(l sales.PlannedInvoiceLine) decimal.Decimal { return l.Subtotal }),
		dec(func(l sales.PlannedInvoiceLine) decimal.Decimal { return l.Tax }),
		dec(func(l sales.PlannedInvoiceLine) decimal.Decimal { return l.Total }))
	return err
}

// writeInvoiced adds a plan's changes to its order lines' invoiced quantities, in one statement.
func writeInvoiced(ctx context.Context, tx *Tx, changes []sales.InvoicedChange) error {
	if len(changes) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE order_lines l SET invoiced_quantity = l.invoiced_quantity + c.quantity
		FROM (SELECT id, sum(quantity) AS quantity FROM unnest($1::bigint[], $2::numeric[]) AS u(id, quantity) GROUP BY id) c
		WHERE l.id = c.id`,
		idArray(changes, func(c sales.InvoicedChange) int64 { return c.OrderLineID }),
		decimalArray(changes, func(c sales.InvoicedChange) decimal.Decimal { return c.Quantity }))
	return err
}

// lockInvoice locks, in the lock order, an invoice's customer, its order
// and the order's lines, then the invoice itself, and checks the version.
// The actor must be able to see the order (else NOT_FOUND).
func lockInvoice(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Invoice, *sales.SalesOrder, []*sales.OrderLine, error) {
	var orderID int64
	if err := tx.GetContext(ctx, &orderID, `SELECT order_id FROM invoices WHERE id = $1`, id); err != nil {
		return nil, nil, nil, notFound(err, "id", "invoice")
	}
	if err := lockCustomerOfOrder(ctx, tx, orderID, "id"); err != nil {
		return nil, nil, nil, err
	}
	o, err := lockOrder(ctx, tx, actor, orderID, unversioned, "id")
	if err != nil {
		return nil, nil, nil, notFoundAs(err, "invoice")
	}
	lines, err := lockOrderLines(ctx, tx, orderID)
	if err != nil {
		return nil, nil, nil, err
	}
	var inv sales.Invoice
	if err := tx.GetContext(ctx, &inv, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, nil, err
	}
	if version == unversioned { // locked on behalf of another document (a dispute)
		return &inv, o, lines, nil
	}
	return &inv, o, lines, checkVersion("invoice", inv.Version, version)
}

// notFoundAs words a NOT_FOUND for the document the user asked for, not
// the order behind it (which a sales rep may not know exists).
func notFoundAs(err error, what string) error {
	if e, ok := sales.AsError(err); ok && e.Code == sales.CodeNotFound {
		return sales.Errorf(sales.CodeNotFound, "id", "%s not found", what)
	}
	return err
}

// Issue gives a draft invoice its number (the next of the INV series for
// the year, gapless: the counter row stays locked until the transaction
// ends, and a rollback gives the number back), its issue and due dates,
// and completes its order when sales.PlanIssue says so. Returns NOT_FOUND,
// CONFLICT, INVALID_TRANSITION.
func (s *InvoiceStore) Issue(ctx context.Context, actor *sales.User, id int64, version int) (_ *sales.Invoice, err error) {
	defer wrap(&err, "Invoices.Issue(%d)", id)
	if err := s.db.Transact(ctx, func(tx *Tx) error { return issueInvoice(ctx, tx, actor, id, version) }); err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// issueInvoice is Issue's work inside tx.
func issueInvoice(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) error {
	inv, o, lines, err := lockInvoice(ctx, tx, actor, id, version)
	if err != nil {
		return err
	}
	snap := sales.IssueSnapshot{Invoice: inv, Order: o, Lines: lines, Today: tx.Now}
	if err := tx.GetContext(ctx, &snap.OtherDrafts, `SELECT count(*) FROM invoices WHERE order_id = $1 AND status = $2 AND id <> $3`,
		o.ID, string(sales.InvoiceDraft), inv.ID); err != nil {
		return err
	}
	plan, err := sales.PlanIssue(snap)
	if err != nil {
		return err
	}
	number, err := nextNumber(ctx, tx, sales.DocInvoice.Series())
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invoices SET number = $2, status = $3, issue_date = $4, due_date = $5,
			version = version + 1, updated_at = $6 WHERE id = $1`,
		inv.ID, number, string(plan.Status), plan.IssueDate, plan.DueDate, tx.Now); err != nil {
		return err
	}
	if err := writeEvent(ctx, tx, sales.DocInvoice, inv.ID, plan.Event, actor.ID); err != nil {
		return err
	}
	// The order's deposits go to its invoice once it is issued.
	inv.Number, inv.Status, inv.IssueDate, inv.DueDate, inv.Version = &number, plan.Status, &plan.IssueDate, &plan.DueDate, inv.Version+1
	if err := allocateDeposits(ctx, tx, actor.ID, inv); err != nil {
		return err
	}
	if plan.CompleteOrder {
		return setOrderStatus(ctx, tx, o, sales.OrderComplete, nil, "delivered and invoiced in full: invoice "+number, &actor.ID)
	}
	return nil
}

// Void voids an unpaid invoice and gives its quantities back to the order
// lines, as sales.PlanVoid decides. Returns NOT_FOUND, CONFLICT,
// INVALID_TRANSITION, VALIDATION.
func (s *InvoiceStore) Void(ctx context.Context, actor *sales.User, id int64, version int, reason string) (_ *sales.Invoice, err error) {
	defer wrap(&err, "Invoices.Void(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		inv, o, _, err := lockInvoice(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		snap := sales.VoidSnapshot{Invoice: inv, Order: o, Reason: reason}
		if err := tx.SelectContext(ctx, &snap.Lines, `SELECT `+invoiceLineColumns+` FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no`, id); err != nil {
			return err
		}
		plan, err := sales.PlanVoid(snap)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1`,
			inv.ID, string(plan.Status), tx.Now); err != nil {
			return err
		}
		if err := writeInvoiced(ctx, tx, plan.Invoiced); err != nil {
			return err
		}
		return writeEvent(ctx, tx, sales.DocInvoice, inv.ID, plan.Event, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// completeAfterShipment completes the order a shipment delivered in full
// when it is already invoiced in full (the ORDERED policy) and no draft
// invoice of it is left, as sales.ShipmentCompletes decides. The drafts are
// counted only when the lines are invoiced in full, so a usual shipment
// costs no statement more. It runs after the order's DELIVER_ALL.
func completeAfterShipment(ctx context.Context, tx *Tx, snap sales.ShipmentSnapshot, plan sales.ShipmentPlan, actorID int64) error {
	if plan.OrderStatus != sales.OrderDelivered || !sales.InvoicedInFull(snap.Lines) {
		return nil
	}
	var drafts int
	if err := tx.GetContext(ctx, &drafts, `SELECT count(*) FROM invoices WHERE order_id = $1 AND status = $2`,
		snap.Order.ID, string(sales.InvoiceDraft)); err != nil {
		return err
	}
	if !sales.ShipmentCompletes(plan, snap.Lines, drafts) {
		return nil
	}
	return setOrderStatus(ctx, tx, snap.Order, sales.OrderComplete, nil, "delivered and invoiced in full: delivery "+snap.Delivery.Number, &actorID)
}
