package db

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// DeliveryStore persists deliveries (delivery notes with bills of lading).
type DeliveryStore struct{ db *DB }

const (
	deliveryColumns = `id, number, bol_number, order_id, warehouse_id, status, ship_to, carrier, tracking_number, ship_date,
	delivered_date, received_by, notes, created_by, version, created_at, updated_at`
	deliveryLineColumns = `id, delivery_id, order_line_id, quantity, accepted_quantity, refused_quantity`
)

// ByIDs returns the deliveries with these IDs, in any order.
func (s *DeliveryStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.ByIDs")
	return byIDs[sales.Delivery](ctx, s.db, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ANY($1)`, ids)
}

// ByOrderIDs returns the deliveries of these orders, oldest first.
func (s *DeliveryStore) ByOrderIDs(ctx context.Context, ids []int64) (_ []*sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.ByOrderIDs")
	return byIDs[sales.Delivery](ctx, s.db, `SELECT `+deliveryColumns+` FROM deliveries WHERE order_id = ANY($1) ORDER BY order_id, id`, ids)
}

// LinesByDeliveryIDs returns the lines of these deliveries.
func (s *DeliveryStore) LinesByDeliveryIDs(ctx context.Context, ids []int64) (_ []*sales.DeliveryLine, err error) {
	defer wrap(&err, "Deliveries.LinesByDeliveryIDs")
	return byIDs[sales.DeliveryLine](ctx, s.db, `SELECT `+deliveryLineColumns+` FROM delivery_lines WHERE delivery_id = ANY($1) ORDER BY delivery_id, order_line_id`, ids)
}

// LinesByOrderLineIDs returns the delivery lines of these order lines.
func (s *DeliveryStore) LinesByOrderLineIDs(ctx context.Context, ids []int64) (_ []*sales.DeliveryLine, err error) {
	defer wrap(&err, "Deliveries.LinesByOrderLineIDs")
	return byIDs[sales.DeliveryLine](ctx, s.db, `SELECT `+deliveryLineColumns+` FROM delivery_lines WHERE order_line_id = ANY($1) ORDER BY order_line_id, id`, ids)
}

// LinesByIDs returns delivery lines by ID.
func (s *DeliveryStore) LinesByIDs(ctx context.Context, ids []int64) (_ []*sales.DeliveryLine, err error) {
	defer wrap(&err, "Deliveries.LinesByIDs")
	return byIDs[sales.DeliveryLine](ctx, s.db, `SELECT `+deliveryLineColumns+` FROM delivery_lines WHERE id = ANY($1)`, ids)
}

var deliveryKeys = &keyset[sales.Delivery]{
	list: "deliveries",
	sorts: map[string]sortKey[sales.Delivery]{
		"NUMBER":     textKey("number", "%s", func(r *sales.Delivery) string { return r.Number }),
		"SHIP_DATE":  dateKey("ship_date", true, func(r *sales.Delivery) *time.Time { return r.ShipDate }),
		"CREATED_AT": stampKey("created_at", func(r *sales.Delivery) time.Time { return r.CreatedAt }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(r *sales.Delivery) []int64 { return []int64{r.ID} },
}

// List returns a page of deliveries and, when page.Count asks, the total (else -1); newest first by default.
func (s *DeliveryStore) List(ctx context.Context, f sales.DeliveryFilter, sort Sort, page Page) (_ Window[sales.Delivery], err error) {
	defer wrap(&err, "Deliveries.List")
	var w where
	anyOf(&w, "status", f.Statuses)
	if f.OrderID != nil {
		w.add("order_id = ?", *f.OrderID)
	}
	if f.CustomerID != nil {
		w.add("order_id IN (SELECT id FROM sales_orders WHERE customer_id = ?)", *f.CustomerID)
	}
	for _, rep := range []*int64{f.SalesRepID, f.OwnerID} {
		if rep != nil {
			w.add("order_id IN (SELECT o.id FROM sales_orders o JOIN customers c ON c.id = o.customer_id WHERE c.sales_rep_id = ?)", *rep)
		}
	}
	if f.WarehouseID != nil {
		w.add("warehouse_id = ?", *f.WarehouseID)
	}
	if f.Number != nil {
		n := strings.ToUpper(strings.TrimSpace(*f.Number))
		w.add("(number = ? OR bol_number = ?)", n, n)
	}
	if f.From != nil {
		w.add("ship_date >= ?", *f.From)
	}
	if f.To != nil {
		w.add("ship_date <= ?", *f.To)
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+deliveryColumns, `FROM deliveries`, &w, deliveryKeys, sort, page)
}

// deliverable is, per order line, what is reserved and not yet on another
// draft delivery of the order: what a new delivery may carry.
func deliverable(ctx context.Context, tx *Tx, o *sales.SalesOrder, lines []*sales.OrderLine) (map[int64]decimal.Decimal, error) {
	var onDrafts []struct {
		OrderLineID int64           `db:"order_line_id"`
		Quantity    decimal.Decimal `db:"quantity"`
	}
	if err := tx.SelectContext(ctx, &onDrafts, `SELECT l.order_line_id, sum(l.quantity) AS quantity
		FROM delivery_lines l JOIN deliveries d ON d.id = l.delivery_id
		WHERE d.order_id = $1 AND d.status = 'DRAFT' GROUP BY l.order_line_id`, o.ID); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(lines))
	for _, l := range lines {
		out[l.ID] = l.ReservedQuantity
	}
	for _, d := range onDrafts {
		out[d.OrderLineID] = out[d.OrderLineID].Sub(d.Quantity)
	}
	return out, nil
}

// Create drafts a delivery for an order being delivered. Without lines it
// carries everything deliverable. Returns NOT_FOUND, INVALID_TRANSITION
// (order not confirmed), VALIDATION (nothing to deliver, more than
// reserved), IDEMPOTENCY_KEY_REUSED.
func (s *DeliveryStore) Create(ctx context.Context, actor *sales.User, in sales.NewDelivery, key *string) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.Create")
	if err := checkDeliveryText(in.Carrier, in.TrackingNumber, in.Notes, in.ShipTo); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createDelivery", key, in, func(tx *Tx) (int64, error) {
		o, err := lockOrder(ctx, tx, actor, in.OrderID, unversioned, "input.orderId")
		if err != nil {
			return 0, err
		}
		if o.Status != sales.OrderConfirmed && o.Status != sales.OrderPartiallyDelivered {
			return 0, sales.Errorf(sales.CodeInvalidTransition, "input.orderId", "cannot deliver a sales order that is %s", o.Status)
		}
		if err := checkDeliveryLimit(ctx, tx, o.ID); err != nil {
			return 0, err
		}
		lines, err := lockOrderLines(ctx, tx, o.ID)
		if err != nil {
			return 0, err
		}
		can, err := deliverable(ctx, tx, o, lines)
		if err != nil {
			return 0, err
		}
		want := in.Lines
		if len(want) == 0 {
			for _, l := range lines {
				if q := can[l.ID]; q.IsPositive() {
					want = append(want, sales.DeliveryLineInput{OrderLineID: l.ID, Quantity: q})
				}
			}
			if len(want) == 0 {
				return 0, sales.Errorf(sales.CodeValidation, "input.lines", "nothing on order %s is reserved and not already on a delivery", o.Number)
			}
		}
		seen := map[int64]bool{}
		for i, l := range want {
			f := fmt.Sprintf("input.lines.%d", i)
			var p sales.Problems
			sales.CheckQuantity(&p, f+".quantity", l.Quantity)
			if err := p.Err(); err != nil {
				return 0, err
			}
			avail, ok := can[l.OrderLineID]
			if !ok {
				return 0, sales.Errorf(sales.CodeValidation, f+".orderLineId", "that line is not on order %s", o.Number)
			}
			if seen[l.OrderLineID] {
				return 0, sales.Errorf(sales.CodeValidation, f+".orderLineId", "each order line may appear once")
			}
			seen[l.OrderLineID] = true
			if l.Quantity.GreaterThan(avail) {
				return 0, sales.Errorf(sales.CodeValidation, f+".quantity", "more than reserved: %s can be delivered on this line", decimal.Max(avail, decimal.Zero))
			}
		}
		number, err := nextNumber(ctx, tx, prefixDelivery)
		if err != nil {
			return 0, err
		}
		bol, err := nextNumber(ctx, tx, prefixBOL)
		if err != nil {
			return 0, err
		}
		shipTo := o.ShipTo
		if in.ShipTo != nil {
			shipTo = *in.ShipTo
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO deliveries (number, bol_number, order_id, warehouse_id, ship_to, carrier, tracking_number, notes, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			number, bol, o.ID, o.WarehouseID, shipTo, strings.TrimSpace(in.Carrier), strings.TrimSpace(in.TrackingNumber),
			strings.TrimSpace(in.Notes), actor.ID, tx.Now); err != nil {
			return 0, err
		}
		for _, l := range want {
			if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_lines (delivery_id, order_line_id, quantity) VALUES ($1, $2, $3)`,
				id, l.OrderLineID, l.Quantity); err != nil {
				return 0, err
			}
		}
		return id, recordEvent(ctx, tx, sales.DocDelivery, id, "CREATE", nil, string(sales.DeliveryDraft), "", &actor.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

func checkDeliveryText(carrier, tracking, notes string, shipTo *sales.Address) error {
	var p sales.Problems
	sales.CheckText(&p, "input.carrier", carrier, 0, 100)
	sales.CheckText(&p, "input.trackingNumber", tracking, 0, 100)
	sales.CheckText(&p, "input.notes", notes, 0, 2000)
	if err := p.Err(); err != nil {
		return err
	}
	if shipTo != nil {
		t := sales.OrderTerms{ShipTo: shipTo}
		return validateTerms(&t)
	}
	return nil
}

func (s *DeliveryStore) byID(ctx context.Context, id int64) (*sales.Delivery, error) {
	var d sales.Delivery
	if err := s.db.GetContext(ctx, &d, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "delivery")
	}
	return &d, nil
}

