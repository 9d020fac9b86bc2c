-- Indexes for the read path at scale: every list's default order and sort
-- options on the big tables as (sort expression, id), the common dashboard
-- filters combined with the default order, the foreign keys a dataloader
-- reads by that had none, and trigram indexes so the customer, product and
-- user searches (ILIKE '%…%') need not read the whole table.
--
-- Already served and not repeated here: every primary key and unique
-- constraint (order, delivery, return and quote numbers, quote_id on orders,
-- lower(code)/lower(sku) and lower(name) of customers and products), and
-- the loader keys 0002–0007 indexed (order_id on lines, events, deliveries
-- and returns; quote_id and delivery_id on lines through their unique keys;
-- customer_id on addresses, quotes and orders; document events by document;
-- stock levels both ways; price list items by list and product).
--
-- A sort key that is unique by itself (number, lower(code), lower(sku))
-- gets no id appended: the unique index already gives the order. A filter
-- on a common value (an order status most orders have, a currency) is
-- applied while walking the sort's index; the rare side of a boolean
-- (archived, on credit hold, inactive) gets a small partial index.
--
-- A plain CREATE INDEX blocks writes to its table while it builds: on a
-- large live database, apply this migration in a quiet moment.

-- +goose Up
-- pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Sales orders. The default list order (newest first) and the other sorts;
-- order_date has (order_date, id) since 0005.
CREATE INDEX sales_orders_created_idx ON sales_orders (created_at, id);
CREATE INDEX sales_orders_total_idx ON sales_orders (total, id);
-- The dashboards' "orders in status X, newest first". It replaces
-- (status, id), which served the filter but not the order; nothing sorts
-- by id within a status.
CREATE INDEX sales_orders_status_created_idx ON sales_orders (status, created_at, id);
DROP INDEX sales_orders_status_idx;
-- Per warehouse, newest first; also the warehouse foreign key's index.
-- Orders per customer are few enough that (customer_id, id) from 0005
-- serves that filter and the latest-orders loader; they sort in memory.
CREATE INDEX sales_orders_warehouse_created_idx ON sales_orders (warehouse_id, created_at, id);

-- Deliveries: the default order, the ship-date sort, the ship-date range
-- filter, and status with the default order (replacing (status, id) as for
-- orders). The sort puts deliveries not yet shipped (no ship date) last, so it
-- orders by COALESCE(ship_date, 'infinity'), and its index must be on that
-- very expression; the range filter reads the plain column.
CREATE INDEX deliveries_created_idx ON deliveries (created_at, id);
CREATE INDEX deliveries_ship_sort_idx ON deliveries ((COALESCE(ship_date, 'infinity'::date)), id);
CREATE INDEX deliveries_ship_date_idx ON deliveries (ship_date) WHERE ship_date IS NOT NULL;
CREATE INDEX deliveries_status_created_idx ON deliveries (status, created_at, id);
DROP INDEX deliveries_status_idx;

-- Returns: the default order, status with it, and the returns-of-a-delivery
-- loader (delivery_id had no index).
CREATE INDEX returns_created_idx ON returns (created_at, id);
CREATE INDEX returns_status_created_idx ON returns (status, created_at, id);
CREATE INDEX returns_delivery_idx ON returns (delivery_id, id) WHERE delivery_id IS NOT NULL;

-- Quotes: the default order and the creation-date range, status with it
-- (replacing (status, id)), and the valid-until and total sorts.
CREATE INDEX quotes_created_idx ON quotes (created_at, id);
CREATE INDEX quotes_status_created_idx ON quotes (status, created_at, id);
DROP INDEX quotes_status_idx;
CREATE INDEX quotes_valid_until_idx ON quotes (valid_until, id);
CREATE INDEX quotes_total_idx ON quotes (total, id);

-- The stock ledger's default order (newest first) and its date range.
CREATE INDEX stock_movements_occurred_idx ON stock_movements (occurred_at, id);

