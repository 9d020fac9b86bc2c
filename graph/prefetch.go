package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/relay"
	"salesgraph/sales"
)

// Prefetch: the level that lists parents loads their edges at once.
//
// A resolver asks its loader for one key; gqlgen resolves the siblings of a
// list concurrently, and a loader cannot know when the last sibling has
// asked, so it would have to wait for a timer (loaderWait) at every level of
// nesting. The code that lists the parents knows them all, and the query
// says which edges it wants: so it starts each wanted edge's statement for
// every parent right away (loader.prefetch), and when those rows arrive, their
// own wanted edges, level by level. The resolvers then call Load as before
// and find the row loaded or on its way. The statement count stays one per
// edge and level, whatever the page size, and no level waits for a timer.
//
// An edge not listed here still works through its loader's timer.

// selectedFields is what the field being resolved selects on an object of
// the type with these implementors (fragments, aliases and @skip/@include
// applied).
func selectedFields(ctx context.Context, implementors []string) []graphql.CollectedField {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	return graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, implementors)
}

// connectionNodeFields is what a connection field being resolved selects on
// its nodes, through edges.node and nodes.
func connectionNodeFields(ctx context.Context, implementors []string) []graphql.CollectedField {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil || !graphql.HasOperationContext(ctx) {
		return nil
	}
	return connectionNodeFieldsOf(ctx, fc.Field, implementors)
}

// connectionNodeFieldsOf is what connection field c selects on its nodes.
func connectionNodeFieldsOf(ctx context.Context, c graphql.CollectedField, implementors []string) []graphql.CollectedField {
	if c.Field == nil || c.Definition == nil {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(oc, c.Selections, []string{c.Definition.Type.Name()}) {
		switch f.Name {
		case "nodes":
			out = append(out, graphql.CollectFields(oc, f.Selections, implementors)...)
		case "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, []string{f.Definition.Type.Name()}) {
				if e.Name == "node" {
					out = append(out, graphql.CollectFields(oc, e.Selections, implementors)...)
				}
			}
		}
	}
	return out
}

// withEdges starts the edges the field being resolved selects on the one
// object a root field found (customer(id:), order(id:), …); used as
// withEdges(ctx, impl, next)(load(…)).
func withEdges[T any](ctx context.Context, implementors []string, next func(context.Context, []*T, []graphql.CollectedField)) func(*T, error) (*T, error) {
	return func(v *T, err error) (*T, error) {
		if v != nil {
			next(ctx, []*T{v}, selectedFields(ctx, implementors))
		}
		return v, err
	}
}

// sub is what field f selects on objects with these implementors.
func sub(ctx context.Context, f graphql.CollectedField, implementors []string) []graphql.CollectedField {
	return graphql.CollectFields(graphql.GetOperationContext(ctx), f.Selections, implementors)
}

func keys[T any](items []*T, key func(*T) int64) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		out = append(out, key(it))
	}
	return out
}

func optKeys[T any](items []*T, key func(*T) *int64) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		if k := key(it); k != nil {
			out = append(out, *k)
		}
	}
	return out
}

func nonNil[T any](items []*T) []*T {
	out := make([]*T, 0, len(items))
	for _, it := range items {
		if it != nil {
			out = append(out, it)
		}
	}
	return out
}

func flatten[T any](lists [][]*T) []*T {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]*T, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// then adapts a next-level prefetch to loader.prefetch's callback.
func thenOne[T any](ctx context.Context, fields []graphql.CollectedField, next func(context.Context, []*T, []graphql.CollectedField)) func([]*T) {
	if !wantsEdges(fields) {
		return nil
	}
	return func(items []*T) { next(ctx, nonNil(items), fields) }
}

func thenMany[T any](ctx context.Context, fields []graphql.CollectedField, next func(context.Context, []*T, []graphql.CollectedField)) func([][]*T) {
	if !wantsEdges(fields) {
		return nil
	}
	return func(lists [][]*T) { next(ctx, flatten(lists), fields) }
}

// wantsEdges reports whether a selection goes deeper than scalars, so a
// level with nothing more to load does not wait for its rows.
func wantsEdges(fields []graphql.CollectedField) bool {
	for _, f := range fields {
		if len(f.Selections) > 0 {
			return true
		}
	}
	return false
}

