package db

import (
	"context"
	"strings"
	"time"

	"salesgraph/sales"

	"github.com/shopspring/decimal"
)

// CustomerStore persists customers and their shipping addresses.
type CustomerStore struct{ db *DB }

const customerColumns = `id, code, name, email, phone, billing_address, currency, payment_terms_days,
	credit_limit, credit_hold, price_list_id, sales_rep_id, notes, archived, version, created_at, updated_at`

const addressColumns = `id, customer_id, label, line1, line2, city, region, postal_code, country, is_default`

// ByIDs returns the customers with these IDs, in any order.
func (s *CustomerStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Customer, err error) {
	defer wrap(&err, "Customers.ByIDs")
	return byIDs[sales.Customer](ctx, s.db, `SELECT `+customerColumns+` FROM customers WHERE id = ANY($1)`, ids)
}

// AddressesByCustomerIDs returns the shipping addresses of these customers,
// each customer's default first.
func (s *CustomerStore) AddressesByCustomerIDs(ctx context.Context, ids []int64) (_ []*sales.ShippingAddress, err error) {
	defer wrap(&err, "Customers.AddressesByCustomerIDs")
	return byIDs[sales.ShippingAddress](ctx, s.db, `SELECT `+addressColumns+` FROM customer_addresses
		WHERE customer_id = ANY($1) ORDER BY customer_id, is_default DESC, id`, ids)
}

// AddressesByIDs returns shipping addresses by their own IDs.
func (s *CustomerStore) AddressesByIDs(ctx context.Context, ids []int64) (_ []*sales.ShippingAddress, err error) {
	defer wrap(&err, "Customers.AddressesByIDs")
	return byIDs[sales.ShippingAddress](ctx, s.db, `SELECT `+addressColumns+` FROM customer_addresses WHERE id = ANY($1)`, ids)
}

var customerKeys = &keyset[sales.Customer]{
	list: "customers",
	sorts: map[string]sortKey[sales.Customer]{
		"CODE":         textKey("code", "lower(%s)", func(r *sales.Customer) string { return r.Code }),
		"NAME":         textKey("name", "lower(%s)", func(r *sales.Customer) string { return r.Name }),
		"CREATED_AT":   stampKey("created_at", func(r *sales.Customer) time.Time { return r.CreatedAt }),
		"CREDIT_LIMIT": numberKey("credit_limit", func(r *sales.Customer) decimal.Decimal { return r.CreditLimit }),
	},
	fallback: "CODE",
	key:      []string{"id"},
	keyOf:    func(r *sales.Customer) []int64 { return []int64{r.ID} },
}

// List returns a page of customers and, when page.Count asks, the total (else -1).
func (s *CustomerStore) List(ctx context.Context, f sales.CustomerFilter, sort Sort, page Page) (_ Window[sales.Customer], err error) {
	defer wrap(&err, "Customers.List")
	var w where
	if f.Search != nil && strings.TrimSpace(*f.Search) != "" {
		p := likePattern(strings.TrimSpace(*f.Search))
		w.add("(code ILIKE ? OR name ILIKE ? OR email ILIKE ?)", p, p, p)
	}
	if f.Archived != nil {
		w.add("archived = ?", *f.Archived)
	}
	if f.Currency != nil {
		w.add("currency = ?", *f.Currency)
	}
	if f.CreditHold != nil {
		w.add("credit_hold = ?", *f.CreditHold)
	}
	if f.SalesRepID != nil {
		w.add("sales_rep_id = ?", *f.SalesRepID)
	}
	if f.PriceListID != nil {
		w.add("price_list_id = ?", *f.PriceListID)
	}
	if f.Code != nil {
		w.add("lower(code) = lower(?)", *f.Code)
	}
	if f.OwnerID != nil {
		w.add("sales_rep_id = ?", *f.OwnerID)
	}
	return listPage(ctx, s.db, `SELECT `+customerColumns, `FROM customers`, &w, customerKeys, sort, page)
}

// customerRequest is what an idempotency key remembers of createCustomer.
type customerRequest struct {
	Customer  sales.Customer
	Addresses []sales.ShippingAddress
}

