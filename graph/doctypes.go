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

// documentNode is one document type's node lookup: the document's own and
// its child types', by global-ID type name.
type documentNode struct {
	nodeType string
	node     nodeKind
	children map[string]nodeKind
}

// documentNodes holds each described document type's entry, by type. Each
// type registers its own from its file (quotes.go, orders.go, …) with
// describeNode, so a new type adds an entry without editing a list here.
var documentNodes = map[sales.DocumentType]documentNode{}

// describeNode registers a document type's node lookup. Call it only from a
// package-level variable's initializer; the node lookup (nodes.go) is built
// on first use, after every registration.
func describeNode(t sales.DocumentType, n documentNode) documentNode {
	documentNodes[t] = n
	return n
}

// prefetchVisibleCustomers loads the customers a sales rep's visibility
// check will read; other roles see every document and read none.
func prefetchVisibleCustomers(ctx context.Context, ids []int64) {
	if v := Viewer(ctx); v != nil && v.Role == sales.RoleSalesRep {
		loadersFrom(ctx).CustomerByID.prefetch(ctx, ids, nil)
	}
}

// documentWithLines is the node lookup of a document whose child type (its
// lines) is seen by whoever may see the document: byID loads the document
// as the viewer may see it, prefetchNodes starts many, lineByID picks the
// child's loader and parentOf names a child's document.
func documentWithLines[D any, L any](nodeType string, byID func(context.Context, *Resolver, int64) (*D, error),
	prefetchNodes func(context.Context, []int64), lineType string, lineByID func(*Loaders) *loader[int64, *L], parentOf func(*L) int64) documentNode {
	return documentNode{
		nodeType: nodeType,
		node: nodeKind{
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				return nilIfAbsent(byID(ctx, r, k))
			},
			prefetch: prefetchNodes,
		},
		children: map[string]nodeKind{lineType: {
			resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
				line, err := lineByID(loadersFrom(ctx)).Load(ctx, k)()
				return lineIfVisible(line, err, func(x *L) (*D, error) { return byID(ctx, r, parentOf(x)) })
			},
			prefetch: func(ctx context.Context, ks []int64) {
				lineByID(loadersFrom(ctx)).prefetch(ctx, ks, func(ls []*L) {
					prefetchNodes(ctx, keys(nonNil(ls), parentOf))
				})
			},
		}},
	}
}