// lockDelivery locks a delivery's order (and its lines), then the delivery:
// the lock order. The actor must be able to see the order.
func lockDelivery(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Delivery, *sales.SalesOrder, []*sales.OrderLine, error) {
	o, lines, err := lockOrderOf(ctx, tx, actor, "deliveries", id, "delivery")
	if err != nil {
		return nil, nil, nil, err
	}
	var d sales.Delivery
	if err := tx.GetContext(ctx, &d, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, nil, err
	}
	if err := checkVersion("delivery", d.Version, version); err != nil {
		return nil, nil, nil, err
	}
	return &d, o, lines, nil
}

// setDeliveryStatus moves a delivery along its machine, with history.
func setDeliveryStatus(ctx context.Context, tx *Tx, d *sales.Delivery, action sales.DeliveryAction, reason string, actorID int64) error {
	next, err := sales.NextDeliveryStatus(d.Status, action)
	if err != nil {
		return err
	}
	from := string(d.Status)
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1`,
		d.ID, string(next), tx.Now); err != nil {
		return err
	}
	d.Status = next
	return recordEvent(ctx, tx, sales.DocDelivery, d.ID, string(action), &from, string(next), reason, &actorID)
}

// Update edits a draft delivery's carrier, tracking, ship-to or notes.
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *DeliveryStore) Update(ctx context.Context, actor *sales.User, id int64, version int, ch sales.DeliveryChange) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.Update(%d)", id)
	if err := checkDeliveryText(deref(ch.Carrier), deref(ch.TrackingNumber), deref(ch.Notes), ch.ShipTo); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		d, _, _, err := lockDelivery(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if _, err := sales.NextDeliveryStatus(d.Status, sales.DeliveryEdit); err != nil {
			return err
		}
		if ch.Carrier != nil {
			d.Carrier = strings.TrimSpace(*ch.Carrier)
		}
		if ch.TrackingNumber != nil {
			d.TrackingNumber = strings.TrimSpace(*ch.TrackingNumber)
		}
		if ch.Notes != nil {
			d.Notes = strings.TrimSpace(*ch.Notes)
		}
		if ch.ShipTo != nil {
			d.ShipTo = *ch.ShipTo
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET carrier = $2, tracking_number = $3, notes = $4, ship_to = $5,
			version = version + 1, updated_at = $6 WHERE id = $1`, id, d.Carrier, d.TrackingNumber, d.Notes, d.ShipTo, tx.Now)
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Ship ships a draft delivery: each line's stock leaves the warehouse (on
// hand and reserved both fall; a SHIPMENT ledger row), the order lines'
// delivered quantities rise, and the order moves to PARTIALLY_DELIVERED or
// DELIVERED. Two shipments racing for the same reserved units queue on the
// order's lock; the second finds the reservation gone. Returns NOT_FOUND,
// CONFLICT, INVALID_TRANSITION, INSUFFICIENT_STOCK.
func (s *DeliveryStore) Ship(ctx context.Context, actor *sales.User, id int64, version int, shipDate *time.Time) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.Ship(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		d, o, lines, err := lockDelivery(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if _, err := sales.NextDeliveryStatus(d.Status, sales.DeliveryShip); err != nil {
			return err
		}
		if shipDate != nil && shipDate.Format(time.DateOnly) < o.OrderDate.Format(time.DateOnly) {
			return sales.Errorf(sales.CodeValidation, "shipDate", "the ship date is before the order date %s", o.OrderDate.Format(time.DateOnly))
		}
		var dlines []*sales.DeliveryLine
		if err := tx.SelectContext(ctx, &dlines, `SELECT `+deliveryLineColumns+` FROM delivery_lines WHERE delivery_id = $1`, id); err != nil {
			return err
		}
		byID := map[int64]*sales.OrderLine{}
		for _, l := range lines {
			byID[l.ID] = l
		}
		sort.Slice(dlines, func(i, j int) bool {
			return byID[dlines[i].OrderLineID].ProductID < byID[dlines[j].OrderLineID].ProductID
		})
		for _, dl := range dlines {
			ol := byID[dl.OrderLineID]
			if dl.Quantity.GreaterThan(ol.ReservedQuantity) {
				return sales.Errorf(sales.CodeInsufficientStock, "id", "line %d of order %s has %s reserved; this delivery ships %s",
					ol.LineNo, o.Number, ol.ReservedQuantity, dl.Quantity)
			}
			if _, err := moveStock(ctx, tx, StockMove{ProductID: ol.ProductID, WarehouseID: d.WarehouseID, OnHand: dl.Quantity.Neg(),
				Reserved: dl.Quantity.Neg(), Kind: sales.MovementShipment, Reference: d.Number, ActorID: &actor.ID, OrderID: &o.ID, Field: "id"}); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET delivered_quantity = delivered_quantity + $2,
				reserved_quantity = reserved_quantity - $2 WHERE id = $1`, ol.ID, dl.Quantity); err != nil {
				return err
			}
			ol.DeliveredQuantity = ol.DeliveredQuantity.Add(dl.Quantity)
		}
		day := tx.Now
		if shipDate != nil {
			day = *shipDate
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET ship_date = $2 WHERE id = $1`, id, day); err != nil {
			return err
		}
		if err := setDeliveryStatus(ctx, tx, d, sales.DeliveryShip, "", actor.ID); err != nil {
			return err
		}
		action := sales.OrderDeliverAll
		for _, l := range lines {
			if l.DeliveredQuantity.LessThan(l.Quantity) {
				action = sales.OrderDeliverPart
			}
		}
		return setOrderStatus(ctx, tx, o, action, nil, "delivery "+d.Number+" shipped", &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Cancel cancels a draft delivery (it reserved nothing of its own).
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION (reason).
func (s *DeliveryStore) Cancel(ctx context.Context, actor *sales.User, id int64, version int, reason string) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.Cancel(%d)", id)
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		d, _, _, err := lockDelivery(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		return setDeliveryStatus(ctx, tx, d, sales.DeliveryCancel, strings.TrimSpace(reason), actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// deref is *p, or the zero value.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
