-- Credit notes, disputes and write-offs: the rest of billing.
--
-- A credit note is an invoices row of kind CREDIT_NOTE: issued at once
-- (numbered from the gapless CN series of its year, issue and due date the
-- same day), its lines are order lines' quantities priced as the order line.
-- It comes from a received return (return_id; the return becomes CREDITED)
-- or from a dispute resolved by crediting (credited_invoice_id, the disputed
-- invoice). Its paid_amount is what has been applied to invoices through
-- credit_allocations; on an invoice, paid_amount is what payments and credit
-- notes together have settled. Order lines count what credit notes credit,
-- never more than was invoiced.
--
-- A dispute is a customer's refusal to pay all or some lines of an issued
-- invoice: OPEN while the invoice is DISPUTED, then RESOLVED one of three
-- ways: the customer pays, a credit note, or a write-off (a write_offs row:
-- the bad debt, with who and why).

-- +goose Up
INSERT INTO document_types (code, name) VALUES ('DISPUTE', 'dispute');
INSERT INTO document_number_series (prefix, doc_type, own) VALUES ('CN', 'INVOICE', false), ('DSP', 'DISPUTE', true);

ALTER TABLE invoices
    ADD COLUMN return_id bigint CONSTRAINT invoices_return_fkey REFERENCES returns (id),
    ADD COLUMN credited_invoice_id bigint CONSTRAINT invoices_credited_invoice_fkey REFERENCES invoices (id),
    DROP CONSTRAINT invoices_status_known,
    ADD CONSTRAINT invoices_status_known CHECK (
        (kind = 'INVOICE' AND status IN ('DRAFT','ISSUED','PARTIALLY_PAID','PAID','DISPUTED','VOID','WRITTEN_OFF'))
        OR (kind = 'CREDIT_NOTE' AND status IN ('ISSUED','PARTIALLY_APPLIED','APPLIED','VOID'))),
    -- A credit note says what it credits; an invoice credits nothing.
    ADD CONSTRAINT invoices_credit_note_source CHECK (
        (kind = 'INVOICE' AND return_id IS NULL AND credited_invoice_id IS NULL)
        OR (kind = 'CREDIT_NOTE' AND (return_id IS NOT NULL OR credited_invoice_id IS NOT NULL))),
    ADD CONSTRAINT invoices_not_crediting_itself CHECK (credited_invoice_id <> id),
    -- Lets other tables insist, by foreign key, on the kind they point at.
    ADD CONSTRAINT invoices_id_kind_key UNIQUE (id, kind);
-- A return is credited once (a voided credit note gives it back).
CREATE UNIQUE INDEX invoices_return_credited_once ON invoices (return_id) WHERE return_id IS NOT NULL AND status <> 'VOID';
CREATE INDEX invoices_credited_invoice_idx ON invoices (credited_invoice_id) WHERE credited_invoice_id IS NOT NULL;

ALTER TABLE order_lines
    ADD COLUMN credited_quantity numeric(18,3) NOT NULL DEFAULT 0
        CONSTRAINT order_lines_credited_nonnegative CHECK (credited_quantity >= 0),
    ADD CONSTRAINT order_lines_credited_within_invoiced CHECK (credited_quantity <= invoiced_quantity);

