package graph_test

import (
	"testing"

	"salesgraph/sales"
)

const (
	createPriceListMutation = `mutation($input: CreatePriceListInput!) { createPriceList(input: $input) { id code isDefault version items { nodes { minQuantity unitPrice product { sku } } } } }`
	priceQuoteQuery         = `query($c: ID!, $p: ID!, $q: Decimal!, $d: Date) {
	  priceQuote(customerId: $c, productId: $p, quantity: $q, date: $d) {
	    unitPrice currency source priceList { code } item { minQuantity } explanation
	  }
	}`
)

type quoteOut struct {
	PriceQuote struct {
		UnitPrice, Currency, Source, Explanation string
		PriceList                                struct{ Code string }
		Item                                     struct{ MinQuantity string }
	}
}

func (e *env) priceList(input map[string]any) string {
	e.t.Helper()
	var out struct{ CreatePriceList struct{ ID string } }
	e.must(sales.RoleSalesManager, createPriceListMutation, map[string]any{"input": input}, &out)
	return out.CreatePriceList.ID
}

func TestPricing_PriceQuote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	widget, gadget, unpriced := e.with(t).product("W-1"), e.with(t).product("G-1"), e.with(t).product("U-1")
	e.with(t).priceList(map[string]any{"code": "STD-EUR", "name": "Standard", "currency": "EUR", "isDefault": true, "items": []any{
		map[string]any{"productId": widget, "unitPrice": "10.00"},
		map[string]any{"productId": widget, "minQuantity": "100", "unitPrice": "9.00"},
		map[string]any{"productId": gadget, "unitPrice": "5.5"},
	}})
	special := e.with(t).priceList(map[string]any{"code": "VIP", "name": "VIP", "currency": "EUR", "validFrom": "2026-01-01", "validTo": "2026-12-31", "items": []any{
		map[string]any{"productId": widget, "unitPrice": "8.00"},
		map[string]any{"productId": widget, "minQuantity": "50", "unitPrice": "7.25", "validFrom": "2026-06-01"},
	}})
	vip := validCustomer("VIP-1")
	vip["priceListId"] = special
	vipID := e.with(t).createCustomer(sales.RoleAdmin, vip).ID
	plainID := e.with(t).createCustomer(sales.RoleAdmin, validCustomer("PLAIN-1")).ID
	usd := validCustomer("USD-1")
	usd["currency"] = "USD"
	usdID := e.with(t).createCustomer(sales.RoleAdmin, usd).ID

	for _, tc := range []struct {
		name, customer, product, qty, date string
		price, list, minQty, source        string
	}{
		{"DefaultListBaseBreak", plainID, widget, "1", "2026-11-28", "10.00", "STD-EUR", "1", "DEFAULT_PRICE_LIST"},
		{"DefaultListQuantityBreak", plainID, widget, "150", "2026-11-28", "9.00", "STD-EUR", "100", "DEFAULT_PRICE_LIST"},
		{"JustBelowBreak", plainID, widget, "99.999", "2026-11-28", "10.00", "STD-EUR", "1", "DEFAULT_PRICE_LIST"},
		{"CustomerListWins", vipID, widget, "10", "2026-11-28", "8.00", "VIP", "1", "CUSTOMER_PRICE_LIST"},
		{"ItemValidFromRespected", vipID, widget, "60", "2026-05-31", "8.00", "VIP", "1", "CUSTOMER_PRICE_LIST"},
		{"ItemValidFromReached", vipID, widget, "60", "2026-06-01", "7.25", "VIP", "50", "CUSTOMER_PRICE_LIST"},
		{"ExpiredCustomerListFallsBack", vipID, widget, "10", "2027-01-02", "10.00", "STD-EUR", "1", "DEFAULT_PRICE_LIST"},
		{"CustomerListLacksProduct", vipID, gadget, "1", "2026-11-28", "5.50", "STD-EUR", "1", "DEFAULT_PRICE_LIST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q quoteOut
			e.with(t).must(sales.RoleSalesManager, priceQuoteQuery, map[string]any{"c": tc.customer, "p": tc.product, "q": tc.qty, "d": tc.date}, &q)
			got := q.PriceQuote
			if got.UnitPrice != tc.price || got.PriceList.Code != tc.list || got.Item.MinQuantity != tc.minQty || got.Source != tc.source || got.Currency != "EUR" {
				t.Fatalf("quote = %+v; want %s from %s break %s (%s)", got, tc.price, tc.list, tc.minQty, tc.source)
			}
			if got.Explanation == "" {
				t.Fatal("no explanation")
			}
		})
	}

	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			name, customer, product, qty, code, field string
		}{
			{"NoPriceAnywhere", plainID, unpriced, "1", "NO_PRICE", "productId"},
			{"NoListInCurrency", usdID, widget, "1", "NO_PRICE", "productId"},
			{"ZeroQuantity", plainID, widget, "0", "VALIDATION", "quantity"},
			{"UnknownCustomer", "Q3VzdG9tZXI6OTk5OTk", widget, "1", "NOT_FOUND", "customerId"},
			{"ProductIDAsCustomer", widget, widget, "1", "VALIDATION", "customerId"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, e.with(t).as(sales.RoleAdmin, priceQuoteQuery, map[string]any{"c": tc.customer, "p": tc.product, "q": tc.qty}), tc.code, tc.field)
			})
		}
	})
}

