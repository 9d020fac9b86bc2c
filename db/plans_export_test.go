package db

import (
	"context"
	"errors"
	"time"

	"salesgraph/sales"
)

// Exported for the db_test package: what a mutation would decide, loaded
// and decided as the mutation does, in a transaction rolled back after.

var errDecided = errors.New("decided; rolled back")

// ShipmentPlanOf is the plan Deliveries.Ship would write now.
func ShipmentPlanOf(ctx context.Context, d *DB, actor *sales.User, id int64, version int, shipDate *time.Time) (plan sales.ShipmentPlan, err error) {
	err = d.Transact(ctx, func(tx *Tx) error {
		snap, err := loadShipment(ctx, tx, actor, id, version, shipDate)
		if err != nil {
			return err
		}
		if plan, err = sales.PlanShipment(snap); err != nil {
			return err
		}
		return errDecided
	})
	if errors.Is(err, errDecided) {
		err = nil
	}
	return plan, err
}

// ReturnReceiptPlanOf is the plan Returns.Receive would write now.
func ReturnReceiptPlanOf(ctx context.Context, d *DB, actor *sales.User, id int64, version int, warehouseID int64, date *time.Time) (plan sales.ReturnReceiptPlan, err error) {
	err = d.Transact(ctx, func(tx *Tx) error {
		snap, err := loadReturnReceipt(ctx, tx, actor, id, version, warehouseID, date)
		if err != nil {
			return err
		}
		if plan, err = sales.PlanReturnReceipt(snap); err != nil {
			return err
		}
		return errDecided
	})
	if errors.Is(err, errDecided) {
		err = nil
	}
	return plan, err
}
