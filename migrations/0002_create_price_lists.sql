-- +goose Up
CREATE TABLE products (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT products_pkey PRIMARY KEY,
    sku             text NOT NULL CONSTRAINT products_sku_shape CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name            text NOT NULL CONSTRAINT products_name_not_blank CHECK (btrim(name) <> '' AND length(name) <= 200),
    description     text NOT NULL DEFAULT '',
    unit_of_measure text NOT NULL CONSTRAINT products_uom_not_blank CHECK (btrim(unit_of_measure) <> ''),
    tax_rate        numeric(6,4) NOT NULL DEFAULT 0 CONSTRAINT products_tax_rate_range CHECK (tax_rate BETWEEN 0 AND 1),
    active          boolean NOT NULL DEFAULT true,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX products_sku_key ON products (lower(sku));
CREATE INDEX products_name_idx ON products (lower(name));

CREATE TABLE price_lists (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT price_lists_pkey PRIMARY KEY,
    code       text NOT NULL CONSTRAINT price_lists_code_shape CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    name       text NOT NULL CONSTRAINT price_lists_name_not_blank CHECK (btrim(name) <> ''),
    currency   char(3) NOT NULL CONSTRAINT price_lists_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    valid_from date,
    valid_to   date,
    is_default boolean NOT NULL DEFAULT false,
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT price_lists_validity CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX price_lists_code_key ON price_lists (lower(code));
-- One default list per currency: it prices every customer without a list of their own.
CREATE UNIQUE INDEX price_lists_default_per_currency_key ON price_lists (currency) WHERE is_default;

CREATE TABLE price_list_items (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT price_list_items_pkey PRIMARY KEY,
    price_list_id bigint NOT NULL CONSTRAINT price_list_items_price_list_fkey REFERENCES price_lists (id) ON DELETE CASCADE,
    product_id    bigint NOT NULL CONSTRAINT price_list_items_product_fkey REFERENCES products (id),
    min_quantity  numeric(18,3) NOT NULL DEFAULT 1 CONSTRAINT price_list_items_min_quantity_positive CHECK (min_quantity > 0),
    unit_price    numeric(18,4) NOT NULL CONSTRAINT price_list_items_unit_price_nonnegative CHECK (unit_price >= 0),
    valid_from    date,
    valid_to      date,
    CONSTRAINT price_list_items_validity CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
);
-- One price per break and start date: two rows could not say which one wins.
CREATE UNIQUE INDEX price_list_items_break_key
    ON price_list_items (price_list_id, product_id, min_quantity, coalesce(valid_from, '-infinity'::date));
CREATE INDEX price_list_items_product_idx ON price_list_items (product_id);

-- +goose Down
DROP TABLE price_list_items;
DROP TABLE price_lists;
DROP TABLE products;
