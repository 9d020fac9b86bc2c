package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// customer.orders and customer.quotes are the root orders and quotes
// connections with the customer's ID forced into the filter: same arguments,
// order, cursors and limits. Their first page in the default order, the one
// a page of customers shows, is loaded for all the customers at once
// (FirstOrderPages/FirstQuotePages, prefetched by prefetchCustomers); any
// other page, filter, order or a totalCount is the root list's query for
// this one customer.

// customerPage is a customer's first page of a list, limit rows long.
type customerPage struct {
	customerID int64
	limit      int
}

// firstPageLoader batches first pages: one statement per distinct limit.
func firstPageLoader[T any](wait time.Duration, fetch func(context.Context, []int64, int) (map[int64]db.Window[T], error)) *loader[customerPage, db.Window[T]] {
	return newLoader(wait, func(ctx context.Context, keys []customerPage) (map[customerPage]db.Window[T], error) {
		byLimit := map[int][]int64{}
		for _, k := range keys {
			byLimit[k.limit] = append(byLimit[k.limit], k.customerID)
		}
		out := make(map[customerPage]db.Window[T], len(keys))
		for limit, ids := range byLimit {
			pages, err := fetch(ctx, ids, limit)
			if err != nil {
				return out, err
			}
			for id, w := range pages {
				out[customerPage{id, limit}] = w
			}
		}
		return out, nil
	})
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

// ownCustomer checks a filter's customerId against the customer whose list
// it filters, and returns that customer's ID to force into the filter.
func ownCustomer(c *sales.Customer, sent *string) (*string, error) {
	if sent != nil {
		key, err := relay.Key("filter.customerId", typeCustomer, *sent)
		if err != nil {
			return nil, err
		}
		if key != c.ID {
			return nil, sales.Errorf(sales.CodeValidation, "filter.customerId", "filter.customerId must be this customer or left out")
		}
	}
	id := relay.ID(typeCustomer, c.ID)
	return &id, nil
}

func (r *Resolver) customerOrders(ctx context.Context, c *sales.Customer, a pageArgs, f *model.OrderFilter, o *model.OrderOrder) (*model.SalesOrderConnection, error) {
	if limit, ok := firstPageLimit(a, f != nil, o != nil, selectsTotalCount(ctx)); ok {
		return orderConnection(ctx, a, func(db.Page) (db.Window[sales.SalesOrder], error) {
			return loadersFrom(ctx).FirstOrdersByCustomer.Load(ctx, customerPage{c.ID, limit})()
		})
	}
	filter := model.OrderFilter{}
	if f != nil {
		filter = *f
	}
	var err error
	if filter.CustomerID, err = ownCustomer(c, filter.CustomerID); err != nil {
		return nil, err
	}
	return r.orders(ctx, a, &filter, o)
}

func (r *Resolver) customerQuotes(ctx context.Context, c *sales.Customer, a pageArgs, f *model.QuoteFilter, o *model.QuoteOrder) (*model.QuoteConnection, error) {
	if limit, ok := firstPageLimit(a, f != nil, o != nil, selectsTotalCount(ctx)); ok {
		return quoteConnection(ctx, a, func(db.Page) (db.Window[sales.Quote], error) {
			return loadersFrom(ctx).FirstQuotesByCustomer.Load(ctx, customerPage{c.ID, limit})()
		})
	}
	filter := model.QuoteFilter{}
	if f != nil {
		filter = *f
	}
	var err error
	if filter.CustomerID, err = ownCustomer(c, filter.CustomerID); err != nil {
		return nil, err
	}
	return r.quotes(ctx, a, &filter, o)
}

// prefetchFirstPages starts the first page of customer.orders or
// customer.quotes (field f) for every customer, when f asks for the first
// page in the default order; otherwise each customer's resolver pages its
// own list. then gets the pages' rows.
func prefetchFirstPages[T any](ctx context.Context, l *loader[customerPage, db.Window[T]], customerIDs []int64, f graphql.CollectedField,
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
	pages := make([]customerPage, len(customerIDs))
	for i, id := range customerIDs {
		pages[i] = customerPage{id, limit}
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
