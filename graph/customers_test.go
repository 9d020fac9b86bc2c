package graph_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"salesgraph/sales"
)

const createCustomerMutation = `mutation($input: CreateCustomerInput!, $key: String) {
  createCustomer(input: $input, idempotencyKey: $key) {
    id code name email currency paymentTermsDays creditLimit creditHold version
    billingAddress { line1 city country }
    shippingAddresses { label isDefault address { city country } }
    priceList { code }
    salesRep { email }
  }
}`

type customerOut struct {
	ID                string `json:"id"`
	Code              string `json:"code"`
	Name              string `json:"name"`
	Email             *string
	Currency          string
	PaymentTermsDays  int
	CreditLimit       string
	CreditHold        bool
	Version           int
	BillingAddress    *struct{ Line1, City, Country string }
	ShippingAddresses []struct {
		Label     string
		IsDefault bool
		Address   struct{ City, Country string }
	}
	PriceList *struct{ Code string }
	SalesRep  *struct{ Email string }
}

func validCustomer(code string) map[string]any {
	return map[string]any{
		"code": code, "name": "Acme Building GmbH", "email": "orders@acme.example", "currency": "EUR",
		"creditLimit": "25000.00", "paymentTermsDays": 45,
		"billingAddress":    map[string]any{"line1": "Hauptstraße 1", "city": "Berlin", "country": "DE"},
		"shippingAddresses": []any{map[string]any{"label": "Yard", "isDefault": true, "address": map[string]any{"line1": "Hof 2", "city": "Potsdam", "country": "DE"}}},
	}
}

func (e *env) createCustomer(role sales.Role, input map[string]any) customerOut {
	e.t.Helper()
	var out struct{ CreateCustomer customerOut }
	e.must(role, createCustomerMutation, map[string]any{"input": input}, &out)
	return out.CreateCustomer
}

