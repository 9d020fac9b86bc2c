-- Order lines keep, as quote lines do, the list price a line was priced
-- against and why its unit price departs from it. The rule (a price other
-- than the list price needs a reason) applied to order lines too, but they
-- had nowhere to keep the reason, so an order could not carry a custom price.
-- Lines written before this migration have no list price recorded (NULL),
-- which the check accepts, and an empty reason.

-- +goose Up
ALTER TABLE order_lines
    ADD COLUMN list_price numeric(18,4),
    ADD COLUMN price_override_reason text NOT NULL DEFAULT '',
    -- A price that differs from the list must say why.
    ADD CONSTRAINT order_lines_override_reason
        CHECK (list_price IS NULL OR unit_price = list_price OR btrim(price_override_reason) <> '');

-- +goose Down
ALTER TABLE order_lines
    DROP CONSTRAINT order_lines_override_reason,
    DROP COLUMN price_override_reason,
    DROP COLUMN list_price;
