package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"salesgraph/relay"
	"salesgraph/sales"
)

// A connection on an object (customer.orders, customer.quotes,
// product.stockLevels, warehouse.stockLevels, priceList.items) is one list
// per parent. Its first page in the default order is what screens ask for
// most, for a whole page of parents at once, so it is read for all the
// parents in one statement; its cursors are the list's own, so the next
// page is an ordinary List call with the parent's filter.

// FirstOrderPages returns, for each customer, the first limit orders of
// List's default order (newest first), as List with that customer's filter
// would return them, cursors included; the total is not counted (-1).
func (s *OrderStore) FirstOrderPages(ctx context.Context, customerIDs []int64, limit int) (_ map[int64]Window[sales.SalesOrder], err error) {
	defer wrap(&err, "Orders.FirstOrderPages")
	return firstPages(ctx, s.db, orderColumns, "sales_orders", "customer_id", "", nil, orderKeys,
		Sort{Field: "CREATED_AT", Desc: true}, customerIDs, limit, func(o *sales.SalesOrder) int64 { return o.CustomerID })
}

// FirstQuotePages is FirstOrderPages for quotes: the customer's live
// revisions (List's default latestOnly), newest first.
func (s *QuoteStore) FirstQuotePages(ctx context.Context, customerIDs []int64, limit int) (_ map[int64]Window[sales.Quote], err error) {
	defer wrap(&err, "Quotes.FirstQuotePages")
	return firstPages(ctx, s.db, quoteColumns, "quotes", "customer_id", "AND superseded_by IS NULL", nil, quoteKeys,
		Sort{Field: "CREATED_AT", Desc: true}, customerIDs, limit, func(q *sales.Quote) int64 { return q.CustomerID })
}

// FirstLevelPagesByProduct returns, for each product, its first limit stock
// levels in Levels' default order (by product, so by warehouse), as Levels
// with that product's filter would return them; the total is not counted.
func (s *StockStore) FirstLevelPagesByProduct(ctx context.Context, productIDs []int64, limit int) (_ map[int64]Window[sales.StockLevel], err error) {
	defer wrap(&err, "Stock.FirstLevelPagesByProduct")
	return firstPages(ctx, s.db, levelColumns, "stock_levels", "product_id", "", nil, levelKeys,
		Sort{}, productIDs, limit, func(l *sales.StockLevel) int64 { return l.ProductID })
}

// FirstLevelPagesByWarehouse is FirstLevelPagesByProduct for the levels held
// in each warehouse, by product.
func (s *StockStore) FirstLevelPagesByWarehouse(ctx context.Context, warehouseIDs []int64, limit int) (_ map[int64]Window[sales.StockLevel], err error) {
	defer wrap(&err, "Stock.FirstLevelPagesByWarehouse")
	return firstPages(ctx, s.db, levelColumns, "stock_levels", "warehouse_id", "", nil, levelKeys,
		Sort{}, warehouseIDs, limit, func(l *sales.StockLevel) int64 { return l.WarehouseID })
}

// FirstItemPages returns, for each price list, its first limit items in
// Items' order (by product, then quantity break), only productID's when it
// is not nil, as Items would return them; the total is not counted.
func (s *PriceListStore) FirstItemPages(ctx context.Context, listIDs []int64, productID *int64, limit int) (_ map[int64]Window[sales.PriceListItem], err error) {
	defer wrap(&err, "PriceLists.FirstItemPages")
	extra, args := "", []any(nil)
	if productID != nil {
		extra, args = "AND product_id = $2", []any{*productID}
	}
	return firstPages(ctx, s.db, itemColumns, "price_list_items", "price_list_id", extra, args, itemKeys,
		Sort{}, listIDs, limit, func(i *sales.PriceListItem) int64 { return i.PriceListID })
}

// firstPages reads the first limit rows of table per parent (parentColumn in
// parentIDs, plus the condition extra, whose arguments extraArgs are $2 on)
// in order s, with one LATERAL page per parent, and gives each row the
// cursor listPage would.
func firstPages[T any](ctx context.Context, q sqlx.QueryerContext, columns, table, parentColumn, extra string, extraArgs []any, ks *keyset[T], s Sort,
	parentIDs []int64, limit int, parentOf func(*T) int64) (map[int64]Window[T], error) {
	out := make(map[int64]Window[T], len(parentIDs))
	for _, id := range parentIDs {
		out[id] = Window[T]{Items: []*T{}, Total: -1}
	}
	if limit <= 0 || len(parentIDs) == 0 {
		return out, nil
	}
	name, k := ks.resolve(s)
	dir := "ASC"
	if s.Desc {
		dir = "DESC"
	}
	var order []string
	for _, col := range ks.columns(k) {
		order = append(order, col+" "+dir)
	}
	query := fmt.Sprintf(`SELECT %[1]s FROM (
		SELECT page.*, parent.ord FROM unnest($1::bigint[]) WITH ORDINALITY AS parent(id, ord)
		CROSS JOIN LATERAL (SELECT * FROM %[2]s WHERE %[3]s = parent.id %[4]s ORDER BY %[5]s LIMIT %[6]d) page
	) pages ORDER BY ord, %[5]s`, columns, table, parentColumn, extra, strings.Join(order, ", "), limit)
	var rows []*T
	if err := selectContext(ctx, q, &rows, query, append([]any{pqArray(parentIDs)}, extraArgs...)...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		w := out[parentOf(r)]
		w.Items = append(w.Items, r)
		w.Cursors = append(w.Cursors, relay.Cursor{List: ks.list, Sort: name, Desc: s.Desc, Value: k.value(r), Key: ks.keyOf(r)})
		out[parentOf(r)] = w
	}
	return out, nil
}

// FirstPaymentPages is FirstOrderPages for payments, newest first.
func (s *PaymentStore) FirstPaymentPages(ctx context.Context, customerIDs []int64, limit int) (_ map[int64]Window[sales.Payment], err error) {
	defer wrap(&err, "Payments.FirstPaymentPages")
	return firstPages(ctx, s.db, paymentColumns, "payments", "customer_id", "", nil, paymentKeys,
		Sort{Field: "CREATED_AT", Desc: true}, customerIDs, limit, func(p *sales.Payment) int64 { return p.CustomerID })
}

// FirstInvoicePages is FirstOrderPages for invoices, newest first.
func (s *InvoiceStore) FirstInvoicePages(ctx context.Context, customerIDs []int64, limit int) (_ map[int64]Window[sales.Invoice], err error) {
	defer wrap(&err, "Invoices.FirstInvoicePages")
	return firstPages(ctx, s.db, invoiceColumns, "invoices", "customer_id", "", nil, invoiceKeys,
		Sort{Field: "CREATED_AT", Desc: true}, customerIDs, limit, func(i *sales.Invoice) int64 { return i.CustomerID })
}
