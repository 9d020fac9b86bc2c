-- +goose Up
-- Users sign in with a bearer token naming their email; their role is read
-- from this table on every request, so a change takes effect at once.
CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT users_pkey PRIMARY KEY,
    email      text NOT NULL,
    name       text NOT NULL CONSTRAINT users_name_not_blank CHECK (btrim(name) <> '' AND length(name) <= 200),
    role       text NOT NULL CONSTRAINT users_role_known
               CHECK (role IN ('ADMIN','SALES_MANAGER','SALES_REP','WAREHOUSE','ACCOUNTANT','VIEWER')),
    active     boolean NOT NULL DEFAULT true,
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_shape CHECK (email = lower(email) AND email LIKE '%_@_%' AND length(email) <= 254)
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Creating mutations carry an idempotency key: the key, a hash of the input
-- and what was created are stored in the same transaction as the document,
-- so a retry returns the first result and never posts twice.
CREATE TABLE idempotency_keys (
    user_id       bigint NOT NULL CONSTRAINT idempotency_keys_user_fkey REFERENCES users (id),
    mutation      text   NOT NULL,
    key           text   NOT NULL CONSTRAINT idempotency_keys_key_length CHECK (length(key) BETWEEN 1 AND 255),
    request_hash  text   NOT NULL,
    resource_id   bigint, -- set once the document exists, in the same transaction
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, mutation, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE users;
