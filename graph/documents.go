package graph

import (
	"context"

	"salesgraph/printable"
	"salesgraph/relay"
	"salesgraph/sales"
)

// Shared pieces of the document resolvers (quotes, orders, deliveries, returns).

// visibleCustomer reports whether the viewer may see documents of this
// customer: a sales rep sees their own customers' documents only.
func (r *Resolver) visibleCustomer(ctx context.Context, customerID int64) (bool, error) {
	v := Viewer(ctx)
	if v == nil || v.Role != sales.RoleSalesRep {
		return v != nil, nil
	}
	c, err := loadersFrom(ctx).CustomerByID.Load(ctx, customerID)()
	if err != nil || c == nil {
		return false, err
	}
	return v.CanSeeCustomer(c), nil
}

// visible returns doc when the viewer may see its customer, else nil (as if absent).
func visible[T any](ctx context.Context, r *Resolver, doc *T, err error, customerID func(*T) int64) (*T, error) {
	if err != nil || doc == nil {
		return nil, err
	}
	ok, err := r.visibleCustomer(ctx, customerID(doc))
	if err != nil || !ok {
		return nil, err
	}
	return doc, nil
}

func (r *Resolver) quoteByID(ctx context.Context, id int64) (*sales.Quote, error) {
	q, err := loadersFrom(ctx).QuoteByID.Load(ctx, id)()
	return visible(ctx, r, q, err, func(q *sales.Quote) int64 { return q.CustomerID })
}

func (r *Resolver) orderByID(ctx context.Context, id int64) (*sales.SalesOrder, error) {
	o, err := loadersFrom(ctx).OrderByID.Load(ctx, id)()
	return visible(ctx, r, o, err, func(o *sales.SalesOrder) int64 { return o.CustomerID })
}

// throughOrder returns doc when the viewer may see its order, else nil (as
// if absent): deliveries, returns and invoices are seen through their order.
func throughOrder[T any](ctx context.Context, r *Resolver, doc *T, err error, orderID func(*T) int64) (*T, error) {
	if err != nil || doc == nil {
		return nil, err
	}
	if o, err := r.orderByID(ctx, orderID(doc)); err != nil || o == nil {
		return nil, err
	}
	return doc, nil
}

func (r *Resolver) deliveryByID(ctx context.Context, id int64) (*sales.Delivery, error) {
	d, err := loadersFrom(ctx).DeliveryByID.Load(ctx, id)()
	return throughOrder(ctx, r, d, err, func(d *sales.Delivery) int64 { return d.OrderID })
}

func (r *Resolver) returnByID(ctx context.Context, id int64) (*sales.Return, error) {
	rt, err := loadersFrom(ctx).ReturnByID.Load(ctx, id)()
	return throughOrder(ctx, r, rt, err, func(rt *sales.Return) int64 { return rt.OrderID })
}

// actOn decodes a document's global ID of type typ and runs a state change on it.
func actOn[T any](typ, id string, act func(int64) (*T, error)) (*T, error) {
	k, err := relay.Key("id", typ, id)
	if err != nil {
		return nil, err
	}
	return act(k)
}

// orderLineProduct loads the product of an order line (delivery and return lines reach it this way).
func (r *Resolver) orderLineProduct(ctx context.Context, orderLineID int64) (*sales.Product, error) {
	l, err := loadersFrom(ctx).OrderLineByID.Load(ctx, orderLineID)()
	if err != nil || l == nil {
		return nil, err
	}
	return loadersFrom(ctx).ProductByID.Load(ctx, l.ProductID)()
}

// billOfLadingURL is the printable bill of lading's path, signed for the
// viewer so that a plain browser tab opens it (printable/links.go).
func (r *Resolver) billOfLadingURL(ctx context.Context, d *sales.Delivery) string {
	path := printable.BillOfLadingPath(d.ID)
	if v := Viewer(ctx); v != nil {
		return r.Links.Link(path, v.ID)
	}
	return path // no viewer, no signature: the path still opens with the header
}
