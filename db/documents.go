package db

import (
	"context"
	"fmt"
	"math"

	"salesgraph/sales"
)

// The lookup tables of document types and number series are rows a
// migration writes; the code names them from sales.DocumentTypes, never from
// input, so none of their constraints is a client's error.
var documentTypeConstraints = describeConstraints(nil, map[string]string{
	"document_types_pkey": documentTypeRows, "document_types_code_shape": documentTypeRows,
	"document_types_name_not_blank": documentTypeRows, "document_number_series_pkey": documentTypeRows,
	"document_number_series_prefix_shape": documentTypeRows, "document_number_series_type_fkey": documentTypeRows,
	"document_number_series_own_key": documentTypeRows, "document_counters_series_fkey": documentTypeRows,
	"document_events_type_fkey": documentTypeRows,
})

const documentTypeRows = "document types and number series are rows a migration writes; the code names them from sales.DocumentTypes, never from input"

// nextNumber assigns the next number of a series (a document type's own,
// from its description in sales, or one it carries such as the bill of
// lading) for the year of tx.Now: QT-2026-000123. The counter row is locked
// until tx ends, so numbers are gapless (a rolled-back document gives its
// number back) and two creators never get the same one. The counter's
// foreign key to document_number_series refuses a series no migration added.
func nextNumber(ctx context.Context, tx *Tx, series sales.NumberSeries) (string, error) {
	prefix := string(series)
	year := tx.Now.Year()
	var n int
	err := tx.GetContext(ctx, &n, `
		INSERT INTO document_counters (doc_type, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (doc_type, year) DO UPDATE SET last = document_counters.last + 1
		RETURNING last`, prefix, year)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%d-%06d", prefix, year, n), nil
}

// recordEvent writes a document's state change (its history), inside tx.
func recordEvent(ctx context.Context, tx *Tx, docType sales.DocumentType, docID int64, action string, from *string, to string, reason string, actorID *int64) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO document_events (doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		string(docType), docID, action, from, to, reason, actorID, tx.Now)
	return err
}

// recordOrderStatus writes an order status change twice, inside tx: to the
// order_events outbox the live feed reads, then to the document history with
// the outbox row's id (the event's feed cursor, which the history keeps once
// the outbox row is pruned). The outbox's statement trigger (migration 0018)
// rings the feed's doorbell: one NOTIFY per transaction, delivered only when
// tx commits.
func recordOrderStatus(ctx context.Context, tx *Tx, orderID int64, action sales.OrderAction, from *sales.OrderStatus, to sales.OrderStatus, reason string, actorID *int64) error {
	var fromText *string
	if from != nil {
		s := string(*from)
		fromText = &s
	}
	var eventID int64
	if err := tx.GetContext(ctx, &eventID, `
		INSERT INTO order_events (order_id, previous_status, status, reason, actor_id, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, orderID, fromText, string(to), reason, actorID, tx.Now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO document_events (doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at, order_event_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		string(sales.DocOrder), orderID, string(action), fromText, string(to), reason, actorID, tx.Now, eventID)
	return err
}

// EventStore reads document histories.
type EventStore struct{ db *DB }

// ByDocuments returns the events of these documents of one type, oldest first.
func (s *EventStore) ByDocuments(ctx context.Context, docType sales.DocumentType, ids []int64) (_ []*sales.DocumentEvent, err error) {
	defer wrap(&err, "Events.ByDocuments(%s)", docType)
	var out []*sales.DocumentEvent
	err = s.db.SelectContext(ctx, &out, `SELECT id, doc_type, doc_id, action, from_status, to_status, reason, actor_id, occurred_at
		FROM document_events WHERE doc_type = $1 AND doc_id = ANY($2) ORDER BY doc_id, id`, string(docType), pqArray(ids))
	return out, err
}

// OrderEvents returns the outbox rows of these orders, oldest first.
func (s *EventStore) OrderEvents(ctx context.Context, orderIDs []int64) (_ []*sales.OrderEvent, err error) {
	defer wrap(&err, "Events.OrderEvents")
	var out []*sales.OrderEvent
	err = s.db.SelectContext(ctx, &out, `SELECT id, order_id, previous_status, status, reason, actor_id, occurred_at
		FROM order_events WHERE order_id = ANY($1) ORDER BY order_id, id`, pqArray(orderIDs))
	return out, err
}

// OrderStatusEvents returns the status changes of these orders as the live
// feed carried them, oldest first, from the order's history: the outbox is
// pruned after the feed's retention, the history is kept. Each event's ID is
// its outbox id (its feed cursor); 0 for a change the history could not pair
// with an outbox row, which the feed answers CURSOR_EXPIRED, as it would.
func (s *EventStore) OrderStatusEvents(ctx context.Context, orderIDs []int64) (_ []*sales.OrderEvent, err error) {
	defer wrap(&err, "Events.OrderStatusEvents")
	var out []*sales.OrderEvent
	err = s.db.SelectContext(ctx, &out, `SELECT coalesce(order_event_id, 0) AS id, doc_id AS order_id, from_status AS previous_status,
		       to_status AS status, reason, actor_id, occurred_at
		  FROM document_events WHERE doc_type = $1 AND doc_id = ANY($2) ORDER BY doc_id, id`, string(sales.DocOrder), pqArray(orderIDs))
	return out, err
}

// customerForDocument loads the customer a new document is for, inside tx,
// locked FOR SHARE so it cannot be archived meanwhile. A customer the actor
// may not see is NOT_FOUND, as if absent; an archived one is VALIDATION.
func customerForDocument(ctx context.Context, tx *Tx, actor *sales.User, customerID int64, field string) (*sales.Customer, error) {
	var c sales.Customer
	if err := tx.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1 FOR SHARE`, customerID); err != nil {
		return nil, notFound(err, field, "customer")
	}
	if !actor.CanSeeCustomer(&c) {
		return nil, sales.Errorf(sales.CodeNotFound, field, "customer not found")
	}
	if err := sales.CheckCustomerActive(&c, field); err != nil {
		return nil, err
	}
	return &c, nil
}