func prefetchOrders(ctx context.Context, orders []*sales.SalesOrder, fields []graphql.CollectedField) {
	if len(orders) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(orders, func(o *sales.SalesOrder) int64 { return o.ID })
	for _, f := range fields {
		switch f.Name {
		case "customer":
			l.CustomerByID.prefetch(ctx, keys(orders, func(o *sales.SalesOrder) int64 { return o.CustomerID }),
				thenOne(ctx, sub(ctx, f, customerImplementors), prefetchCustomers))
		case "quote":
			l.QuoteByID.prefetch(ctx, optKeys(orders, func(o *sales.SalesOrder) *int64 { return o.QuoteID }),
				thenOne(ctx, sub(ctx, f, quoteImplementors), prefetchQuotes))
		case "warehouse":
			l.WarehouseByID.prefetch(ctx, keys(orders, func(o *sales.SalesOrder) int64 { return o.WarehouseID }), nil)
		case "createdBy":
			l.UserByID.prefetch(ctx, optKeys(orders, func(o *sales.SalesOrder) *int64 { return o.CreatedBy }), nil)
		case "lines":
			for _, o := range orders {
				l.currencies.note("sales_orders", o.ID, o.Currency)
			}
			l.OrderLinesByOrderID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, orderLineImplementors), prefetchOrderLines))
		case "deliveries":
			l.DeliveriesByOrderID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, deliveryImplementors), prefetchDeliveries))
		case "returns":
			l.ReturnsByOrderID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, returnImplementors), prefetchReturns))
		case "invoices":
			l.InvoicesByOrderID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		case "payments":
			l.PaymentsByOrderID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, paymentImplementors), prefetchPayments))
		case "history":
			l.History[sales.DocOrder].prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, documentEventImplementors), prefetchDocumentEvents))
		case "statusEvents":
			l.OrderEventsByOrderID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, orderStatusEventImplementors), prefetchOrderEvents))
		}
	}
}

func prefetchOrderLines(ctx context.Context, lines []*sales.OrderLine, fields []graphql.CollectedField) {
	if len(lines) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(lines, func(x *sales.OrderLine) int64 { return x.ID })
	for _, f := range fields {
		switch f.Name {
		case "order":
			l.OrderByID.prefetch(ctx, keys(lines, func(x *sales.OrderLine) int64 { return x.OrderID }),
				thenOne(ctx, sub(ctx, f, salesOrderImplementors), prefetchOrders))
		case "product":
			l.ProductByID.prefetch(ctx, keys(lines, func(x *sales.OrderLine) int64 { return x.ProductID }),
				thenOne(ctx, sub(ctx, f, productImplementors), prefetchProducts))
		case "quoteLine":
			l.QuoteLineByID.prefetch(ctx, optKeys(lines, func(x *sales.OrderLine) *int64 { return x.QuoteLineID }),
				thenOne(ctx, sub(ctx, f, quoteLineImplementors), prefetchQuoteLines))
		case "deliveryLines":
			l.DeliveryLinesByOrderLineID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, deliveryLineImplementors), prefetchDeliveryLines))
		case "returnLines":
			l.ReturnLinesByOrderLineID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, returnLineImplementors), prefetchReturnLines))
		}
	}
}

func prefetchCustomers(ctx context.Context, customers []*sales.Customer, fields []graphql.CollectedField) {
	if len(customers) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(customers, func(c *sales.Customer) int64 { return c.ID })
	for _, f := range fields {
		switch f.Name {
		case "shippingAddresses":
			l.AddressesByCustomerID.prefetch(ctx, ids, nil)
		case "priceList":
			l.PriceListByID.prefetch(ctx, optKeys(customers, func(c *sales.Customer) *int64 { return c.PriceListID }),
				thenOne(ctx, sub(ctx, f, priceListImplementors), prefetchPriceLists))
		case "salesRep":
			l.UserByID.prefetch(ctx, optKeys(customers, func(c *sales.Customer) *int64 { return c.SalesRepID }), nil)
		case "quotes":
			prefetchFirstPages(ctx, l.FirstQuotesByCustomer, ids, 0, f, quoteImplementors, prefetchQuotes)
		case "orders":
			prefetchFirstPages(ctx, l.FirstOrdersByCustomer, ids, 0, f, salesOrderImplementors, prefetchOrders)
		case "payments":
			prefetchFirstPages(ctx, l.FirstPaymentsByCustomer, ids, 0, f, paymentImplementors, prefetchPayments)
		}
	}
}

