package db

import (
	"context"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// ConfirmReceipt records proof of delivery on a shipped delivery, as
// sales.PlanReceipt decides: per line what the customer accepted and
// refused at the door (lines not listed were accepted in full). Refused
// goods open an APPROVED return at once: the carrier is bringing them back.
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *DeliveryStore) ConfirmReceipt(ctx context.Context, actor *sales.User, id int64, version int, rc sales.DeliveryReceipt) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.ConfirmReceipt(%d)", id)
	rc, err = sales.CheckDeliveryReceipt(rc)
	if err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		d, o, lines, err := lockDelivery(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		dlines, err := deliveryLines(ctx, tx, id)
		if err != nil {
			return err
		}
		onOpen, err := onOpenReturns(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		plan, err := sales.PlanReceipt(sales.ReceiptSnapshot{Order: o, Lines: lines, Delivery: d, DeliveryLines: dlines,
			OnOpenReturns: onOpen, Receipt: rc, Today: tx.Now})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE delivery_lines d SET accepted_quantity = o.accepted, refused_quantity = o.refused
			FROM unnest($1::bigint[], $2::numeric[], $3::numeric[]) AS o(id, accepted, refused) WHERE d.id = o.id`,
			idArray(plan.Outcomes, func(o sales.ReceiptOutcome) int64 { return o.DeliveryLineID }),
			decimalArray(plan.Outcomes, func(o sales.ReceiptOutcome) decimal.Decimal { return o.Accepted }),
			decimalArray(plan.Outcomes, func(o sales.ReceiptOutcome) decimal.Decimal { return o.Refused })); err != nil {
			return err
		}
		if plan.Refusal != nil {
			if _, err := insertReturn(ctx, tx, actor.ID, o, *plan.Refusal); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET delivered_date = $2, received_by = $3 WHERE id = $1`,
			id, plan.DeliveredDate, plan.ReceivedBy); err != nil {
			return err
		}
		return writeDeliveryStep(ctx, tx, d, sales.DeliveryStepPlan{Status: plan.DeliveryStatus, Event: plan.Event}, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}
