-- A credit limit is money in the customer's currency, and some currencies
-- (KWD, BHD, OMR …) have three decimal places: numeric(18,2) could not hold
-- a limit of 500.125 KWD. The domain checks each limit against its own
-- currency's minor units.

-- +goose Up
ALTER TABLE customers ALTER COLUMN credit_limit TYPE numeric(18,3);

-- +goose Down
-- Rounds a three-decimal limit to two places: 0006 and earlier cannot hold it.
ALTER TABLE customers ALTER COLUMN credit_limit TYPE numeric(18,2);
