package db

import (
	"context"
	"fmt"

	"salesgraph/sales"
)

// Document number prefixes (DESIGN.md: unique per type and year).
const (
	prefixQuote    = "QT"
	prefixOrder    = "SO"
	prefixDelivery = "DN"
	prefixReturn   = "RMA"
	prefixBOL      = "BOL"
)

// nextNumber assigns the next number of a document type for the year of
// tx.Now: QT-2026-000123. The counter row is locked until tx ends, so
// numbers are gapless (a rolled-back document gives its number back) and
// two creators never get the same one.
func nextNumber(ctx context.Context, tx *Tx, prefix string) (string, error) {
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
// document history and to the order_events outbox the live feed reads, then
// NOTIFYs listeners (delivered only when tx commits).
func recordOrderStatus(ctx context.Context, tx *Tx, orderID int64, action sales.OrderAction, from *sales.OrderStatus, to sales.OrderStatus, reason string, actorID *int64) error {
	var fromText *string
	if from != nil {
		s := string(*from)
		fromText = &s
	}
	if err := recordEvent(ctx, tx, sales.DocOrder, orderID, string(action), fromText, string(to), reason, actorID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO order_events (order_id, previous_status, status, reason, actor_id, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, orderID, fromText, string(to), reason, actorID, tx.Now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify('order_events', $1)`, fmt.Sprint(orderID))
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