func prefetchQuotes(ctx context.Context, quotes []*sales.Quote, fields []graphql.CollectedField) {
	if len(quotes) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(quotes, func(q *sales.Quote) int64 { return q.ID })
	for _, f := range fields {
		switch f.Name {
		case "customer":
			l.CustomerByID.prefetch(ctx, keys(quotes, func(q *sales.Quote) int64 { return q.CustomerID }),
				thenOne(ctx, sub(ctx, f, customerImplementors), prefetchCustomers))
		case "supersededBy":
			l.QuoteByID.prefetch(ctx, optKeys(quotes, func(q *sales.Quote) *int64 { return q.SupersededBy }), nil)
		case "createdBy":
			l.UserByID.prefetch(ctx, optKeys(quotes, func(q *sales.Quote) *int64 { return q.CreatedBy }), nil)
		case "lines":
			for _, q := range quotes {
				l.currencies.note("quotes", q.ID, q.Currency)
			}
			l.QuoteLinesByQuoteID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, quoteLineImplementors), prefetchQuoteLines))
		case "order":
			l.OrderByQuoteID.prefetch(ctx, ids, thenOne(ctx, sub(ctx, f, salesOrderImplementors), prefetchOrders))
		case "history":
			l.History[sales.DocQuote].prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, documentEventImplementors), prefetchDocumentEvents))
		}
	}
}

func prefetchQuoteLines(ctx context.Context, lines []*sales.QuoteLine, fields []graphql.CollectedField) {
	if len(lines) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		if f.Name == "product" {
			l.ProductByID.prefetch(ctx, keys(lines, func(x *sales.QuoteLine) int64 { return x.ProductID }),
				thenOne(ctx, sub(ctx, f, productImplementors), prefetchProducts))
		}
	}
}

func prefetchDeliveries(ctx context.Context, deliveries []*sales.Delivery, fields []graphql.CollectedField) {
	if len(deliveries) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(deliveries, func(d *sales.Delivery) int64 { return d.ID })
	for _, f := range fields {
		switch f.Name {
		case "order":
			l.OrderByID.prefetch(ctx, keys(deliveries, func(d *sales.Delivery) int64 { return d.OrderID }),
				thenOne(ctx, sub(ctx, f, salesOrderImplementors), prefetchOrders))
		case "warehouse":
			l.WarehouseByID.prefetch(ctx, keys(deliveries, func(d *sales.Delivery) int64 { return d.WarehouseID }), nil)
		case "lines":
			l.DeliveryLinesByDeliveryID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, deliveryLineImplementors), prefetchDeliveryLines))
		case "returns":
			l.ReturnsByDeliveryID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, returnImplementors), prefetchReturns))
		case "history":
			l.History[sales.DocDelivery].prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, documentEventImplementors), prefetchDocumentEvents))
		}
	}
}

func prefetchDeliveryLines(ctx context.Context, lines []*sales.DeliveryLine, fields []graphql.CollectedField) {
	if len(lines) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "delivery":
			l.DeliveryByID.prefetch(ctx, keys(lines, func(x *sales.DeliveryLine) int64 { return x.DeliveryID }),
				thenOne(ctx, sub(ctx, f, deliveryImplementors), prefetchDeliveries))
		case "orderLine", "product":
			prefetchThroughOrderLines(ctx, f, keys(lines, func(x *sales.DeliveryLine) int64 { return x.OrderLineID }))
		}
	}
}

func prefetchReturns(ctx context.Context, returns []*sales.Return, fields []graphql.CollectedField) {
	if len(returns) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(returns, func(r *sales.Return) int64 { return r.ID })
	for _, f := range fields {
		switch f.Name {
		case "order":
			l.OrderByID.prefetch(ctx, keys(returns, func(r *sales.Return) int64 { return r.OrderID }),
				thenOne(ctx, sub(ctx, f, salesOrderImplementors), prefetchOrders))
		case "delivery":
			l.DeliveryByID.prefetch(ctx, optKeys(returns, func(r *sales.Return) *int64 { return r.DeliveryID }),
				thenOne(ctx, sub(ctx, f, deliveryImplementors), prefetchDeliveries))
		case "warehouse":
			l.WarehouseByID.prefetch(ctx, optKeys(returns, func(r *sales.Return) *int64 { return r.WarehouseID }), nil)
		case "lines":
			l.ReturnLinesByReturnID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, returnLineImplementors), prefetchReturnLines))
		case "history":
			l.History[sales.DocReturn].prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, documentEventImplementors), prefetchDocumentEvents))
		case "creditNote":
			l.CreditNotesByReturnID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		}
	}
}

func prefetchReturnLines(ctx context.Context, lines []*sales.ReturnLine, fields []graphql.CollectedField) {
	if len(lines) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "return":
			l.ReturnByID.prefetch(ctx, keys(lines, func(x *sales.ReturnLine) int64 { return x.ReturnID }),
				thenOne(ctx, sub(ctx, f, returnImplementors), prefetchReturns))
		case "orderLine", "product":
			prefetchThroughOrderLines(ctx, f, keys(lines, func(x *sales.ReturnLine) int64 { return x.OrderLineID }))
		}
	}
}