// Create adds a customer with its shipping addresses. Returns VALIDATION,
// FORBIDDEN (a rep setting credit terms), CONFLICT (code taken), NOT_FOUND
// (price list or sales rep), IDEMPOTENCY_KEY_REUSED.
func (s *CustomerStore) Create(ctx context.Context, actor *sales.User, in sales.Customer, addresses []sales.ShippingAddress, key *string) (_ *sales.Customer, err error) {
	defer wrap(&err, "Customers.Create")
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := sales.ValidateAddresses("input.shippingAddresses", addresses); err != nil {
		return nil, err
	}
	if err := actor.CheckCustomerChange(nil, &in); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "createCustomer", key, customerRequest{in, addresses}, func(tx *Tx) (int64, error) {
		var id int64
		err := tx.GetContext(ctx, &id, `
			INSERT INTO customers (code, name, email, phone, billing_address, currency, payment_terms_days,
				credit_limit, credit_hold, price_list_id, sales_rep_id, notes, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
			in.Code, in.Name, in.Email, in.Phone, in.BillingAddress, in.Currency, in.PaymentTermsDays,
			in.CreditLimit, in.CreditHold, in.PriceListID, in.SalesRepID, in.Notes, tx.Now)
		if err != nil {
			return 0, err
		}
		return id, insertAddresses(ctx, tx, id, addresses)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

func insertAddresses(ctx context.Context, tx *Tx, customerID int64, addresses []sales.ShippingAddress) error {
	for _, a := range addresses {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO customer_addresses (customer_id, label, line1, line2, city, region, postal_code, country, is_default)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			customerID, a.Label, a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country, a.IsDefault)
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *CustomerStore) byID(ctx context.Context, id int64) (*sales.Customer, error) {
	var c sales.Customer
	if err := s.db.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "customer")
	}
	return &c, nil
}

// lockCustomer reads a customer FOR UPDATE and checks the version the caller read.
func lockCustomer(ctx context.Context, tx *Tx, id int64, version int) (*sales.Customer, error) {
	var c sales.Customer
	if err := tx.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, "id", "customer")
	}
	return &c, checkVersion("customer", c.Version, version)
}

// Update applies change to the customer at version. Returns NOT_FOUND
// (also for a rep's view of another rep's customer), CONFLICT (stale
// version or code taken), VALIDATION, FORBIDDEN.
func (s *CustomerStore) Update(ctx context.Context, actor *sales.User, id int64, version int, change func(*sales.Customer)) (_ *sales.Customer, err error) {
	defer wrap(&err, "Customers.Update(%d)", id)
	var out sales.Customer
	err = s.db.Transact(ctx, func(tx *Tx) error {
		before, err := lockCustomer(ctx, tx, id, version)
		if before != nil && !actor.CanSeeCustomer(before) {
			return sales.Errorf(sales.CodeNotFound, "id", "customer not found")
		}
		if err != nil {
			return err
		}
		after := *before
		change(&after)
		after.Name = strings.TrimSpace(after.Name)
		if err := after.Validate(); err != nil {
			return err
		}
		if err := actor.CheckCustomerChange(before, &after); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, `
			UPDATE customers SET name = $2, email = $3, phone = $4, billing_address = $5, currency = $6,
				payment_terms_days = $7, credit_limit = $8, credit_hold = $9, price_list_id = $10,
				sales_rep_id = $11, notes = $12, archived = $13, version = version + 1, updated_at = $14
			WHERE id = $1 RETURNING `+customerColumns,
			id, after.Name, after.Email, after.Phone, after.BillingAddress, after.Currency, after.PaymentTermsDays,
			after.CreditLimit, after.CreditHold, after.PriceListID, after.SalesRepID, after.Notes, after.Archived, tx.Now)
	})
	if err != nil {
		return nil, translate(err)
	}
	return &out, nil
}

// SetAddresses replaces the customer's shipping addresses and bumps its
// version. Same errors as Update.
func (s *CustomerStore) SetAddresses(ctx context.Context, actor *sales.User, id int64, version int, addresses []sales.ShippingAddress) (_ *sales.Customer, err error) {
	defer wrap(&err, "Customers.SetAddresses(%d)", id)
	if err := sales.ValidateAddresses("addresses", addresses); err != nil {
		return nil, err
	}
	var out sales.Customer
	err = s.db.Transact(ctx, func(tx *Tx) error {
		before, err := lockCustomer(ctx, tx, id, version)
		if before != nil && !actor.CanSeeCustomer(before) {
			return sales.Errorf(sales.CodeNotFound, "id", "customer not found")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customer_addresses WHERE customer_id = $1`, id); err != nil {
			return err
		}
		if err := insertAddresses(ctx, tx, id, addresses); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, `UPDATE customers SET version = version + 1, updated_at = $2
			WHERE id = $1 RETURNING `+customerColumns, id, tx.Now)
	})
	if err != nil {
		return nil, translate(err)
	}
	return &out, nil
}
