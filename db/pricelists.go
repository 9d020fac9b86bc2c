package db

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"salesgraph/sales"
)

// PriceListStore persists price lists and their items, and finds the
// candidates a price quote chooses from.
type PriceListStore struct{ db *DB }

const (
	priceListColumns = `id, code, name, currency, valid_from, valid_to, is_default, version, created_at`
	itemColumns      = `id, price_list_id, product_id, min_quantity, unit_price, valid_from, valid_to`
)

// ByIDs returns the price lists with these IDs, in any order.
func (s *PriceListStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.PriceList, err error) {
	defer wrap(&err, "PriceLists.ByIDs")
	return byIDs[sales.PriceList](ctx, s.db, `SELECT `+priceListColumns+` FROM price_lists WHERE id = ANY($1)`, ids)
}

// ItemsByIDs returns price list items by ID, in any order.
func (s *PriceListStore) ItemsByIDs(ctx context.Context, ids []int64) (_ []*sales.PriceListItem, err error) {
	defer wrap(&err, "PriceLists.ItemsByIDs")
	return byIDs[sales.PriceListItem](ctx, s.db, `SELECT `+itemColumns+` FROM price_list_items WHERE id = ANY($1)`, ids)
}

var priceListKeys = &keyset[sales.PriceList]{
	list: "priceLists",
	sorts: map[string]sortKey[sales.PriceList]{
		"CODE":       textKey("code", "lower(%s)", func(r *sales.PriceList) string { return r.Code }),
		"NAME":       textKey("name", "lower(%s)", func(r *sales.PriceList) string { return r.Name }),
		"CREATED_AT": stampKey("created_at", func(r *sales.PriceList) time.Time { return r.CreatedAt }),
	},
	fallback: "CODE",
	key:      []string{"id"},
	keyOf:    func(r *sales.PriceList) []int64 { return []int64{r.ID} },
}

// Price list items are ordered by product, then quantity break, then id
// (breaks of one product valid from different dates): the quantity break is
// a sort within the key's product column.
var itemKeys = &keyset[sales.PriceListItem]{
	list: "priceListItems",
	sorts: map[string]sortKey[sales.PriceListItem]{
		"PRODUCT": {column: "min_quantity", expr: "%s", typ: keyNumber, within: 1,
			value: func(r *sales.PriceListItem) *string { s := r.MinQuantity.String(); return &s }},
	},
	fallback: "PRODUCT",
	key:      []string{"product_id", "id"},
	keyOf:    func(r *sales.PriceListItem) []int64 { return []int64{r.ProductID, r.ID} },
}

// Items returns a page of a price list's items, only productID's when it is
// not nil, by product and quantity break, and when page.Count asks, the
// total (else -1).
func (s *PriceListStore) Items(ctx context.Context, listID int64, productID *int64, page Page) (_ Window[sales.PriceListItem], err error) {
	defer wrap(&err, "PriceLists.Items")
	var w where
	w.add("price_list_id = ?", listID)
	if productID != nil {
		w.add("product_id = ?", *productID)
	}
	return listPage(ctx, s.db, `SELECT `+itemColumns, `FROM price_list_items`, &w, itemKeys, Sort{}, page)
}

// List returns a page of price lists and, when page.Count asks, the total (else -1).
func (s *PriceListStore) List(ctx context.Context, f sales.PriceListFilter, sort Sort, page Page) (_ Window[sales.PriceList], err error) {
	defer wrap(&err, "PriceLists.List")
	var w where
	if f.Currency != nil {
		w.add("currency = ?", *f.Currency)
	}
	if f.IsDefault != nil {
		w.add("is_default = ?", *f.IsDefault)
	}
	if f.ValidOn != nil {
		w.add("(valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?)", *f.ValidOn, *f.ValidOn)
	}
	return listPage(ctx, s.db, `SELECT `+priceListColumns, `FROM price_lists`, &w, priceListKeys, sort, page)
}