func TestCustomers_Create(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("AllFieldsRoundTrip", func(t *testing.T) {
		c := e.with(t).createCustomer(sales.RoleSalesManager, validCustomer("ACME-01"))
		if c.Code != "ACME-01" || c.CreditLimit != "25000.00" || c.PaymentTermsDays != 45 || c.Version != 1 {
			t.Fatalf("created %+v", c)
		}
		if c.BillingAddress == nil || c.BillingAddress.City != "Berlin" || len(c.ShippingAddresses) != 1 || !c.ShippingAddresses[0].IsDefault {
			t.Fatalf("addresses %+v / %+v", c.BillingAddress, c.ShippingAddresses)
		}
		var got struct{ Customer customerOut }
		e.with(t).must(sales.RoleViewer, `query($id: ID!) { customer(id: $id) { id code creditLimit shippingAddresses { label } } }`, map[string]any{"id": c.ID}, &got)
		if got.Customer.ID != c.ID || got.Customer.Code != "ACME-01" {
			t.Fatalf("read back %+v", got.Customer)
		}
	})

	t.Run("MoneyIsExact", func(t *testing.T) {
		in := validCustomer("EXACT-1")
		in["creditLimit"] = "12345678901234.57"
		c := e.with(t).createCustomer(sales.RoleAdmin, in)
		if c.CreditLimit != "12345678901234.57" {
			t.Fatalf("creditLimit = %s, want 12345678901234.57 exactly", c.CreditLimit)
		}
	})

	t.Run("RepOwnsNewCustomer", func(t *testing.T) {
		in := validCustomer("REP-1")
		delete(in, "creditLimit")
		c := e.with(t).createCustomer(sales.RoleSalesRep, in)
		if c.SalesRep == nil || c.SalesRep.Email != e.users[sales.RoleSalesRep].Email {
			t.Fatalf("salesRep = %+v, want the rep who created it", c.SalesRep)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		with := func(k string, v any) map[string]any {
			in := validCustomer("BAD-1")
			if v == nil {
				delete(in, k)
			} else {
				in[k] = v
			}
			return in
		}
		e.with(t).createCustomer(sales.RoleAdmin, validCustomer("TAKEN"))
		for _, tc := range []struct {
			name, code, field string
			role              sales.Role
			input             map[string]any
		}{
			{"EmptyCode", "VALIDATION", "input.code", sales.RoleAdmin, with("code", "")},
			{"CodeWithSpaces", "VALIDATION", "input.code", sales.RoleAdmin, with("code", "a b")},
			{"LongCode", "VALIDATION", "input.code", sales.RoleAdmin, with("code", strings.Repeat("X", 33))},
			{"BlankName", "VALIDATION", "input.name", sales.RoleAdmin, with("name", "   ")},
			{"LongName", "VALIDATION", "input.name", sales.RoleAdmin, with("name", strings.Repeat("n", 201))},
			{"NulInName", "VALIDATION", "input.name", sales.RoleAdmin, with("name", "a\x00b")},
			{"BadEmail", "VALIDATION", "input.email", sales.RoleAdmin, with("email", "not-an-email")},
			{"NegativeLimit", "VALIDATION", "input.creditLimit", sales.RoleAdmin, with("creditLimit", "-1")},
			{"MalformedDecimal", "VALIDATION", "input.creditLimit", sales.RoleAdmin, with("creditLimit", "12,50")},
			{"DecimalAsFloat", "VALIDATION", "input.creditLimit", sales.RoleAdmin, with("creditLimit", 12.5)},
			{"TooManyDecimals", "VALIDATION", "input.creditLimit", sales.RoleAdmin, with("creditLimit", "1.005")},
			{"UnknownCurrency", "VALIDATION", "input.currency", sales.RoleAdmin, with("currency", "XXX")},
			{"TermsTooLong", "VALIDATION", "input.paymentTermsDays", sales.RoleAdmin, with("paymentTermsDays", 400)},
			{"BadCountry", "VALIDATION", "input.billingAddress.country", sales.RoleAdmin, with("billingAddress", map[string]any{"line1": "x", "city": "y", "country": "Germany"})},
			{"MalformedPriceListID", "VALIDATION", "input.priceListId", sales.RoleAdmin, with("priceListId", "garbage")},
			{"WrongTypeID", "VALIDATION", "input.priceListId", sales.RoleAdmin, with("priceListId", e.users[sales.RoleAdmin].Email)},
			{"UnknownSalesRep", "NOT_FOUND", "input.salesRepId", sales.RoleAdmin, with("salesRepId", "VXNlcjo5OTk5OTk")},
			{"TwoDefaultAddresses", "VALIDATION", "input.shippingAddresses", sales.RoleAdmin, with("shippingAddresses", []any{
				map[string]any{"isDefault": true, "address": map[string]any{"line1": "a", "city": "b", "country": "DE"}},
				map[string]any{"isDefault": true, "address": map[string]any{"line1": "c", "city": "d", "country": "DE"}}})},
			{"DuplicateCode", "CONFLICT", "input.code", sales.RoleAdmin, with("code", "taken")},
			{"ViewerMayNot", "FORBIDDEN", "", sales.RoleViewer, with("code", "V-1")},
			{"WarehouseMayNot", "FORBIDDEN", "", sales.RoleWarehouse, with("code", "W-1")},
			{"RepMayNotSetCredit", "FORBIDDEN", "input.creditLimit", sales.RoleSalesRep, with("code", "R-1")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				unchanged(t, e.store, func() {
					wantError(t, e.with(t).as(tc.role, createCustomerMutation, map[string]any{"input": tc.input}), tc.code, tc.field)
				})
			})
		}
		t.Run("NoToken", func(t *testing.T) {
			unchanged(t, e.store, func() {
				r := e.with(t).as("nobody", createCustomerMutation, map[string]any{"input": validCustomer("N-1")})
				wantError(t, r, "UNAUTHENTICATED", "")
			})
		})
	})
}

