-- +goose Up
CREATE TABLE warehouses (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT warehouses_pkey PRIMARY KEY,
    code       text NOT NULL CONSTRAINT warehouses_code_shape CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    name       text NOT NULL CONSTRAINT warehouses_name_not_blank CHECK (btrim(name) <> ''),
    address    jsonb CONSTRAINT warehouses_address_object CHECK (address IS NULL OR jsonb_typeof(address) = 'object'),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX warehouses_code_key ON warehouses (lower(code));

-- Stock per product and warehouse. Available (on hand − reserved) is derived
-- and may never go below zero; the ledger below explains every change.
CREATE TABLE stock_levels (
    product_id   bigint NOT NULL CONSTRAINT stock_levels_product_fkey REFERENCES products (id),
    warehouse_id bigint NOT NULL CONSTRAINT stock_levels_warehouse_fkey REFERENCES warehouses (id),
    on_hand      numeric(18,3) NOT NULL DEFAULT 0 CONSTRAINT stock_levels_on_hand_nonnegative CHECK (on_hand >= 0),
    reserved     numeric(18,3) NOT NULL DEFAULT 0 CONSTRAINT stock_levels_reserved_nonnegative CHECK (reserved >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stock_levels_pkey PRIMARY KEY (product_id, warehouse_id),
    CONSTRAINT stock_levels_available_nonnegative CHECK (reserved <= on_hand)
);
CREATE INDEX stock_levels_warehouse_idx ON stock_levels (warehouse_id, product_id);

CREATE TABLE stock_movements (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT stock_movements_pkey PRIMARY KEY,
    product_id    bigint NOT NULL,
    warehouse_id  bigint NOT NULL,
    kind          text NOT NULL CONSTRAINT stock_movements_kind_known CHECK (kind IN ('RECEIPT','ADJUSTMENT')),
    quantity      numeric(18,3) NOT NULL CONSTRAINT stock_movements_quantity_nonzero CHECK (quantity <> 0),
    on_hand_after numeric(18,3) NOT NULL CONSTRAINT stock_movements_on_hand_after_nonnegative CHECK (on_hand_after >= 0),
    reason        text NOT NULL DEFAULT '',
    reference     text NOT NULL DEFAULT '',
    actor_id      bigint CONSTRAINT stock_movements_actor_fkey REFERENCES users (id),
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stock_movements_stock_level_fkey FOREIGN KEY (product_id, warehouse_id) REFERENCES stock_levels (product_id, warehouse_id),
    -- An adjustment must say why; a receipt may carry a reference instead.
    CONSTRAINT stock_movements_adjustment_reason CHECK (kind <> 'ADJUSTMENT' OR btrim(reason) <> '')
);
CREATE INDEX stock_movements_level_idx ON stock_movements (product_id, warehouse_id, id);
CREATE INDEX stock_movements_warehouse_idx ON stock_movements (warehouse_id, id);

-- +goose Down
DROP TABLE stock_movements;
DROP TABLE stock_levels;
DROP TABLE warehouses;
