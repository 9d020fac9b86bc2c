package graph

import (
	"context"

	"salesgraph/relay"
	"salesgraph/sales"
)

// The graph side of each document type described in sales.DocumentTypes:
// how node(id:) resolves one of its global IDs, and how nodes(ids:) starts
// loading many of them (with the reads the visibility check makes after:
// a sales rep sees documents of their own customers only). The node lookup
// (nodes.go) is built from these entries and the descriptions' global-ID
// type names; TestDocumentNodes fails when a described type has no entry.

// Global ID type names of the documents and their lines. They equal the
// NodeType of each type's description (TestDocumentNodes checks).
const (
	typeQuote        = "Quote"
	typeQuoteLine    = "QuoteLine"
	typeSalesOrder   = "SalesOrder"
	typeOrderLine    = "OrderLine"
	typeDelivery     = "Delivery"
	typeDeliveryLine = "DeliveryLine"
	typeReturn       = "Return"
	typeReturnLine   = "ReturnLine"
)

// documentNode is one document type's node lookup: the document's own and
// its child types', by global-ID type name.
type documentNode struct {
	nodeType string
	node     nodeKind
	children map[string]nodeKind
}

var documentNodes = map[sales.DocumentType]documentNode{
	sales.DocQuote: {
		nodeType: typeQuote,
		node: nodeKind{
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				return nilIfAbsent(r.quoteByID(ctx, k))
			},
			prefetch: prefetchQuoteNodes,
		},
		children: map[string]nodeKind{typeQuoteLine: {
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				line, err := loadersFrom(ctx).QuoteLineByID.Load(ctx, k)()
				return lineIfVisible(line, err, func(x *sales.QuoteLine) (*sales.Quote, error) { return r.quoteByID(ctx, x.QuoteID) })
			},
			prefetch: func(ctx context.Context, ks []int64) {
				loadersFrom(ctx).QuoteLineByID.prefetch(ctx, ks, func(ls []*sales.QuoteLine) {
					prefetchQuoteNodes(ctx, keys(nonNil(ls), func(x *sales.QuoteLine) int64 { return x.QuoteID }))
				})
			},
		}},
	},
	sales.DocOrder: {
		nodeType: typeSalesOrder,
		node: nodeKind{
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				return nilIfAbsent(r.orderByID(ctx, k))
			},
			prefetch: prefetchOrderNodes,
		},
		children: map[string]nodeKind{typeOrderLine: {
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				line, err := loadersFrom(ctx).OrderLineByID.Load(ctx, k)()
				return lineIfVisible(line, err, func(x *sales.OrderLine) (*sales.SalesOrder, error) { return r.orderByID(ctx, x.OrderID) })
			},
			prefetch: func(ctx context.Context, ks []int64) {
				loadersFrom(ctx).OrderLineByID.prefetch(ctx, ks, func(ls []*sales.OrderLine) {
					prefetchOrderNodes(ctx, keys(nonNil(ls), func(x *sales.OrderLine) int64 { return x.OrderID }))
				})
			},
		}},
	},
	sales.DocDelivery: {
		nodeType: typeDelivery,
		node: nodeKind{
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				return nilIfAbsent(r.deliveryByID(ctx, k))
			},
			prefetch: prefetchDeliveryNodes,
		},
		children: map[string]nodeKind{typeDeliveryLine: {
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				line, err := loadersFrom(ctx).DeliveryLineByID.Load(ctx, k)()
				return lineIfVisible(line, err, func(x *sales.DeliveryLine) (*sales.Delivery, error) { return r.deliveryByID(ctx, x.DeliveryID) })
			},
			prefetch: func(ctx context.Context, ks []int64) {
				loadersFrom(ctx).DeliveryLineByID.prefetch(ctx, ks, func(ls []*sales.DeliveryLine) {
					prefetchDeliveryNodes(ctx, keys(nonNil(ls), func(x *sales.DeliveryLine) int64 { return x.DeliveryID }))
				})
			},
		}},
	},
	sales.DocReturn: {
		nodeType: typeReturn,
		node: nodeKind{
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				return nilIfAbsent(r.returnByID(ctx, k))
			},
			prefetch: prefetchReturnNodes,
		},
		children: map[string]nodeKind{typeReturnLine: {
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				line, err := loadersFrom(ctx).ReturnLineByID.Load(ctx, k)()
				return lineIfVisible(line, err, func(x *sales.ReturnLine) (*sales.Return, error) { return r.returnByID(ctx, x.ReturnID) })
			},
			prefetch: func(ctx context.Context, ks []int64) {
				loadersFrom(ctx).ReturnLineByID.prefetch(ctx, ks, func(ls []*sales.ReturnLine) {
					prefetchReturnNodes(ctx, keys(nonNil(ls), func(x *sales.ReturnLine) int64 { return x.ReturnID }))
				})
			},
		}},
	},
}

// The prefetches of nodes(ids:) for each document: its rows, then what its
// visibility check reads (a document's order, then its customer).

func prefetchQuoteNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).QuoteByID.prefetch(ctx, ids, func(qs []*sales.Quote) {
		prefetchVisibleCustomers(ctx, keys(nonNil(qs), func(q *sales.Quote) int64 { return q.CustomerID }))
	})
}

func prefetchOrderNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).OrderByID.prefetch(ctx, ids, func(os []*sales.SalesOrder) {
		prefetchVisibleCustomers(ctx, keys(nonNil(os), func(o *sales.SalesOrder) int64 { return o.CustomerID }))
	})
}

func prefetchDeliveryNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).DeliveryByID.prefetch(ctx, ids, func(ds []*sales.Delivery) {
		prefetchOrderNodes(ctx, keys(nonNil(ds), func(d *sales.Delivery) int64 { return d.OrderID }))
	})
}

func prefetchReturnNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).ReturnByID.prefetch(ctx, ids, func(rs []*sales.Return) {
		prefetchOrderNodes(ctx, keys(nonNil(rs), func(r *sales.Return) int64 { return r.OrderID }))
	})
}

// prefetchVisibleCustomers loads the customers a sales rep's visibility
// check will read; other roles see every document and read none.
func prefetchVisibleCustomers(ctx context.Context, ids []int64) {
	if v := Viewer(ctx); v != nil && v.Role == sales.RoleSalesRep {
		loadersFrom(ctx).CustomerByID.prefetch(ctx, ids, nil)
	}
}
