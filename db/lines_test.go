package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/sales"
)

// TestPriceLines_StatementsDoNotGrowWithLines: pricing a document reads its
// products and the customer's price lists once for all its lines (it read
// them once per line: 3 statements a line, 1,500 for 500 lines, all under
// the customer's lock), and still charges each line its own list price.
func TestPriceLines_StatementsDoNotGrowWithLines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := dbtest.New(t)
	// 500 products; the customer's own list prices each at 1.00 + id/100,
	// and the EUR default list at 99 (never chosen while the own list prices it).
	for _, q := range []string{
		`INSERT INTO products (sku, name, unit_of_measure, tax_rate)
		 SELECT 'P-' || g, 'Product ' || g, 'EA', 0.19 FROM generate_series(1, 500) g`,
		`INSERT INTO price_lists (code, name, currency) VALUES ('OWN', 'Own', 'EUR')`,
		`INSERT INTO price_lists (code, name, currency, is_default) VALUES ('STD', 'Standard', 'EUR', true)`,
		`INSERT INTO price_list_items (price_list_id, product_id, unit_price)
		 SELECT l.id, p.id, CASE l.code WHEN 'OWN' THEN 1 + p.id / 100.0 ELSE 99 END FROM products p, price_lists l`,
	} {
		if _, err := store.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var own int64
	if err := store.GetContext(ctx, &own, `SELECT id FROM price_lists WHERE code = 'OWN'`); err != nil {
		t.Fatal(err)
	}
	var products []int64
	if err := store.SelectContext(ctx, &products, `SELECT id FROM products ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	admin, err := store.Users.Create(ctx, nil, sales.User{Email: "admin@lines.example", Name: "Admin", Role: sales.RoleAdmin, Active: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	customer, err := store.Customers.Create(ctx, admin, sales.Customer{Code: "C1", Name: "Customer", Currency: "EUR",
		CreditLimit: decimal.NewFromInt(1000), PriceListID: &own}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	statements := map[int]int64{}
	for _, n := range []int{1, 50, 500} {
		lines := make([]sales.LineInput, n)
		for i := range lines {
			lines[i] = sales.LineInput{ProductID: products[i], Quantity: decimal.NewFromInt(2), DiscountPercent: decimal.Zero}
		}
		sctx, stats := db.WithStats(ctx)
		prices, err := db.PriceLines(sctx, store.DB, customer, lines, time.Now())
		if err != nil {
			t.Fatalf("%d lines: %v", n, err)
		}
		statements[n] = stats.Statements()
		for i, p := range prices {
			want := decimal.NewFromInt(1).Add(decimal.NewFromInt(products[i]).Div(decimal.NewFromInt(100)))
			if !p.Equal(want) {
				t.Fatalf("%d lines: line %d (product %d) priced %s, want the own list's %s", n, i, products[i], p, want)
			}
		}
	}
	// One reads the transaction's time (db.Transact); three price the lines:
	// products, the customer's lists, their items for those products.
	if statements[1] != statements[50] || statements[50] != statements[500] || statements[500] > 4 {
		t.Fatalf("statements to price 1, 50 and 500 lines: %d, %d, %d; want the same, at most 4", statements[1], statements[50], statements[500])
	}
	t.Logf("pricing 1, 50 or 500 lines in a transaction: %s statements", fmt.Sprint(statements[500]))
}
