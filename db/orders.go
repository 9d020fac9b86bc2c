package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"salesgraph/sales"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"
)

// OrderStore persists sales orders and their lines. The state changes that
// move stock (confirm, release, cancel, close) are in orders_flow.go.
type OrderStore struct {
	db *DB
	// CreditGraceDays is how many days overdue an invoice may be before the
	// credit check holds a customer's new orders (CREDIT_GRACE_DAYS).
	CreditGraceDays int
}

// ByIDs returns the orders with these IDs, in any order.
func (s *OrderStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.ByIDs")
	return byIDs[sales.SalesOrder](ctx, s.db, `SELECT `+orderColumns+` FROM sales_orders WHERE id = ANY($1)`, ids)
}

// ByQuoteIDs returns the orders converted from these quotes.
func (s *OrderStore) ByQuoteIDs(ctx context.Context, ids []int64) (_ []*sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.ByQuoteIDs")
	return byIDs[sales.SalesOrder](ctx, s.db, `SELECT `+orderColumns+` FROM sales_orders WHERE quote_id = ANY($1)`, ids)
}

// LinesByOrderIDs returns the lines of these orders, by order and line number.
func (s *OrderStore) LinesByOrderIDs(ctx context.Context, ids []int64) (_ []*sales.OrderLine, err error) {
	defer wrap(&err, "Orders.LinesByOrderIDs")
	return byIDs[sales.OrderLine](ctx, s.db, `SELECT `+orderLineColumns+` FROM order_lines
		WHERE order_id = ANY($1) ORDER BY order_id, line_no`, ids)
}

// LinesByIDs returns order lines by ID, in any order.
func (s *OrderStore) LinesByIDs(ctx context.Context, ids []int64) (_ []*sales.OrderLine, err error) {
	defer wrap(&err, "Orders.LinesByIDs")
	return byIDs[sales.OrderLine](ctx, s.db, `SELECT `+orderLineColumns+` FROM order_lines WHERE id = ANY($1)`, ids)
}

var orderKeys = &keyset[sales.SalesOrder]{
	list: "orders",
	sorts: map[string]sortKey[sales.SalesOrder]{
		"NUMBER":     textKey("number", "%s", func(r *sales.SalesOrder) string { return r.Number }),
		"ORDER_DATE": dateKey("order_date", false, func(r *sales.SalesOrder) *time.Time { return &r.OrderDate }),
		"CREATED_AT": stampKey("created_at", func(r *sales.SalesOrder) time.Time { return r.CreatedAt }),
		"TOTAL":      numberKey("total", func(r *sales.SalesOrder) decimal.Decimal { return r.Total }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(r *sales.SalesOrder) []int64 { return []int64{r.ID} },
}

// List returns a page of orders and, when page.Count asks, the total (else -1). The default order is newest first.
func (s *OrderStore) List(ctx context.Context, f sales.OrderFilter, sort Sort, page Page) (_ Window[sales.SalesOrder], err error) {
	defer wrap(&err, "Orders.List")
	var w where
	anyOf(&w, "status", f.Statuses)
	if f.CustomerID != nil {
		w.add("customer_id = ?", *f.CustomerID)
	}
	if f.SalesRepID != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *f.SalesRepID)
	}
	if f.OwnerID != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *f.OwnerID)
	}
	if f.QuoteID != nil {
		w.add("quote_id = ?", *f.QuoteID)
	}
	if f.WarehouseID != nil {
		w.add("warehouse_id = ?", *f.WarehouseID)
	}
	if f.Number != nil {
		w.add("number = ?", strings.ToUpper(strings.TrimSpace(*f.Number)))
	}
	if f.From != nil {
		w.add("order_date >= ?", *f.From)
	}
	if f.To != nil {
		w.add("order_date <= ?", *f.To)
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+orderColumns, `FROM sales_orders`, &w, orderKeys, sort, page)
}

// Create drafts an order: lines priced from the customer's price lists
// unless given, number assigned, history and live-feed event written.
// Returns VALIDATION, NOT_FOUND (customer, warehouse, product, address),
// NO_PRICE, IDEMPOTENCY_KEY_REUSED.
func (s *OrderStore) Create(ctx context.Context, actor *sales.User, in sales.NewOrder, key *string) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.Create")
	if err := sales.CheckOrderTerms(&in.Terms); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createOrder", key, in, func(tx *Tx) (int64, error) {
		customer, err := customerForDocument(ctx, tx, actor, in.CustomerID, "input.customerId")
		if err != nil {
			return 0, err
		}
		if err := sales.CheckDeposit(in.Terms.DepositAmount, in.Terms.DepositPercent, customer.Currency); err != nil {
			return 0, err
		}
		date := orderDate(tx, in.Terms)
		lines, total, err := priceLines(ctx, tx, customer, in.Lines, date, "input.lines")
		if err != nil {
			return 0, err
		}
		return insertOrder(ctx, tx, actor, customer, in.Terms, lines, total, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

func (s *OrderStore) byID(ctx context.Context, id int64) (*sales.SalesOrder, error) {
	var o sales.SalesOrder
	if err := s.db.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM sales_orders WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "sales order")
	}
	return &o, nil
}

