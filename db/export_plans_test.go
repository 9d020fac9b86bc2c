package db

import (
	"context"
	"errors"

	"salesgraph/sales"
)

var errLookOnly = errors.New("look only")

// OrderPlanNow returns what an order action would decide now: it reads the
// action's snapshot under the action's own locks, asks the decision, and
// rolls the transaction back. action is CONFIRM or CANCEL.
func OrderPlanNow(ctx context.Context, d *DB, actor *sales.User, id int64, version int, action sales.OrderAction, reason string) (sales.OrderPlan, error) {
	var plan sales.OrderPlan
	err := d.Transact(ctx, func(tx *Tx) error {
		var err error
		switch action {
		case sales.OrderConfirm:
			var snap *sales.OrderSnapshot
			if snap, _, err = lockOrderForConfirming(ctx, tx, actor, id, version, 0); err != nil {
				return err
			}
			plan, err = sales.PlanConfirm(*snap)
		case sales.OrderCancel:
			var snap *sales.OrderSnapshot
			if snap, _, err = lockOrderForFinishing(ctx, tx, actor, id, version); err != nil {
				return err
			}
			snap.Reason = reason
			plan, err = sales.PlanCancel(*snap)
		default:
			return errors.New("OrderPlanNow: no such action")
		}
		if err != nil {
			return err
		}
		return errLookOnly
	})
	if errors.Is(err, errLookOnly) {
		err = nil
	}
	return plan, err
}
