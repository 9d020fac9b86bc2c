package graph

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// lineInputs decodes document lines (order lines; quotes use the same shape).
func lineInputs(field string, in []*model.OrderLineInput) ([]sales.LineInput, error) {
	out := make([]sales.LineInput, len(in))
	for i, l := range in {
		product, err := relay.Key(fmt.Sprintf("%s.%d.productId", field, i), typeProduct, l.ProductID)
		if err != nil {
			return nil, err
		}
		out[i] = sales.LineInput{ProductID: product, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			PriceOverrideReason: deref(l.PriceOverrideReason), DiscountPercent: decimal.Zero}
		set(&out[i].DiscountPercent, l.DiscountPercent)
	}
	return out, nil
}

// orderTerms decodes the delivery and invoicing terms shared by createOrder and convertQuoteToOrder.
func orderTerms(warehouseID string, shipToAddressID *string, shipTo *model.AddressInput) (sales.OrderTerms, error) {
	w, err := relay.Key("input.warehouseId", typeWarehouse, warehouseID)
	if err != nil {
		return sales.OrderTerms{}, err
	}
	addr, err := relay.OptionalKey("input.shipToAddressId", typeShippingAddress, shipToAddressID)
	if err != nil {
		return sales.OrderTerms{}, err
	}
	return sales.OrderTerms{WarehouseID: w, ShipToAddressID: addr, ShipTo: addressFromInput(shipTo)}, nil
}

func (r *Resolver) createOrder(ctx context.Context, in model.CreateOrderInput, key *string) (*sales.SalesOrder, error) {
	customer, err := relay.Key("input.customerId", typeCustomer, in.CustomerID)
	if err != nil {
		return nil, err
	}
	terms, err := orderTerms(in.WarehouseID, in.ShipToAddressID, in.ShipTo)
	if err != nil {
		return nil, err
	}
	terms.OrderDate, terms.RequestedDeliveryDate, terms.InvoicingPolicy = in.OrderDate, in.RequestedDeliveryDate, in.InvoicingPolicy
	terms.AllowBackorder, terms.CustomerReference, terms.Notes = deref(in.AllowBackorder), deref(in.CustomerReference), deref(in.Notes)
	terms.DepositAmount, terms.DepositPercent = in.DepositAmount, in.DepositPercent
	lines, err := lineInputs("input.lines", in.Lines)
	if err != nil {
		return nil, err
	}
	return r.Store.Orders.Create(ctx, Viewer(ctx), sales.NewOrder{CustomerID: customer, Terms: terms, Lines: lines}, key)
}

func (r *Resolver) convertQuote(ctx context.Context, id string, in model.ConvertQuoteInput) (*sales.SalesOrder, error) {
	quote, err := relay.Key("id", typeQuote, id)
	if err != nil {
		return nil, err
	}
	terms, err := orderTerms(in.WarehouseID, in.ShipToAddressID, in.ShipTo)
	if err != nil {
		return nil, err
	}
	terms.RequestedDeliveryDate, terms.InvoicingPolicy = in.RequestedDeliveryDate, in.InvoicingPolicy
	terms.AllowBackorder, terms.CustomerReference = deref(in.AllowBackorder), deref(in.CustomerReference)
	return r.Store.Orders.ConvertQuote(ctx, Viewer(ctx), quote, terms)
}

func (r *Resolver) updateOrder(ctx context.Context, id string, version int, in model.UpdateOrderInput) (*sales.SalesOrder, error) {
	key, err := relay.Key("id", typeSalesOrder, id)
	if err != nil {
		return nil, err
	}
	ch := sales.OrderChange{InvoicingPolicy: in.InvoicingPolicy, AllowBackorder: in.AllowBackorder,
		CustomerReference: in.CustomerReference, Notes: in.Notes, ShipTo: addressFromInput(in.ShipTo),
		RequestedDeliveryDate: in.RequestedDeliveryDate.Value(), SetRequestedDeliveryDate: in.RequestedDeliveryDate.IsSet(),
		SetDeposit: in.DepositAmount.IsSet() || in.DepositPercent.IsSet(), DepositAmount: in.DepositAmount.Value(), DepositPercent: in.DepositPercent.Value()}
	if ch.WarehouseID, err = relay.OptionalKey("input.warehouseId", typeWarehouse, in.WarehouseID); err != nil {
		return nil, err
	}
	if ch.ShipToAddressID, err = relay.OptionalKey("input.shipToAddressId", typeShippingAddress, in.ShipToAddressID); err != nil {
		return nil, err
	}
	if in.Lines != nil {
		if ch.Lines, err = lineInputs("input.lines", in.Lines); err != nil {
			return nil, err
		}
	}
	return r.Store.Orders.Update(ctx, Viewer(ctx), key, version, ch)
}

func (r *Resolver) orders(ctx context.Context, a pageArgs, f *model.OrderFilter, o *model.OrderOrder) (*model.SalesOrderConnection, error) {
	filter := sales.OrderFilter{OwnerID: Viewer(ctx).CustomerScope()}
	if f != nil {
		filter.Statuses, filter.Number, filter.From, filter.To = f.Status, f.Number, f.From, f.To
		if err := decodeKeys(
			keyArg{&filter.CustomerID, "filter.customerId", typeCustomer, f.CustomerID},
			keyArg{&filter.SalesRepID, "filter.salesRepId", typeUser, f.SalesRepID},
			keyArg{&filter.QuoteID, "filter.quoteId", typeQuote, f.QuoteID},
			keyArg{&filter.WarehouseID, "filter.warehouseId", typeWarehouse, f.WarehouseID},
		); err != nil {
			return nil, err
		}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	return orderConnection(ctx, a, func(pg db.Page) (db.Window[sales.SalesOrder], error) {
		return r.Store.Orders.List(ctx, filter, sort, pg)
	})
}

// orderConnection pages orders with fetch and starts the edges the nodes select.
func orderConnection(ctx context.Context, a pageArgs, fetch func(db.Page) (db.Window[sales.SalesOrder], error)) (*model.SalesOrderConnection, error) {
	p, err := paginate(ctx, a, fetch)
	if err != nil {
		return nil, err
	}
	prefetchOrders(ctx, p.items, connectionNodeFields(ctx, salesOrderImplementors))
	return &model.SalesOrderConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.SalesOrder) *model.SalesOrderEdge {
			return &model.SalesOrderEdge{Cursor: c, Node: n}
		})}, nil
}

// Global ID type names of the order and its lines; they equal its
// description's (TestDocumentNodes checks).
const (
	typeSalesOrder = "SalesOrder"
	typeOrderLine  = "OrderLine"
)

// The order's node lookup: node(id:) and nodes(ids:) for it and its lines.
var orderNode = describeNode(sales.DocOrder, documentWithLines(typeSalesOrder,
	func(ctx context.Context, r *Resolver, id int64) (*sales.SalesOrder, error) {
		return r.orderByID(ctx, id)
	}, prefetchOrderNodes,
	typeOrderLine, func(l *Loaders) *loader[int64, *sales.OrderLine] { return l.OrderLineByID }, func(x *sales.OrderLine) int64 { return x.OrderID }))

// prefetchOrderNodes starts loading order nodes, then what their visibility check reads.
func prefetchOrderNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).OrderByID.prefetch(ctx, ids, func(os []*sales.SalesOrder) {
		prefetchVisibleCustomers(ctx, keys(nonNil(os), func(o *sales.SalesOrder) int64 { return o.CustomerID }))
	})
}