-- A credit note's money applied to an invoice of the same customer. Kept,
-- marked reversed, when taken back, like a payment's allocation.
CREATE TABLE credit_allocations (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT credit_allocations_pkey PRIMARY KEY,
    credit_note_id   bigint NOT NULL,
    credit_note_kind text   NOT NULL DEFAULT 'CREDIT_NOTE' CONSTRAINT credit_allocations_from_credit_note CHECK (credit_note_kind = 'CREDIT_NOTE'),
    invoice_id       bigint NOT NULL,
    invoice_kind     text   NOT NULL DEFAULT 'INVOICE' CONSTRAINT credit_allocations_to_invoice CHECK (invoice_kind = 'INVOICE'),
    amount           numeric(18,4) NOT NULL CONSTRAINT credit_allocations_amount_positive CHECK (amount > 0),
    allocated_at     timestamptz NOT NULL,
    allocated_by     bigint CONSTRAINT credit_allocations_allocated_by_fkey REFERENCES users (id),
    reversed_at      timestamptz,
    reversed_by      bigint CONSTRAINT credit_allocations_reversed_by_fkey REFERENCES users (id),
    CONSTRAINT credit_allocations_credit_note_fkey FOREIGN KEY (credit_note_id, credit_note_kind) REFERENCES invoices (id, kind),
    CONSTRAINT credit_allocations_invoice_fkey FOREIGN KEY (invoice_id, invoice_kind) REFERENCES invoices (id, kind),
    CONSTRAINT credit_allocations_reversed_after CHECK (reversed_at >= allocated_at)
);
CREATE INDEX credit_allocations_credit_note_idx ON credit_allocations (credit_note_id, id);
CREATE INDEX credit_allocations_invoice_idx ON credit_allocations (invoice_id, id);

CREATE TABLE disputes (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT disputes_pkey PRIMARY KEY,
    number          text   NOT NULL CONSTRAINT disputes_number_key UNIQUE,
    invoice_id      bigint NOT NULL,
    invoice_kind    text   NOT NULL DEFAULT 'INVOICE' CONSTRAINT disputes_of_an_invoice CHECK (invoice_kind = 'INVOICE'),
    customer_id     bigint NOT NULL CONSTRAINT disputes_customer_fkey REFERENCES customers (id),
    status          text   NOT NULL DEFAULT 'OPEN' CONSTRAINT disputes_status_known CHECK (status IN ('OPEN','RESOLVED')),
    reason_code     text   NOT NULL
                    CONSTRAINT disputes_reason_code_known CHECK (reason_code IN ('PRICE','QUANTITY','DAMAGED','NOT_DELIVERED','QUALITY','OTHER')),
    notes           text   NOT NULL DEFAULT '',
    currency        char(3) NOT NULL CONSTRAINT disputes_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    disputed_amount numeric(18,4) NOT NULL CONSTRAINT disputes_amount_positive CHECK (disputed_amount > 0),
    resolution      text CONSTRAINT disputes_resolution_known CHECK (resolution IN ('CUSTOMER_PAYS','CREDIT_NOTE','WRITE_OFF')),
    resolution_note text,
    credit_note_id  bigint,
    credit_note_kind text NOT NULL DEFAULT 'CREDIT_NOTE' CONSTRAINT disputes_credit_note_kind CHECK (credit_note_kind = 'CREDIT_NOTE'),
    resolved_at     timestamptz,
    resolved_by     bigint CONSTRAINT disputes_resolved_by_fkey REFERENCES users (id),
    created_by      bigint CONSTRAINT disputes_created_by_fkey REFERENCES users (id),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT disputes_invoice_fkey FOREIGN KEY (invoice_id, invoice_kind) REFERENCES invoices (id, kind),
    CONSTRAINT disputes_credit_note_fkey FOREIGN KEY (credit_note_id, credit_note_kind) REFERENCES invoices (id, kind),
    -- Open: nothing of a resolution. Resolved: how, when and why; a credit
    -- note exactly when that is the resolution.
    CONSTRAINT disputes_resolution_whole CHECK (
        (status = 'OPEN' AND resolution IS NULL AND resolution_note IS NULL AND resolved_at IS NULL
            AND resolved_by IS NULL AND credit_note_id IS NULL)
        OR (status = 'RESOLVED' AND resolution IS NOT NULL AND resolution_note IS NOT NULL AND resolved_at IS NOT NULL
            AND (resolution = 'CREDIT_NOTE') = (credit_note_id IS NOT NULL)))
);
-- One open dispute per invoice.
CREATE UNIQUE INDEX disputes_one_open_per_invoice ON disputes (invoice_id) WHERE status = 'OPEN';
CREATE INDEX disputes_customer_idx ON disputes (customer_id, id);
CREATE INDEX disputes_created_idx ON disputes (created_at, id);

