-- The live order feed (docs/live-feed.md). Each outbox row records the
-- transaction that wrote it, and one statement-level trigger rings the
-- doorbell: it makes sure the writing transaction has its transaction id
-- before the row takes its id from the sequence (the feed's proof of "no
-- gap" rests on that order), and it queues one NOTIFY with an empty payload,
-- which PostgreSQL folds into one per transaction however many orders the
-- transaction changes.

-- +goose Up
ALTER TABLE order_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();

-- +goose StatementBegin
CREATE FUNCTION order_events_doorbell() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id();
    PERFORM pg_notify('order_events', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER order_events_doorbell BEFORE INSERT ON order_events
    FOR EACH STATEMENT EXECUTE FUNCTION order_events_doorbell();

-- +goose Down
DROP TRIGGER order_events_doorbell ON order_events;
DROP FUNCTION order_events_doorbell();
ALTER TABLE order_events DROP COLUMN txid;
