package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/graph/scalar"
	"salesgraph/relay"
	"salesgraph/sales"
)

func itemFromInput(field string, in *model.PriceListItemInput) (sales.PriceListItem, error) {
	product, err := relay.Key(field+".productId", typeProduct, in.ProductID)
	if err != nil {
		return sales.PriceListItem{}, err
	}
	it := sales.PriceListItem{ProductID: product, MinQuantity: decimal.NewFromInt(1), UnitPrice: in.UnitPrice,
		ValidFrom: in.ValidFrom, ValidTo: in.ValidTo}
	set(&it.MinQuantity, in.MinQuantity)
	return it, nil
}

func (r *Resolver) createPriceList(ctx context.Context, in model.CreatePriceListInput, key *string) (*sales.PriceList, error) {
	l := sales.PriceList{Code: in.Code, Name: in.Name, Currency: in.Currency, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo,
		IsDefault: deref(in.IsDefault)}
	items := make([]sales.PriceListItem, 0, len(in.Items))
	for i, it := range in.Items {
		item, err := itemFromInput(fmt.Sprintf("input.items.%d", i), it)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return r.Store.PriceLists.Create(ctx, Viewer(ctx), l, items, key)
}

func (r *Resolver) updatePriceList(ctx context.Context, id string, version int, in model.UpdatePriceListInput) (*sales.PriceList, error) {
	key, err := relay.Key("id", typePriceList, id)
	if err != nil {
		return nil, err
	}
	return r.Store.PriceLists.Update(ctx, key, version, func(l *sales.PriceList) {
		set(&l.Name, in.Name)
		setOmittable(&l.ValidFrom, in.ValidFrom.Value(), in.ValidFrom.IsSet())
		setOmittable(&l.ValidTo, in.ValidTo.Value(), in.ValidTo.IsSet())
		set(&l.IsDefault, in.IsDefault)
	})
}

func (r *Resolver) setPriceListItem(ctx context.Context, listID string, in model.PriceListItemInput) (*sales.PriceListItem, error) {
	list, err := relay.Key("priceListId", typePriceList, listID)
	if err != nil {
		return nil, err
	}
	item, err := itemFromInput("input", &in)
	if err != nil {
		return nil, err
	}
	item.PriceListID = list
	return r.Store.PriceLists.SetItem(ctx, item)
}

func (r *Resolver) removePriceListItem(ctx context.Context, id string) (string, error) {
	key, err := relay.Key("id", typePriceListItem, id)
	if err != nil {
		return "", err
	}
	return id, r.Store.PriceLists.RemoveItem(ctx, key)
}

func (r *Resolver) priceLists(ctx context.Context, a pageArgs, f *model.PriceListFilter, o *model.PriceListOrder) (*model.PriceListConnection, error) {
	var filter sales.PriceListFilter
	if f != nil {
		filter = sales.PriceListFilter{Currency: f.Currency, IsDefault: f.IsDefault, ValidOn: f.ValidOn}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.PriceList], error) {
		return r.Store.PriceLists.List(ctx, filter, sort, pg)
	})
	if err != nil {
		return nil, err
	}
	prefetchPriceLists(ctx, p.items, connectionNodeFields(ctx, priceListImplementors))
	return &model.PriceListConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.PriceList) *model.PriceListEdge {
			return &model.PriceListEdge{Cursor: c, Node: n}
		})}, nil
}

func (r *Resolver) priceQuote(ctx context.Context, customerID, productID string, qty decimal.Decimal, date *time.Time) (*sales.PriceQuote, error) {
	c, err := relay.Key("customerId", typeCustomer, customerID)
	if err != nil {
		return nil, err
	}
	p, err := relay.Key("productId", typeProduct, productID)
	if err != nil {
		return nil, err
	}
	customer, own, fallback, err := r.Store.PriceLists.Candidates(ctx, c, p)
	if err != nil {
		return nil, err
	}
	if !Viewer(ctx).CanSeeCustomer(customer) {
		return nil, sales.Errorf(sales.CodeNotFound, "customerId", "customer not found")
	}
	on := db.Today()
	set(&on, date)
	return sales.ChoosePrice(customer, own, fallback, qty, on)
}

// explainPrice says in one sentence where a price came from.
func explainPrice(q *sales.PriceQuote) string {
	which := "the customer's price list"
	if q.Source == sales.PriceFromDefaultList {
		which = "the default " + q.Currency + " price list"
	}
	return fmt.Sprintf("%s %s per unit from %s %s (%s), quantity break from %s, for %s on %s",
		scalar.FormatMoney(q.UnitPrice, q.Currency), q.Currency, which, q.PriceList.Code, q.PriceList.Name, q.Item.MinQuantity.String(),
		q.Quantity.String(), q.Date.Format(time.DateOnly))
}
