package db

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// ReturnStore persists customer returns (RMAs).
type ReturnStore struct{ db *DB }

const (
	returnColumns     = `id, number, order_id, delivery_id, status, reason, warehouse_id, received_date, created_by, version, created_at, updated_at`
	returnLineColumns = `id, return_id, order_line_id, quantity, reason`
)

// ByIDs returns the returns with these IDs, in any order.
func (s *ReturnStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Return, err error) {
	defer wrap(&err, "Returns.ByIDs")
	return byIDs[sales.Return](ctx, s.db, `SELECT `+returnColumns+` FROM returns WHERE id = ANY($1)`, ids)
}

// ByOrderIDs returns the returns of these orders, oldest first.
func (s *ReturnStore) ByOrderIDs(ctx context.Context, ids []int64) (_ []*sales.Return, err error) {
	defer wrap(&err, "Returns.ByOrderIDs")
	return byIDs[sales.Return](ctx, s.db, `SELECT `+returnColumns+` FROM returns WHERE order_id = ANY($1) ORDER BY order_id, id`, ids)
}

// ByDeliveryIDs returns the returns raised against these deliveries.
func (s *ReturnStore) ByDeliveryIDs(ctx context.Context, ids []int64) (_ []*sales.Return, err error) {
	defer wrap(&err, "Returns.ByDeliveryIDs")
	return byIDs[sales.Return](ctx, s.db, `SELECT `+returnColumns+` FROM returns WHERE delivery_id = ANY($1) ORDER BY delivery_id, id`, ids)
}

// LinesByReturnIDs returns the lines of these returns.
func (s *ReturnStore) LinesByReturnIDs(ctx context.Context, ids []int64) (_ []*sales.ReturnLine, err error) {
	defer wrap(&err, "Returns.LinesByReturnIDs")
	return byIDs[sales.ReturnLine](ctx, s.db, `SELECT `+returnLineColumns+` FROM return_lines WHERE return_id = ANY($1) ORDER BY return_id, id`, ids)
}

// LinesByOrderLineIDs returns the return lines of these order lines.
func (s *ReturnStore) LinesByOrderLineIDs(ctx context.Context, ids []int64) (_ []*sales.ReturnLine, err error) {
	defer wrap(&err, "Returns.LinesByOrderLineIDs")
	return byIDs[sales.ReturnLine](ctx, s.db, `SELECT `+returnLineColumns+` FROM return_lines WHERE order_line_id = ANY($1) ORDER BY order_line_id, id`, ids)
}

// LinesByIDs returns return lines by ID.
func (s *ReturnStore) LinesByIDs(ctx context.Context, ids []int64) (_ []*sales.ReturnLine, err error) {
	defer wrap(&err, "Returns.LinesByIDs")
	return byIDs[sales.ReturnLine](ctx, s.db, `SELECT `+returnLineColumns+` FROM return_lines WHERE id = ANY($1)`, ids)
}

