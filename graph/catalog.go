package graph

import (
	"context"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

func (r *Resolver) createProduct(ctx context.Context, in model.CreateProductInput, key *string) (*sales.Product, error) {
	p := sales.Product{SKU: in.Sku, Name: in.Name, Description: deref(in.Description), UnitOfMeasure: in.UnitOfMeasure,
		TaxRate: decimal.Zero, Active: true}
	set(&p.TaxRate, in.TaxRate)
	set(&p.Active, in.Active)
	return r.Store.Products.Create(ctx, Viewer(ctx), p, key)
}

func (r *Resolver) updateProduct(ctx context.Context, id string, version int, in model.UpdateProductInput) (*sales.Product, error) {
	key, err := relay.Key("id", typeProduct, id)
	if err != nil {
		return nil, err
	}
	return r.Store.Products.Update(ctx, key, version, func(p *sales.Product) {
		set(&p.Name, in.Name)
		set(&p.Description, in.Description)
		set(&p.UnitOfMeasure, in.UnitOfMeasure)
		set(&p.TaxRate, in.TaxRate)
		set(&p.Active, in.Active)
	})
}

func (r *Resolver) products(ctx context.Context, a pageArgs, search *string, f *model.ProductFilter, o *model.ProductOrder) (*model.ProductConnection, error) {
	filter := sales.ProductFilter{Search: search}
	if f != nil {
		filter.Active, filter.SKU = f.Active, f.Sku
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.Product], error) {
		return r.Store.Products.List(ctx, filter, sort, pg)
	})
	if err != nil {
		return nil, err
	}
	prefetchProducts(ctx, p.items, connectionNodeFields(ctx, productImplementors))
	return &model.ProductConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Product) *model.ProductEdge { return &model.ProductEdge{Cursor: c, Node: n} })}, nil
}

func (r *Resolver) createWarehouse(ctx context.Context, in model.CreateWarehouseInput, key *string) (*sales.Warehouse, error) {
	return r.Store.Warehouses.Create(ctx, Viewer(ctx), sales.Warehouse{Code: in.Code, Name: in.Name, Address: addressFromInput(in.Address)}, key)
}

func (r *Resolver) warehouses(ctx context.Context, a pageArgs, f *model.WarehouseFilter, o *model.WarehouseOrder) (*model.WarehouseConnection, error) {
	var filter sales.WarehouseFilter
	if f != nil {
		filter.Active = f.Active
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.Warehouse], error) {
		return r.Store.Warehouses.List(ctx, filter, sort, pg)
	})
	if err != nil {
		return nil, err
	}
	prefetchWarehouses(ctx, p.items, connectionNodeFields(ctx, warehouseImplementors))
	return &model.WarehouseConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Warehouse) *model.WarehouseEdge {
			return &model.WarehouseEdge{Cursor: c, Node: n}
		})}, nil
}

func stockChange(productID, warehouseID string, qty decimal.Decimal) (db.StockChange, error) {
	p, err := relay.Key("input.productId", typeProduct, productID)
	if err != nil {
		return db.StockChange{}, err
	}
	w, err := relay.Key("input.warehouseId", typeWarehouse, warehouseID)
	if err != nil {
		return db.StockChange{}, err
	}
	return db.StockChange{ProductID: p, WarehouseID: w, Quantity: qty}, nil
}

func (r *Resolver) receiveStock(ctx context.Context, in model.ReceiveStockInput, key *string) (*sales.StockMovement, error) {
	ch, err := stockChange(in.ProductID, in.WarehouseID, in.Quantity)
	if err != nil {
		return nil, err
	}
	ch.Reference = deref(in.Reference)
	return r.Store.Stock.Receive(ctx, Viewer(ctx), ch, key)
}

func (r *Resolver) adjustStock(ctx context.Context, in model.AdjustStockInput, key *string) (*sales.StockMovement, error) {
	ch, err := stockChange(in.ProductID, in.WarehouseID, in.Quantity)
	if err != nil {
		return nil, err
	}
	ch.Reason = in.Reason
	return r.Store.Stock.Adjust(ctx, Viewer(ctx), ch, key)
}

func (r *Resolver) stockLevels(ctx context.Context, a pageArgs, f *model.StockLevelFilter, o *model.StockLevelOrder) (*model.StockLevelConnection, error) {
	var filter sales.StockLevelFilter
	if f != nil {
		var err error
		if filter.ProductID, err = relay.OptionalKey("filter.productId", typeProduct, f.ProductID); err != nil {
			return nil, err
		}
		if filter.WarehouseID, err = relay.OptionalKey("filter.warehouseId", typeWarehouse, f.WarehouseID); err != nil {
			return nil, err
		}
		filter.AvailableAtMost = f.AvailableAtMost
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	return stockLevelConnection(ctx, a, func(pg db.Page) (db.Window[sales.StockLevel], error) {
		return r.Store.Stock.Levels(ctx, filter, sort, pg)
	})
}

// stockLevelConnection pages stock levels read by fetch.
func stockLevelConnection(ctx context.Context, a pageArgs, fetch func(db.Page) (db.Window[sales.StockLevel], error)) (*model.StockLevelConnection, error) {
	p, err := paginate(ctx, a, fetch)
	if err != nil {
		return nil, err
	}
	prefetchStockLevels(ctx, p.items, connectionNodeFields(ctx, stockLevelImplementors))
	return &model.StockLevelConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.StockLevel) *model.StockLevelEdge {
			return &model.StockLevelEdge{Cursor: c, Node: n}
		})}, nil
}

func (r *Resolver) stockMovements(ctx context.Context, a pageArgs, f *model.StockMovementFilter, o *model.StockMovementOrder) (*model.StockMovementConnection, error) {
	var filter sales.StockMovementFilter
	if f != nil {
		var err error
		if filter.ProductID, err = relay.OptionalKey("filter.productId", typeProduct, f.ProductID); err != nil {
			return nil, err
		}
		if filter.WarehouseID, err = relay.OptionalKey("filter.warehouseId", typeWarehouse, f.WarehouseID); err != nil {
			return nil, err
		}
		filter.Kind, filter.From, filter.To = f.Kind, f.From, f.To
	}
	sort := db.Sort{Field: "OCCURRED_AT", Desc: true} // newest first
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.StockMovement], error) {
		w, err := r.Store.Stock.Movements(ctx, filter, sort, pg)
		if err != nil {
			return w, err
		}
		// Hiding copies rows one for one, so the cursors still match.
		w.Items, err = r.hideForeignReferences(ctx, w.Items)
		return w, err
	})
	if err != nil {
		return nil, err
	}
	return &model.StockMovementConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.StockMovement) *model.StockMovementEdge {
			return &model.StockMovementEdge{Cursor: c, Node: n}
		})}, nil
}
