package graph

import (
	"context"
	"fmt"

	"salesgraph/graph/model"
	"salesgraph/live"
	"salesgraph/relay"
	"salesgraph/sales"
)

const typeOrderEvent = "OrderEvent"

// closeTryAgainLater is RFC 6455's 1013: the graphql-ws client retries it,
// and the feed's client resumes from its last cursor.
const closeTryAgainLater = 1013

// maxFeedFilter bounds each list of an OrderStatusFilter.
const maxFeedFilter = 100

// orderStatusChanged starts a subscription on the feed's broker and hands it
// to the socket's response loop. A sales rep's subscription is scoped to
// their customers.
func (r *Resolver) orderStatusChanged(ctx context.Context, filter *model.OrderStatusFilter, after *string) (<-chan *sales.OrderEvent, error) {
	viewer, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if r.Feed == nil {
		return nil, sales.Errorf(sales.CodeUnavailable, "", "the live feed is not running on this server")
	}
	f, err := feedFilter(filter)
	if err != nil {
		return nil, err
	}
	f.RepScope = viewer.CustomerScope()
	var afterID *int64
	if after != nil {
		id, err := relay.Key("after", typeOrderEvent, *after)
		if err != nil {
			return nil, sales.Errorf(sales.CodeValidation, "after", "after must be a cursor the feed sent")
		}
		afterID = &id
	}
	sub, err := r.Feed.Subscribe(ctx, f, afterID)
	if err != nil {
		return nil, err
	}
	// The socket's response loop reads the subscription (feedrender.go).
	ch, err := attachFeedStream(ctx, sub, viewer)
	if err != nil {
		sub.Close()
		return nil, err
	}
	return ch, nil
}

func feedFilter(in *model.OrderStatusFilter) (live.Filter, error) {
	var f live.Filter
	if in == nil {
		return f, nil
	}
	keys := func(field, typ string, ids []string) ([]int64, error) {
		if len(ids) > maxFeedFilter {
			return nil, sales.Errorf(sales.CodeValidation, field, "at most %d entries", maxFeedFilter)
		}
		out := make([]int64, 0, len(ids))
		for i, id := range ids {
			k, err := relay.Key(fmt.Sprintf("%s[%d]", field, i), typ, id)
			if err != nil {
				return nil, err
			}
			out = append(out, k)
		}
		return out, nil
	}
	var err error
	if f.CustomerIDs, err = keys("filter.customerIds", typeCustomer, in.CustomerIds); err != nil {
		return f, err
	}
	if f.SalesRepIDs, err = keys("filter.salesRepIds", typeUser, in.SalesRepIds); err != nil {
		return f, err
	}
	if len(in.Statuses) > maxFeedFilter {
		return f, sales.Errorf(sales.CodeValidation, "filter.statuses", "at most %d entries", maxFeedFilter)
	}
	f.Statuses = in.Statuses
	return f, nil
}

// An event is rendered once for all the subscribers that share its payload
// (feedrender.go), and they all wait for that render: the loaders' batching
// window (LoaderWait) would only delay every one of them, event after
// event. So an event's order, and what its selection goes on to ask for,
// and its actor load at once.

// eventOrder loads e's order now, with the next levels its selection asks for.
func eventOrder(ctx context.Context, e *sales.OrderEvent) (*sales.SalesOrder, error) {
	l := loadersFrom(ctx).OrderByID
	l.prefetch(ctx, []int64{e.OrderID}, thenOne(ctx, selectedFields(ctx, salesOrderImplementors), prefetchOrders))
	return l.Load(ctx, e.OrderID)()
}

// eventActor loads e's actor now (nil for a change no user made).
func eventActor(ctx context.Context, e *sales.OrderEvent) (*sales.User, error) {
	if e.ActorID != nil {
		loadersFrom(ctx).UserByID.prefetch(ctx, []int64{*e.ActorID}, nil)
	}
	return load(ctx, loadersFrom(ctx).UserByID, e.ActorID)
}