-- Stock levels: the AVAILABLE sort and the availableAtMost filter (the
-- low-stock screen), and the UPDATED_AT sort. The cost: both columns change
-- on every reservation and shipment, so those updates are no longer HOT
-- and write all four indexes of the table (one row per product and
-- warehouse) instead of none.
CREATE INDEX stock_levels_available_idx ON stock_levels ((on_hand - reserved), product_id, warehouse_id);
CREATE INDEX stock_levels_updated_idx ON stock_levels (updated_at, product_id, warehouse_id);

-- Customers, products and users: the creation-date and other sorts, and
-- the rare side of their boolean filters, in the default order. These
-- tables change rarely, so the extra indexes cost little.
CREATE INDEX customers_created_idx ON customers (created_at, id);
CREATE INDEX customers_credit_limit_idx ON customers (credit_limit, id);
CREATE INDEX customers_archived_idx ON customers (lower(code), id) WHERE archived;
CREATE INDEX customers_credit_hold_idx ON customers (lower(code), id) WHERE credit_hold;
CREATE INDEX products_created_idx ON products (created_at, id);
CREATE INDEX products_inactive_idx ON products (lower(sku), id) WHERE NOT active;
CREATE INDEX users_name_idx ON users (lower(name), id);
CREATE INDEX users_role_idx ON users (role, email);
CREATE INDEX users_inactive_idx ON users (email) WHERE NOT active;

-- Search: a case-insensitive substring on each searched column. One
-- trigram index per column, so the search's OR becomes a BitmapOr and
-- keeps its meaning exactly (a concatenated column would also match text
-- that spans two fields).
CREATE INDEX customers_code_trgm_idx ON customers USING gin (code gin_trgm_ops);
CREATE INDEX customers_name_trgm_idx ON customers USING gin (name gin_trgm_ops);
CREATE INDEX customers_email_trgm_idx ON customers USING gin (email gin_trgm_ops);
CREATE INDEX products_sku_trgm_idx ON products USING gin (sku gin_trgm_ops);
CREATE INDEX products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
CREATE INDEX products_description_trgm_idx ON products USING gin (description gin_trgm_ops);
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops);

-- +goose Down
DROP INDEX users_name_trgm_idx;
DROP INDEX users_email_trgm_idx;
DROP INDEX products_description_trgm_idx;
DROP INDEX products_name_trgm_idx;
DROP INDEX products_sku_trgm_idx;
DROP INDEX customers_email_trgm_idx;
DROP INDEX customers_name_trgm_idx;
DROP INDEX customers_code_trgm_idx;
DROP INDEX users_inactive_idx;
DROP INDEX users_role_idx;
DROP INDEX users_name_idx;
DROP INDEX products_inactive_idx;
DROP INDEX products_created_idx;
DROP INDEX customers_credit_hold_idx;
DROP INDEX customers_archived_idx;
DROP INDEX customers_credit_limit_idx;
DROP INDEX customers_created_idx;
DROP INDEX stock_levels_updated_idx;
DROP INDEX stock_levels_available_idx;
DROP INDEX stock_movements_occurred_idx;
DROP INDEX quotes_total_idx;
DROP INDEX quotes_valid_until_idx;
CREATE INDEX quotes_status_idx ON quotes (status, id);
DROP INDEX quotes_status_created_idx;
DROP INDEX quotes_created_idx;
DROP INDEX returns_delivery_idx;
DROP INDEX returns_status_created_idx;
DROP INDEX returns_created_idx;
CREATE INDEX deliveries_status_idx ON deliveries (status, id);
DROP INDEX deliveries_status_created_idx;
DROP INDEX deliveries_ship_date_idx;
DROP INDEX deliveries_ship_sort_idx;
DROP INDEX deliveries_created_idx;
DROP INDEX sales_orders_warehouse_created_idx;
CREATE INDEX sales_orders_status_idx ON sales_orders (status, id);
DROP INDEX sales_orders_status_created_idx;
DROP INDEX sales_orders_total_idx;
DROP INDEX sales_orders_created_idx;
-- The extension goes too: nothing before 0008 uses it.
DROP EXTENSION IF EXISTS pg_trgm;
