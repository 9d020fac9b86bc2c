-- +goose Up
CREATE TABLE customers (
    id                 bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT customers_pkey PRIMARY KEY,
    code               text NOT NULL CONSTRAINT customers_code_shape CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    name               text NOT NULL CONSTRAINT customers_name_not_blank CHECK (btrim(name) <> '' AND length(name) <= 200),
    email              text,
    phone              text,
    billing_address    jsonb CONSTRAINT customers_billing_address_object CHECK (billing_address IS NULL OR jsonb_typeof(billing_address) = 'object'),
    currency           char(3) NOT NULL CONSTRAINT customers_currency_shape CHECK (currency ~ '^[A-Z]{3}$'),
    payment_terms_days integer NOT NULL DEFAULT 30 CONSTRAINT customers_payment_terms_range CHECK (payment_terms_days BETWEEN 0 AND 365),
    credit_limit       numeric(18,2) NOT NULL DEFAULT 0 CONSTRAINT customers_credit_limit_nonnegative CHECK (credit_limit >= 0),
    credit_hold        boolean NOT NULL DEFAULT false,
    price_list_id      bigint CONSTRAINT customers_price_list_fkey REFERENCES price_lists (id),
    sales_rep_id       bigint CONSTRAINT customers_sales_rep_fkey REFERENCES users (id),
    notes              text NOT NULL DEFAULT '',
    archived           boolean NOT NULL DEFAULT false,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_code_key ON customers (lower(code));
CREATE INDEX customers_name_idx ON customers (lower(name));
CREATE INDEX customers_sales_rep_idx ON customers (sales_rep_id);
CREATE INDEX customers_price_list_idx ON customers (price_list_id);

CREATE TABLE customer_addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT customer_addresses_pkey PRIMARY KEY,
    customer_id bigint NOT NULL CONSTRAINT customer_addresses_customer_fkey REFERENCES customers (id) ON DELETE CASCADE,
    label       text NOT NULL DEFAULT '',
    line1       text NOT NULL CONSTRAINT customer_addresses_line1_not_blank CHECK (btrim(line1) <> ''),
    line2       text NOT NULL DEFAULT '',
    city        text NOT NULL CONSTRAINT customer_addresses_city_not_blank CHECK (btrim(city) <> ''),
    region      text NOT NULL DEFAULT '',
    postal_code text NOT NULL DEFAULT '',
    country     char(2) NOT NULL CONSTRAINT customer_addresses_country_shape CHECK (country ~ '^[A-Z]{2}$'),
    is_default  boolean NOT NULL DEFAULT false
);
CREATE INDEX customer_addresses_customer_idx ON customer_addresses (customer_id, id);
CREATE UNIQUE INDEX customer_addresses_one_default_key ON customer_addresses (customer_id) WHERE is_default;

-- +goose Down
DROP TABLE customer_addresses;
DROP TABLE customers;
