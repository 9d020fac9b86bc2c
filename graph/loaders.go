package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"salesgraph/db"
	"salesgraph/sales"
)

// Loaders batch every edge of the graph: each loads many keys with one
// `= ANY($1)` statement. A fresh set is made per response (per HTTP request
// and per subscription event, see NewLoaderMiddleware), so a subscription
// never serves rows cached at connect time.
type Loaders struct {
	UserByID            *dataloader.Loader[int64, *sales.User]
	CustomerByID        *dataloader.Loader[int64, *sales.Customer]
	ProductByID         *dataloader.Loader[int64, *sales.Product]
	WarehouseByID       *dataloader.Loader[int64, *sales.Warehouse]
	PriceListByID       *dataloader.Loader[int64, *sales.PriceList]
	PriceListItemByID   *dataloader.Loader[int64, *sales.PriceListItem]
	StockMovementByID   *dataloader.Loader[int64, *sales.StockMovement]
	ShippingAddressByID *dataloader.Loader[int64, *sales.ShippingAddress]

	AddressesByCustomerID    *dataloader.Loader[int64, []*sales.ShippingAddress]
	StockLevelsByProductID   *dataloader.Loader[int64, []*sales.StockLevel]
	StockLevelsByWarehouseID *dataloader.Loader[int64, []*sales.StockLevel]
	ItemsByPriceListID       *dataloader.Loader[int64, []*sales.PriceListItem]
	ItemsByListProduct       *dataloader.Loader[db.ListProduct, []*sales.PriceListItem]
	// Documents.
	QuoteByID                  *dataloader.Loader[int64, *sales.Quote]
	QuoteLineByID              *dataloader.Loader[int64, *sales.QuoteLine]
	QuoteRevisionsByNumber     *dataloader.Loader[string, []*sales.Quote]
	QuotesByCustomerID         *dataloader.Loader[int64, []*sales.Quote]
	QuoteLinesByQuoteID        *dataloader.Loader[int64, []*sales.QuoteLine]
	OrderByID                  *dataloader.Loader[int64, *sales.SalesOrder]
	OrderByQuoteID             *dataloader.Loader[int64, *sales.SalesOrder]
	OrdersByCustomerID         *dataloader.Loader[int64, []*sales.SalesOrder]
	OrderLineByID              *dataloader.Loader[int64, *sales.OrderLine]
	OrderLinesByOrderID        *dataloader.Loader[int64, []*sales.OrderLine]
	OrderEventsByOrderID       *dataloader.Loader[int64, []*sales.OrderEvent]
	DeliveryByID               *dataloader.Loader[int64, *sales.Delivery]
	DeliveriesByOrderID        *dataloader.Loader[int64, []*sales.Delivery]
	DeliveryLineByID           *dataloader.Loader[int64, *sales.DeliveryLine]
	DeliveryLinesByDeliveryID  *dataloader.Loader[int64, []*sales.DeliveryLine]
	DeliveryLinesByOrderLineID *dataloader.Loader[int64, []*sales.DeliveryLine]
	ReturnByID                 *dataloader.Loader[int64, *sales.Return]
	ReturnsByOrderID           *dataloader.Loader[int64, []*sales.Return]
	ReturnsByDeliveryID        *dataloader.Loader[int64, []*sales.Return]
	ReturnLineByID             *dataloader.Loader[int64, *sales.ReturnLine]
	ReturnLinesByReturnID      *dataloader.Loader[int64, []*sales.ReturnLine]
	ReturnLinesByOrderLineID   *dataloader.Loader[int64, []*sales.ReturnLine]
	HistoryByQuoteID           *dataloader.Loader[int64, []*sales.DocumentEvent]
	HistoryByOrderID           *dataloader.Loader[int64, []*sales.DocumentEvent]
	HistoryByDeliveryID        *dataloader.Loader[int64, []*sales.DocumentEvent]
	HistoryByReturnID          *dataloader.Loader[int64, []*sales.DocumentEvent]

	// The currency of the documents and lists whose lines were listed (money.go).
	currencies currencies
}

// loaderWait is how long a loader collects keys before it queries. Every
// level of nesting pays it once. Measured on the 2-core dev machine with
// TestLoaders_StatementsPerPage (50 customers × 3 edges): at 1 ms a batch
// split in 7/20 plain and 10/10 -race runs, at 5 ms in 1/30 and 6/20, at
// 10 ms in 0/20 and 0/10. A quiet-period trigger would do better; v7 has
// only this timer.
const loaderWait = 10 * time.Millisecond

