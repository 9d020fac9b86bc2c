package db

import (
	"context"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// ConvertQuote turns an accepted, unexpired, latest-revision quote into its
// one draft order (sales.PlanQuoteConversion decides), copying its lines,
// prices and price-override reasons. A second call returns the order the
// first one made. Returns NOT_FOUND, INVALID_TRANSITION,
// VALIDATION (terms).
func (s *OrderStore) ConvertQuote(ctx context.Context, actor *sales.User, quoteID int64, terms sales.OrderTerms) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.ConvertQuote(%d)", quoteID)
	if err := sales.CheckOrderTerms(&terms); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.Transact(ctx, func(tx *Tx) error {
		// Lock order: the customer first, then the quote. The quote row lock
		// makes concurrent conversions queue: the second finds the first one's order.
		var customerID int64
		if err := tx.GetContext(ctx, &customerID, `SELECT customer_id FROM quotes WHERE id = $1`, quoteID); err != nil {
			return notFound(err, "id", "quote")
		}
		customer, err := customerForDocument(ctx, tx, actor, customerID, "id")
		if sales.CodeOf(err) == sales.CodeNotFound {
			// Another rep's quote answers as a missing one does.
			return sales.Errorf(sales.CodeNotFound, "id", "quote not found")
		}
		if err != nil {
			return err
		}
		var q sales.Quote
		if err := tx.GetContext(ctx, &q, `SELECT `+quoteColumns+` FROM quotes WHERE id = $1 FOR UPDATE`, quoteID); err != nil {
			return notFound(err, "id", "quote")
		}
		if err := tx.GetContext(ctx, &id, `SELECT id FROM sales_orders WHERE quote_id = $1`, quoteID); err == nil {
			return nil // converted before: the same order
		} else if !isNoRows(err) {
			return err
		}
		if err := sales.PlanQuoteConversion(&q, tx.Now); err != nil {
			return err
		}
		var qlines []*sales.QuoteLine
		if err := tx.SelectContext(ctx, &qlines, `SELECT `+quoteLineColumns+` FROM quote_lines WHERE quote_id = $1 ORDER BY line_no`, quoteID); err != nil {
			return err
		}
		lines, total := sales.ConvertedLines(qlines)
		origin := &quoteOrigin{ID: quoteID}
		for _, l := range qlines {
			origin.LineIDs = append(origin.LineIDs, l.ID)
		}
		if id, err = insertOrder(ctx, tx, actor, customer, terms, lines, total, origin); err != nil {
			return err
		}
		status := string(q.Status)
		return recordEvent(ctx, tx, sales.DocQuote, quoteID, string(sales.QuoteConvert), &status, status, "", &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Confirm confirms a draft order, as sales.PlanConfirm decides after the
// credit check: ON_HOLD with its hold reason, else CONFIRMED with its stock
// reserved. The customer row is locked first and the exposure read after
// it, so two confirmations for one customer queue and the second sees the
// first's order: together they cannot pass one limit. The check is kept as
// a credit decision in the same transaction. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, INSUFFICIENT_STOCK.
func (s *OrderStore) Confirm(ctx context.Context, actor *sales.User, id int64, version int) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.Confirm(%d)", id)
	if err := sales.CheckVersion(version); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		snap, o, err := lockOrderForConfirming(ctx, tx, actor, id, version, s.CreditGraceDays)
		if err != nil {
			return err
		}
		plan, err := sales.PlanConfirm(*snap)
		if err != nil {
			return err
		}
		if err := recordCreditDecision(ctx, tx, o, plan.Credit, actor.ID); err != nil {
			return err
		}
		return applyOrderPlan(ctx, tx, o, plan, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// ReleaseHold confirms a held order on a manager's word, reserving its
// stock (sales.PlanRelease). Returns NOT_FOUND, CONFLICT,
// INVALID_TRANSITION, VALIDATION (reason), INSUFFICIENT_STOCK.
func (s *OrderStore) ReleaseHold(ctx context.Context, actor *sales.User, id int64, version int, reason string) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.ReleaseHold(%d)", id)
	if err := sales.CheckVersion(version); err != nil {
		return nil, err
	}
	if reason, err = sales.CheckOrderReason(reason); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		snap, o, err := lockOrderForReserving(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		snap.Reason = reason
		plan, err := sales.PlanRelease(*snap)
		if err != nil {
			return err
		}
		if err := recordCreditRelease(ctx, tx, id, reason, actor.ID); err != nil {
			return err
		}
		return applyOrderPlan(ctx, tx, o, plan, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Cancel cancels an order while nothing is delivered: reservations are
// released and draft deliveries cancelled (sales.PlanCancel). Returns
// NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION (reason).
func (s *OrderStore) Cancel(ctx context.Context, actor *sales.User, id int64, version int, reason string) (*sales.SalesOrder, error) {
	return s.finish(ctx, actor, id, version, reason, sales.OrderCancel, sales.PlanCancel)
}

// Close short-closes a partly delivered order: what is still reserved is
// released and draft deliveries are cancelled; nothing more will ship
// (sales.PlanClose). Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION (reason).
func (s *OrderStore) Close(ctx context.Context, actor *sales.User, id int64, version int, reason string) (*sales.SalesOrder, error) {
	return s.finish(ctx, actor, id, version, reason, sales.OrderClose, sales.PlanClose)
}

func (s *OrderStore) finish(ctx context.Context, actor *sales.User, id int64, version int, reason string, action sales.OrderAction,
	decide func(sales.OrderSnapshot) (sales.OrderPlan, error)) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.%s(%d)", action, id)
	if err := sales.CheckVersion(version); err != nil {
		return nil, err
	}
	if reason, err = sales.CheckOrderReason(reason); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		snap, o, err := lockOrderForFinishing(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		snap.Reason = reason
		plan, err := decide(*snap)
		if err != nil {
			return err
		}
		return applyOrderPlan(ctx, tx, o, plan, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// checkReason validates a reason given to change an order's state (sales.CheckOrderReason).
func checkReason(reason string) error {
	_, err := sales.CheckOrderReason(reason)
	return err
}

// lockOrderForFinishing locks and reads what cancelling or closing an order
// decides on: the order (its version checked), its lines and its
// deliveries. No customer lock: finishing an order commits the customer to
// nothing. The stock levels are locked as the releases are written.
func lockOrderForFinishing(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.OrderSnapshot, *sales.SalesOrder, error) {
	o, err := lockOrder(ctx, tx, actor, id, version, "id")
	if err != nil {
		return nil, nil, err
	}
	lines, err := lockOrderLines(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	// The order's lock keeps its deliveries as they are: every change to a
	// delivery locks its order first.
	var deliveries []sales.DeliveryState
	if err := tx.SelectContext(ctx, &deliveries, `SELECT id, status FROM deliveries WHERE order_id = $1 ORDER BY id`, id); err != nil {
		return nil, nil, err
	}
	return &sales.OrderSnapshot{Order: *o, Lines: values(lines), Deliveries: deliveries}, o, nil
}

// lockOrderForConfirming is lockOrderForReserving with what the credit
// check decides on: the customer's exposure, read once the customer is
// locked (every confirmation for them that committed before is in it, and
// none can commit until this one does), and the grace days.
func lockOrderForConfirming(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int, graceDays int) (*sales.OrderSnapshot, *sales.SalesOrder, error) {
	snap, o, err := lockOrderForReserving(ctx, tx, actor, id, version)
	if err != nil {
		return nil, nil, err
	}
	if snap.Customer.Exposure, err = readCreditExposure(ctx, tx, o.CustomerID, tx.Now); err != nil {
		return nil, nil, err
	}
	snap.Customer.GraceDays = graceDays
	return snap, o, nil
}

// lockOrderForReserving locks and reads, in the lock order, what confirming
// or releasing an order decides on: the order's customer (FOR UPDATE), the
// order (its version checked), its lines, then the stock levels of their
// products in the order's warehouse, by product id.
func lockOrderForReserving(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.OrderSnapshot, *sales.SalesOrder, error) {
	var customerID int64
	if err := tx.GetContext(ctx, &customerID, `SELECT customer_id FROM sales_orders WHERE id = $1`, id); err != nil {
		return nil, nil, notFound(err, "id", "sales order")
	}
	var c sales.Customer
	if err := tx.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1 FOR UPDATE`, customerID); err != nil {
		return nil, nil, err
	}
	o, err := lockOrder(ctx, tx, actor, id, version, "id")
	if err != nil {
		return nil, nil, err
	}
	lines, err := lockOrderLines(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	products := make([]int64, 0, len(lines))
	for _, l := range lines {
		products = append(products, l.ProductID)
	}
	levels, err := lockLevels(ctx, tx, o.WarehouseID, products)
	if err != nil {
		return nil, nil, err
	}
	snap := &sales.OrderSnapshot{Order: *o, Lines: values(lines), Customer: sales.CustomerStanding{CreditHold: c.CreditHold, Limit: c.CreditLimit},
		Available: make(map[int64]decimal.Decimal, len(levels)), SKUs: map[int64]string{}}
	for _, l := range levels {
		snap.Available[l.ProductID] = l.Available()
	}
	var skus []struct {
		ID  int64  `db:"id"`
		SKU string `db:"sku"`
	}
	if err := tx.SelectContext(ctx, &skus, `SELECT id, sku FROM products WHERE id = ANY($1)`, pqArray(products)); err != nil {
		return nil, nil, err
	}
	for _, p := range skus {
		snap.SKUs[p.ID] = p.SKU
	}
	return snap, o, nil
}

func values[T any](rows []*T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	return out
}

// applyOrderPlan writes an order decision, inside tx, in the lock order:
// the deliveries to cancel, then the reservations (a ledger row each,
// through moveStock, and the line's reserved quantity), then the history of
// the cancelled deliveries and the order's status with its history, outbox
// row and NOTIFY. o is the order the plan is for (nil for a plan without a
// status change).
func applyOrderPlan(ctx context.Context, tx *Tx, o *sales.SalesOrder, plan sales.OrderPlan, actorID int64) error {
	if len(plan.CancelDeliveries) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = $2, version = version + 1, updated_at = $3 WHERE id = ANY($1)`,
			pqArray(plan.CancelDeliveries), string(sales.DeliveryCancelled), tx.Now); err != nil {
			return err
		}
	}
	moves := make([]StockMove, len(plan.Reservations))
	lines := make([]sales.LineQuantityChange, len(plan.Reservations))
	for i, r := range plan.Reservations {
		moves[i] = StockMove{ProductID: r.ProductID, WarehouseID: r.WarehouseID, Reserved: r.Quantity,
			Kind: r.Kind(), Reference: r.OrderNumber, ActorID: &actorID, OrderID: &r.OrderID, Field: r.Field}
		lines[i] = sales.LineQuantityChange{OrderLineID: r.LineID, Reserved: r.Quantity}
	}
	if err := moveStocks(ctx, tx, moves); err != nil {
		return err
	}
	if err := writeLineChanges(ctx, tx, lines); err != nil {
		return err
	}
	for _, e := range plan.Events {
		if err := recordEvent(ctx, tx, e.DocType, e.DocID, e.Action, e.From, e.To, e.Reason, &actorID); err != nil {
			return err
		}
	}
	if plan.Status == nil {
		return nil
	}
	return setOrderStatus(ctx, tx, o, plan.Status.Action, plan.Status.HoldReason, plan.Status.Reason, &actorID)
}

// lockBackorders locks the lines waiting for a product in a warehouse
// (sales.BackorderStatuses), and their orders. A receipt calls it before it
// touches the stock level. It keeps the lock order: the orders first (by id,
// as cancel and close lock theirs before their lines), then their lines; the
// stock level comes after. Lines are read again once their orders are
// locked, so an order that was cancelled or closed meanwhile gets nothing.
func lockBackorders(ctx context.Context, tx *Tx, productID, warehouseID int64) ([]sales.WaitingLine, error) {
	const waitingLines = `
		FROM order_lines l JOIN sales_orders o ON o.id = l.order_id
		WHERE l.product_id = $1 AND o.warehouse_id = $2 AND o.allow_backorder AND o.status = ANY($3)
		  AND l.reserved_quantity < l.quantity - l.delivered_quantity`
	var orderIDs []int64
	if err := tx.SelectContext(ctx, &orderIDs, `SELECT DISTINCT o.id`+waitingLines+` ORDER BY o.id`, productID, warehouseID, statusArray(sales.BackorderStatuses)); err != nil {
		return nil, err
	}
	if len(orderIDs) == 0 {
		return nil, nil
	}
	var orders []*sales.SalesOrder
	if err := tx.SelectContext(ctx, &orders, `SELECT `+orderColumns+` FROM sales_orders WHERE id = ANY($1) ORDER BY id FOR UPDATE`, pqArray(orderIDs)); err != nil {
		return nil, err
	}
	// A new statement sees what committed while we waited for the locks.
	var lines []*sales.OrderLine
	if err := tx.SelectContext(ctx, &lines, `SELECT `+orderLineColumns+` FROM order_lines
		WHERE product_id = $1 AND order_id = ANY($2) ORDER BY order_id, id FOR UPDATE`, productID, pqArray(orderIDs)); err != nil {
		return nil, err
	}
	byID := make(map[int64]*sales.SalesOrder, len(orders))
	for _, o := range orders {
		byID[o.ID] = o
	}
	waiting := make([]sales.WaitingLine, 0, len(lines))
	for _, l := range lines {
		waiting = append(waiting, sales.WaitingLine{Order: *byID[l.OrderID], Line: *l})
	}
	return waiting, nil
}

// allocateBackorders reserves what is now available for the waiting lines,
// as sales.PlanBackorderAllocation decides, inside tx (after the receipt's movement).
func allocateBackorders(ctx context.Context, tx *Tx, productID, warehouseID int64, waiting []sales.WaitingLine, actorID int64) error {
	if len(waiting) == 0 {
		return nil
	}
	level, err := lockLevel(ctx, tx, productID, warehouseID)
	if err != nil {
		return err
	}
	plan := sales.PlanBackorderAllocation(sales.AllocationSnapshot{Available: level.Available(), Waiting: waiting})
	return applyOrderPlan(ctx, tx, nil, plan, actorID)
}