var returnKeys = &keyset[sales.Return]{
	list: "returns",
	sorts: map[string]sortKey[sales.Return]{
		"NUMBER":     textKey("number", "%s", func(r *sales.Return) string { return r.Number }),
		"CREATED_AT": stampKey("created_at", func(r *sales.Return) time.Time { return r.CreatedAt }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(r *sales.Return) []int64 { return []int64{r.ID} },
}

// List returns a page of returns and, when page.Count asks, the total (else -1); newest first by default.
func (s *ReturnStore) List(ctx context.Context, f sales.ReturnFilter, sort Sort, page Page) (_ Window[sales.Return], err error) {
	defer wrap(&err, "Returns.List")
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
	if f.Number != nil {
		w.add("number = ?", strings.ToUpper(strings.TrimSpace(*f.Number)))
	}
	if f.From != nil {
		w.add("created_at >= ?::date", f.From.Format(time.DateOnly))
	}
	if f.To != nil {
		w.add("created_at < ?::date + 1", f.To.Format(time.DateOnly))
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+returnColumns, `FROM returns`, &w, returnKeys, sort, page)
}

// Create requests a return of delivered goods, as sales.PlanReturn
// decides. Returns NOT_FOUND, VALIDATION (more than delivered and not yet
// returned), IDEMPOTENCY_KEY_REUSED.
func (s *ReturnStore) Create(ctx context.Context, actor *sales.User, in sales.NewReturn, key *string) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Create")
	in, err = sales.CheckNewReturn(in)
	if err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createReturn", key, in, func(tx *Tx) (int64, error) {
		snap, err := loadNewReturn(ctx, tx, actor, in)
		if err != nil {
			return 0, err
		}
		if err := checkReturnLimit(ctx, tx, snap.Order.ID); err != nil {
			return 0, err
		}
		plan, err := sales.PlanReturn(snap)
		if err != nil {
			return 0, err
		}
		return insertReturn(ctx, tx, actor.ID, snap.Order, plan)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

// loadNewReturn locks the order and its lines and reads the delivery the
// request names (its changes queue on the order's lock) and the open returns.
func loadNewReturn(ctx context.Context, tx *Tx, actor *sales.User, in sales.NewReturn) (sales.NewReturnSnapshot, error) {
	o, err := lockOrder(ctx, tx, actor, in.OrderID, unversioned, "input.orderId")
	if err != nil {
		return sales.NewReturnSnapshot{}, err
	}
	lines, err := lockOrderLines(ctx, tx, o.ID)
	if err != nil {
		return sales.NewReturnSnapshot{}, err
	}
	snap := sales.NewReturnSnapshot{Order: o, Lines: lines, Input: in}
	if in.DeliveryID != nil {
		var d sales.Delivery
		if err := tx.GetContext(ctx, &d, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1 AND order_id = $2`, *in.DeliveryID, o.ID); err != nil {
			return sales.NewReturnSnapshot{}, notFound(err, "input.deliveryId", "delivery of this order")
		}
		snap.Delivery = &d
		if snap.DeliveryLines, err = deliveryLines(ctx, tx, d.ID); err != nil {
			return sales.NewReturnSnapshot{}, err
		}
	}
	snap.OnOpenReturns, err = onOpenReturns(ctx, tx, o.ID)
	return snap, err
}

// onOpenReturns sums, per order line, what the order's open returns ask
// for. Which states count is the domain's (sales.OpenReturnStatuses).
func onOpenReturns(ctx context.Context, tx *Tx, orderID int64) (map[int64]decimal.Decimal, error) {
	return sumPerOrderLine(ctx, tx, `SELECT l.order_line_id, sum(l.quantity) AS quantity
		FROM return_lines l JOIN returns r ON r.id = l.return_id
		WHERE r.order_id = $1 AND r.status = ANY($2) GROUP BY l.order_line_id`, orderID, statusArray(sales.OpenReturnStatuses()))
}

// insertReturn writes the return a plan chose, for order o.
func insertReturn(ctx context.Context, tx *Tx, actorID int64, o *sales.SalesOrder, plan sales.NewReturnPlan) (int64, error) {
	number, err := nextNumber(ctx, tx, sales.DocReturn.Series())
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO returns (number, order_id, delivery_id, status, reason, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, number, o.ID, plan.DeliveryID, string(plan.Status), plan.Reason, actorID, tx.Now); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO return_lines (return_id, order_line_id, quantity, reason)
		SELECT $1, l.order_line_id, l.quantity, l.reason FROM unnest($2::bigint[], $3::numeric[], $4::text[]) WITH ORDINALITY
			AS l(order_line_id, quantity, reason, n)
		ORDER BY l.n`, id,
		idArray(plan.Lines, func(l sales.ReturnLineInput) int64 { return l.OrderLineID }),
		decimalArray(plan.Lines, func(l sales.ReturnLineInput) decimal.Decimal { return l.Quantity }), textArray(plan.Lines, func(l sales.ReturnLineInput) string { return l.Reason })); err != nil {
		return 0, err
	}
	return id, writeEvent(ctx, tx, sales.DocReturn, id, plan.Event, actorID)
}

func (s *ReturnStore) byID(ctx context.Context, id int64) (*sales.Return, error) {
	var r sales.Return
	if err := s.db.GetContext(ctx, &r, `SELECT `+returnColumns+` FROM returns WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "return")
	}
	return &r, nil
}

// lockReturn locks a return's order and lines, then the return (the lock order).
func lockReturn(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Return, *sales.SalesOrder, []*sales.OrderLine, error) {
	o, lines, err := lockOrderOf(ctx, tx, actor, "returns", id, "return")
	if err != nil {
		return nil, nil, nil, err
	}
	var r sales.Return
	if err := tx.GetContext(ctx, &r, `SELECT `+returnColumns+` FROM returns WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, nil, err
	}
	return &r, o, lines, checkVersion("return", r.Version, version)
}

// writeReturnStep moves a return to the status a plan chose, with its history row.
func writeReturnStep(ctx context.Context, tx *Tx, r *sales.Return, step sales.ReturnStepPlan, actorID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE returns SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1`,
		r.ID, string(step.Status), tx.Now); err != nil {
		return err
	}
	r.Status = step.Status
	return writeEvent(ctx, tx, sales.DocReturn, r.ID, step.Event, actorID)
}

// step locks a return, asks decide for its next step and writes it.
func (s *ReturnStore) step(ctx context.Context, actor *sales.User, id int64, version int, decide func(*sales.Return) (sales.ReturnStepPlan, error)) (*sales.Return, error) {
	err := s.db.Transact(ctx, func(tx *Tx) error {
		r, _, _, err := lockReturn(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		step, err := decide(r)
		if err != nil {
			return err
		}
		return writeReturnStep(ctx, tx, r, step, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Approve approves a requested return. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION.
func (s *ReturnStore) Approve(ctx context.Context, actor *sales.User, id int64, version int) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Approve(%d)", id)
	return s.step(ctx, actor, id, version, sales.PlanReturnApproval)
}

// Reject rejects a requested return. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION (reason).
func (s *ReturnStore) Reject(ctx context.Context, actor *sales.User, id int64, version int, reason string) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Reject(%d)", id)
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	return s.step(ctx, actor, id, version, func(r *sales.Return) (sales.ReturnStepPlan, error) {
		return sales.PlanReturnRejection(r, reason)
	})
}

// Receive restocks an approved return into a warehouse (RETURN ledger rows)
// and raises the order lines' returned quantities, as
// sales.PlanReturnReceipt decides. Returns NOT_FOUND, CONFLICT,
// INVALID_TRANSITION, VALIDATION.
func (s *ReturnStore) Receive(ctx context.Context, actor *sales.User, id int64, version int, warehouseID int64, date *time.Time) (_ *sales.Return, err error) {
	defer wrap(&err, "Returns.Receive(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		snap, err := loadReturnReceipt(ctx, tx, actor, id, version, warehouseID, date)
		if err != nil {
			return err
		}
		plan, err := sales.PlanReturnReceipt(snap)
		if err != nil {
			return err
		}
		return writeReturnReceipt(ctx, tx, snap, plan, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// loadReturnReceipt locks and reads what sales.PlanReturnReceipt needs, in
// the lock order: the order, its lines, the return; then the warehouse and
// the return's lines. Stock levels are locked as the moves are written.
func loadReturnReceipt(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int, warehouseID int64, date *time.Time) (sales.ReturnReceiptSnapshot, error) {
	r, o, lines, err := lockReturn(ctx, tx, actor, id, version)
	if err != nil {
		return sales.ReturnReceiptSnapshot{}, err
	}
	snap := sales.ReturnReceiptSnapshot{Order: o, Lines: lines, Return: r, ReceivedDate: date, Today: tx.Now}
	var w sales.Warehouse
	switch err := tx.GetContext(ctx, &w, `SELECT `+warehouseColumns+` FROM warehouses WHERE id = $1`, warehouseID); {
	case err == nil:
		snap.Warehouse = &w
	case !isNoRows(err):
		return sales.ReturnReceiptSnapshot{}, err
	}
	if err := tx.SelectContext(ctx, &snap.ReturnLines, `SELECT `+returnLineColumns+` FROM return_lines WHERE return_id = $1 ORDER BY id`, id); err != nil {
		return sales.ReturnReceiptSnapshot{}, err
	}
	return snap, nil
}

// writeReturnReceipt writes a return receipt's plan.
func writeReturnReceipt(ctx context.Context, tx *Tx, snap sales.ReturnReceiptSnapshot, plan sales.ReturnReceiptPlan, actorID int64) error {
	if err := writeMoves(ctx, tx, snap.Order, plan.Moves, actorID); err != nil {
		return err
	}
	if err := writeLineChanges(ctx, tx, plan.Lines); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE returns SET warehouse_id = $2, received_date = $3 WHERE id = $1`,
		snap.Return.ID, plan.WarehouseID, plan.ReceivedDate); err != nil {
		return err
	}
	return writeReturnStep(ctx, tx, snap.Return, sales.ReturnStepPlan{Status: plan.Status, Event: plan.Event}, actorID)
}
