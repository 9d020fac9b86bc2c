package graph

import (
	"context"

	"salesgraph/relay"
	"salesgraph/sales"
)

// node resolves any global ID. An unknown or unseeable object is null, not
// an error; a malformed ID is VALIDATION.
func (r *Resolver) node(ctx context.Context, field, id string) (relay.Node, error) {
	typ, keys, err := relay.Parse(field, id)
	if err != nil {
		return nil, err
	}
	l := loadersFrom(ctx)
	switch {
	case typ == typeStockLevel && len(keys) == 2:
		level, err := r.Store.Stock.Level(ctx, keys[0], keys[1])
		if sales.CodeOf(err) == sales.CodeNotFound {
			return nil, nil
		}
		return level, err
	case len(keys) != 1:
		return nil, nil
	case typ == typeCustomer:
		return nilIfAbsent(r.customerByID(ctx, keys[0]))
	case typ == typeShippingAddress:
		a, err := l.ShippingAddressByID.Load(ctx, keys[0])()
		if err != nil || a == nil {
			return nil, err
		}
		if c, err := r.customerByID(ctx, a.CustomerID); err != nil || c == nil {
			return nil, err
		}
		return a, nil
	case typ == typeProduct:
		return nilIfAbsent(l.ProductByID.Load(ctx, keys[0])())
	case typ == typeWarehouse:
		return nilIfAbsent(l.WarehouseByID.Load(ctx, keys[0])())
	case typ == typeStockMovement:
		return nilIfAbsent(r.movementByID(ctx, keys[0]))
	case typ == typePriceList:
		return nilIfAbsent(l.PriceListByID.Load(ctx, keys[0])())
	case typ == typePriceListItem:
		return nilIfAbsent(l.PriceListItemByID.Load(ctx, keys[0])())
	case typ == typeUser:
		return nilIfAbsent(l.UserByID.Load(ctx, keys[0])())
	case typ == typeQuote:
		return nilIfAbsent(r.quoteByID(ctx, keys[0]))
	case typ == typeSalesOrder:
		return nilIfAbsent(r.orderByID(ctx, keys[0]))
	case typ == typeDelivery:
		return nilIfAbsent(r.deliveryByID(ctx, keys[0]))
	case typ == typeReturn:
		return nilIfAbsent(r.returnByID(ctx, keys[0]))
	case typ == typeQuoteLine:
		line, err := l.QuoteLineByID.Load(ctx, keys[0])()
		return lineIfVisible(line, err, func(x *sales.QuoteLine) (any, error) { return r.quoteByID(ctx, x.QuoteID) })
	case typ == typeOrderLine:
		line, err := l.OrderLineByID.Load(ctx, keys[0])()
		return lineIfVisible(line, err, func(x *sales.OrderLine) (any, error) { return r.orderByID(ctx, x.OrderID) })
	case typ == typeDeliveryLine:
		line, err := l.DeliveryLineByID.Load(ctx, keys[0])()
		return lineIfVisible(line, err, func(x *sales.DeliveryLine) (any, error) { return r.deliveryByID(ctx, x.DeliveryID) })
	case typ == typeReturnLine:
		line, err := l.ReturnLineByID.Load(ctx, keys[0])()
		return lineIfVisible(line, err, func(x *sales.ReturnLine) (any, error) { return r.returnByID(ctx, x.ReturnID) })
	}
	return nil, nil
}

// nilIfAbsent returns a typed nil pointer as an untyped nil Node, so gqlgen
// renders null instead of an empty object.
func nilIfAbsent[T any](v *T, err error) (relay.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}

// lineIfVisible returns a document line when its document is visible to the viewer.
func lineIfVisible[T any](line *T, err error, parent func(*T) (any, error)) (relay.Node, error) {
	if err != nil || line == nil {
		return nil, err
	}
	p, err := parent(line)
	if err != nil || isNilDoc(p) {
		return nil, err
	}
	return line, nil
}

// isNilDoc reports a nil document pointer held in an interface.
func isNilDoc(v any) bool {
	switch d := v.(type) {
	case *sales.Quote:
		return d == nil
	case *sales.SalesOrder:
		return d == nil
	case *sales.Delivery:
		return d == nil
	case *sales.Return:
		return d == nil
	}
	return v == nil
}

func (r *Resolver) nodes(ctx context.Context, ids []string) ([]relay.Node, error) {
	if len(ids) > maxPageSize {
		return nil, sales.Errorf(sales.CodeValidation, "ids", "ask for at most %d nodes at once", maxPageSize)
	}
	prefetchNodes(ctx, ids) // every type's rows in one statement, before any is awaited
	out := make([]relay.Node, len(ids))
	for i, id := range ids {
		n, err := r.node(ctx, "ids", id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
