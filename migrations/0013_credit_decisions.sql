-- Credit decisions: one row per credit check an order's confirmation ran,
-- with every figure it decided on, so a credit controller sees why an order
-- was held or let through. Releasing a held order records who released it,
-- when and why on the order's latest held decision. Written in the same
-- transaction as the confirmation, under the customer's lock.

-- +goose Up
CREATE TABLE credit_decisions (
    id                  bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT credit_decisions_pkey PRIMARY KEY,
    order_id            bigint NOT NULL CONSTRAINT credit_decisions_order_fkey REFERENCES sales_orders (id),
    customer_id         bigint NOT NULL CONSTRAINT credit_decisions_customer_fkey REFERENCES customers (id),
    currency            char(3) NOT NULL,
    credit_limit        numeric(18,4) NOT NULL,
    credit_hold         boolean NOT NULL,
    open_invoices       numeric(18,4) NOT NULL,
    uninvoiced_orders   numeric(18,4) NOT NULL,
    unallocated_credit  numeric(18,4) NOT NULL,
    oldest_overdue_days integer NOT NULL,
    grace_days          integer NOT NULL,
    order_value         numeric(18,4) NOT NULL,
    outcome             text NOT NULL CONSTRAINT credit_decisions_outcome_known CHECK (outcome IN ('APPROVED','HELD')),
    hold_reason         text CONSTRAINT credit_decisions_hold_reason_known
                        CHECK (hold_reason IN ('CREDIT_LIMIT','OVERDUE_INVOICES','CUSTOMER_ON_HOLD')),
    reason              text NOT NULL,
    decided_at          timestamptz NOT NULL,
    decided_by          bigint CONSTRAINT credit_decisions_decided_by_fkey REFERENCES users (id),
    released_by         bigint CONSTRAINT credit_decisions_released_by_fkey REFERENCES users (id),
    released_at         timestamptz,
    release_note        text,
    -- A held decision says why; an approved one has no hold reason and is never released.
    -- An order is confirmed once (a held one is released, not checked again).
    CONSTRAINT credit_decisions_order_key UNIQUE (order_id),
    CONSTRAINT credit_decisions_held_has_reason CHECK ((outcome = 'HELD') = (hold_reason IS NOT NULL)),
    CONSTRAINT credit_decisions_release_whole CHECK (
        (released_at IS NULL AND released_by IS NULL AND release_note IS NULL)
        OR (outcome = 'HELD' AND released_at IS NOT NULL AND release_note IS NOT NULL))
);

-- +goose Down
DROP TABLE credit_decisions;
