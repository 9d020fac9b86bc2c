package graph

import (
	"context"
	"fmt"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

func (r *Resolver) createDelivery(ctx context.Context, in model.CreateDeliveryInput, key *string) (*sales.Delivery, error) {
	order, err := relay.Key("input.orderId", typeSalesOrder, in.OrderID)
	if err != nil {
		return nil, err
	}
	nd := sales.NewDelivery{OrderID: order, Carrier: deref(in.Carrier), TrackingNumber: deref(in.TrackingNumber),
		ShipTo: addressFromInput(in.ShipTo), Notes: deref(in.Notes)}
	for i, l := range in.Lines {
		line, err := relay.Key(fmt.Sprintf("input.lines.%d.orderLineId", i), typeOrderLine, l.OrderLineID)
		if err != nil {
			return nil, err
		}
		nd.Lines = append(nd.Lines, sales.DeliveryLineInput{OrderLineID: line, Quantity: l.Quantity})
	}
	return r.Store.Deliveries.Create(ctx, Viewer(ctx), nd, key)
}

func (r *Resolver) updateDelivery(ctx context.Context, id string, version int, in model.UpdateDeliveryInput) (*sales.Delivery, error) {
	return actOn(typeDelivery, id, func(k int64) (*sales.Delivery, error) {
		return r.Store.Deliveries.Update(ctx, Viewer(ctx), k, version, sales.DeliveryChange{Carrier: in.Carrier,
			TrackingNumber: in.TrackingNumber, ShipTo: addressFromInput(in.ShipTo), Notes: in.Notes})
	})
}

func (r *Resolver) confirmDeliveryReceipt(ctx context.Context, id string, version int, in model.ConfirmDeliveryReceiptInput) (*sales.Delivery, error) {
	rc := sales.DeliveryReceipt{DeliveredDate: in.DeliveredDate, ReceivedBy: in.ReceivedBy, RefusalReason: deref(in.RefusalReason)}
	for i, l := range in.Lines {
		line, err := relay.Key(fmt.Sprintf("input.lines.%d.deliveryLineId", i), typeDeliveryLine, l.DeliveryLineID)
		if err != nil {
			return nil, err
		}
		rc.Lines = append(rc.Lines, sales.ReceiptLine{DeliveryLineID: line, Accepted: l.AcceptedQuantity, Refused: l.RefusedQuantity})
	}
	return actOn(typeDelivery, id, func(k int64) (*sales.Delivery, error) {
		return r.Store.Deliveries.ConfirmReceipt(ctx, Viewer(ctx), k, version, rc)
	})
}

func (r *Resolver) deliveries(ctx context.Context, a pageArgs, f *model.DeliveryFilter, o *model.DeliveryOrder) (*model.DeliveryConnection, error) {
	filter := sales.DeliveryFilter{OwnerID: Viewer(ctx).CustomerScope()}
	if f != nil {
		filter.Statuses, filter.Number, filter.From, filter.To = f.Status, f.Number, f.From, f.To
		if err := decodeKeys(
			keyArg{&filter.OrderID, "filter.orderId", typeSalesOrder, f.OrderID},
			keyArg{&filter.CustomerID, "filter.customerId", typeCustomer, f.CustomerID},
			keyArg{&filter.SalesRepID, "filter.salesRepId", typeUser, f.SalesRepID},
			keyArg{&filter.WarehouseID, "filter.warehouseId", typeWarehouse, f.WarehouseID},
		); err != nil {
			return nil, err
		}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.Delivery], error) {
		return r.Store.Deliveries.List(ctx, filter, sort, pg)
	})
	if err != nil {
		return nil, err
	}
	prefetchDeliveries(ctx, p.items, connectionNodeFields(ctx, deliveryImplementors))
	return &model.DeliveryConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Delivery) *model.DeliveryEdge { return &model.DeliveryEdge{Cursor: c, Node: n} })}, nil
}

// Global ID type names of the delivery and its lines; they equal its
// description's (TestDocumentNodes checks).
const (
	typeDelivery     = "Delivery"
	typeDeliveryLine = "DeliveryLine"
)

// The delivery's node lookup: node(id:) and nodes(ids:) for it and its lines.
var deliveryNode = describeNode(sales.DocDelivery, documentWithLines(typeDelivery,
	func(ctx context.Context, r *Resolver, id int64) (*sales.Delivery, error) {
		return r.deliveryByID(ctx, id)
	}, prefetchDeliveryNodes,
	typeDeliveryLine, func(l *Loaders) *loader[int64, *sales.DeliveryLine] { return l.DeliveryLineByID }, func(x *sales.DeliveryLine) int64 { return x.DeliveryID }))

// prefetchDeliveryNodes starts loading delivery nodes, then what their visibility check reads.
func prefetchDeliveryNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).DeliveryByID.prefetch(ctx, ids, func(ds []*sales.Delivery) {
		prefetchOrderNodes(ctx, keys(nonNil(ds), func(d *sales.Delivery) int64 { return d.OrderID }))
	})
}
