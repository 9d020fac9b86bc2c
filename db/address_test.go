package db_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// TestAddresses_StoredAsJSONReadBack: addresses go to jsonb and come back
// the same through every read path (one row, a list of rows, a page, a
// transaction, RETURNING), and a missing optional address stays nil.
func TestAddresses_StoredAsJSONReadBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.New(t)
	admin, err := store.Users.Create(ctx, nil, sales.User{Email: "admin@address.example", Name: "Admin", Role: sales.RoleAdmin, Active: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	billing := sales.Address{Line1: "1 Market Street", Line2: "Floor 2", City: "Berlin", PostalCode: "10117", Country: "DE"}
	with, err := store.Customers.Create(ctx, admin, sales.Customer{Code: "WITH", Name: "With", Currency: "EUR",
		CreditLimit: decimal.NewFromInt(1), BillingAddress: &billing}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	without, err := store.Customers.Create(ctx, admin, sales.Customer{Code: "WITHOUT", Name: "Without", Currency: "EUR",
		CreditLimit: decimal.NewFromInt(1)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(how string, c *sales.Customer) {
		t.Helper()
		switch c.ID {
		case with.ID:
			if c.BillingAddress == nil || *c.BillingAddress != billing {
				t.Errorf("%s: billing address %+v, want %+v", how, c.BillingAddress, billing)
			}
		case without.ID:
			if c.BillingAddress != nil {
				t.Errorf("%s: billing address %+v, want none", how, *c.BillingAddress)
			}
		default:
			t.Errorf("%s: unexpected customer %d", how, c.ID)
		}
	}
	check("Create (RETURNING)", with)
	check("Create (RETURNING)", without)
	got, err := store.Customers.ByIDs(ctx, []int64{with.ID, without.ID})
	if err != nil || len(got) != 2 {
		t.Fatalf("ByIDs: %d rows, %v", len(got), err)
	}
	for _, c := range got {
		check("ByIDs", c)
	}
	page, err := store.Customers.List(ctx, sales.CustomerFilter{}, db.Sort{}, db.Page{Limit: 10})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("List: %d rows, %v", len(page.Items), err)
	}
	for _, c := range page.Items {
		check("List", c)
	}
	err = store.Transact(ctx, func(tx *db.Tx) error {
		var c sales.Customer
		if err := tx.GetContext(ctx, &c, `SELECT id, billing_address FROM customers WHERE id = $1`, with.ID); err != nil {
			return err
		}
		check("Tx.GetContext", &c)
		var cs []sales.Customer
		if err := tx.SelectContext(ctx, &cs, `SELECT id, billing_address FROM customers ORDER BY id`); err != nil {
			return err
		}
		for i := range cs {
			check("Tx.SelectContext", &cs[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Stored as a JSON object with the documented keys, which SQL (demo/scale.go) reads too.
	var city string
	if err := store.GetContext(ctx, &city, `SELECT billing_address->>'city' FROM customers WHERE id = $1`, with.ID); err != nil || city != "Berlin" {
		t.Fatalf("billing_address->>'city' = %q, %v", city, err)
	}
	updated, err := store.Customers.Update(ctx, admin, without.ID, without.Version, func(c *sales.Customer) { c.BillingAddress = &billing })
	if err != nil {
		t.Fatal(err)
	}
	if updated.BillingAddress == nil || *updated.BillingAddress != billing {
		t.Errorf("Update: billing address %+v, want %+v", updated.BillingAddress, billing)
	}
	var noID struct {
		BillingAddress *sales.Address `db:"billing_address"`
	}
	if err := store.GetContext(ctx, &noID, `SELECT id, billing_address FROM customers LIMIT 1`); err == nil {
		t.Error("a column without a field scanned silently")
	}
}
