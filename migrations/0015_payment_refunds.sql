-- Payment refunds as rows: each refund's amount, date, reason and who, so a
-- customer statement can date the money paid back (before, a refund lived
-- only in payments.refunded_amount and an event's text). The payment's
-- refunded_amount stays: its CHECK with allocated_amount holds the amount;
-- the rows of a payment add up to it (db/payments.go writes both together).
-- Existing refunds are carried over as one row per payment, dated by its
-- last refund event (or its last update).

-- +goose Up
CREATE TABLE payment_refunds (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT payment_refunds_pkey PRIMARY KEY,
    payment_id  bigint NOT NULL CONSTRAINT payment_refunds_payment_fkey REFERENCES payments (id),
    amount      numeric(18,4) NOT NULL CONSTRAINT payment_refunds_amount_positive CHECK (amount > 0),
    reason      text NOT NULL,
    refunded_at timestamptz NOT NULL,
    -- Null only on the rows carried over from before this table.
    refunded_by bigint CONSTRAINT payment_refunds_refunded_by_fkey REFERENCES users (id)
);
CREATE INDEX payment_refunds_payment_idx ON payment_refunds (payment_id, id);

INSERT INTO payment_refunds (payment_id, amount, reason, refunded_at, refunded_by)
SELECT p.id, p.refunded_amount, 'refunded before refunds were kept one by one',
       COALESCE((SELECT max(e.occurred_at) FROM document_events e
                 WHERE e.doc_type = 'PAYMENT' AND e.doc_id = p.id AND e.action = 'REFUND'), p.updated_at),
       NULL
FROM payments p WHERE p.refunded_amount > 0;

-- +goose Down
DROP TABLE payment_refunds;