// validateTerms checks the parts of order terms that need no database (sales.CheckOrderTerms).
func validateTerms(t *sales.OrderTerms) error { return sales.CheckOrderTerms(t) }

func orderDate(tx *Tx, t sales.OrderTerms) time.Time {
	if t.OrderDate != nil {
		return *t.OrderDate
	}
	return tx.Now
}

// shipToFor reads the addresses an order's ship-to is chosen from and lets
// sales.ChooseShipTo choose: one of the customer's addresses, else the
// address given, else the customer's default shipping address, else its
// billing address. An address ID not of this customer is NOT_FOUND.
func shipToFor(ctx context.Context, tx *Tx, customer *sales.Customer, t sales.OrderTerms) (sales.Address, error) {
	choice := sales.ShipToChoice{Given: t.ShipTo, Billing: customer.BillingAddress}
	if t.ShipToAddressID != nil {
		var a sales.ShippingAddress
		err := tx.GetContext(ctx, &a, `SELECT `+addressColumns+` FROM customer_addresses WHERE id = $1 AND customer_id = $2`, *t.ShipToAddressID, customer.ID)
		if err != nil {
			return sales.Address{}, notFound(err, "input.shipToAddressId", "shipping address of this customer")
		}
		choice.Picked = addressOf(&a)
	} else if t.ShipTo == nil {
		var a sales.ShippingAddress
		err := tx.GetContext(ctx, &a, `SELECT `+addressColumns+` FROM customer_addresses WHERE customer_id = $1 ORDER BY is_default DESC, id LIMIT 1`, customer.ID)
		if err == nil {
			choice.Default = addressOf(&a)
		} else if !isNoRows(err) {
			return sales.Address{}, err
		}
	}
	return sales.ChooseShipTo(choice)
}

func addressOf(a *sales.ShippingAddress) *sales.Address {
	return &sales.Address{Line1: a.Line1, Line2: a.Line2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
}

// insertOrder writes a draft order and its lines, inside tx, and returns its
// ID. quoteLineIDs, when converting a quote, link each line to its origin.
func insertOrder(ctx context.Context, tx *Tx, actor *sales.User, customer *sales.Customer, t sales.OrderTerms,
	lines []pricedLine, total sales.Amounts, quote *quoteOrigin) (int64, error) {
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM warehouses WHERE id = $1 AND active)`, t.WarehouseID); err != nil {
		return 0, err
	}
	if !exists {
		return 0, sales.Errorf(sales.CodeNotFound, "input.warehouseId", "warehouse not found")
	}
	shipTo, err := shipToFor(ctx, tx, customer, t)
	if err != nil {
		return 0, err
	}
	number, err := nextNumber(ctx, tx, sales.DocOrder.Series())
	if err != nil {
		return 0, err
	}
	policy := sales.InvoiceDelivered
	if t.InvoicingPolicy != nil {
		policy = *t.InvoicingPolicy
	}
	var quoteID *int64
	if quote != nil {
		quoteID = &quote.ID
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO sales_orders (number, customer_id, quote_id, warehouse_id, order_date, requested_delivery_date, ship_to,
			currency, payment_terms_days, invoicing_policy, allow_backorder, customer_reference, notes,
			subtotal, tax_total, total, created_by, created_at, updated_at, deposit_amount, deposit_percent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20) RETURNING id`,
		number, customer.ID, quoteID, t.WarehouseID, orderDate(tx, t), t.RequestedDeliveryDate, shipTo,
		customer.Currency, customer.PaymentTermsDays, string(policy), t.AllowBackorder, t.CustomerReference, t.Notes,
		total.Subtotal, total.Tax, total.Total, actor.ID, tx.Now, t.DepositAmount, t.DepositPercent)
	if err != nil {
		return 0, err
	}
	if err := insertOrderLines(ctx, tx, id, lines, quote); err != nil {
		return 0, err
	}
	return id, recordOrderStatus(ctx, tx, id, "CREATE", nil, sales.OrderDraft, "", &actor.ID)
}

