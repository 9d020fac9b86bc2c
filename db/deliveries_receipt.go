package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"salesgraph/sales"
)

// ConfirmReceipt records proof of delivery on a shipped delivery: per line
// what the customer accepted and refused at the door (lines not listed were
// accepted in full). Refused goods open an APPROVED return at once: the
// carrier is bringing them back. Returns NOT_FOUND, CONFLICT,
// INVALID_TRANSITION, VALIDATION.
func (s *DeliveryStore) ConfirmReceipt(ctx context.Context, actor *sales.User, id int64, version int, rc sales.DeliveryReceipt) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.ConfirmReceipt(%d)", id)
	rc.ReceivedBy, rc.RefusalReason = strings.TrimSpace(rc.ReceivedBy), strings.TrimSpace(rc.RefusalReason)
	var p sales.Problems
	p.Check(rc.ReceivedBy != "", "input.receivedBy", "who signed for the goods?")
	sales.CheckText(&p, "input.receivedBy", rc.ReceivedBy, 0, 200)
	sales.CheckText(&p, "input.refusalReason", rc.RefusalReason, 0, 1000)
	if err := p.Err(); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		d, o, lines, err := lockDelivery(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if _, err := sales.NextDeliveryStatus(d.Status, sales.DeliveryConfirmReceipt); err != nil {
			return err
		}
		if rc.DeliveredDate != nil && d.ShipDate != nil && rc.DeliveredDate.Format(time.DateOnly) < d.ShipDate.Format(time.DateOnly) {
			return sales.Errorf(sales.CodeValidation, "input.deliveredDate", "the delivered date is before the ship date %s", d.ShipDate.Format(time.DateOnly))
		}
		var dlines []*sales.DeliveryLine
		if err := tx.SelectContext(ctx, &dlines, `SELECT `+deliveryLineColumns+` FROM delivery_lines WHERE delivery_id = $1 ORDER BY id`, id); err != nil {
			return err
		}
		given := map[int64]sales.ReceiptLine{}
		inputIndex := map[int64]int{} // delivery line → its index in input.lines
		for i, l := range rc.Lines {
			f := fmt.Sprintf("input.lines.%d", i)
			found := false
			for _, dl := range dlines {
				if dl.ID == l.DeliveryLineID {
					found = true
					var lp sales.Problems
					lp.Check(!l.Accepted.IsNegative() && !l.Refused.IsNegative(), f, "quantities must not be negative")
					lp.Check(l.Accepted.Equal(l.Accepted.Truncate(3)) && l.Refused.Equal(l.Refused.Truncate(3)), f, "quantities may have at most 3 decimal places")
					lp.Check(l.Accepted.Add(l.Refused).Equal(dl.Quantity), f, "accepted and refused must add up to the %s shipped", dl.Quantity)
					if err := lp.Err(); err != nil {
						return err
					}
				}
			}
			if !found {
				return sales.Errorf(sales.CodeValidation, f+".deliveryLineId", "that line is not on delivery %s", d.Number)
			}
			if _, dup := given[l.DeliveryLineID]; dup {
				return sales.Errorf(sales.CodeValidation, f+".deliveryLineId", "each delivery line may appear once")
			}
			given[l.DeliveryLineID] = l
			inputIndex[l.DeliveryLineID] = i
		}
		var refused []sales.ReturnLineInput
		var refusedFrom []int // per refused line, its index in input.lines
		for _, dl := range dlines {
			l, ok := given[dl.ID]
			if !ok {
				l = sales.ReceiptLine{DeliveryLineID: dl.ID, Accepted: dl.Quantity}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE delivery_lines SET accepted_quantity = $2, refused_quantity = $3 WHERE id = $1`,
				dl.ID, l.Accepted, l.Refused); err != nil {
				return err
			}
			if l.Refused.IsPositive() {
				refused = append(refused, sales.ReturnLineInput{OrderLineID: dl.OrderLineID, Quantity: l.Refused, Reason: "refused at delivery"})
				refusedFrom = append(refusedFrom, inputIndex[dl.ID])
			}
		}
		if len(refused) > 0 {
			if rc.RefusalReason == "" {
				return sales.Errorf(sales.CodeValidation, "input.refusalReason", "say why goods were refused")
			}
			if _, err := insertReturn(ctx, tx, actor.ID, o, lines, sales.NewReturn{OrderID: o.ID, DeliveryID: &d.ID,
				Reason: rc.RefusalReason, Lines: refused}, sales.ReturnApproved,
				func(i int, _ string) string { return fmt.Sprintf("input.lines.%d", refusedFrom[i]) }); err != nil {
				return err
			}
		}
		day := tx.Now
		if rc.DeliveredDate != nil {
			day = *rc.DeliveredDate
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET delivered_date = $2, received_by = $3 WHERE id = $1`, id, day, rc.ReceivedBy); err != nil {
			return err
		}
		return setDeliveryStatus(ctx, tx, d, sales.DeliveryConfirmReceipt, rc.RefusalReason, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}
