package db

import (
	"context"
	"strings"
	"time"

	"github.com/lib/pq"
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

// onOpenDeliveries sums, per order line, what the order's open deliveries
// carry. Which states count is the domain's (sales.OpenDeliveryStatuses).
func onOpenDeliveries(ctx context.Context, tx *Tx, orderID int64) (map[int64]decimal.Decimal, error) {
	return sumPerOrderLine(ctx, tx, `SELECT l.order_line_id, sum(l.quantity) AS quantity
		FROM delivery_lines l JOIN deliveries d ON d.id = l.delivery_id
		WHERE d.order_id = $1 AND d.status = ANY($2) GROUP BY l.order_line_id`, orderID, statusArray(sales.OpenDeliveryStatuses()))
}

// sumPerOrderLine runs a query of (order_line_id, quantity) rows into a map.
func sumPerOrderLine(ctx context.Context, tx *Tx, query string, args ...any) (map[int64]decimal.Decimal, error) {
	var rows []struct {
		OrderLineID int64           `db:"order_line_id"`
		Quantity    decimal.Decimal `db:"quantity"`
	}
	if err := tx.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.OrderLineID] = r.Quantity
	}
	return out, nil
}

// statusArray passes a list of states as one text[] parameter.
func statusArray[S ~string](states []S) any {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return pq.Array(out)
}

// Create drafts a delivery for an order being delivered. Without lines it
// carries everything deliverable. Returns NOT_FOUND, INVALID_TRANSITION
// (order not confirmed), VALIDATION (nothing to deliver, more than
// reserved), IDEMPOTENCY_KEY_REUSED.
func (s *DeliveryStore) Create(ctx context.Context, actor *sales.User, in sales.NewDelivery, key *string) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.Create")
	if err := sales.CheckDeliveryText(in.Carrier, in.TrackingNumber, in.Notes, in.ShipTo); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createDelivery", key, in, func(tx *Tx) (int64, error) {
		o, err := lockOrder(ctx, tx, actor, in.OrderID, unversioned, "input.orderId")
		if err != nil {
			return 0, err
		}
		if err := checkDeliveryLimit(ctx, tx, o.ID); err != nil {
			return 0, err
		}
		lines, err := lockOrderLines(ctx, tx, o.ID)
		if err != nil {
			return 0, err
		}
		onOpen, err := onOpenDeliveries(ctx, tx, o.ID)
		if err != nil {
			return 0, err
		}
		plan, err := sales.PlanDelivery(sales.NewDeliverySnapshot{Order: o, Lines: lines, OnOpenDeliveries: onOpen, Input: in})
		if err != nil {
			return 0, err
		}
		number, err := nextNumber(ctx, tx, sales.DocDelivery.Series())
		if err != nil {
			return 0, err
		}
		bol, err := nextNumber(ctx, tx, sales.SeriesBillOfLading)
		if err != nil {
			return 0, err
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO deliveries (number, bol_number, order_id, warehouse_id, status, ship_to, carrier, tracking_number, notes, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			number, bol, o.ID, plan.WarehouseID, string(plan.Status), plan.ShipTo, plan.Carrier, plan.TrackingNumber,
			plan.Notes, actor.ID, tx.Now); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_lines (delivery_id, order_line_id, quantity)
			SELECT $1, l.order_line_id, l.quantity FROM unnest($2::bigint[], $3::numeric[]) WITH ORDINALITY AS l(order_line_id, quantity, n)
			ORDER BY l.n`, id,
			idArray(plan.Lines, func(l sales.DeliveryLineInput) int64 { return l.OrderLineID }),
			decimalArray(plan.Lines, func(l sales.DeliveryLineInput) decimal.Decimal { return l.Quantity })); err != nil {
			return 0, err
		}
		return id, writeEvent(ctx, tx, sales.DocDelivery, id, plan.Event, actor.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
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

// deliveryLines reads a delivery's lines, by id.
func deliveryLines(ctx context.Context, tx *Tx, deliveryID int64) ([]*sales.DeliveryLine, error) {
	var lines []*sales.DeliveryLine
	err := tx.SelectContext(ctx, &lines, `SELECT `+deliveryLineColumns+` FROM delivery_lines WHERE delivery_id = $1 ORDER BY id`, deliveryID)
	return lines, err
}

// writeDeliveryStep moves a delivery to the status a plan chose, with its history row.
func writeDeliveryStep(ctx context.Context, tx *Tx, d *sales.Delivery, step sales.DeliveryStepPlan, actorID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1`,
		d.ID, string(step.Status), tx.Now); err != nil {
		return err
	}
	d.Status = step.Status
	return writeEvent(ctx, tx, sales.DocDelivery, d.ID, step.Event, actorID)
}

