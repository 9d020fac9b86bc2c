package graph

import (
	"context"
	"sync"

	"salesgraph/relay"
	"salesgraph/sales"
)

// nodeKind is how node(id:) and nodes(ids:) serve one global-ID type with a
// one-part key: resolve loads one object as the viewer may see it (nil when
// absent or not theirs); prefetch starts loading many at once, with the
// reads resolve's visibility check will make, so that nodes(ids:) resolving
// the IDs one by one finds every row loaded or on its way.
type nodeKind struct {
	resolve  func(ctx context.Context, r *Resolver, key int64) (relay.Node, error)
	prefetch func(ctx context.Context, keys []int64)
}

// masterNodes are the node types that are not documents; the documents'
// come from documentNodes, which each type registers from its own file
// (describeNode). A stock level's ID has two keys and is resolved apart.
var masterNodes = map[string]nodeKind{
	typeCustomer: {
		resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
			return nilIfAbsent(r.customerByID(ctx, k))
		},
		prefetch: func(ctx context.Context, ks []int64) { loadersFrom(ctx).CustomerByID.prefetch(ctx, ks, nil) },
	},
	typeShippingAddress: {
		resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
			a, err := loadersFrom(ctx).ShippingAddressByID.Load(ctx, k)()
			if err != nil || a == nil {
				return nil, err
			}
			if c, err := r.customerByID(ctx, a.CustomerID); err != nil || c == nil {
				return nil, err
			}
			return a, nil
		},
		prefetch: func(ctx context.Context, ks []int64) {
			l := loadersFrom(ctx)
			l.ShippingAddressByID.prefetch(ctx, ks, func(as []*sales.ShippingAddress) {
				l.CustomerByID.prefetch(ctx, keys(nonNil(as), func(a *sales.ShippingAddress) int64 { return a.CustomerID }), nil)
			})
		},
	},
	typeProduct:       loaded(func(l *Loaders) *loader[int64, *sales.Product] { return l.ProductByID }),
	typeWarehouse:     loaded(func(l *Loaders) *loader[int64, *sales.Warehouse] { return l.WarehouseByID }),
	typePriceList:     loaded(func(l *Loaders) *loader[int64, *sales.PriceList] { return l.PriceListByID }),
	typePriceListItem: loaded(func(l *Loaders) *loader[int64, *sales.PriceListItem] { return l.PriceListItemByID }),
	typeUser:          loaded(func(l *Loaders) *loader[int64, *sales.User] { return l.UserByID }),
	typeStockMovement: {
		resolve: func(ctx context.Context, r *Resolver, k int64) (relay.Node, error) {
			return nilIfAbsent(r.movementByID(ctx, k))
		},
		prefetch: func(ctx context.Context, ks []int64) { loadersFrom(ctx).StockMovementByID.prefetch(ctx, ks, nil) },
	},
}

// loaded is the node kind of a type every viewer may see, read by one loader.
func loaded[T any](pick func(*Loaders) *loader[int64, *T]) nodeKind {
	return nodeKind{
		resolve: func(ctx context.Context, _ *Resolver, k int64) (relay.Node, error) {
			return nilIfAbsent(pick(loadersFrom(ctx)).Load(ctx, k)())
		},
		prefetch: func(ctx context.Context, ks []int64) { pick(loadersFrom(ctx)).prefetch(ctx, ks, nil) },
	}
}

// nodeKinds is every one-key node type by global-ID type name: the master
// data's, and each described document type's and its children's under the
// names its description gives.
var nodeKinds = sync.OnceValue(func() map[string]nodeKind {
	out := make(map[string]nodeKind, len(masterNodes)+3*len(sales.DocumentTypes))
	for name, k := range masterNodes {
		out[name] = k
	}
	for _, d := range sales.DocumentTypes {
		g, ok := documentNodes[d.Type]
		if !ok {
			continue // TestDocumentNodes reports it
		}
		out[d.NodeType] = g.node
		for _, c := range d.Children {
			if k, ok := g.children[c.NodeType]; ok {
				out[c.NodeType] = k
			}
		}
	}
	return out
})

// node resolves any global ID. An unknown or unseeable object is null, not
// an error; a malformed ID is VALIDATION.
func (r *Resolver) node(ctx context.Context, field, id string) (relay.Node, error) {
	typ, keys, err := relay.Parse(field, id)
	if err != nil {
		return nil, err
	}
	if typ == typeStockLevel && len(keys) == 2 {
		level, err := r.Store.Stock.Level(ctx, keys[0], keys[1])
		if sales.CodeOf(err) == sales.CodeNotFound {
			return nil, nil
		}
		return level, err
	}
	kind, ok := nodeKinds()[typ]
	if !ok || len(keys) != 1 {
		return nil, nil
	}
	return kind.resolve(ctx, r, keys[0])
}

// nilIfAbsent returns a typed nil pointer as an untyped nil Node, so gqlgen
// renders null instead of an empty object.
func nilIfAbsent[T any](v *T, err error) (relay.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}

// lineIfVisible returns a document's child row when the document is visible
// to the viewer.
func lineIfVisible[T, P any](line *T, err error, parent func(*T) (*P, error)) (relay.Node, error) {
	if err != nil || line == nil {
		return nil, err
	}
	p, err := parent(line)
	if err != nil || p == nil {
		return nil, err
	}
	return line, nil
}

func (r *Resolver) nodes(ctx context.Context, ids []string) ([]relay.Node, error) {
	if len(ids) > maxPageSize {
		return nil, sales.Errorf(sales.CodeValidation, "ids", "ask for at most %d nodes at once", maxPageSize)
	}
	prefetchNodes(ctx, ids) // every type's rows in one statement, before any is awaited
	out := make([]relay.Node, len(ids))
	for i, id := range ids {
		n, err := r.node(ctx, "ids", id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// prefetchNodes starts, for each type among a nodes(ids:) list, one
// statement for all its keys, and the reads the visibility checks make after
// it. Malformed IDs are left to node, which reports them.
func prefetchNodes(ctx context.Context, ids []string) {
	byType := map[string][]int64{}
	for _, id := range ids {
		if typ, ks, err := relay.Parse("ids", id); err == nil && len(ks) == 1 {
			byType[typ] = append(byType[typ], ks[0])
		}
	}
	kinds := nodeKinds()
	for typ, ks := range byType {
		if k, ok := kinds[typ]; ok {
			k.prefetch(ctx, ks)
		}
	}
}
