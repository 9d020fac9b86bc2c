// Package graph is Salesgraph's GraphQL layer: the generated executor, thin
// resolvers that translate between GraphQL and the domain, dataloaders, the
// @hasRole directive and the error presenter. It holds no SQL.
package graph

import (
	"log/slog"

	"salesgraph/db"
	"salesgraph/live"
	"salesgraph/printable"
)

// Resolver holds the dependencies every resolver shares.
type Resolver struct {
	Store  *db.Store
	Logger *slog.Logger
	// Links signs the links of printable documents for the viewer.
	Links *printable.Links
	// Feed is the live order feed's broker; nil refuses subscriptions.
	Feed *live.Broker
}