func TestCustomers_Idempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vars := map[string]any{"input": validCustomer("IDEM-1"), "key": "k-123"}
	var first, again struct{ CreateCustomer customerOut }
	e.with(t).must(sales.RoleAdmin, createCustomerMutation, vars, &first)
	e.with(t).must(sales.RoleAdmin, createCustomerMutation, vars, &again)
	if first.CreateCustomer.ID != again.CreateCustomer.ID {
		t.Fatalf("a retry created a second customer: %s then %s", first.CreateCustomer.ID, again.CreateCustomer.ID)
	}

	t.Run("SameKeyOtherInput", func(t *testing.T) {
		other := validCustomer("IDEM-2")
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAdmin, createCustomerMutation, map[string]any{"input": other, "key": "k-123"}),
				"IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		})
	})

	t.Run("KeysArePerUser", func(t *testing.T) {
		var out struct{ CreateCustomer customerOut }
		e.with(t).must(sales.RoleSalesManager, createCustomerMutation, map[string]any{"input": validCustomer("IDEM-3"), "key": "k-123"}, &out)
		if out.CreateCustomer.ID == first.CreateCustomer.ID {
			t.Fatal("another user's key replayed someone else's customer")
		}
	})

	t.Run("ConcurrentRetriesMakeOneCustomer", func(t *testing.T) {
		const n = 20
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := e.with(t).as(sales.RoleAdmin, createCustomerMutation, map[string]any{"input": validCustomer("RACE-1"), "key": "race"})
				if len(r.Errors) > 0 {
					t.Errorf("racer %d: %+v", i, r.Errors)
					return
				}
				var out struct{ CreateCustomer customerOut }
				r.Decode(t, &out)
				ids[i] = out.CreateCustomer.ID
			})
		}
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("racers got different customers: %v", ids)
			}
		}
		var count int
		if err := e.store.GetContext(t.Context(), &count, `SELECT count(*) FROM customers WHERE code = 'RACE-1'`); err != nil || count != 1 {
			t.Fatalf("%d customers RACE-1 (%v), want 1", count, err)
		}
	})

	t.Run("OverlongKey", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAdmin, createCustomerMutation, map[string]any{"input": validCustomer("K-1"), "key": strings.Repeat("k", 256)}),
				"VALIDATION", "idempotencyKey")
		})
	})
}

const updateCustomerMutation = `mutation($id: ID!, $version: Int!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, version: $version, input: $input) { id name email creditLimit version priceList { code } }
}`

