package graph

import (
	"context"
	"fmt"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

func (r *Resolver) createReturn(ctx context.Context, in model.CreateReturnInput, key *string) (*sales.Return, error) {
	order, err := relay.Key("input.orderId", typeSalesOrder, in.OrderID)
	if err != nil {
		return nil, err
	}
	nr := sales.NewReturn{OrderID: order, Reason: in.Reason}
	if nr.DeliveryID, err = relay.OptionalKey("input.deliveryId", typeDelivery, in.DeliveryID); err != nil {
		return nil, err
	}
	for i, l := range in.Lines {
		line, err := relay.Key(fmt.Sprintf("input.lines.%d.orderLineId", i), typeOrderLine, l.OrderLineID)
		if err != nil {
			return nil, err
		}
		nr.Lines = append(nr.Lines, sales.ReturnLineInput{OrderLineID: line, Quantity: l.Quantity, Reason: deref(l.Reason)})
	}
	return r.Store.Returns.Create(ctx, Viewer(ctx), nr, key)
}

func (r *Resolver) receiveReturn(ctx context.Context, id string, version int, in model.ReceiveReturnInput) (*sales.Return, error) {
	warehouse, err := relay.Key("input.warehouseId", typeWarehouse, in.WarehouseID)
	if err != nil {
		return nil, err
	}
	return actOn(typeReturn, id, func(k int64) (*sales.Return, error) {
		return r.Store.Returns.Receive(ctx, Viewer(ctx), k, version, warehouse, in.ReceivedDate)
	})
}

func (r *Resolver) returns(ctx context.Context, a pageArgs, f *model.ReturnFilter, o *model.ReturnOrder) (*model.ReturnConnection, error) {
	filter := sales.ReturnFilter{OwnerID: Viewer(ctx).CustomerScope()}
	if f != nil {
		filter.Statuses, filter.Number, filter.From, filter.To = f.Status, f.Number, f.From, f.To
		if err := decodeKeys(
			keyArg{&filter.OrderID, "filter.orderId", typeSalesOrder, f.OrderID},
			keyArg{&filter.CustomerID, "filter.customerId", typeCustomer, f.CustomerID},
			keyArg{&filter.SalesRepID, "filter.salesRepId", typeUser, f.SalesRepID},
		); err != nil {
			return nil, err
		}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.Return], error) { return r.Store.Returns.List(ctx, filter, sort, pg) })
	if err != nil {
		return nil, err
	}
	prefetchReturns(ctx, p.items, connectionNodeFields(ctx, returnImplementors))
	return &model.ReturnConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Return) *model.ReturnEdge { return &model.ReturnEdge{Cursor: c, Node: n} })}, nil
}

// Global ID type names of the return and its lines; they equal its
// description's (TestDocumentNodes checks).
const (
	typeReturn     = "Return"
	typeReturnLine = "ReturnLine"
)

// The return's node lookup: node(id:) and nodes(ids:) for it and its lines.
var returnNode = describeNode(sales.DocReturn, documentWithLines(typeReturn,
	func(ctx context.Context, r *Resolver, id int64) (*sales.Return, error) { return r.returnByID(ctx, id) }, prefetchReturnNodes,
	typeReturnLine, func(l *Loaders) *loader[int64, *sales.ReturnLine] { return l.ReturnLineByID }, func(x *sales.ReturnLine) int64 { return x.ReturnID }))

// prefetchReturnNodes starts loading return nodes, then what their visibility check reads.
func prefetchReturnNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).ReturnByID.prefetch(ctx, ids, func(rs []*sales.Return) {
		prefetchOrderNodes(ctx, keys(nonNil(rs), func(r *sales.Return) int64 { return r.OrderID }))
	})
}
