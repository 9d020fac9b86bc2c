-- +goose Up
-- Document numbers are human-readable and gapless per type and year
-- (QT-2026-000123): the counter row is locked and bumped in the creating
-- transaction, so a rolled-back document gives its number back.
CREATE TABLE document_counters (
    doc_type text    NOT NULL CONSTRAINT document_counters_type_known CHECK (doc_type IN ('QT','SO','DN','RMA','BOL')),
    year     integer NOT NULL CONSTRAINT document_counters_year_range CHECK (year BETWEEN 2000 AND 2999),
    last     integer NOT NULL CONSTRAINT document_counters_last_positive CHECK (last > 0),
    CONSTRAINT document_counters_pkey PRIMARY KEY (doc_type, year)
);

-- Every state change of every document: who, when, from, to and why.
CREATE TABLE document_events (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT document_events_pkey PRIMARY KEY,
    doc_type    text   NOT NULL CONSTRAINT document_events_type_known CHECK (doc_type IN ('QUOTE','ORDER','DELIVERY','RETURN')),
    doc_id      bigint NOT NULL,
    action      text   NOT NULL,
    from_status text,
    to_status   text   NOT NULL,
    reason      text   NOT NULL DEFAULT '',
    actor_id    bigint CONSTRAINT document_events_actor_fkey REFERENCES users (id),
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_events_doc_idx ON document_events (doc_type, doc_id, id);

CREATE TABLE quotes (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT quotes_pkey PRIMARY KEY,
    number        text    NOT NULL,
    revision      integer NOT NULL DEFAULT 1 CONSTRAINT quotes_revision_positive CHECK (revision > 0),
    customer_id   bigint  NOT NULL CONSTRAINT quotes_customer_fkey REFERENCES customers (id),
    currency      char(3) NOT NULL CONSTRAINT quotes_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    valid_until   date    NOT NULL,
    status        text    NOT NULL DEFAULT 'DRAFT'
                  CONSTRAINT quotes_status_known CHECK (status IN ('DRAFT','SENT','ACCEPTED','REJECTED','EXPIRED','CANCELLED')),
    -- A revised quote stays readable; the newer revision is the live one.
    superseded_by bigint CONSTRAINT quotes_superseded_by_fkey REFERENCES quotes (id),
    notes         text    NOT NULL DEFAULT '',
    subtotal      numeric(18,3) NOT NULL DEFAULT 0,
    tax_total     numeric(18,3) NOT NULL DEFAULT 0,
    total         numeric(18,3) NOT NULL DEFAULT 0,
    created_by    bigint  CONSTRAINT quotes_created_by_fkey REFERENCES users (id),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quotes_number_revision_key UNIQUE (number, revision),
    CONSTRAINT quotes_total_adds_up CHECK (total = subtotal + tax_total)
);
CREATE INDEX quotes_customer_idx ON quotes (customer_id, id);
CREATE INDEX quotes_status_idx ON quotes (status, id);

CREATE TABLE quote_lines (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT quote_lines_pkey PRIMARY KEY,
    quote_id         bigint  NOT NULL CONSTRAINT quote_lines_quote_fkey REFERENCES quotes (id) ON DELETE CASCADE,
    line_no          integer NOT NULL CONSTRAINT quote_lines_line_no_positive CHECK (line_no > 0),
    product_id       bigint  NOT NULL CONSTRAINT quote_lines_product_fkey REFERENCES products (id),
    quantity         numeric(18,3) NOT NULL CONSTRAINT quote_lines_quantity_positive CHECK (quantity > 0),
    unit_price       numeric(18,4) NOT NULL CONSTRAINT quote_lines_unit_price_nonnegative CHECK (unit_price >= 0),
    list_price       numeric(18,4),
    price_override_reason text NOT NULL DEFAULT '',
    discount_percent numeric(5,2) NOT NULL DEFAULT 0 CONSTRAINT quote_lines_discount_range CHECK (discount_percent BETWEEN 0 AND 100),
    tax_rate         numeric(6,4) NOT NULL CONSTRAINT quote_lines_tax_rate_range CHECK (tax_rate BETWEEN 0 AND 1),
    subtotal         numeric(18,3) NOT NULL,
    tax              numeric(18,3) NOT NULL,
    total            numeric(18,3) NOT NULL,
    CONSTRAINT quote_lines_line_no_key UNIQUE (quote_id, line_no),
    CONSTRAINT quote_lines_total_adds_up CHECK (total = subtotal + tax),
    -- A price that differs from the list must say why.
    CONSTRAINT quote_lines_override_reason CHECK (list_price IS NULL OR unit_price = list_price OR btrim(price_override_reason) <> '')
);

CREATE TABLE sales_orders (
    id                      bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT sales_orders_pkey PRIMARY KEY,
    number                  text    NOT NULL CONSTRAINT sales_orders_number_key UNIQUE,
    customer_id             bigint  NOT NULL CONSTRAINT sales_orders_customer_fkey REFERENCES customers (id),
    -- An accepted quote converts to exactly one order.
    quote_id                bigint  CONSTRAINT sales_orders_quote_fkey REFERENCES quotes (id) CONSTRAINT sales_orders_quote_key UNIQUE,
    warehouse_id            bigint  NOT NULL CONSTRAINT sales_orders_warehouse_fkey REFERENCES warehouses (id),
    order_date              date    NOT NULL,
    requested_delivery_date date,
    ship_to                 jsonb   NOT NULL CONSTRAINT sales_orders_ship_to_object CHECK (jsonb_typeof(ship_to) = 'object'),
    currency                char(3) NOT NULL CONSTRAINT sales_orders_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    payment_terms_days      integer NOT NULL CONSTRAINT sales_orders_payment_terms_range CHECK (payment_terms_days BETWEEN 0 AND 365),
    invoicing_policy        text    NOT NULL DEFAULT 'DELIVERED' CONSTRAINT sales_orders_invoicing_policy_known CHECK (invoicing_policy IN ('ORDERED','DELIVERED')),
    allow_backorder         boolean NOT NULL DEFAULT false,
    status                  text    NOT NULL DEFAULT 'DRAFT'
                            CONSTRAINT sales_orders_status_known CHECK (status IN ('DRAFT','CONFIRMED','ON_HOLD','PARTIALLY_DELIVERED','DELIVERED','COMPLETED','CLOSED','CANCELLED')),
    hold_reason             text    CONSTRAINT sales_orders_hold_reason_known CHECK (hold_reason IN ('CREDIT_LIMIT','OVERDUE_INVOICES','CUSTOMER_ON_HOLD')),
    customer_reference      text    NOT NULL DEFAULT '',
    notes                   text    NOT NULL DEFAULT '',
    subtotal                numeric(18,3) NOT NULL DEFAULT 0,
    tax_total               numeric(18,3) NOT NULL DEFAULT 0,
    total                   numeric(18,3) NOT NULL DEFAULT 0,
    created_by              bigint  CONSTRAINT sales_orders_created_by_fkey REFERENCES users (id),
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sales_orders_total_adds_up CHECK (total = subtotal + tax_total),
    CONSTRAINT sales_orders_hold_reason_when_held CHECK ((status = 'ON_HOLD') = (hold_reason IS NOT NULL))
);
CREATE INDEX sales_orders_customer_idx ON sales_orders (customer_id, id);
CREATE INDEX sales_orders_status_idx ON sales_orders (status, id);
CREATE INDEX sales_orders_date_idx ON sales_orders (order_date, id);

-- Order lines reconcile their quantities; the constraints are the books'
-- last guard: nothing delivered beyond what was ordered, nothing returned
-- beyond what was delivered, nothing reserved beyond what is still open.
CREATE TABLE order_lines (
    id                 bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT order_lines_pkey PRIMARY KEY,
    order_id           bigint  NOT NULL CONSTRAINT order_lines_order_fkey REFERENCES sales_orders (id) ON DELETE CASCADE,
    line_no            integer NOT NULL CONSTRAINT order_lines_line_no_positive CHECK (line_no > 0),
    product_id         bigint  NOT NULL CONSTRAINT order_lines_product_fkey REFERENCES products (id),
    quote_line_id      bigint  CONSTRAINT order_lines_quote_line_fkey REFERENCES quote_lines (id),
    quantity           numeric(18,3) NOT NULL CONSTRAINT order_lines_quantity_positive CHECK (quantity > 0),
    reserved_quantity  numeric(18,3) NOT NULL DEFAULT 0 CONSTRAINT order_lines_reserved_nonnegative CHECK (reserved_quantity >= 0),
    delivered_quantity numeric(18,3) NOT NULL DEFAULT 0 CONSTRAINT order_lines_delivered_nonnegative CHECK (delivered_quantity >= 0),
    returned_quantity  numeric(18,3) NOT NULL DEFAULT 0 CONSTRAINT order_lines_returned_nonnegative CHECK (returned_quantity >= 0),
    unit_price         numeric(18,4) NOT NULL CONSTRAINT order_lines_unit_price_nonnegative CHECK (unit_price >= 0),
    discount_percent   numeric(5,2) NOT NULL DEFAULT 0 CONSTRAINT order_lines_discount_range CHECK (discount_percent BETWEEN 0 AND 100),
    tax_rate           numeric(6,4) NOT NULL CONSTRAINT order_lines_tax_rate_range CHECK (tax_rate BETWEEN 0 AND 1),
    subtotal           numeric(18,3) NOT NULL,
    tax                numeric(18,3) NOT NULL,
    total              numeric(18,3) NOT NULL,
    CONSTRAINT order_lines_line_no_key UNIQUE (order_id, line_no),
    CONSTRAINT order_lines_total_adds_up CHECK (total = subtotal + tax),
    CONSTRAINT order_lines_delivered_within_ordered CHECK (delivered_quantity <= quantity),
    CONSTRAINT order_lines_reserved_within_open CHECK (reserved_quantity <= quantity - delivered_quantity),
    CONSTRAINT order_lines_returned_within_delivered CHECK (returned_quantity <= delivered_quantity)
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id, line_no);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

-- The live feed's outbox: written in the same transaction as each order
-- status change (DESIGN.md, "Live order feed").
CREATE TABLE order_events (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT order_events_pkey PRIMARY KEY,
    order_id        bigint NOT NULL CONSTRAINT order_events_order_fkey REFERENCES sales_orders (id),
    previous_status text,
    status          text   NOT NULL,
    reason          text   NOT NULL DEFAULT '',
    actor_id        bigint CONSTRAINT order_events_actor_fkey REFERENCES users (id),
    occurred_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

CREATE TABLE deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT deliveries_pkey PRIMARY KEY,
    number          text   NOT NULL CONSTRAINT deliveries_number_key UNIQUE,
    bol_number      text   NOT NULL CONSTRAINT deliveries_bol_number_key UNIQUE,
    order_id        bigint NOT NULL CONSTRAINT deliveries_order_fkey REFERENCES sales_orders (id),
    warehouse_id    bigint NOT NULL CONSTRAINT deliveries_warehouse_fkey REFERENCES warehouses (id),
    status          text   NOT NULL DEFAULT 'DRAFT' CONSTRAINT deliveries_status_known CHECK (status IN ('DRAFT','SHIPPED','DELIVERED','CANCELLED')),
    ship_to         jsonb  NOT NULL CONSTRAINT deliveries_ship_to_object CHECK (jsonb_typeof(ship_to) = 'object'),
    carrier         text   NOT NULL DEFAULT '',
    tracking_number text   NOT NULL DEFAULT '',
    ship_date       date,
    delivered_date  date,
    received_by     text   NOT NULL DEFAULT '',
    notes           text   NOT NULL DEFAULT '',
    created_by      bigint CONSTRAINT deliveries_created_by_fkey REFERENCES users (id),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deliveries_shipped_has_date CHECK (status IN ('DRAFT','CANCELLED') OR ship_date IS NOT NULL),
    CONSTRAINT deliveries_delivered_has_date CHECK (status <> 'DELIVERED' OR delivered_date IS NOT NULL)
);
CREATE INDEX deliveries_order_idx ON deliveries (order_id, id);
CREATE INDEX deliveries_status_idx ON deliveries (status, id);

CREATE TABLE delivery_lines (
    id                bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT delivery_lines_pkey PRIMARY KEY,
    delivery_id       bigint NOT NULL CONSTRAINT delivery_lines_delivery_fkey REFERENCES deliveries (id) ON DELETE CASCADE,
    order_line_id     bigint NOT NULL CONSTRAINT delivery_lines_order_line_fkey REFERENCES order_lines (id),
    quantity          numeric(18,3) NOT NULL CONSTRAINT delivery_lines_quantity_positive CHECK (quantity > 0),
    -- Proof of delivery: what the customer accepted or refused at the door.
    accepted_quantity numeric(18,3) CONSTRAINT delivery_lines_accepted_nonnegative CHECK (accepted_quantity >= 0),
    refused_quantity  numeric(18,3) CONSTRAINT delivery_lines_refused_nonnegative CHECK (refused_quantity >= 0),
    CONSTRAINT delivery_lines_order_line_key UNIQUE (delivery_id, order_line_id),
    CONSTRAINT delivery_lines_outcome_within_quantity CHECK (coalesce(accepted_quantity, 0) + coalesce(refused_quantity, 0) <= quantity)
);
CREATE INDEX delivery_lines_order_line_idx ON delivery_lines (order_line_id);

CREATE TABLE returns (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT returns_pkey PRIMARY KEY,
    number        text   NOT NULL CONSTRAINT returns_number_key UNIQUE,
    order_id      bigint NOT NULL CONSTRAINT returns_order_fkey REFERENCES sales_orders (id),
    delivery_id   bigint CONSTRAINT returns_delivery_fkey REFERENCES deliveries (id),
    status        text   NOT NULL DEFAULT 'REQUESTED' CONSTRAINT returns_status_known CHECK (status IN ('REQUESTED','APPROVED','RECEIVED','CREDITED','REJECTED')),
    reason        text   NOT NULL CONSTRAINT returns_reason_not_blank CHECK (btrim(reason) <> ''),
    warehouse_id  bigint CONSTRAINT returns_warehouse_fkey REFERENCES warehouses (id),
    received_date date,
    created_by    bigint CONSTRAINT returns_created_by_fkey REFERENCES users (id),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT returns_received_has_warehouse CHECK (status NOT IN ('RECEIVED','CREDITED') OR warehouse_id IS NOT NULL)
);
CREATE INDEX returns_order_idx ON returns (order_id, id);

CREATE TABLE return_lines (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT return_lines_pkey PRIMARY KEY,
    return_id     bigint NOT NULL CONSTRAINT return_lines_return_fkey REFERENCES returns (id) ON DELETE CASCADE,
    order_line_id bigint NOT NULL CONSTRAINT return_lines_order_line_fkey REFERENCES order_lines (id),
    quantity      numeric(18,3) NOT NULL CONSTRAINT return_lines_quantity_positive CHECK (quantity > 0),
    reason        text   NOT NULL DEFAULT '',
    CONSTRAINT return_lines_order_line_key UNIQUE (return_id, order_line_id)
);
CREATE INDEX return_lines_order_line_idx ON return_lines (order_line_id);

-- Reservations, shipments and restocks join the stock ledger. Each row
-- records its change to on hand and to reserved, and what both are after.
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_known;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_known
    CHECK (kind IN ('RECEIPT','ADJUSTMENT','RESERVATION','RELEASE','SHIPMENT','RETURN'));
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_quantity_nonzero;
ALTER TABLE stock_movements ADD COLUMN reserved_change numeric(18,3) NOT NULL DEFAULT 0;
ALTER TABLE stock_movements ADD COLUMN reserved_after numeric(18,3) NOT NULL DEFAULT 0
    CONSTRAINT stock_movements_reserved_after_nonnegative CHECK (reserved_after >= 0);
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_changes_something CHECK (quantity <> 0 OR reserved_change <> 0);
ALTER TABLE stock_movements ADD COLUMN order_id bigint CONSTRAINT stock_movements_order_fkey REFERENCES sales_orders (id);
CREATE INDEX stock_movements_order_idx ON stock_movements (order_id) WHERE order_id IS NOT NULL;

-- +goose Down
-- The ledger keeps what 0004 can hold. Rows that only changed what is
-- reserved belonged to the orders dropped below, so they go, and with the
-- orders gone nothing stays reserved. Shipments and restocks moved stock on
-- hand: they stay, as adjustments that say what they were, so each level's
-- ledger still adds up to its on hand.
DELETE FROM stock_movements WHERE quantity = 0;
UPDATE stock_movements
   SET kind = 'ADJUSTMENT',
       reason = lower(kind) || CASE WHEN btrim(reason) <> '' THEN ': ' || reason ELSE '' END
 WHERE kind NOT IN ('RECEIPT','ADJUSTMENT');
UPDATE stock_levels SET reserved = 0 WHERE reserved <> 0;
DROP INDEX stock_movements_order_idx;
ALTER TABLE stock_movements DROP COLUMN order_id;
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_changes_something;
ALTER TABLE stock_movements DROP COLUMN reserved_after;
ALTER TABLE stock_movements DROP COLUMN reserved_change;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_quantity_nonzero CHECK (quantity <> 0);
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_known;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_known CHECK (kind IN ('RECEIPT','ADJUSTMENT'));
DROP TABLE return_lines;
DROP TABLE returns;
DROP TABLE delivery_lines;
DROP TABLE deliveries;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE sales_orders;
DROP TABLE quote_lines;
DROP TABLE quotes;
DROP TABLE document_events;
DROP TABLE document_counters;