// NewLoaders builds a fresh loader set over store.
func NewLoaders(s *db.Store) *Loaders {
	return &Loaders{
		UserByID:            one(s.Users.ByIDs, func(u *sales.User) int64 { return u.ID }),
		CustomerByID:        one(s.Customers.ByIDs, func(c *sales.Customer) int64 { return c.ID }),
		ProductByID:         one(s.Products.ByIDs, func(p *sales.Product) int64 { return p.ID }),
		WarehouseByID:       one(s.Warehouses.ByIDs, func(w *sales.Warehouse) int64 { return w.ID }),
		PriceListByID:       one(s.PriceLists.ByIDs, func(l *sales.PriceList) int64 { return l.ID }),
		PriceListItemByID:   one(s.PriceLists.ItemsByIDs, func(i *sales.PriceListItem) int64 { return i.ID }),
		StockMovementByID:   one(s.Stock.MovementsByIDs, func(m *sales.StockMovement) int64 { return m.ID }),
		ShippingAddressByID: one(s.Customers.AddressesByIDs, func(a *sales.ShippingAddress) int64 { return a.ID }),

		AddressesByCustomerID:    many(s.Customers.AddressesByCustomerIDs, func(a *sales.ShippingAddress) int64 { return a.CustomerID }),
		StockLevelsByProductID:   many(s.Stock.LevelsByProductIDs, func(l *sales.StockLevel) int64 { return l.ProductID }),
		StockLevelsByWarehouseID: many(s.Stock.LevelsByWarehouseIDs, func(l *sales.StockLevel) int64 { return l.WarehouseID }),
		ItemsByPriceListID:       many(s.PriceLists.ItemsByListIDs, func(i *sales.PriceListItem) int64 { return i.PriceListID }),
		ItemsByListProduct: many(s.PriceLists.ItemsByListProducts, func(i *sales.PriceListItem) db.ListProduct {
			return db.ListProduct{ListID: i.PriceListID, ProductID: i.ProductID}
		}),

		QuoteByID:                  one(s.Quotes.ByIDs, func(q *sales.Quote) int64 { return q.ID }),
		QuoteLineByID:              one(s.Quotes.LinesByIDs, func(l *sales.QuoteLine) int64 { return l.ID }),
		QuoteRevisionsByNumber:     many(s.Quotes.ByNumbers, func(q *sales.Quote) string { return q.Number }),
		QuotesByCustomerID:         many(s.Quotes.LatestByCustomerIDs, func(q *sales.Quote) int64 { return q.CustomerID }),
		QuoteLinesByQuoteID:        many(s.Quotes.LinesByQuoteIDs, func(l *sales.QuoteLine) int64 { return l.QuoteID }),
		OrderByID:                  one(s.Orders.ByIDs, func(o *sales.SalesOrder) int64 { return o.ID }),
		OrderByQuoteID:             one(s.Orders.ByQuoteIDs, func(o *sales.SalesOrder) int64 { return *o.QuoteID }),
		OrdersByCustomerID:         many(s.Orders.LatestByCustomerIDs, func(o *sales.SalesOrder) int64 { return o.CustomerID }),
		OrderLineByID:              one(s.Orders.LinesByIDs, func(l *sales.OrderLine) int64 { return l.ID }),
		OrderLinesByOrderID:        many(s.Orders.LinesByOrderIDs, func(l *sales.OrderLine) int64 { return l.OrderID }),
		OrderEventsByOrderID:       many(s.Events.OrderEvents, func(e *sales.OrderEvent) int64 { return e.OrderID }),
		DeliveryByID:               one(s.Deliveries.ByIDs, func(d *sales.Delivery) int64 { return d.ID }),
		DeliveriesByOrderID:        many(s.Deliveries.ByOrderIDs, func(d *sales.Delivery) int64 { return d.OrderID }),
		DeliveryLineByID:           one(s.Deliveries.LinesByIDs, func(l *sales.DeliveryLine) int64 { return l.ID }),
		DeliveryLinesByDeliveryID:  many(s.Deliveries.LinesByDeliveryIDs, func(l *sales.DeliveryLine) int64 { return l.DeliveryID }),
		DeliveryLinesByOrderLineID: many(s.Deliveries.LinesByOrderLineIDs, func(l *sales.DeliveryLine) int64 { return l.OrderLineID }),
		ReturnByID:                 one(s.Returns.ByIDs, func(r *sales.Return) int64 { return r.ID }),
		ReturnsByOrderID:           many(s.Returns.ByOrderIDs, func(r *sales.Return) int64 { return r.OrderID }),
		ReturnsByDeliveryID:        many(s.Returns.ByDeliveryIDs, func(r *sales.Return) int64 { return *r.DeliveryID }),
		ReturnLineByID:             one(s.Returns.LinesByIDs, func(l *sales.ReturnLine) int64 { return l.ID }),
		ReturnLinesByReturnID:      many(s.Returns.LinesByReturnIDs, func(l *sales.ReturnLine) int64 { return l.ReturnID }),
		ReturnLinesByOrderLineID:   many(s.Returns.LinesByOrderLineIDs, func(l *sales.ReturnLine) int64 { return l.OrderLineID }),
		HistoryByQuoteID:           history(s.Events, sales.DocQuote),
		HistoryByOrderID:           history(s.Events, sales.DocOrder),
		HistoryByDeliveryID:        history(s.Events, sales.DocDelivery),
		HistoryByReturnID:          history(s.Events, sales.DocReturn),
	}
}