func TestPricing_ListMutations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	widget := e.with(t).product("W-1")
	listID := e.with(t).priceList(map[string]any{"code": "STD-EUR", "name": "Standard", "currency": "EUR", "isDefault": true})

	const setItem = `mutation($l: ID!, $input: PriceListItemInput!) { setPriceListItem(priceListId: $l, input: $input) { id unitPrice minQuantity } }`
	var a, b struct {
		SetPriceListItem struct{ ID, UnitPrice string }
	}
	e.with(t).must(sales.RoleSalesManager, setItem, map[string]any{"l": listID, "input": map[string]any{"productId": widget, "unitPrice": "3.10"}}, &a)
	e.with(t).must(sales.RoleSalesManager, setItem, map[string]any{"l": listID, "input": map[string]any{"productId": widget, "unitPrice": "3.20"}}, &b)
	if a.SetPriceListItem.ID != b.SetPriceListItem.ID || b.SetPriceListItem.UnitPrice != "3.20" {
		t.Fatalf("setting the same break twice should change it in place: %+v then %+v", a, b)
	}

	t.Run("SecondDefaultForCurrency", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleAdmin, createPriceListMutation, map[string]any{"input": map[string]any{"code": "OTHER", "name": "x", "currency": "EUR", "isDefault": true}}),
				"CONFLICT", "input.isDefault")
		})
	})
	t.Run("BadItems", func(t *testing.T) {
		for _, tc := range []struct {
			name, field, code string
			item              map[string]any
		}{
			{"NegativePrice", "input.items.0.unitPrice", "VALIDATION", map[string]any{"productId": widget, "unitPrice": "-1"}},
			{"ZeroMinQuantity", "input.items.0.minQuantity", "VALIDATION", map[string]any{"productId": widget, "unitPrice": "1", "minQuantity": "0"}},
			{"UnknownProduct", "input.productId", "NOT_FOUND", map[string]any{"productId": "UHJvZHVjdDo5OTk5", "unitPrice": "1"}},
			{"ValidToBeforeFrom", "input.items.0.validTo", "VALIDATION", map[string]any{"productId": widget, "unitPrice": "1", "validFrom": "2026-02-01", "validTo": "2026-01-01"}},
			{"BadDate", "input.items.0.validFrom", "VALIDATION", map[string]any{"productId": widget, "unitPrice": "1", "validFrom": "2026-13-01"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				unchanged(t, e.store, func() {
					wantError(t, e.with(t).as(sales.RoleAdmin, createPriceListMutation, map[string]any{"input": map[string]any{"code": "L-" + tc.name, "name": "x", "currency": "EUR", "items": []any{tc.item}}}),
						tc.code, tc.field)
				})
			})
		}
	})
	t.Run("RemoveItem", func(t *testing.T) {
		e.with(t).must(sales.RoleSalesManager, `mutation($id: ID!) { removePriceListItem(id: $id) }`, map[string]any{"id": a.SetPriceListItem.ID}, nil)
		wantError(t, e.with(t).as(sales.RoleSalesManager, `mutation($id: ID!) { removePriceListItem(id: $id) }`, map[string]any{"id": a.SetPriceListItem.ID}), "NOT_FOUND", "id")
	})
	t.Run("StaleVersion", func(t *testing.T) {
		// Two item changes bumped the list to version 3 (well, 4 after the removal).
		wantError(t, e.with(t).as(sales.RoleSalesManager, `mutation($id: ID!) { updatePriceList(id: $id, version: 1, input: {name: "x"}) { id } }`, map[string]any{"id": listID}),
			"CONFLICT", "version")
	})
}