// Create adds a price list with its items. Returns VALIDATION, CONFLICT
// (code taken, or a second default for the currency), NOT_FOUND (a product),
// IDEMPOTENCY_KEY_REUSED.
func (s *PriceListStore) Create(ctx context.Context, actor *sales.User, in sales.PriceList, items []sales.PriceListItem, key *string) (_ *sales.PriceList, err error) {
	defer wrap(&err, "PriceLists.Create")
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	for i := range items {
		if err := sales.ValidateItem("input.items."+strconv.Itoa(i), &items[i]); err != nil {
			return nil, err
		}
	}
	id, err := s.db.createOnce(ctx, actor, "createPriceList", key, struct {
		List  sales.PriceList
		Items []sales.PriceListItem
	}{in, items}, func(tx *Tx) (int64, error) {
		var id int64
		err := tx.GetContext(ctx, &id, `
			INSERT INTO price_lists (code, name, currency, valid_from, valid_to, is_default, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			in.Code, in.Name, in.Currency, in.ValidFrom, in.ValidTo, in.IsDefault, tx.Now)
		if err != nil {
			return 0, err
		}
		for i := range items {
			items[i].PriceListID = id
			if _, err := upsertItem(ctx, tx, &items[i]); err != nil {
				return 0, err
			}
		}
		return id, nil
	})
	if err != nil {
		return nil, err
	}
	var l sales.PriceList
	if err := s.db.GetContext(ctx, &l, `SELECT `+priceListColumns+` FROM price_lists WHERE id = $1`, id); err != nil {
		return nil, err
	}
	return &l, nil
}

// Update applies change to the list at version. Returns NOT_FOUND, CONFLICT, VALIDATION.
func (s *PriceListStore) Update(ctx context.Context, id int64, version int, change func(*sales.PriceList)) (_ *sales.PriceList, err error) {
	defer wrap(&err, "PriceLists.Update(%d)", id)
	var out sales.PriceList
	err = s.db.Transact(ctx, func(tx *Tx) error {
		var l sales.PriceList
		if err := tx.GetContext(ctx, &l, `SELECT `+priceListColumns+` FROM price_lists WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "id", "price list")
		}
		if err := checkVersion("price list", l.Version, version); err != nil {
			return err
		}
		change(&l)
		l.Name = strings.TrimSpace(l.Name)
		if err := l.Validate(); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, `
			UPDATE price_lists SET name = $2, valid_from = $3, valid_to = $4, is_default = $5, version = version + 1
			WHERE id = $1 RETURNING `+priceListColumns, id, l.Name, l.ValidFrom, l.ValidTo, l.IsDefault)
	})
	if err != nil {
		return nil, translate(err)
	}
	return &out, nil
}

// SetItem adds the price for a product at a minimum quantity (and start
// date), or changes the one there is. Bumps the list's version.
// Returns NOT_FOUND (list or product), VALIDATION.
func (s *PriceListStore) SetItem(ctx context.Context, item sales.PriceListItem) (_ *sales.PriceListItem, err error) {
	defer wrap(&err, "PriceLists.SetItem(%d)", item.PriceListID)
	if err := sales.ValidateItem("input", &item); err != nil {
		return nil, err
	}
	var out *sales.PriceListItem
	err = s.db.Transact(ctx, func(tx *Tx) error {
		if err := bumpList(ctx, tx, item.PriceListID); err != nil {
			return err
		}
		var err error
		out, err = upsertItem(ctx, tx, &item)
		return err
	})
	return out, translate(err)
}

// RemoveItem deletes one price. Returns NOT_FOUND.
func (s *PriceListStore) RemoveItem(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "PriceLists.RemoveItem(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		var listID int64
		if err := tx.GetContext(ctx, &listID, `DELETE FROM price_list_items WHERE id = $1 RETURNING price_list_id`, id); err != nil {
			return notFound(err, "id", "price list item")
		}
		return bumpList(ctx, tx, listID)
	})
	return translate(err)
}