// history builds the loader of one document type's events.
func history(events *db.EventStore, docType sales.DocumentType) *dataloader.Loader[int64, []*sales.DocumentEvent] {
	return many(func(ctx context.Context, ids []int64) ([]*sales.DocumentEvent, error) {
		return events.ByDocuments(ctx, docType, ids)
	}, func(e *sales.DocumentEvent) int64 { return e.DocID })
}

type loadersKey struct{}

// NewLoaderMiddleware gives every response its own loader set. It is an
// AroundResponses hook rather than HTTP middleware because a websocket's
// request context lives as long as the connection: loaders made there would
// cache the first status forever (gqlgen issue #1368, STYLE.md §0.3).
func NewLoaderMiddleware(s *db.Store) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(context.WithValue(ctx, loadersKey{}, NewLoaders(s)))
	}
}

// loadersFrom returns the response's loader set.
func loadersFrom(ctx context.Context) *Loaders {
	return ctx.Value(loadersKey{}).(*Loaders)
}

// one builds a loader of one row per key. The batch's rows come back in any
// order; they are put back in key order, and a key with no row gets nil
// (the caller decides whether that is "null" or an error).
func one[K comparable, V any](fetch func(context.Context, []K) ([]*V, error), key func(*V) K) *dataloader.Loader[K, *V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []K) []*dataloader.Result[*V] {
		rows, err := fetch(ctx, keys)
		results := make([]*dataloader.Result[*V], len(keys))
		byKey := make(map[K]*V, len(rows))
		for _, r := range rows {
			byKey[key(r)] = r
		}
		for i, k := range keys {
			results[i] = &dataloader.Result[*V]{Data: byKey[k], Error: err}
		}
		return results
	}, dataloader.WithWait[K, *V](loaderWait), dataloader.WithBatchCapacity[K, *V](1000))
}

// many builds a loader of a list of rows per parent key, in the order the
// query returned them; a key with no rows gets an empty list.
func many[K comparable, V any](fetch func(context.Context, []K) ([]*V, error), key func(*V) K) *dataloader.Loader[K, []*V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []K) []*dataloader.Result[[]*V] {
		rows, err := fetch(ctx, keys)
		results := make([]*dataloader.Result[[]*V], len(keys))
		byKey := make(map[K][]*V, len(keys))
		for _, r := range rows {
			byKey[key(r)] = append(byKey[key(r)], r)
		}
		for i, k := range keys {
			list := byKey[k]
			if list == nil {
				list = []*V{}
			}
			results[i] = &dataloader.Result[[]*V]{Data: list, Error: err}
		}
		return results
	}, dataloader.WithWait[K, []*V](loaderWait), dataloader.WithBatchCapacity[K, []*V](1000))
}

// load is Load(ctx, key)() for an optional edge: a nil key loads nothing.
func load[V any](ctx context.Context, l *dataloader.Loader[int64, *V], key *int64) (*V, error) {
	if key == nil {
		return nil, nil
	}
	return l.Load(ctx, *key)()
}
