package graph

import (
	"context"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// Global ID type names. They are part of every ID a client holds: never rename.
const (
	typeCustomer        = "Customer"
	typeShippingAddress = "ShippingAddress"
	typeProduct         = "Product"
	typeWarehouse       = "Warehouse"
	typeStockLevel      = "StockLevel"
	typeStockMovement   = "StockMovement"
	typePriceList       = "PriceList"
	typePriceListItem   = "PriceListItem"
	typeUser            = "User"
)

func addressFromInput(a *model.AddressInput) *sales.Address {
	if a == nil {
		return nil
	}
	return &sales.Address{Line1: a.Line1, Line2: deref(a.Line2), City: a.City, Region: deref(a.Region),
		PostalCode: deref(a.PostalCode), Country: a.Country}
}

func shippingFromInput(in []*model.ShippingAddressInput) []sales.ShippingAddress {
	out := make([]sales.ShippingAddress, 0, len(in))
	for _, s := range in {
		a := addressFromInput(s.Address)
		out = append(out, sales.ShippingAddress{Label: deref(s.Label), Line1: a.Line1, Line2: a.Line2, City: a.City,
			Region: a.Region, PostalCode: a.PostalCode, Country: a.Country, IsDefault: deref(s.IsDefault)})
	}
	return out
}

func (r *Resolver) createCustomer(ctx context.Context, in model.CreateCustomerInput, key *string) (*sales.Customer, error) {
	actor := Viewer(ctx)
	c := sales.Customer{Code: in.Code, Name: in.Name, Email: in.Email, Phone: in.Phone,
		BillingAddress: addressFromInput(in.BillingAddress), Currency: in.Currency, PaymentTermsDays: 30,
		CreditLimit: decimal.Zero, CreditHold: deref(in.CreditHold), Notes: deref(in.Notes)}
	if in.PaymentTermsDays != nil {
		c.PaymentTermsDays = *in.PaymentTermsDays
	}
	if in.CreditLimit != nil {
		c.CreditLimit = *in.CreditLimit
	}
	var err error
	if c.PriceListID, err = relay.OptionalKey("input.priceListId", typePriceList, in.PriceListID); err != nil {
		return nil, err
	}
	if c.SalesRepID, err = relay.OptionalKey("input.salesRepId", typeUser, in.SalesRepID); err != nil {
		return nil, err
	}
	if c.SalesRepID == nil && actor.Role == sales.RoleSalesRep {
		c.SalesRepID = &actor.ID // a rep's new customer is theirs
	}
	return r.Store.Customers.Create(ctx, actor, c, shippingFromInput(in.ShippingAddresses), key)
}

func (r *Resolver) updateCustomer(ctx context.Context, id string, version int, in model.UpdateCustomerInput) (*sales.Customer, error) {
	key, err := relay.Key("id", typeCustomer, id)
	if err != nil {
		return nil, err
	}
	priceList, err := omittableKey("input.priceListId", typePriceList, in.PriceListID)
	if err != nil {
		return nil, err
	}
	salesRep, err := omittableKey("input.salesRepId", typeUser, in.SalesRepID)
	if err != nil {
		return nil, err
	}
	return r.Store.Customers.Update(ctx, Viewer(ctx), key, version, func(c *sales.Customer) {
		set(&c.Name, in.Name)
		setOmittable(&c.Email, in.Email.Value(), in.Email.IsSet())
		setOmittable(&c.Phone, in.Phone.Value(), in.Phone.IsSet())
		if in.BillingAddress.IsSet() {
			c.BillingAddress = addressFromInput(in.BillingAddress.Value())
		}
		set(&c.Currency, in.Currency)
		set(&c.PaymentTermsDays, in.PaymentTermsDays)
		set(&c.CreditLimit, in.CreditLimit)
		set(&c.CreditHold, in.CreditHold)
		setOmittable(&c.PriceListID, priceList, in.PriceListID.IsSet())
		setOmittable(&c.SalesRepID, salesRep, in.SalesRepID.IsSet())
		set(&c.Notes, in.Notes)
		set(&c.Archived, in.Archived)
	})
}

func (r *Resolver) setShippingAddresses(ctx context.Context, id string, version int, in []*model.ShippingAddressInput) (*sales.Customer, error) {
	key, err := relay.Key("id", typeCustomer, id)
	if err != nil {
		return nil, err
	}
	return r.Store.Customers.SetAddresses(ctx, Viewer(ctx), key, version, shippingFromInput(in))
}

func (r *Resolver) customers(ctx context.Context, a pageArgs, search *string, f *model.CustomerFilter, o *model.CustomerOrder) (*model.CustomerConnection, error) {
	filter := sales.CustomerFilter{Search: search, OwnerID: Viewer(ctx).CustomerScope()}
	var sort db.Sort
	if f != nil {
		filter.Archived, filter.Currency, filter.CreditHold, filter.Code = f.Archived, f.Currency, f.CreditHold, f.Code
		var err error
		if filter.SalesRepID, err = relay.OptionalKey("filter.salesRepId", typeUser, f.SalesRepID); err != nil {
			return nil, err
		}
		if filter.PriceListID, err = relay.OptionalKey("filter.priceListId", typePriceList, f.PriceListID); err != nil {
			return nil, err
		}
	}
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.Customer], error) {
		return r.Store.Customers.List(ctx, filter, sort, pg)
	})
	if err != nil {
		return nil, err
	}
	prefetchCustomers(ctx, p.items, connectionNodeFields(ctx, customerImplementors))
	return &model.CustomerConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Customer) *model.CustomerEdge { return &model.CustomerEdge{Cursor: c, Node: n} })}, nil
}

// customerByID loads a customer the viewer may see; a rep asking for another
// rep's customer gets null, as if it did not exist.
func (r *Resolver) customerByID(ctx context.Context, key int64) (*sales.Customer, error) {
	c, err := loadersFrom(ctx).CustomerByID.Load(ctx, key)()
	if err != nil || c == nil || !Viewer(ctx).CanSeeCustomer(c) {
		return nil, err
	}
	return c, nil
}

// set overwrites *dst when the input sent a value.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// setOmittable overwrites an optional field when the input named it, null included.
func setOmittable[T any](dst **T, v *T, isSet bool) {
	if isSet {
		*dst = v
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