func TestCustomers_Update(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.with(t).createCustomer(sales.RoleAdmin, validCustomer("UPD-1"))

	var out struct {
		UpdateCustomer struct {
			Name, CreditLimit string
			Email             *string
			Version           int
		}
	}
	e.with(t).must(sales.RoleSalesManager, updateCustomerMutation, map[string]any{"id": c.ID, "version": 1,
		"input": map[string]any{"name": "Acme Renamed", "email": nil}}, &out)
	if out.UpdateCustomer.Name != "Acme Renamed" || out.UpdateCustomer.Email != nil || out.UpdateCustomer.Version != 2 {
		t.Fatalf("after update: %+v (want name changed, email cleared, version 2)", out.UpdateCustomer)
	}

	t.Run("StaleVersion", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAdmin, updateCustomerMutation, map[string]any{"id": c.ID, "version": 1, "input": map[string]any{"name": "Lost"}}),
				"CONFLICT", "version")
		})
	})

	t.Run("ConcurrentWritersOneWins", func(t *testing.T) {
		const n = 10
		var wg sync.WaitGroup
		results := make([]string, n)
		for i := range n {
			wg.Go(func() {
				r := e.with(t).as(sales.RoleAdmin, updateCustomerMutation, map[string]any{"id": c.ID, "version": 2, "input": map[string]any{"notes": fmt.Sprint("writer ", i)}})
				if len(r.Errors) > 0 {
					results[i] = r.Errors[0].Code()
				} else {
					results[i] = "OK"
				}
			})
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, r := range results {
			switch r {
			case "OK":
				ok++
			case "CONFLICT":
				conflicts++
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("results %v: want 1 OK and %d CONFLICT", results, n-1)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		var cur struct{ Customer struct{ Version int } }
		e.with(t).must(sales.RoleAdmin, `query($id: ID!) { customer(id: $id) { version } }`, map[string]any{"id": c.ID}, &cur)
		v := cur.Customer.Version
		for _, tc := range []struct {
			name, code, field string
			role              sales.Role
			id                string
			input             map[string]any
		}{
			{"BlankName", "VALIDATION", "input.name", sales.RoleAdmin, c.ID, map[string]any{"name": ""}},
			{"NegativeLimit", "VALIDATION", "input.creditLimit", sales.RoleAdmin, c.ID, map[string]any{"creditLimit": "-5"}},
			{"UnknownPriceList", "NOT_FOUND", "input.priceListId", sales.RoleAdmin, c.ID, map[string]any{"priceListId": "UHJpY2VMaXN0Ojk5OTk"}},
			{"UnknownCustomer", "NOT_FOUND", "id", sales.RoleAdmin, "Q3VzdG9tZXI6OTk5OTk", map[string]any{"name": "x"}},
			{"WrongTypeID", "VALIDATION", "id", sales.RoleAdmin, "VXNlcjox", map[string]any{"name": "x"}},
			{"RepCannotSeeOthers", "NOT_FOUND", "id", sales.RoleSalesRep, c.ID, map[string]any{"name": "x"}},
			{"AccountantOnlyCredit", "FORBIDDEN", "input", sales.RoleAccountant, c.ID, map[string]any{"name": "x"}},
			{"ViewerMayNot", "FORBIDDEN", "", sales.RoleViewer, c.ID, map[string]any{"name": "x"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				unchanged(t, e.store, func() {
					wantError(t, e.with(t).as(tc.role, updateCustomerMutation, map[string]any{"id": tc.id, "version": v, "input": tc.input}), tc.code, tc.field)
				})
			})
		}
		t.Run("AccountantSetsCredit", func(t *testing.T) {
			var out struct{ UpdateCustomer struct{ CreditLimit string } }
			e.with(t).must(sales.RoleAccountant, updateCustomerMutation, map[string]any{"id": c.ID, "version": v, "input": map[string]any{"creditLimit": "99.50"}}, &out)
			if out.UpdateCustomer.CreditLimit != "99.5" && out.UpdateCustomer.CreditLimit != "99.50" {
				t.Fatalf("creditLimit = %s", out.UpdateCustomer.CreditLimit)
			}
		})
	})
}

func TestCustomers_ListAndScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rep := e.users[sales.RoleSalesRep]
	otherRep, otherTok := e.addUser("rep2@test.example", sales.RoleSalesRep)
	_ = otherTok
	for i := range 12 {
		in := validCustomer(fmt.Sprintf("L-%02d", i))
		in["name"] = fmt.Sprintf("Name %c", 'L'-rune(i))
		in["currency"] = []string{"EUR", "USD"}[i%2]
		owner := rep.ID
		if i >= 8 {
			owner = otherRep.ID
		}
		in["salesRepId"] = userID(owner)
		e.with(t).createCustomer(sales.RoleAdmin, in)
	}
	const list = `query($first: Int, $after: String, $last: Int, $before: String, $search: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
	  customers(first: $first, after: $after, last: $last, before: $before, search: $search, filter: $filter, orderBy: $orderBy) {
	    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { code } }
	  }
	}`
	type conn struct {
		Customers struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct {
				Cursor string
				Node   struct{ Code string }
			}
		}
	}
	codes := func(c conn) string {
		var s []string
		for _, e := range c.Customers.Edges {
			s = append(s, e.Node.Code)
		}
		return strings.Join(s, ",")
	}

	t.Run("PagesForwardAndBack", func(t *testing.T) {
		var p1, p2, back conn
		e.with(t).must(sales.RoleViewer, list, map[string]any{"first": 5, "orderBy": map[string]any{"field": "CODE"}}, &p1)
		if codes(p1) != "L-00,L-01,L-02,L-03,L-04" || p1.Customers.TotalCount != 12 || !p1.Customers.PageInfo.HasNextPage || p1.Customers.PageInfo.HasPreviousPage {
			t.Fatalf("page 1: %s %+v", codes(p1), p1.Customers)
		}
		e.with(t).must(sales.RoleViewer, list, map[string]any{"first": 5, "after": *p1.Customers.PageInfo.EndCursor, "orderBy": map[string]any{"field": "CODE"}}, &p2)
		if codes(p2) != "L-05,L-06,L-07,L-08,L-09" || !p2.Customers.PageInfo.HasPreviousPage {
			t.Fatalf("page 2: %s", codes(p2))
		}
		e.with(t).must(sales.RoleViewer, list, map[string]any{"last": 2, "before": *p2.Customers.PageInfo.StartCursor, "orderBy": map[string]any{"field": "CODE"}}, &back)
		if codes(back) != "L-03,L-04" {
			t.Fatalf("last 2 before page 2: %s", codes(back))
		}
		var tail conn
		e.with(t).must(sales.RoleViewer, list, map[string]any{"last": 3, "orderBy": map[string]any{"field": "CODE"}}, &tail)
		if codes(tail) != "L-09,L-10,L-11" {
			t.Fatalf("last 3: %s", codes(tail))
		}
	})

	t.Run("OrderByNameDesc", func(t *testing.T) {
		var c conn
		e.with(t).must(sales.RoleViewer, list, map[string]any{"first": 3, "orderBy": map[string]any{"field": "NAME", "direction": "DESC"}}, &c)
		if codes(c) != "L-00,L-01,L-02" { // names run L, K, J … as codes rise
			t.Fatalf("by name desc: %s", codes(c))
		}
	})

	t.Run("FilterAndSearch", func(t *testing.T) {
		var c conn
		e.with(t).must(sales.RoleViewer, list, map[string]any{"first": 20, "filter": map[string]any{"currency": "USD"}, "search": "l-0"}, &c)
		if codes(c) != "L-01,L-03,L-05,L-07,L-09" || c.Customers.TotalCount != 5 {
			t.Fatalf("USD and search l-0: %s (%d)", codes(c), c.Customers.TotalCount)
		}
	})

	t.Run("RepSeesOwnCustomersOnly", func(t *testing.T) {
		var c conn
		e.with(t).must(sales.RoleSalesRep, list, map[string]any{"first": 50}, &c)
		if c.Customers.TotalCount != 8 || strings.Contains(codes(c), "L-08") {
			t.Fatalf("rep sees %d: %s", c.Customers.TotalCount, codes(c))
		}
	})

	t.Run("PageSizeCapped", func(t *testing.T) {
		wantError(t, e.with(t).as(sales.RoleViewer, list, map[string]any{"first": 1000000}), "VALIDATION", "first")
		wantError(t, e.with(t).as(sales.RoleViewer, list, map[string]any{"first": 5, "after": "bm90LWEtY3Vyc29y"}), "VALIDATION", "after")
	})
}

