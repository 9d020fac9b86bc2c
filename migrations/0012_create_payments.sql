-- Payments: money a customer sent, and its allocations to their invoices.
-- A payment's allocated and refunded amounts are kept on it, so a CHECK
-- holds that together they never pass its amount (the invoice's own
-- invoices_paid_within_total holds the other side). An allocation that is
-- taken back is kept, marked reversed, with who and when. A payment that
-- names an order not yet invoiced is a deposit: an order may require one
-- (an amount or a percentage of its total) before it ships.

-- +goose Up
INSERT INTO document_types (code, name) VALUES ('PAYMENT', 'payment');
INSERT INTO document_number_series (prefix, doc_type, own) VALUES ('PAY', 'PAYMENT', true);

CREATE TABLE payments (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT payments_pkey PRIMARY KEY,
    number           text   NOT NULL CONSTRAINT payments_number_key UNIQUE,
    customer_id      bigint NOT NULL CONSTRAINT payments_customer_fkey REFERENCES customers (id),
    order_id         bigint CONSTRAINT payments_order_fkey REFERENCES sales_orders (id),
    currency         char(3) NOT NULL CONSTRAINT payments_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    amount           numeric(18,4) NOT NULL CONSTRAINT payments_amount_positive CHECK (amount > 0),
    allocated_amount numeric(18,4) NOT NULL DEFAULT 0 CONSTRAINT payments_allocated_nonnegative CHECK (allocated_amount >= 0),
    refunded_amount  numeric(18,4) NOT NULL DEFAULT 0 CONSTRAINT payments_refunded_nonnegative CHECK (refunded_amount >= 0),
    status           text NOT NULL
                     CONSTRAINT payments_status_known CHECK (status IN ('UNALLOCATED','PARTIALLY_ALLOCATED','ALLOCATED','REFUNDED')),
    received_date    date NOT NULL,
    method           text NOT NULL
                     CONSTRAINT payments_method_known CHECK (method IN ('BANK_TRANSFER','CARD','CASH','CHEQUE','OTHER')),
    reference        text NOT NULL DEFAULT '',
    created_by       bigint CONSTRAINT payments_created_by_fkey REFERENCES users (id),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_allocated_within_amount CHECK (allocated_amount + refunded_amount <= amount)
);
CREATE INDEX payments_customer_idx ON payments (customer_id, id);
CREATE INDEX payments_order_idx ON payments (order_id, id) WHERE order_id IS NOT NULL;
CREATE INDEX payments_created_idx ON payments (created_at, id);

CREATE TABLE payment_allocations (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT payment_allocations_pkey PRIMARY KEY,
    payment_id   bigint NOT NULL CONSTRAINT payment_allocations_payment_fkey REFERENCES payments (id),
    invoice_id   bigint NOT NULL CONSTRAINT payment_allocations_invoice_fkey REFERENCES invoices (id),
    amount       numeric(18,4) NOT NULL CONSTRAINT payment_allocations_amount_positive CHECK (amount > 0),
    allocated_at timestamptz NOT NULL,
    allocated_by bigint CONSTRAINT payment_allocations_allocated_by_fkey REFERENCES users (id),
    reversed_at  timestamptz,
    reversed_by  bigint CONSTRAINT payment_allocations_reversed_by_fkey REFERENCES users (id),
    CONSTRAINT payment_allocations_reversed_after CHECK (reversed_at >= allocated_at)
);
CREATE INDEX payment_allocations_payment_idx ON payment_allocations (payment_id, id);
CREATE INDEX payment_allocations_invoice_idx ON payment_allocations (invoice_id, id);

-- A deposit an order requires before it ships: an amount, or a percentage
-- of its total; not both.
ALTER TABLE sales_orders
    ADD COLUMN deposit_amount numeric(18,4)
        CONSTRAINT sales_orders_deposit_amount_positive CHECK (deposit_amount > 0),
    ADD COLUMN deposit_percent numeric(5,2)
        CONSTRAINT sales_orders_deposit_percent_range CHECK (deposit_percent > 0 AND deposit_percent <= 100),
    ADD CONSTRAINT sales_orders_deposit_one_way CHECK (deposit_amount IS NULL OR deposit_percent IS NULL);

-- +goose Down
ALTER TABLE sales_orders
    DROP CONSTRAINT sales_orders_deposit_one_way,
    DROP COLUMN deposit_percent,
    DROP COLUMN deposit_amount;
DROP TABLE payment_allocations;
DROP TABLE payments;
DELETE FROM document_events WHERE doc_type = 'PAYMENT';
DELETE FROM document_counters WHERE doc_type = 'PAY';
DELETE FROM document_number_series WHERE prefix = 'PAY';
DELETE FROM document_types WHERE code = 'PAYMENT';
