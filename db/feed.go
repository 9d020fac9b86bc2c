package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"salesgraph/sales"
)

// The live feed's reads of the order_events outbox (docs/live-feed.md).
// The broker in package live decides what to deliver; these only read.

// FeedEvent is an outbox row with what the feed filters on: the order's
// customer and that customer's sales rep.
type FeedEvent struct {
	sales.OrderEvent
	CustomerID int64  `db:"customer_id"`
	SalesRepID *int64 `db:"sales_rep_id"`
}

// FeedCheckpoint records, at one moment, the last id the outbox's sequence
// had handed out (Through), then the transactions that were writing to the
// outbox (Writers, virtual transaction ids). A transaction locks the table
// (RowExclusiveLock) before it takes an id and keeps the lock until it ends,
// so every id up to Through belongs to a transaction that had ended by then
// or is among Writers: once none of Writers runs, every row up to Through is
// final, committed and visible, or never to be.
type FeedCheckpoint struct {
	Through int64
	Writers []string
}

// Checkpoint takes a FeedCheckpoint: the sequence first, then the lock
// table, in two statements so that the order is certain.
func (s *EventStore) Checkpoint(ctx context.Context) (_ FeedCheckpoint, err error) {
	defer wrap(&err, "Events.Checkpoint")
	var cp FeedCheckpoint
	if err = s.db.GetContext(ctx, &cp.Through,
		`SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('order_events', 'id')::regclass), 0)`); err != nil {
		return cp, err
	}
	var writers pq.StringArray
	err = s.db.GetContext(ctx, &writers, `
		SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{}') FROM pg_locks
		 WHERE locktype = 'relation' AND relation = 'order_events'::regclass
		   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		   AND mode = 'RowExclusiveLock' AND pid IS DISTINCT FROM pg_backend_pid()`)
	cp.Writers = writers
	return cp, err
}

// Running returns which of these virtual transactions have not ended.
func (s *EventStore) Running(ctx context.Context, vxids []string) (_ []string, err error) {
	defer wrap(&err, "Events.Running")
	var out pq.StringArray
	err = s.db.GetContext(ctx, &out, `SELECT coalesce(array_agg(DISTINCT virtualxid), '{}') FROM pg_locks
		WHERE locktype = 'virtualxid' AND virtualxid = ANY($1)`, pq.StringArray(vxids))
	return out, err
}

// FeedRange returns the outbox rows with after < id <= through, oldest
// first, at most limit of them.
func (s *EventStore) FeedRange(ctx context.Context, after, through int64, limit int) (_ []*FeedEvent, err error) {
	defer wrap(&err, "Events.FeedRange")
	var out []*FeedEvent
	err = s.db.SelectContext(ctx, &out, `
		SELECT e.id, e.order_id, e.previous_status, e.status, e.reason, e.actor_id, e.occurred_at,
		       o.customer_id, c.sales_rep_id
		  FROM order_events e
		  JOIN sales_orders o ON o.id = e.order_id
		  JOIN customers c ON c.id = o.customer_id
		 WHERE e.id > $1 AND e.id <= $2
		 ORDER BY e.id
		 LIMIT $3`, after, through, limit)
	return out, err
}

// FeedCursorAge reports when the event with this id occurred; found is false
// when no such row is kept (pruned, or never written).
func (s *EventStore) FeedCursorAge(ctx context.Context, id int64) (occurred time.Time, found bool, err error) {
	defer wrap(&err, "Events.FeedCursorAge")
	err = s.db.GetContext(ctx, &occurred, `SELECT occurred_at FROM order_events WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	return occurred, err == nil, err
}

// PruneFeed deletes up to limit outbox rows that occurred before cutoff and
// have an id of at most through (the broker's watermark: rows it has
// delivered), oldest first, in one short statement. Rows another pruner is
// deleting are skipped, not waited for, so several instances may prune at
// once. It returns how many rows it deleted. An order's history keeps every
// change (document_events); only the feed's resume window shrinks.
func (s *EventStore) PruneFeed(ctx context.Context, through int64, cutoff time.Time, limit int) (_ int64, err error) {
	defer wrap(&err, "Events.PruneFeed")
	res, err := s.db.ExecContext(ctx, `
		DELETE FROM order_events WHERE id IN (
			SELECT id FROM order_events WHERE occurred_at < $2 AND id <= $1
			 ORDER BY occurred_at LIMIT $3 FOR UPDATE SKIP LOCKED)`, through, cutoff, limit)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
