package graph

import (
	"context"

	"salesgraph/graph/relay"
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
		return nilIfAbsent(l.StockMovementByID.Load(ctx, keys[0])())
	case typ == typePriceList:
		return nilIfAbsent(l.PriceListByID.Load(ctx, keys[0])())
	case typ == typePriceListItem:
		return nilIfAbsent(l.PriceListItemByID.Load(ctx, keys[0])())
	case typ == typeUser:
		return nilIfAbsent(l.UserByID.Load(ctx, keys[0])())
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

func (r *Resolver) nodes(ctx context.Context, ids []string) ([]relay.Node, error) {
	if len(ids) > maxPageSize {
		return nil, sales.Errorf(sales.CodeValidation, "ids", "ask for at most %d nodes at once", maxPageSize)
	}
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
