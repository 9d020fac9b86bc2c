package graph

import (
	"context"

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
