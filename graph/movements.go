package graph

import (
	"context"

	"salesgraph/sales"
)

// hideForeignReferences blanks, for a sales rep, the reference of each stock
// movement made for an order of a customer not theirs: it is that order's,
// delivery's or return's number. The rest of the ledger line stays, so the
// stock figures still add up. Movements are copied, never changed in place
// (the loaders cache them).
func (r *Resolver) hideForeignReferences(ctx context.Context, ms []*sales.StockMovement) ([]*sales.StockMovement, error) {
	v := Viewer(ctx)
	if v == nil || v.Role != sales.RoleSalesRep {
		return ms, nil
	}
	l := loadersFrom(ctx)
	// Ask for every order first, then every customer, so each is one batch.
	orders := make([]func() (*sales.SalesOrder, error), len(ms))
	for i, m := range ms {
		if m != nil && m.OrderID != nil {
			orders[i] = l.OrderByID.Load(ctx, *m.OrderID)
		}
	}
	customers := make([]func() (*sales.Customer, error), len(ms))
	for i, order := range orders {
		if order == nil {
			continue
		}
		o, err := order()
		if err != nil {
			return nil, err
		}
		if o != nil {
			customers[i] = l.CustomerByID.Load(ctx, o.CustomerID)
		}
	}
	out := make([]*sales.StockMovement, len(ms))
	for i, m := range ms {
		out[i] = m
		if orders[i] == nil {
			continue
		}
		var c *sales.Customer
		if customers[i] != nil {
			var err error
			if c, err = customers[i](); err != nil {
				return nil, err
			}
		}
		if !v.CanSeeCustomer(c) {
			hidden := *m
			hidden.Reference = ""
			out[i] = &hidden
		}
	}
	return out, nil
}

// movementByID loads a stock movement as the viewer may see it.
func (r *Resolver) movementByID(ctx context.Context, id int64) (*sales.StockMovement, error) {
	m, err := loadersFrom(ctx).StockMovementByID.Load(ctx, id)()
	if err != nil || m == nil {
		return nil, err
	}
	ms, err := r.hideForeignReferences(ctx, []*sales.StockMovement{m})
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}
