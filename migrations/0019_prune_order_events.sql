-- The live feed's outbox (order_events) is now pruned once its rows are
-- older than the feed's retention (live/prune.go), so:
-- * an order's statusEvents read its history (document_events, kept
--   forever) instead of the outbox. Each ORDER history row records the
--   outbox id of the same change: the event's feed cursor, kept after the
--   outbox row is gone. Rows written before this migration are paired with
--   their outbox row here (same order, time and statuses, in id order).
-- * the pruner finds old rows by occurred_at; without an index it would read
--   every kept row on each run.

-- +goose Up
ALTER TABLE document_events ADD COLUMN order_event_id bigint;

UPDATE document_events d SET order_event_id = p.event_id
  FROM (SELECT h.id AS history_id, e.id AS event_id
          FROM (SELECT id, doc_id, from_status, to_status, occurred_at,
                       row_number() OVER (PARTITION BY doc_id, from_status, to_status, occurred_at ORDER BY id) AS n
                  FROM document_events WHERE doc_type = 'ORDER') h
          JOIN (SELECT id, order_id, previous_status, status, occurred_at,
                       row_number() OVER (PARTITION BY order_id, previous_status, status, occurred_at ORDER BY id) AS n
                  FROM order_events) e
            ON e.order_id = h.doc_id AND e.status = h.to_status AND e.previous_status IS NOT DISTINCT FROM h.from_status
           AND e.occurred_at = h.occurred_at AND e.n = h.n) p
 WHERE d.id = p.history_id;

CREATE INDEX order_events_occurred_idx ON order_events (occurred_at);

-- +goose Down
DROP INDEX order_events_occurred_idx;
ALTER TABLE document_events DROP COLUMN order_event_id;
