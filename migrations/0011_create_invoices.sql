-- Invoices: what a customer is billed for an order, and each order line's
-- invoiced quantity. A draft has no number, issue date or due date; issuing
-- gives all three (the number from the gapless INV series of the issue
-- year), so the issued invoices' numbers run without gaps. An issued
-- invoice that is voided keeps its number.

-- +goose Up
INSERT INTO document_types (code, name) VALUES ('INVOICE', 'invoice');
INSERT INTO document_number_series (prefix, doc_type, own) VALUES ('INV', 'INVOICE', true);

CREATE TABLE invoices (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT invoices_pkey PRIMARY KEY,
    number      text   CONSTRAINT invoices_number_key UNIQUE,
    order_id    bigint NOT NULL CONSTRAINT invoices_order_fkey REFERENCES sales_orders (id),
    customer_id bigint NOT NULL CONSTRAINT invoices_customer_fkey REFERENCES customers (id),
    kind        text   NOT NULL DEFAULT 'INVOICE' CONSTRAINT invoices_kind_known CHECK (kind IN ('INVOICE','CREDIT_NOTE')),
    status      text   NOT NULL DEFAULT 'DRAFT'
                CONSTRAINT invoices_status_known CHECK (status IN ('DRAFT','ISSUED','PARTIALLY_PAID','PAID','DISPUTED','VOID','WRITTEN_OFF')),
    currency    char(3) NOT NULL CONSTRAINT invoices_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    issue_date  date,
    due_date    date,
    subtotal    numeric(18,4) NOT NULL,
    tax_total   numeric(18,4) NOT NULL,
    total       numeric(18,4) NOT NULL,
    paid_amount numeric(18,4) NOT NULL DEFAULT 0 CONSTRAINT invoices_paid_nonnegative CHECK (paid_amount >= 0),
    created_by  bigint CONSTRAINT invoices_created_by_fkey REFERENCES users (id),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoices_total_adds_up CHECK (total = subtotal + tax_total),
    CONSTRAINT invoices_paid_within_total CHECK (paid_amount <= total),
    CONSTRAINT invoices_due_after_issue CHECK (due_date >= issue_date),
    -- Everything past a draft was issued, so it has its number and dates (a
    -- draft voided before issue has none).
    CONSTRAINT invoices_issued_has_number CHECK (status IN ('DRAFT','VOID')
        OR (number IS NOT NULL AND issue_date IS NOT NULL AND due_date IS NOT NULL))
);
CREATE INDEX invoices_order_idx ON invoices (order_id, id);
CREATE INDEX invoices_customer_idx ON invoices (customer_id, id);
CREATE INDEX invoices_created_idx ON invoices (created_at, id);

CREATE TABLE invoice_lines (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT invoice_lines_pkey PRIMARY KEY,
    invoice_id       bigint NOT NULL CONSTRAINT invoice_lines_invoice_fkey REFERENCES invoices (id) ON DELETE CASCADE,
    order_line_id    bigint NOT NULL CONSTRAINT invoice_lines_order_line_fkey REFERENCES order_lines (id),
    line_no          integer NOT NULL CONSTRAINT invoice_lines_line_no_positive CHECK (line_no > 0),
    quantity         numeric(18,3) NOT NULL CONSTRAINT invoice_lines_quantity_positive CHECK (quantity > 0),
    unit_price       numeric(18,4) NOT NULL,
    discount_percent numeric(5,2)  NOT NULL,
    tax_rate         numeric(6,4)  NOT NULL,
    subtotal         numeric(18,4) NOT NULL,
    tax              numeric(18,4) NOT NULL,
    total            numeric(18,4) NOT NULL,
    CONSTRAINT invoice_lines_total_adds_up CHECK (total = subtotal + tax),
    CONSTRAINT invoice_lines_line_no_key UNIQUE (invoice_id, line_no),
    CONSTRAINT invoice_lines_order_line_key UNIQUE (invoice_id, order_line_id)
);
CREATE INDEX invoice_lines_order_line_idx ON invoice_lines (order_line_id);

-- What of each order line is on invoices that are not void (drafts
-- included, so two drafts cannot together bill more than there is).
ALTER TABLE order_lines
    ADD COLUMN invoiced_quantity numeric(18,3) NOT NULL DEFAULT 0
        CONSTRAINT order_lines_invoiced_nonnegative CHECK (invoiced_quantity >= 0),
    ADD CONSTRAINT order_lines_invoiced_within_ordered CHECK (invoiced_quantity <= quantity);

-- +goose Down
ALTER TABLE order_lines
    DROP CONSTRAINT order_lines_invoiced_within_ordered,
    DROP COLUMN invoiced_quantity;
DROP TABLE invoice_lines;
DROP TABLE invoices;
DELETE FROM document_events WHERE doc_type = 'INVOICE';
DELETE FROM document_counters WHERE doc_type = 'INV';
DELETE FROM document_number_series WHERE prefix = 'INV';
DELETE FROM document_types WHERE code = 'INVOICE';
