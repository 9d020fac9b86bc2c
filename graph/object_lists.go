package graph

import (
	"context"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// A list on an object is a connection: the root list of its kind with the
// parent's ID forced into the filter, with the same arguments, order,
// cursors and limits. customer.orders and customer.quotes are the root
// orders and quotes; product.stockLevels and warehouse.stockLevels the root
// stockLevels; priceList.items has no root list (an item belongs to its
// list) and pages db's Items. Their first page in the default order, the one
// a page of parents shows, is loaded for all the parents at once
// (db.FirstOrderPages and the like, prefetched by the parents' prefetch); any
// other page, filter, order or a totalCount is the list's query for this one
// parent.

// parentPage is a parent's first page of a list, limit rows long; productID,
// when not 0, keeps one product's rows (priceList.items(productId:)).
type parentPage struct {
	parentID  int64
	limit     int
	productID int64
}

// firstPageLoader batches first pages: one statement per distinct limit
// (and product). fetch reads the pages of ids for group, a parentPage whose
// parentID is 0.
func firstPageLoader[T any](wait time.Duration, fetch func(ctx context.Context, ids []int64, group parentPage) (map[int64]db.Window[T], error)) *loader[parentPage, db.Window[T]] {
	return newLoader(wait, func(ctx context.Context, keys []parentPage) (map[parentPage]db.Window[T], error) {
		groups := map[parentPage][]int64{}
		for _, k := range keys {
			g := parentPage{limit: k.limit, productID: k.productID}
			groups[g] = append(groups[g], k.parentID)
		}
		out := make(map[parentPage]db.Window[T], len(keys))
		for g, ids := range groups {
			pages, err := fetch(ctx, ids, g)
			if err != nil {
				return out, err
			}
			for id, w := range pages {
				k := g
				k.parentID = id
				out[k] = w
			}
		}
		return out, nil
	})
}

// byLimit adapts a first-page read that takes only a limit to firstPageLoader.
func byLimit[T any](fetch func(context.Context, []int64, int) (map[int64]db.Window[T], error)) func(context.Context, []int64, parentPage) (map[int64]db.Window[T], error) {
	return func(ctx context.Context, ids []int64, g parentPage) (map[int64]db.Window[T], error) {
		return fetch(ctx, ids, g.limit)
	}
}

// firstPageLimit is the rows paginate asks for when a's page is a list's
// first page in its default order (no cursor, no last, no filter, no
// orderBy, no totalCount), which the first-page loaders serve; ok is false
// for any other page, or arguments paginate will refuse.
func firstPageLimit(a pageArgs, filtered, ordered, counted bool) (limit int, ok bool) {
	if a.after != nil || a.before != nil || a.last != nil || filtered || ordered || counted {
		return 0, false
	}
	size := defaultPageSize
	if a.first != nil {
		size = *a.first
	}
	if size < 0 || size > maxPageSize {
		return 0, false
	}
	return size + 1, true // paginate reads one row more to tell whether more follow
}

// ownParent checks a filter's ID (field, a global ID of type typ) against
// the parent whose list it filters, and returns the parent's global ID to
// force into the filter.
func ownParent(field, typ string, parentID int64, sent *string) (*string, error) {
	if sent != nil {
		key, err := relay.Key(field, typ, *sent)
		if err != nil {
			return nil, err
		}
		if key != parentID {
			return nil, sales.Errorf(sales.CodeValidation, field, "%s must be this %s or left out", field, typeNoun(typ))
		}
	}
	id := relay.ID(typ, parentID)
	return &id, nil
}

// typeNoun names a parent type in an error message: "customer".
func typeNoun(typ string) string {
	return strings.ToLower(typ[:1]) + typ[1:]
}

// objectList answers a list on an object (customer.orders,
// product.stockLevels, …): the first page in the default order from the
// parents' batched first pages (first), any other page from the root list
// (root) with the parent forced into its filter (scope).
func objectList[T, F, C any](ctx context.Context, a pageArgs, f *F, ordered bool, first *loader[parentPage, db.Window[T]], parentID int64,
	connection func(context.Context, pageArgs, func(db.Page) (db.Window[T], error)) (C, error),
	scope func(*F) error, root func(*F) (C, error)) (C, error) {
	if limit, ok := firstPageLimit(a, f != nil, ordered, selectsTotalCount(ctx)); ok {
		return connection(ctx, a, func(db.Page) (db.Window[T], error) {
			return first.Load(ctx, parentPage{parentID: parentID, limit: limit})()
		})
	}
	var filter F
	if f != nil {
		filter = *f
	}
	if err := scope(&filter); err != nil {
		var none C
		return none, err
	}
	return root(&filter)
}

func (r *Resolver) customerOrders(ctx context.Context, c *sales.Customer, a pageArgs, f *model.OrderFilter, o *model.OrderOrder) (*model.SalesOrderConnection, error) {
	return objectList(ctx, a, f, o != nil, loadersFrom(ctx).FirstOrdersByCustomer, c.ID, orderConnection,
		func(f *model.OrderFilter) (err error) {
			f.CustomerID, err = ownParent("filter.customerId", typeCustomer, c.ID, f.CustomerID)
			return err
		},
		func(f *model.OrderFilter) (*model.SalesOrderConnection, error) { return r.orders(ctx, a, f, o) })
}

func (r *Resolver) customerQuotes(ctx context.Context, c *sales.Customer, a pageArgs, f *model.QuoteFilter, o *model.QuoteOrder) (*model.QuoteConnection, error) {
	return objectList(ctx, a, f, o != nil, loadersFrom(ctx).FirstQuotesByCustomer, c.ID, quoteConnection,
		func(f *model.QuoteFilter) (err error) {
			f.CustomerID, err = ownParent("filter.customerId", typeCustomer, c.ID, f.CustomerID)
			return err
		},
		func(f *model.QuoteFilter) (*model.QuoteConnection, error) { return r.quotes(ctx, a, f, o) })
}

func (r *Resolver) productStockLevels(ctx context.Context, p *sales.Product, a pageArgs, f *model.StockLevelFilter, o *model.StockLevelOrder) (*model.StockLevelConnection, error) {
	return objectList(ctx, a, f, o != nil, loadersFrom(ctx).FirstLevelsByProduct, p.ID, stockLevelConnection,
		func(f *model.StockLevelFilter) (err error) {
			f.ProductID, err = ownParent("filter.productId", typeProduct, p.ID, f.ProductID)
			return err
		},
		func(f *model.StockLevelFilter) (*model.StockLevelConnection, error) {
			return r.stockLevels(ctx, a, f, o)
		})
}

func (r *Resolver) warehouseStockLevels(ctx context.Context, w *sales.Warehouse, a pageArgs, f *model.StockLevelFilter, o *model.StockLevelOrder) (*model.StockLevelConnection, error) {
	return objectList(ctx, a, f, o != nil, loadersFrom(ctx).FirstLevelsByWarehouse, w.ID, stockLevelConnection,
		func(f *model.StockLevelFilter) (err error) {
			f.WarehouseID, err = ownParent("filter.warehouseId", typeWarehouse, w.ID, f.WarehouseID)
			return err
		},
		func(f *model.StockLevelFilter) (*model.StockLevelConnection, error) {
			return r.stockLevels(ctx, a, f, o)
		})
}

// prefetchFirstPages starts the first page of a list on an object (field f:
// customer.orders, product.stockLevels, …) for every parent, when f asks for
// the first page in the default order (of productID's rows, when not 0);
// otherwise each parent's resolver pages its own list. next gets the pages'
// rows.
func prefetchFirstPages[T any](ctx context.Context, l *loader[parentPage, db.Window[T]], parentIDs []int64, productID int64, f graphql.CollectedField,
	implementors []string, next func(context.Context, []*T, []graphql.CollectedField)) {
	oc := graphql.GetOperationContext(ctx)
	args := f.ArgumentMap(oc.Variables)
	var a pageArgs
	if v := args["first"]; v != nil {
		n, ok := toInt(v)
		if !ok || n < 0 || n > maxPageSize {
			return // the resolver reports it
		}
		first := int(n)
		a.first = &first
	}
	if args["after"] != nil || args["before"] != nil || args["last"] != nil {
		return
	}
	limit, ok := firstPageLimit(a, args["filter"] != nil, args["orderBy"] != nil, fieldSelects(ctx, f, "totalCount"))
	if !ok {
		return
	}
	pages := make([]parentPage, len(parentIDs))
	for i, id := range parentIDs {
		pages[i] = parentPage{parentID: id, limit: limit, productID: productID}
	}
	var then func([]db.Window[T])
	if fields := connectionNodeFieldsOf(ctx, f, implementors); wantsEdges(fields) {
		then = func(ws []db.Window[T]) {
			var rows []*T
			for _, w := range ws {
				rows = append(rows, w.Items[:min(len(w.Items), limit-1)]...)
			}
			next(ctx, rows, fields)
		}
	}
	l.prefetch(ctx, pages, then)
}

// fieldSelects reports whether field c selects name on its own type.
func fieldSelects(ctx context.Context, c graphql.CollectedField, name string) bool {
	if c.Field == nil || c.Definition == nil {
		return true
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), c.Selections, []string{c.Definition.Type.Name()}) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// priceListItems pages a price list's items (productID's only, when sent).
func (r *Resolver) priceListItems(ctx context.Context, l *sales.PriceList, productID *string, a pageArgs) (*model.PriceListItemConnection, error) {
	product, err := relay.OptionalKey("productId", typeProduct, productID)
	if err != nil {
		return nil, err
	}
	loaders := loadersFrom(ctx)
	loaders.currencies.note("price_lists", l.ID, l.Currency) // for the items' prices
	fetch := func(pg db.Page) (db.Window[sales.PriceListItem], error) {
		return r.Store.PriceLists.Items(ctx, l.ID, product, pg)
	}
	if limit, ok := firstPageLimit(a, false, false, selectsTotalCount(ctx)); ok {
		key := parentPage{parentID: l.ID, limit: limit}
		if product != nil {
			key.productID = *product
		}
		fetch = func(db.Page) (db.Window[sales.PriceListItem], error) {
			return loaders.FirstItemsByPriceList.Load(ctx, key)()
		}
	}
	p, err := paginate(ctx, a, fetch)
	if err != nil {
		return nil, err
	}
	prefetchPriceListItems(ctx, p.items, connectionNodeFields(ctx, priceListItemImplementors))
	return &model.PriceListItemConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.PriceListItem) *model.PriceListItemEdge {
			return &model.PriceListItemEdge{Cursor: c, Node: n}
		})}, nil
}

// firstItemPages reads priceList.items' first pages for firstPageLoader.
func firstItemPages(s *db.PriceListStore) func(context.Context, []int64, parentPage) (map[int64]db.Window[sales.PriceListItem], error) {
	return func(ctx context.Context, ids []int64, g parentPage) (map[int64]db.Window[sales.PriceListItem], error) {
		var product *int64
		if g.productID != 0 {
			product = &g.productID
		}
		return s.FirstItemPages(ctx, ids, product, g.limit)
	}
}