// prefetchThroughOrderLines serves a delivery or return line's orderLine,
// and its product, which the resolver reads through the order line.
func prefetchThroughOrderLines(ctx context.Context, f graphql.CollectedField, orderLineIDs []int64) {
	l := loadersFrom(ctx)
	if f.Name == "orderLine" {
		l.OrderLineByID.prefetch(ctx, orderLineIDs, thenOne(ctx, sub(ctx, f, orderLineImplementors), prefetchOrderLines))
		return
	}
	fields := sub(ctx, f, productImplementors)
	l.OrderLineByID.prefetch(ctx, orderLineIDs, func(lines []*sales.OrderLine) {
		l.ProductByID.prefetch(ctx, keys(nonNil(lines), func(x *sales.OrderLine) int64 { return x.ProductID }),
			thenOne(ctx, fields, prefetchProducts))
	})
}

func prefetchProducts(ctx context.Context, products []*sales.Product, fields []graphql.CollectedField) {
	if len(products) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		if f.Name == "stockLevels" {
			prefetchFirstPages(ctx, l.FirstLevelsByProduct, keys(products, func(p *sales.Product) int64 { return p.ID }), 0,
				f, stockLevelImplementors, prefetchStockLevels)
		}
	}
}

func prefetchStockLevels(ctx context.Context, levels []*sales.StockLevel, fields []graphql.CollectedField) {
	if len(levels) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "product":
			l.ProductByID.prefetch(ctx, keys(levels, func(s *sales.StockLevel) int64 { return s.ProductID }), nil)
		case "warehouse":
			l.WarehouseByID.prefetch(ctx, keys(levels, func(s *sales.StockLevel) int64 { return s.WarehouseID }), nil)
		}
	}
}

func prefetchDocumentEvents(ctx context.Context, events []*sales.DocumentEvent, fields []graphql.CollectedField) {
	for _, f := range fields {
		if f.Name == "actor" {
			loadersFrom(ctx).UserByID.prefetch(ctx, optKeys(events, func(e *sales.DocumentEvent) *int64 { return e.ActorID }), nil)
		}
	}
}

func prefetchOrderEvents(ctx context.Context, events []*sales.OrderEvent, fields []graphql.CollectedField) {
	for _, f := range fields {
		if f.Name == "actor" {
			loadersFrom(ctx).UserByID.prefetch(ctx, optKeys(events, func(e *sales.OrderEvent) *int64 { return e.ActorID }), nil)
		}
	}
}

func prefetchPriceLists(ctx context.Context, lists []*sales.PriceList, fields []graphql.CollectedField) {
	if len(lists) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		if f.Name != "items" {
			continue
		}
		var product int64
		if sent, ok := f.ArgumentMap(graphql.GetOperationContext(ctx).Variables)["productId"].(string); ok {
			key, err := relay.Key("productId", typeProduct, sent)
			if err != nil {
				continue // the resolver reports it
			}
			product = key
		}
		for _, pl := range lists {
			l.currencies.note("price_lists", pl.ID, pl.Currency)
		}
		prefetchFirstPages(ctx, l.FirstItemsByPriceList, keys(lists, func(pl *sales.PriceList) int64 { return pl.ID }), product,
			f, priceListItemImplementors, prefetchPriceListItems)
	}
}

func prefetchPriceListItems(ctx context.Context, items []*sales.PriceListItem, fields []graphql.CollectedField) {
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "product":
			l.ProductByID.prefetch(ctx, keys(items, func(i *sales.PriceListItem) int64 { return i.ProductID }),
				thenOne(ctx, sub(ctx, f, productImplementors), prefetchProducts))
		case "priceList":
			l.PriceListByID.prefetch(ctx, keys(items, func(i *sales.PriceListItem) int64 { return i.PriceListID }), nil)
		}
	}
}

func prefetchWarehouses(ctx context.Context, warehouses []*sales.Warehouse, fields []graphql.CollectedField) {
	if len(warehouses) == 0 {
		return
	}
	for _, f := range fields {
		if f.Name == "stockLevels" {
			prefetchFirstPages(ctx, loadersFrom(ctx).FirstLevelsByWarehouse, keys(warehouses, func(w *sales.Warehouse) int64 { return w.ID }), 0,
				f, stockLevelImplementors, prefetchStockLevels)
		}
	}
}