// writeEvent records a history row a plan chose.
func writeEvent(ctx context.Context, tx *Tx, doc sales.DocumentType, id int64, e sales.PlannedEvent, actorID int64) error {
	return recordEvent(ctx, tx, doc, id, e.Action, e.From, e.To, e.Reason, &actorID)
}

// writeMoves applies a plan's stock movements in the plan's order (by
// product: the lock order) for order o.
func writeMoves(ctx context.Context, tx *Tx, o *sales.SalesOrder, moves []sales.PlannedStockMove, actorID int64) error {
	out := make([]StockMove, len(moves))
	for i, m := range moves {
		out[i] = StockMove{ProductID: m.ProductID, WarehouseID: m.WarehouseID, OnHand: m.OnHand,
			Reserved: m.Reserved, Kind: m.Kind, Reference: m.Reference, ActorID: &actorID, OrderID: &o.ID, Field: "id"}
	}
	return moveStocks(ctx, tx, out)
}

// Update edits a draft delivery's carrier, tracking, ship-to or notes.
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *DeliveryStore) Update(ctx context.Context, actor *sales.User, id int64, version int, ch sales.DeliveryChange) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.Update(%d)", id)
	if err := sales.CheckDeliveryText(deref(ch.Carrier), deref(ch.TrackingNumber), deref(ch.Notes), ch.ShipTo); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		d, _, _, err := lockDelivery(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		plan, err := sales.PlanDeliveryEdit(d, ch)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET carrier = $2, tracking_number = $3, notes = $4, ship_to = $5,
			version = version + 1, updated_at = $6 WHERE id = $1`, id, plan.Carrier, plan.TrackingNumber, plan.Notes, plan.ShipTo, tx.Now)
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Ship ships a draft delivery as sales.PlanShipment decides: each line's
// stock leaves the warehouse (on hand and reserved both fall; a SHIPMENT
// ledger row), the order lines' delivered quantities rise, and the order
// moves to PARTIALLY_DELIVERED or DELIVERED. Two shipments racing for the
// same reserved units queue on the order's lock; the second finds the
// reservation gone. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION,
// VALIDATION, INSUFFICIENT_STOCK.
func (s *DeliveryStore) Ship(ctx context.Context, actor *sales.User, id int64, version int, shipDate *time.Time) (_ *sales.Delivery, err error) {
	defer wrap(&err, "Deliveries.Ship(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		snap, err := loadShipment(ctx, tx, actor, id, version, shipDate)
		if err != nil {
			return err
		}
		plan, err := sales.PlanShipment(snap)
		if err != nil {
			return err
		}
		return writeShipment(ctx, tx, snap, plan, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// loadShipment locks and reads what sales.PlanShipment needs, in the lock
// order: the order, its lines, the delivery (its lines follow it). The
// stock levels are locked as the plan's moves are written, by product.
func loadShipment(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int, shipDate *time.Time) (sales.ShipmentSnapshot, error) {
	d, o, lines, err := lockDelivery(ctx, tx, actor, id, version)
	if err != nil {
		return sales.ShipmentSnapshot{}, err
	}
	dlines, err := deliveryLines(ctx, tx, id)
	if err != nil {
		return sales.ShipmentSnapshot{}, err
	}
	snap := sales.ShipmentSnapshot{Order: o, Lines: lines, Delivery: d, DeliveryLines: dlines, ShipDate: shipDate, Today: tx.Now}
	if sales.RequiresDeposit(o) {
		if snap.DepositsReceived, err = depositsReceived(ctx, tx, o.ID); err != nil {
			return sales.ShipmentSnapshot{}, err
		}
	}
	return snap, nil
}

// writeShipment writes a shipment's plan.
func writeShipment(ctx context.Context, tx *Tx, snap sales.ShipmentSnapshot, plan sales.ShipmentPlan, actorID int64) error {
	if err := writeMoves(ctx, tx, snap.Order, plan.Moves, actorID); err != nil {
		return err
	}
	if err := writeLineChanges(ctx, tx, plan.Lines); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET ship_date = $2 WHERE id = $1`, snap.Delivery.ID, plan.ShipDate); err != nil {
		return err
	}
	step := sales.DeliveryStepPlan{Status: plan.DeliveryStatus, Event: plan.DeliveryEvent}
	if err := writeDeliveryStep(ctx, tx, snap.Delivery, step, actorID); err != nil {
		return err
	}
	if err := setOrderStatus(ctx, tx, snap.Order, plan.OrderAction, nil, plan.OrderReason, &actorID); err != nil {
		return err
	}
	return completeAfterShipment(ctx, tx, snap, plan, actorID)
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
		step, err := sales.PlanDeliveryCancel(d, reason)
		if err != nil {
			return err
		}
		return writeDeliveryStep(ctx, tx, d, step, actor.ID)
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