-- The lines a dispute names (none: the whole invoice's balance).
CREATE TABLE dispute_lines (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT dispute_lines_pkey PRIMARY KEY,
    dispute_id      bigint NOT NULL CONSTRAINT dispute_lines_dispute_fkey REFERENCES disputes (id) ON DELETE CASCADE,
    invoice_line_id bigint NOT NULL CONSTRAINT dispute_lines_invoice_line_fkey REFERENCES invoice_lines (id),
    quantity        numeric(18,3) NOT NULL CONSTRAINT dispute_lines_quantity_positive CHECK (quantity > 0),
    amount          numeric(18,4) NOT NULL CONSTRAINT dispute_lines_amount_positive CHECK (amount > 0),
    CONSTRAINT dispute_lines_invoice_line_key UNIQUE (dispute_id, invoice_line_id)
);

-- Bad debt: an invoice's balance given up, once, with who and why.
CREATE TABLE write_offs (
    id             bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT write_offs_pkey PRIMARY KEY,
    invoice_id     bigint NOT NULL CONSTRAINT write_offs_invoice_key UNIQUE,
    invoice_kind   text   NOT NULL DEFAULT 'INVOICE' CONSTRAINT write_offs_of_an_invoice CHECK (invoice_kind = 'INVOICE'),
    dispute_id     bigint CONSTRAINT write_offs_dispute_fkey REFERENCES disputes (id) CONSTRAINT write_offs_dispute_key UNIQUE,
    customer_id    bigint NOT NULL CONSTRAINT write_offs_customer_fkey REFERENCES customers (id),
    currency       char(3) NOT NULL CONSTRAINT write_offs_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    amount         numeric(18,4) NOT NULL CONSTRAINT write_offs_amount_positive CHECK (amount > 0),
    reason         text   NOT NULL CONSTRAINT write_offs_reason_not_blank CHECK (btrim(reason) <> ''),
    written_off_at timestamptz NOT NULL,
    written_off_by bigint NOT NULL CONSTRAINT write_offs_written_off_by_fkey REFERENCES users (id),
    CONSTRAINT write_offs_invoice_fkey FOREIGN KEY (invoice_id, invoice_kind) REFERENCES invoices (id, kind)
);
CREATE INDEX write_offs_customer_idx ON write_offs (customer_id, id);

-- +goose Down
DROP TABLE write_offs;
DROP TABLE dispute_lines;
DROP TABLE disputes;
DROP TABLE credit_allocations;
ALTER TABLE order_lines
    DROP CONSTRAINT order_lines_credited_within_invoiced,
    DROP COLUMN credited_quantity;
DELETE FROM invoice_lines WHERE invoice_id IN (SELECT id FROM invoices WHERE kind = 'CREDIT_NOTE');
DELETE FROM invoices WHERE kind = 'CREDIT_NOTE';
DROP INDEX invoices_credited_invoice_idx;
DROP INDEX invoices_return_credited_once;
ALTER TABLE invoices
    DROP CONSTRAINT invoices_id_kind_key,
    DROP CONSTRAINT invoices_not_crediting_itself,
    DROP CONSTRAINT invoices_credit_note_source,
    DROP CONSTRAINT invoices_status_known,
    ADD CONSTRAINT invoices_status_known CHECK (status IN ('DRAFT','ISSUED','PARTIALLY_PAID','PAID','DISPUTED','VOID','WRITTEN_OFF')),
    DROP COLUMN credited_invoice_id,
    DROP COLUMN return_id;
DELETE FROM document_events WHERE doc_type = 'DISPUTE';
DELETE FROM document_counters WHERE doc_type IN ('CN', 'DSP');
DELETE FROM document_number_series WHERE prefix IN ('CN', 'DSP');
DELETE FROM document_types WHERE code = 'DISPUTE';
