-- The live order feed's doorbell (docs/live-feed.md): one statement-level
-- trigger on the order_events outbox queues a NOTIFY with an empty payload,
-- which PostgreSQL folds into one notification per transaction however many
-- orders the transaction changes (db/documents.go used to send one per change).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION order_events_doorbell() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('order_events', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER order_events_doorbell AFTER INSERT ON order_events
    FOR EACH STATEMENT EXECUTE FUNCTION order_events_doorbell();

-- +goose Down
DROP TRIGGER order_events_doorbell ON order_events;
DROP FUNCTION order_events_doorbell();
