package db

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// ConvertQuote turns an accepted, unexpired, latest-revision quote into its
// one draft order, copying its lines and prices. A second call returns the
// order the first one made. Returns NOT_FOUND, INVALID_TRANSITION,
// VALIDATION (terms).
func (s *OrderStore) ConvertQuote(ctx context.Context, actor *sales.User, quoteID int64, terms sales.OrderTerms) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.ConvertQuote(%d)", quoteID)
	if err := validateTerms(&terms); err != nil {
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
		if err := tx.GetContext(ctx, &q, `SELECT id, number, revision, customer_id, currency, valid_until, status, superseded_by,
			notes, subtotal, tax_total, total, created_by, version, created_at, updated_at FROM quotes WHERE id = $1 FOR UPDATE`, quoteID); err != nil {
			return notFound(err, "id", "quote")
		}
		if err := tx.GetContext(ctx, &id, `SELECT id FROM sales_orders WHERE quote_id = $1`, quoteID); err == nil {
			return nil // converted before: the same order
		} else if !isNoRows(err) {
			return err
		}
		if _, err := sales.NextQuoteStatus(q.Status, sales.QuoteConvert); err != nil {
			return err
		}
		if q.SupersededBy != nil {
			return sales.Errorf(sales.CodeInvalidTransition, "id", "quote %s was revised; convert the latest revision", q.DisplayNumber())
		}
		if q.Expired(tx.Now) {
			return sales.Errorf(sales.CodeInvalidTransition, "id", "quote %s expired on %s", q.DisplayNumber(), q.ValidUntil.Format("2006-01-02"))
		}
		var qlines []*sales.QuoteLine
		if err := tx.SelectContext(ctx, &qlines, `SELECT id, quote_id, line_no, product_id, quantity, unit_price, list_price,
			price_override_reason, discount_percent, tax_rate, subtotal, tax, total FROM quote_lines WHERE quote_id = $1 ORDER BY line_no`, quoteID); err != nil {
			return err
		}
		lines := make([]pricedLine, len(qlines))
		amounts := make([]sales.Amounts, len(qlines))
		origin := &quoteOrigin{ID: quoteID}
		for i, l := range qlines {
			lines[i] = pricedLine{LineNo: i + 1, ProductID: l.ProductID, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
				Discount: l.DiscountPercent, TaxRate: l.TaxRate,
				Amounts: sales.Amounts{Subtotal: l.Subtotal, Tax: l.Tax, Total: l.Total}}
			amounts[i] = lines[i].Amounts
			origin.LineIDs = append(origin.LineIDs, l.ID)
		}
		if id, err = insertOrder(ctx, tx, actor, customer, terms, lines, sales.DocumentAmounts(amounts), origin); err != nil {
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

// Confirm confirms a draft order. The customer row is locked first, so two
// confirmations for one customer queue (the credit check that billing adds
// here must see one at a time). A customer on credit hold gets the order
// ON_HOLD (CUSTOMER_ON_HOLD) without reserving; otherwise its stock is
// reserved. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION,
// INSUFFICIENT_STOCK (naming each short line, unless the order allows backorders).
func (s *OrderStore) Confirm(ctx context.Context, actor *sales.User, id int64, version int) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.Confirm(%d)", id)
	if err := sales.CheckVersion(version); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		customer, o, err := lockCustomerAndOrder(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if _, err := sales.NextOrderStatus(o.Status, sales.OrderConfirm); err != nil {
			return err
		}
		// The credit check (exposure against the limit, overdue invoices)
		// joins here with billing; a hold flag on the customer applies now.
		if customer.CreditHold {
			hold := sales.HoldCustomerOnHold
			return setOrderStatus(ctx, tx, o, sales.OrderHold, &hold, "customer is on credit hold", &actor.ID)
		}
		if err := reserveOrder(ctx, tx, o, actor.ID); err != nil {
			return err
		}
		return setOrderStatus(ctx, tx, o, sales.OrderConfirm, nil, "", &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// ReleaseHold confirms a held order on a manager's word, reserving its stock.
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION (reason), INSUFFICIENT_STOCK.
func (s *OrderStore) ReleaseHold(ctx context.Context, actor *sales.User, id int64, version int, reason string) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.ReleaseHold(%d)", id)
	if err := sales.CheckVersion(version); err != nil {
		return nil, err
	}
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		_, o, err := lockCustomerAndOrder(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if _, err := sales.NextOrderStatus(o.Status, sales.OrderRelease); err != nil {
			return err
		}
		if err := reserveOrder(ctx, tx, o, actor.ID); err != nil {
			return err
		}
		return setOrderStatus(ctx, tx, o, sales.OrderRelease, nil, strings.TrimSpace(reason), &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Cancel cancels an order while nothing is delivered: reservations are
// released and draft deliveries cancelled. Returns NOT_FOUND, CONFLICT,
// INVALID_TRANSITION, VALIDATION (reason).
func (s *OrderStore) Cancel(ctx context.Context, actor *sales.User, id int64, version int, reason string) (*sales.SalesOrder, error) {
	return s.finish(ctx, actor, id, version, reason, sales.OrderCancel)
}

// Close short-closes a partly delivered order: what is still reserved is
// released and draft deliveries are cancelled; nothing more will ship.
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION (reason).
func (s *OrderStore) Close(ctx context.Context, actor *sales.User, id int64, version int, reason string) (*sales.SalesOrder, error) {
	return s.finish(ctx, actor, id, version, reason, sales.OrderClose)
}

func (s *OrderStore) finish(ctx context.Context, actor *sales.User, id int64, version int, reason string, action sales.OrderAction) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.%s(%d)", action, id)
	if err := sales.CheckVersion(version); err != nil {
		return nil, err
	}
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		o, err := lockOrder(ctx, tx, actor, id, version, "id")
		if err != nil {
			return err
		}
		if _, err := sales.NextOrderStatus(o.Status, action); err != nil {
			return err
		}
		lines, err := lockOrderLines(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := releaseOrder(ctx, tx, o, lines, actor.ID); err != nil {
			return err
		}
		var drafts []int64
		if err := tx.SelectContext(ctx, &drafts, `UPDATE deliveries SET status = 'CANCELLED', version = version + 1, updated_at = $2
			WHERE order_id = $1 AND status = 'DRAFT' RETURNING id`, id, tx.Now); err != nil {
			return err
		}
		for _, d := range drafts {
			from := string(sales.DeliveryDraft)
			if err := recordEvent(ctx, tx, sales.DocDelivery, d, string(sales.DeliveryCancel), &from, string(sales.DeliveryCancelled),
				fmt.Sprintf("order %s: %s", o.Number, reason), &actor.ID); err != nil {
				return err
			}
		}
		return setOrderStatus(ctx, tx, o, action, nil, reason, &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

func checkReason(reason string) error {
	var p sales.Problems
	p.Check(strings.TrimSpace(reason) != "", "reason", "say why")
	p.Check(len(reason) <= 1000, "reason", "reason must be at most 1000 characters")
	return p.Err()
}

// lockCustomerAndOrder locks the order's customer, then the order (the lock order).
func lockCustomerAndOrder(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Customer, *sales.SalesOrder, error) {
	var customerID int64
	if err := tx.GetContext(ctx, &customerID, `SELECT customer_id FROM sales_orders WHERE id = $1`, id); err != nil {
		return nil, nil, notFound(err, "id", "sales order")
	}
	var c sales.Customer
	if err := tx.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1 FOR UPDATE`, customerID); err != nil {
		return nil, nil, err
	}
	o, err := lockOrder(ctx, tx, actor, id, version, "id")
	return &c, o, err
}

// reserveOrder reserves each line's unreserved open quantity in the order's
// warehouse. Without backorders every line must be covered, or nothing is
// reserved and the error names each short line; with backorders what there
// is gets reserved and receipts reserve the rest (allocateBackorders).
func reserveOrder(ctx context.Context, tx *Tx, o *sales.SalesOrder, actorID int64) error {
	lines, err := lockOrderLines(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	// Stock levels are locked in product order, as every other writer does.
	byProduct := append([]*sales.OrderLine(nil), lines...)
	sort.SliceStable(byProduct, func(i, j int) bool { return byProduct[i].ProductID < byProduct[j].ProductID })
	available := map[int64]decimal.Decimal{}
	for _, l := range byProduct {
		if _, seen := available[l.ProductID]; seen {
			continue
		}
		level, err := lockLevel(ctx, tx, l.ProductID, o.WarehouseID)
		if err != nil {
			return err
		}
		available[l.ProductID] = level.Available()
	}
	var short []string
	take := make(map[int64]decimal.Decimal, len(lines))
	for _, l := range lines {
		need := l.OpenQuantity().Sub(l.ReservedQuantity)
		got := decimal.Min(need, decimal.Max(available[l.ProductID], decimal.Zero))
		if got.LessThan(need) && !o.AllowBackorder {
			var sku string
			if err := tx.GetContext(ctx, &sku, `SELECT sku FROM products WHERE id = $1`, l.ProductID); err != nil {
				return err
			}
			short = append(short, fmt.Sprintf("line %d (%s): %s to reserve, %s available", l.LineNo, sku, need, got))
		}
		available[l.ProductID] = available[l.ProductID].Sub(got)
		take[l.ID] = got
	}
	if len(short) > 0 {
		return sales.Errorf(sales.CodeInsufficientStock, "lines", "not enough stock in the order's warehouse: %s", strings.Join(short, "; "))
	}
	for _, l := range byProduct {
		if err := reserveLine(ctx, tx, o, l, take[l.ID], &actorID); err != nil {
			return err
		}
	}
	return nil
}

// reserveLine reserves q for an order line: a RESERVATION ledger row and the line's reserved quantity.
func reserveLine(ctx context.Context, tx *Tx, o *sales.SalesOrder, l *sales.OrderLine, q decimal.Decimal, actorID *int64) error {
	if !q.IsPositive() {
		return nil
	}
	if _, err := moveStock(ctx, tx, StockMove{ProductID: l.ProductID, WarehouseID: o.WarehouseID, Reserved: q,
		Kind: sales.MovementReservation, Reference: o.Number, ActorID: actorID, OrderID: &o.ID, Field: "lines"}); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE order_lines SET reserved_quantity = reserved_quantity + $2 WHERE id = $1`, l.ID, q)
	return err
}

// releaseOrder gives back every line's reservation (RELEASE ledger rows).
func releaseOrder(ctx context.Context, tx *Tx, o *sales.SalesOrder, lines []*sales.OrderLine, actorID int64) error {
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].ProductID < lines[j].ProductID })
	for _, l := range lines {
		if !l.ReservedQuantity.IsPositive() {
			continue
		}
		if _, err := moveStock(ctx, tx, StockMove{ProductID: l.ProductID, WarehouseID: o.WarehouseID, Reserved: l.ReservedQuantity.Neg(),
			Kind: sales.MovementRelease, Reference: o.Number, ActorID: &actorID, OrderID: &o.ID, Field: "id"}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET reserved_quantity = 0 WHERE id = $1`, l.ID); err != nil {
			return err
		}
	}
	return nil
}

// backorder is an order line still waiting for stock.
type backorder struct {
	sales.OrderLine
	OrderNumber string `db:"order_number"`
	WarehouseID int64  `db:"warehouse_id"`
}

// lockBackorders locks the lines waiting for a product in a warehouse,
// oldest order first. A receipt calls it before it touches the stock level.
// It keeps the lock order: the orders first (by id, as cancel and close lock
// theirs before their lines), then their lines; the stock level comes after.
// Lines are chosen again once their orders are locked, so an order that was
// cancelled or closed meanwhile gets nothing.
func lockBackorders(ctx context.Context, tx *Tx, productID, warehouseID int64) ([]backorder, error) {
	const waitingLines = `
		FROM order_lines l JOIN sales_orders o ON o.id = l.order_id
		WHERE l.product_id = $1 AND o.warehouse_id = $2 AND o.allow_backorder
		  AND o.status IN ('CONFIRMED', 'PARTIALLY_DELIVERED')
		  AND l.reserved_quantity < l.quantity - l.delivered_quantity`
	var orderIDs []int64
	if err := tx.SelectContext(ctx, &orderIDs, `SELECT DISTINCT o.id`+waitingLines+` ORDER BY o.id`, productID, warehouseID); err != nil {
		return nil, err
	}
	if len(orderIDs) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM sales_orders WHERE id = ANY($1) ORDER BY id FOR UPDATE`, pqArray(orderIDs)); err != nil {
		return nil, err
	}
	// A new statement sees what committed while we waited for the locks.
	var waiting []backorder
	err := tx.SelectContext(ctx, &waiting, `
		SELECT l.id, l.order_id, l.line_no, l.product_id, l.quote_line_id, l.quantity, l.reserved_quantity, l.delivered_quantity,
			l.returned_quantity, l.unit_price, l.discount_percent, l.tax_rate, l.subtotal, l.tax, l.total,
			o.number AS order_number, o.warehouse_id`+waitingLines+` AND o.id = ANY($3)
		ORDER BY o.id, l.id
		FOR UPDATE OF l`, productID, warehouseID, pqArray(orderIDs))
	return waiting, err
}

// allocateBackorders reserves what is now available for the waiting lines,
// oldest first, inside tx (after the receipt's movement).
func allocateBackorders(ctx context.Context, tx *Tx, waiting []backorder, actorID *int64) error {
	if len(waiting) == 0 {
		return nil
	}
	level, err := lockLevel(ctx, tx, waiting[0].ProductID, waiting[0].WarehouseID)
	if err != nil {
		return err
	}
	available := level.Available()
	for _, w := range waiting {
		if !available.IsPositive() {
			break
		}
		q := decimal.Min(available, w.OpenQuantity().Sub(w.ReservedQuantity))
		o := &sales.SalesOrder{ID: w.OrderID, Number: w.OrderNumber, WarehouseID: w.WarehouseID}
		if err := reserveLine(ctx, tx, o, &w.OrderLine, q, actorID); err != nil {
			return err
		}
		available = available.Sub(q)
	}
	return nil
}