func bumpList(ctx context.Context, tx *Tx, listID int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE price_lists SET version = version + 1 WHERE id = $1`, listID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sales.Errorf(sales.CodeNotFound, "priceListId", "price list not found")
	}
	return nil
}

func upsertItem(ctx context.Context, tx *Tx, it *sales.PriceListItem) (*sales.PriceListItem, error) {
	var out sales.PriceListItem
	err := tx.GetContext(ctx, &out, `
		INSERT INTO price_list_items (price_list_id, product_id, min_quantity, unit_price, valid_from, valid_to)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (price_list_id, product_id, min_quantity, coalesce(valid_from, '-infinity'::date))
		DO UPDATE SET unit_price = EXCLUDED.unit_price, valid_to = EXCLUDED.valid_to
		RETURNING `+itemColumns,
		it.PriceListID, it.ProductID, it.MinQuantity, it.UnitPrice, it.ValidFrom, it.ValidTo)
	return &out, err
}

// Candidates returns, for pricing a product for a customer, the customer's
// own list and the default list of the customer's currency, each with its
// items for that product (either may be nil). Returns NOT_FOUND for an
// unknown customer or product.
func (s *PriceListStore) Candidates(ctx context.Context, customerID, productID int64) (_ *sales.Customer, own, fallback *sales.PriceCandidate, err error) {
	defer wrap(&err, "PriceLists.Candidates(%d, %d)", customerID, productID)
	var c sales.Customer
	if err := s.db.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, customerID); err != nil {
		return nil, nil, nil, notFound(err, "customerId", "customer")
	}
	var exists bool
	if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM products WHERE id = $1)`, productID); err != nil {
		return nil, nil, nil, err
	}
	if !exists {
		return nil, nil, nil, sales.Errorf(sales.CodeNotFound, "productId", "product not found")
	}
	own, fallback, err = candidates(ctx, s.db, &c, productID)
	if err != nil {
		return nil, nil, nil, err
	}
	return &c, own, fallback, nil
}

// Today is the date prices are quoted for when none is given.
func Today() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

// candidates loads the customer's own price list and the default list of its
// currency, each with its items for the product (either may be nil).
// The price lists that price for a customer (its own and its currency's
// default: list $1, currency $2), and their items for the products in $1
// (list $2, currency $3).
const (
	customerListsSQL = `SELECT ` + priceListColumns + ` FROM price_lists WHERE id = $1 OR (is_default AND currency = $2)`
	customerItemsSQL = `SELECT ` + itemColumns + ` FROM price_list_items
		WHERE product_id = ANY($1) AND price_list_id IN (SELECT id FROM price_lists WHERE id = $2 OR (is_default AND currency = $3))`
)

func candidates(ctx context.Context, q sqlx.QueryerContext, c *sales.Customer, productID int64) (own, fallback *sales.PriceCandidate, err error) {
	var lists []*sales.PriceList
	err = sqlx.SelectContext(ctx, q, &lists, customerListsSQL, c.PriceListID, c.Currency)
	if err != nil {
		return nil, nil, err
	}
	var items []*sales.PriceListItem
	err = sqlx.SelectContext(ctx, q, &items, customerItemsSQL, pqArray([]int64{productID}), c.PriceListID, c.Currency)
	if err != nil {
		return nil, nil, err
	}
	own, fallback = pickCandidates(c, lists, items)
	return own, fallback, nil
}

// pickCandidates sorts one product's price-list items into the customer's
// own list and the default list of its currency.
func pickCandidates(c *sales.Customer, lists []*sales.PriceList, items []*sales.PriceListItem) (own, fallback *sales.PriceCandidate) {
	for _, l := range lists {
		cand := &sales.PriceCandidate{List: l}
		for _, it := range items {
			if it.PriceListID == l.ID {
				cand.Items = append(cand.Items, it)
			}
		}
		if c.PriceListID != nil && l.ID == *c.PriceListID {
			own = cand
		}
		if l.IsDefault && l.Currency == c.Currency {
			fallback = cand
		}
	}
	return own, fallback
}
