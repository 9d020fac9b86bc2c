package db

import (
	"context"
	"strings"
	"time"

	"salesgraph/sales"
)

// ProductStore persists products.
type ProductStore struct{ db *DB }

const productColumns = `id, sku, name, description, unit_of_measure, tax_rate, active, version, created_at, updated_at`

// ByIDs returns the products with these IDs, in any order.
func (s *ProductStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Product, err error) {
	defer wrap(&err, "Products.ByIDs")
	return byIDs[sales.Product](ctx, s.db, `SELECT `+productColumns+` FROM products WHERE id = ANY($1)`, ids)
}

var productKeys = &keyset[sales.Product]{
	list: "products",
	sorts: map[string]sortKey[sales.Product]{
		"SKU":        textKey("sku", "lower(%s)", func(r *sales.Product) string { return r.SKU }),
		"NAME":       textKey("name", "lower(%s)", func(r *sales.Product) string { return r.Name }),
		"CREATED_AT": stampKey("created_at", func(r *sales.Product) time.Time { return r.CreatedAt }),
	},
	fallback: "SKU",
	key:      []string{"id"},
	keyOf:    func(r *sales.Product) []int64 { return []int64{r.ID} },
}

// List returns a page of products and, when page.Count asks, the total (else -1).
func (s *ProductStore) List(ctx context.Context, f sales.ProductFilter, sort Sort, page Page) (_ Window[sales.Product], err error) {
	defer wrap(&err, "Products.List")
	var w where
	if f.Search != nil && strings.TrimSpace(*f.Search) != "" {
		p := likePattern(strings.TrimSpace(*f.Search))
		w.add("(sku ILIKE ? OR name ILIKE ? OR description ILIKE ?)", p, p, p)
	}
	if f.Active != nil {
		w.add("active = ?", *f.Active)
	}
	if f.SKU != nil {
		w.add("lower(sku) = lower(?)", *f.SKU)
	}
	return listPage(ctx, s.db, `SELECT `+productColumns, `FROM products`, &w, productKeys, sort, page)
}

// Create adds a product. Returns VALIDATION, CONFLICT (SKU taken), IDEMPOTENCY_KEY_REUSED.
func (s *ProductStore) Create(ctx context.Context, actor *sales.User, in sales.Product, key *string) (_ *sales.Product, err error) {
	defer wrap(&err, "Products.Create")
	in.SKU, in.Name, in.UnitOfMeasure = strings.TrimSpace(in.SKU), strings.TrimSpace(in.Name), strings.TrimSpace(in.UnitOfMeasure)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createProduct", key, in, func(tx *Tx) (int64, error) {
		var id int64
		err := tx.GetContext(ctx, &id, `
			INSERT INTO products (sku, name, description, unit_of_measure, tax_rate, active, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			in.SKU, in.Name, in.Description, in.UnitOfMeasure, in.TaxRate, in.Active, tx.Now)
		return id, err
	})
	if err != nil {
		return nil, err
	}
	var p sales.Product
	if err := s.db.GetContext(ctx, &p, `SELECT `+productColumns+` FROM products WHERE id = $1`, id); err != nil {
		return nil, err
	}
	return &p, nil
}

// Update applies change to the product at version. Returns NOT_FOUND, CONFLICT, VALIDATION.
func (s *ProductStore) Update(ctx context.Context, id int64, version int, change func(*sales.Product)) (_ *sales.Product, err error) {
	defer wrap(&err, "Products.Update(%d)", id)
	var out sales.Product
	err = s.db.Transact(ctx, func(tx *Tx) error {
		var p sales.Product
		if err := tx.GetContext(ctx, &p, `SELECT `+productColumns+` FROM products WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "id", "product")
		}
		if err := checkVersion("product", p.Version, version); err != nil {
			return err
		}
		change(&p)
		p.Name, p.UnitOfMeasure = strings.TrimSpace(p.Name), strings.TrimSpace(p.UnitOfMeasure)
		if err := p.Validate(); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, `
			UPDATE products SET name = $2, description = $3, unit_of_measure = $4, tax_rate = $5, active = $6,
				version = version + 1, updated_at = $7
			WHERE id = $1 RETURNING `+productColumns, id, p.Name, p.Description, p.UnitOfMeasure, p.TaxRate, p.Active, tx.Now)
	})
	if err != nil {
		return nil, translate(err)
	}
	return &out, nil
}

// WarehouseStore persists warehouses.
type WarehouseStore struct{ db *DB }

const warehouseColumns = `id, code, name, address, active, created_at`

// ByIDs returns the warehouses with these IDs, in any order.
func (s *WarehouseStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Warehouse, err error) {
	defer wrap(&err, "Warehouses.ByIDs")
	return byIDs[sales.Warehouse](ctx, s.db, `SELECT `+warehouseColumns+` FROM warehouses WHERE id = ANY($1)`, ids)
}

var warehouseKeys = &keyset[sales.Warehouse]{
	list: "warehouses",
	sorts: map[string]sortKey[sales.Warehouse]{
		"CODE": textKey("code", "lower(%s)", func(r *sales.Warehouse) string { return r.Code }),
		"NAME": textKey("name", "lower(%s)", func(r *sales.Warehouse) string { return r.Name }),
	},
	fallback: "CODE",
	key:      []string{"id"},
	keyOf:    func(r *sales.Warehouse) []int64 { return []int64{r.ID} },
}

// List returns a page of warehouses and, when page.Count asks, the total (else -1).
func (s *WarehouseStore) List(ctx context.Context, f sales.WarehouseFilter, sort Sort, page Page) (_ Window[sales.Warehouse], err error) {
	defer wrap(&err, "Warehouses.List")
	var w where
	if f.Active != nil {
		w.add("active = ?", *f.Active)
	}
	return listPage(ctx, s.db, `SELECT `+warehouseColumns, `FROM warehouses`, &w, warehouseKeys, sort, page)
}

// Create adds a warehouse. Returns VALIDATION, CONFLICT (code taken), IDEMPOTENCY_KEY_REUSED.
func (s *WarehouseStore) Create(ctx context.Context, actor *sales.User, in sales.Warehouse, key *string) (_ *sales.Warehouse, err error) {
	defer wrap(&err, "Warehouses.Create")
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createWarehouse", key, in, func(tx *Tx) (int64, error) {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO warehouses (code, name, address, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			in.Code, in.Name, in.Address, tx.Now)
		return id, err
	})
	if err != nil {
		return nil, err
	}
	var w sales.Warehouse
	if err := s.db.GetContext(ctx, &w, `SELECT `+warehouseColumns+` FROM warehouses WHERE id = $1`, id); err != nil {
		return nil, err
	}
	return &w, nil
}
