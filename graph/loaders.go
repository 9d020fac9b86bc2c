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
	}
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
func one[V any](fetch func(context.Context, []int64) ([]*V, error), key func(*V) int64) *dataloader.Loader[int64, *V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []int64) []*dataloader.Result[*V] {
		rows, err := fetch(ctx, keys)
		results := make([]*dataloader.Result[*V], len(keys))
		byKey := make(map[int64]*V, len(rows))
		for _, r := range rows {
			byKey[key(r)] = r
		}
		for i, k := range keys {
			results[i] = &dataloader.Result[*V]{Data: byKey[k], Error: err}
		}
		return results
	}, dataloader.WithWait[int64, *V](loaderWait), dataloader.WithBatchCapacity[int64, *V](1000))
}

// many builds a loader of a list of rows per parent key, in the order the
// query returned them; a key with no rows gets an empty list.
func many[V any](fetch func(context.Context, []int64) ([]*V, error), key func(*V) int64) *dataloader.Loader[int64, []*V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []int64) []*dataloader.Result[[]*V] {
		rows, err := fetch(ctx, keys)
		results := make([]*dataloader.Result[[]*V], len(keys))
		byKey := make(map[int64][]*V, len(keys))
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
	}, dataloader.WithWait[int64, []*V](loaderWait), dataloader.WithBatchCapacity[int64, []*V](1000))
}

// load is Load(ctx, key)() for an optional edge: a nil key loads nothing.
func load[V any](ctx context.Context, l *dataloader.Loader[int64, *V], key *int64) (*V, error) {
	if key == nil {
		return nil, nil
	}
	return l.Load(ctx, *key)()
}
