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

func (r *Resolver) deliveryByID(ctx context.Context, id int64) (*sales.Delivery, error) {
	d, err := loadersFrom(ctx).DeliveryByID.Load(ctx, id)()
	if err != nil || d == nil {
		return nil, err
	}
	if o, err := r.orderByID(ctx, d.OrderID); err != nil || o == nil {
		return nil, err
	}
	return d, nil
}

func (r *Resolver) returnByID(ctx context.Context, id int64) (*sales.Return, error) {
	rt, err := loadersFrom(ctx).ReturnByID.Load(ctx, id)()
	if err != nil || rt == nil {
		return nil, err
	}
	if o, err := r.orderByID(ctx, rt.OrderID); err != nil || o == nil {
		return nil, err
	}
	return rt, nil
}

// orderAction decodes an order ID and runs a state change on it.
func (r *Resolver) orderAction(ctx context.Context, id string, act func(int64) (*sales.SalesOrder, error)) (*sales.SalesOrder, error) {
	k, err := relay.Key("id", typeSalesOrder, id)
	if err != nil {
		return nil, err
	}
	return act(k)
}

// deliveryAction decodes a delivery ID and runs a state change on it.
func (r *Resolver) deliveryAction(ctx context.Context, id string, act func(int64) (*sales.Delivery, error)) (*sales.Delivery, error) {
	k, err := relay.Key("id", typeDelivery, id)
	if err != nil {
		return nil, err
	}
	return act(k)
}

// returnAction decodes a return ID and runs a state change on it.
func (r *Resolver) returnAction(ctx context.Context, id string, act func(int64) (*sales.Return, error)) (*sales.Return, error) {
	k, err := relay.Key("id", typeReturn, id)
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