// Lock order, so concurrent mutations never deadlock: customer → order →
// order lines (by id) → delivery, return or invoice → stock levels (by product id).
// db/lockorder_test.go checks the statements each action sends against it.

// Column lists of the document tables, shared by the stores that read them.
const (
	orderColumns = `id, number, customer_id, quote_id, warehouse_id, order_date, requested_delivery_date, ship_to, currency,
	payment_terms_days, invoicing_policy, allow_backorder, status, hold_reason, customer_reference, notes, subtotal, tax_total,
	total, deposit_amount, deposit_percent, created_by, version, created_at, updated_at`
	orderLineColumns = `id, order_id, line_no, product_id, quote_line_id, quantity, reserved_quantity, delivered_quantity,
	returned_quantity, invoiced_quantity, credited_quantity, unit_price, discount_percent, tax_rate, subtotal, tax, total, list_price, price_override_reason`
)

// unversioned tells lockOrder that the caller locks the order on behalf of
// another document and has no version of it to check. Only this value skips
// the check: a client's 0 or negative version is compared, and conflicts.
const unversioned = math.MinInt

// lockOrder reads an order FOR UPDATE, checks the actor may see it (else
// NOT_FOUND) and, unless version is unversioned, that it is the version the
// caller read (else CONFLICT).
func lockOrder(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int, field string) (*sales.SalesOrder, error) {
	var o sales.SalesOrder
	if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM sales_orders WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, field, "sales order")
	}
	if actor != nil && actor.Role == sales.RoleSalesRep {
		var c sales.Customer
		if err := tx.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, o.CustomerID); err != nil {
			return nil, err
		}
		if !actor.CanSeeCustomer(&c) {
			return nil, sales.Errorf(sales.CodeNotFound, field, "sales order not found")
		}
	}
	if version != unversioned {
		if err := checkVersion("sales order", o.Version, version); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// lockOrderLines reads an order's lines FOR UPDATE, by line number.
func lockOrderLines(ctx context.Context, tx *Tx, orderID int64) ([]*sales.OrderLine, error) {
	var lines []*sales.OrderLine
	err := tx.SelectContext(ctx, &lines, `SELECT `+orderLineColumns+` FROM order_lines WHERE order_id = $1 ORDER BY id FOR UPDATE`, orderID)
	return lines, err
}

// setOrderStatus moves an order to its next status for action, writing the
// history row, the outbox row and the NOTIFY, inside tx. It bumps the version.
func setOrderStatus(ctx context.Context, tx *Tx, o *sales.SalesOrder, action sales.OrderAction, hold *sales.HoldReason, reason string, actorID *int64) error {
	next, err := sales.NextOrderStatus(o.Status, action)
	if err != nil {
		return err
	}
	from := o.Status
	if _, err := tx.ExecContext(ctx, `UPDATE sales_orders SET status = $2, hold_reason = $3, version = version + 1, updated_at = $4
		WHERE id = $1`, o.ID, string(next), hold, tx.Now); err != nil {
		return err
	}
	o.Status, o.HoldReason, o.Version = next, hold, o.Version+1
	return recordOrderStatus(ctx, tx, o.ID, action, &from, next, reason, actorID)
}

// lockOrderOf locks, for a delivery or a return (table), the order it
// belongs to and that order's lines: what must be locked before the
// document itself (the lock order). The actor must be able to see the order.
func lockOrderOf(ctx context.Context, tx *Tx, actor *sales.User, table string, id int64, what string) (*sales.SalesOrder, []*sales.OrderLine, error) {
	var orderID int64
	if err := tx.GetContext(ctx, &orderID, `SELECT order_id FROM `+table+` WHERE id = $1`, id); err != nil {
		return nil, nil, notFound(err, "id", what)
	}
	o, err := lockOrder(ctx, tx, actor, orderID, unversioned, "id")
	if err != nil {
		return nil, nil, err
	}
	lines, err := lockOrderLines(ctx, tx, orderID)
	return o, lines, err
}
