package db

import (
	"context"

	"salesgraph/sales"
)

// The per-order limits of sales/limits.go need the order's current count.
// Callers hold the order's lock, so two creations cannot both pass at N-1.

// checkDeliveryLimit refuses a delivery past sales.MaxDeliveriesPerOrder.
func checkDeliveryLimit(ctx context.Context, tx *Tx, orderID int64) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM deliveries WHERE order_id = $1`, orderID); err != nil {
		return err
	}
	return sales.CheckDeliveryLimit(n)
}

// checkReturnLimit refuses a return past sales.MaxReturnsPerOrder.
func checkReturnLimit(ctx context.Context, tx *Tx, orderID int64) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM returns WHERE order_id = $1`, orderID); err != nil {
		return err
	}
	return sales.CheckReturnRequestLimit(n)
}