// TestCustomers_SearchIsLiteral: search text is matched as typed. Each
// search below would match other customers if %, _ or \ reached ILIKE as
// pattern characters.
func TestCustomers_SearchIsLiteral(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for code, name := range map[string]string{"PCT": "Hundred 100% Ltd", "USC": "Under_Score Ltd", "BSL": `Back\Slash Ltd`, "PLN": "Plain Ltd"} {
		in := validCustomer(code)
		in["name"] = name
		e.with(t).createCustomer(sales.RoleAdmin, in)
	}
	for search, want := range map[string]string{"%": "PCT", "_": "USC", `\`: "BSL", "0% l": "PCT", "r_s": "USC", `k\s`: "BSL", "ltd": "BSL,PCT,PLN,USC"} {
		var out struct {
			Customers struct{ Nodes []struct{ Code string } }
		}
		e.with(t).must(sales.RoleViewer, `query($s: String) { customers(first: 50, search: $s, orderBy: {field: CODE}) { nodes { code } } }`, map[string]any{"s": search}, &out)
		var got []string
		for _, n := range out.Customers.Nodes {
			got = append(got, n.Code)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("search %q found %v, want %s", search, got, want)
		}
	}
}

// TestCustomers_CreditLimitAtCurrencyMinorUnits: a credit limit is money in
// the customer's currency. A KWD limit of 500.125 used to be refused (the
// column and the check allowed two places for every currency); now each
// currency's own minor units apply, and the limit renders at them.
func TestCustomers_CreditLimitAtCurrencyMinorUnits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct{ currency, limit, want, refusal string }{
		{"KWD", "500.125", "500.125", ""},
		{"KWD", "500.1", "500.100", ""},
		{"JPY", "15000", "15000", ""},
		{"JPY", "15000.5", "", "at most 0 decimal places"},
		{"EUR", "1.125", "", "at most 2 decimal places"},
		{"EUR", "1.1", "1.10", ""},
	} {
		t.Run(c.currency+"_"+c.limit, func(t *testing.T) {
			in := validCustomer("CL-" + c.currency + "-" + strings.ReplaceAll(c.limit, ".", "_"))
			in["currency"], in["creditLimit"] = c.currency, c.limit
			if c.refusal != "" {
				r := e.as(sales.RoleSalesManager, createCustomerMutation, map[string]any{"input": in})
				wantError(t, r, "VALIDATION", "input.creditLimit")
				if len(r.Errors) > 0 && !strings.Contains(r.Errors[0].Message, c.refusal) {
					t.Errorf("message %q does not say %q", r.Errors[0].Message, c.refusal)
				}
				return
			}
			got := e.with(t).createCustomer(sales.RoleSalesManager, in)
			if got.CreditLimit != c.want {
				t.Errorf("%s credit limit %s came back as %q, want %q", c.currency, c.limit, got.CreditLimit, c.want)
			}
		})
	}
}
