package demo_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/sales"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestLoad(t *testing.T) {
	t.Parallel()
	store := dbtest.New(t)
	ctx := context.Background()
	summary, err := demo.Load(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range demo.Users {
		if !strings.Contains(summary, u.Email) {
			t.Errorf("summary does not name %s:\n%s", u.Email, summary)
		}
	}
	count := func(table string) int {
		var n int
		if err := store.GetContext(ctx, &n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for table, want := range map[string][2]int{
		"warehouses": {3, 3}, "products": {190, 210}, "customers": {95, 105}, "price_lists": {3, 10}, "users": {6, 20},
	} {
		if n := count(table); n < want[0] || n > want[1] {
			t.Errorf("%s: %d rows, want %d to %d", table, n, want[0], want[1])
		}
	}
	var roles []string
	if err := store.SelectContext(ctx, &roles, `SELECT DISTINCT role FROM users ORDER BY role`); err != nil {
		t.Fatal(err)
	}
	if len(roles) != len(sales.Roles) {
		t.Errorf("demo users cover roles %v, want all %d", roles, len(sales.Roles))
	}
	var currencies, onHold, withOwnList, stocked int
	_ = store.GetContext(ctx, &currencies, `SELECT count(DISTINCT currency) FROM customers`)
	_ = store.GetContext(ctx, &onHold, `SELECT count(*) FROM customers WHERE credit_hold`)
	_ = store.GetContext(ctx, &withOwnList, `SELECT count(*) FROM customers WHERE price_list_id IS NOT NULL`)
	_ = store.GetContext(ctx, &stocked, `SELECT count(*) FROM stock_levels WHERE on_hand > 0`)
	if currencies < 3 || onHold == 0 || withOwnList == 0 || stocked < 300 {
		t.Errorf("demo lacks variety: %d currencies, %d on hold, %d with own list, %d stocked levels", currencies, onHold, withOwnList, stocked)
	}

	// Every described document type, in every one of its states, with its
	// child rows: a new type or state without demo data fails here.
	t.Run("DocumentsInEveryState", func(t *testing.T) {
		for _, d := range sales.DocumentTypes {
			want := slices.Clone(d.States)
			slices.Sort(want)
			var got string
			if err := store.GetContext(ctx, &got, `SELECT coalesce(string_agg(DISTINCT status, ',' ORDER BY status), '') FROM `+d.Table); err != nil {
				t.Fatal(err)
			}
			if got != strings.Join(want, ",") {
				t.Errorf("%s: %s in states %q, want %q", d.Type, d.Table, got, strings.Join(want, ","))
			}
			for _, c := range d.Children {
				if count(c.Table) == 0 {
					t.Errorf("%s: no rows in %s", d.Type, c.Table)
				}
			}
		}
		// Orders held by the credit check for each reason, each with its decision.
		var holds string
		if err := store.GetContext(ctx, &holds, `SELECT coalesce(string_agg(DISTINCT o.hold_reason, ',' ORDER BY o.hold_reason), '')
			FROM sales_orders o JOIN credit_decisions d ON d.order_id = o.id AND d.hold_reason = o.hold_reason
			WHERE o.status = 'ON_HOLD'`); err != nil || holds != "CREDIT_LIMIT,CUSTOMER_ON_HOLD,OVERDUE_INVOICES" {
			t.Errorf("orders held with a decision for %q (%v), want every hold reason", holds, err)
		}
		// The billing states hold together: a credited return has its credit
		// note, a written-off invoice its write-off, a resolved dispute its resolution.
		var loose int
		if err := store.GetContext(ctx, &loose, `SELECT
			(SELECT count(*) FROM returns r WHERE status = 'CREDITED'
			   AND NOT EXISTS (SELECT 1 FROM invoices WHERE return_id = r.id AND kind = 'CREDIT_NOTE' AND status <> 'VOID'))
			+ (SELECT count(*) FROM invoices i WHERE status = 'WRITTEN_OFF' AND NOT EXISTS (SELECT 1 FROM write_offs WHERE invoice_id = i.id))
			+ (SELECT count(*) FROM invoices i WHERE status = 'DISPUTED'
			   AND NOT EXISTS (SELECT 1 FROM disputes WHERE invoice_id = i.id AND status = 'OPEN'))`); err != nil || loose != 0 {
			t.Errorf("%d credited returns, written-off or disputed invoices without their document (%v)", loose, err)
		}
		// A deposit taken with its order, then allocated to the order's invoice.
		var deposits int
		if err := store.GetContext(ctx, &deposits, `SELECT count(*) FROM payments p
			JOIN payment_allocations a ON a.payment_id = p.id AND a.reversed_at IS NULL
			JOIN invoices i ON i.id = a.invoice_id AND i.order_id = p.order_id`); err != nil || deposits == 0 {
			t.Errorf("no deposit allocated to its order's invoice (%v)", err)
		}
		var revised int
		if err := store.GetContext(ctx, &revised, `SELECT count(*) FROM quotes WHERE revision > 1`); err != nil || revised == 0 {
			t.Errorf("no revised quote (%v)", err)
		}
	})

	t.Run("EveryDemoCustomerCanBePriced", func(t *testing.T) {
		customers, err := store.Customers.List(ctx, sales.CustomerFilter{}, db.Sort{}, db.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		products, err := store.Products.List(ctx, sales.ProductFilter{}, db.Sort{}, db.Page{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range customers.Items {
			cust, own, std, err := store.PriceLists.Candidates(ctx, c.ID, products.Items[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sales.ChoosePrice(cust, own, std, sales.OneUnit, db.Today()); err != nil {
				t.Fatalf("customer %s: %v", c.Code, err)
			}
		}
	})

	t.Run("SecondLoadRefused", func(t *testing.T) {
		before := count("customers")
		if _, err := demo.Load(ctx, store); err == nil {
			t.Fatal("loading the demo twice should be refused")
		}
		if count("customers") != before {
			t.Fatal("a refused second load still wrote customers")
		}
	})
}
