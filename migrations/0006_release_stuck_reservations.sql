-- Before stock receipts locked the orders they allocate backorders to, a
-- receipt racing cancelOrder or closeOrder could reserve units on an order
-- that had just been cancelled or closed, and nothing could release them
-- afterwards. This releases every such reservation once, through the ledger,
-- as cancelling would have: a RELEASE row per line, the stock level's
-- reserved lowered, the line's reservation cleared.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    stuck record;
    level record;
BEGIN
    -- Stock levels in product order, the lock order the application uses.
    FOR stuck IN
        SELECT l.id AS line_id, l.product_id, o.warehouse_id, l.reserved_quantity AS qty, o.id AS order_id, o.number, o.status
          FROM order_lines l JOIN sales_orders o ON o.id = l.order_id
         WHERE o.status IN ('CANCELLED', 'CLOSED') AND l.reserved_quantity > 0
         ORDER BY l.product_id, o.warehouse_id, l.id
    LOOP
        UPDATE stock_levels
           SET reserved = reserved - stuck.qty, updated_at = now()
         WHERE product_id = stuck.product_id AND warehouse_id = stuck.warehouse_id
        RETURNING on_hand, reserved INTO level;
        INSERT INTO stock_movements (product_id, warehouse_id, kind, quantity, on_hand_after, reserved_change, reserved_after,
                                     order_id, reason, reference)
        VALUES (stuck.product_id, stuck.warehouse_id, 'RELEASE', 0, level.on_hand, -stuck.qty, level.reserved,
                stuck.order_id, 'released by repair: the order was ' || lower(stuck.status) || ' with units still reserved', stuck.number);
        UPDATE order_lines SET reserved_quantity = 0 WHERE id = stuck.line_id;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Nothing to undo: the released units were never the orders' to keep.
SELECT 1;