// quoteOrigin links an order to the quote it was converted from.
type quoteOrigin struct {
	ID      int64
	LineIDs []int64 // per order line, in order
}

func insertOrderLines(ctx context.Context, tx *Tx, orderID int64, lines []pricedLine, quote *quoteOrigin) error {
	quoteLines := make([]sql.NullInt64, len(lines))
	if quote != nil {
		for i := range lines {
			quoteLines[i] = sql.NullInt64{Int64: quote.LineIDs[i], Valid: true}
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, quote_line_id, `+lineColumnNames+`)
		SELECT $1, * FROM unnest($2::bigint[], `+lineColumnsSQL(3)+`)`,
		append([]any{orderID, pq.Array(quoteLines)}, columnsOf(lines).args()...)...)
	return err
}

// Update edits a draft order; sent lines replace all lines (repriced).
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION (not a draft), VALIDATION, NO_PRICE.
func (s *OrderStore) Update(ctx context.Context, actor *sales.User, id int64, version int, ch sales.OrderChange) (_ *sales.SalesOrder, err error) {
	defer wrap(&err, "Orders.Update(%d)", id)
	if err := sales.CheckVersion(version); err != nil {
		return nil, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		o, err := lockOrder(ctx, tx, actor, id, version, "id")
		if err != nil {
			return err
		}
		if err := sales.CheckOrderEdit(o, ch); err != nil {
			return err
		}
		terms := sales.OrderTerms{WarehouseID: o.WarehouseID, OrderDate: &o.OrderDate, RequestedDeliveryDate: o.RequestedDeliveryDate,
			ShipTo: &o.ShipTo, InvoicingPolicy: &o.InvoicingPolicy, AllowBackorder: o.AllowBackorder,
			CustomerReference: o.CustomerReference, Notes: o.Notes, DepositAmount: o.DepositAmount, DepositPercent: o.DepositPercent}
		set(&terms.WarehouseID, ch.WarehouseID)
		if ch.SetDeposit {
			terms.DepositAmount, terms.DepositPercent = ch.DepositAmount, ch.DepositPercent
			if err := sales.CheckDeposit(terms.DepositAmount, terms.DepositPercent, o.Currency); err != nil {
				return err
			}
		}
		if ch.SetRequestedDeliveryDate {
			terms.RequestedDeliveryDate = ch.RequestedDeliveryDate
		}
		if ch.ShipToAddressID != nil || ch.ShipTo != nil {
			terms.ShipToAddressID, terms.ShipTo = ch.ShipToAddressID, ch.ShipTo
		}
		if ch.InvoicingPolicy != nil {
			terms.InvoicingPolicy = ch.InvoicingPolicy
		}
		set(&terms.AllowBackorder, ch.AllowBackorder)
		set(&terms.CustomerReference, ch.CustomerReference)
		set(&terms.Notes, ch.Notes)
		if err := sales.CheckOrderTerms(&terms); err != nil {
			return err
		}
		var customer sales.Customer
		if err := tx.GetContext(ctx, &customer, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, o.CustomerID); err != nil {
			return err
		}
		shipTo, err := shipToFor(ctx, tx, &customer, terms)
		if err != nil {
			return err
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM warehouses WHERE id = $1 AND active)`, terms.WarehouseID); err != nil {
			return err
		}
		if !exists {
			return sales.Errorf(sales.CodeNotFound, "input.warehouseId", "warehouse not found")
		}
		total := sales.Amounts{Subtotal: o.Subtotal, Tax: o.TaxTotal, Total: o.Total}
		if ch.Lines != nil {
			lines, sum, err := priceLines(ctx, tx, &customer, ch.Lines, o.OrderDate, "input.lines")
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM order_lines WHERE order_id = $1`, id); err != nil {
				return err
			}
			if err := insertOrderLines(ctx, tx, id, lines, nil); err != nil {
				return err
			}
			total = sum
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE sales_orders SET warehouse_id = $2, requested_delivery_date = $3, ship_to = $4, invoicing_policy = $5,
				allow_backorder = $6, customer_reference = $7, notes = $8, subtotal = $9, tax_total = $10, total = $11,
				version = version + 1, updated_at = $12, deposit_amount = $13, deposit_percent = $14
			WHERE id = $1`, id, terms.WarehouseID, terms.RequestedDeliveryDate, shipTo, string(*terms.InvoicingPolicy),
			terms.AllowBackorder, terms.CustomerReference, terms.Notes, total.Subtotal, total.Tax, total.Total, tx.Now,
			terms.DepositAmount, terms.DepositPercent)
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// set overwrites *dst when v is given.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
