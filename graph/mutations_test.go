package graph_test

import (
	"strings"
	"testing"

	"salesgraph/sales"
)

// TestMutations_BadInput covers the mutations not tested on their own:
// each invalid input gets its code and field, and the database is unchanged.
func TestMutations_BadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	product := e.with(t).product("P-1")
	e.with(t).product("P-TAKEN")
	e.with(t).warehouse("WH-TAKEN")
	customer := e.with(t).createCustomer(sales.RoleAdmin, validCustomer("C-1"))
	list := e.with(t).priceList(map[string]any{"code": "L-1", "name": "List", "currency": "EUR"})
	viewer := userID(e.users[sales.RoleViewer].ID)

	const (
		createProduct   = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`
		updateProduct   = `mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) { updateProduct(id: $id, version: $v, input: $input) { id } }`
		createWarehouse = `mutation($input: CreateWarehouseInput!) { createWarehouse(input: $input) { id } }`
		setAddresses    = `mutation($id: ID!, $v: Int!, $a: [ShippingAddressInput!]!) { setCustomerShippingAddresses(id: $id, version: $v, addresses: $a) { id } }`
		updateList      = `mutation($id: ID!, $v: Int!, $input: UpdatePriceListInput!) { updatePriceList(id: $id, version: $v, input: $input) { id } }`
		setItem         = `mutation($l: ID!, $input: PriceListItemInput!) { setPriceListItem(priceListId: $l, input: $input) { id } }`
		updateUser      = `mutation($id: ID!, $v: Int!, $input: UpdateUserInput!) { updateUser(id: $id, version: $v, input: $input) { id } }`
	)
	prod := func(k string, v any) map[string]any {
		m := map[string]any{"sku": "NEW-1", "name": "New", "unitOfMeasure": "EA"}
		m[k] = v
		return map[string]any{"input": m}
	}
	addr := map[string]any{"line1": "Road 1", "city": "Town", "country": "DE"}
	for _, tc := range []struct {
		name, query, code, field string
		vars                     map[string]any
	}{
		{"ProductEmptySKU", createProduct, "VALIDATION", "input.sku", prod("sku", "")},
		{"ProductSKUTaken", createProduct, "CONFLICT", "input.sku", prod("sku", "p-taken")},
		{"ProductTaxOverOne", createProduct, "VALIDATION", "input.taxRate", prod("taxRate", "1.5")},
		{"ProductNegativeTax", createProduct, "VALIDATION", "input.taxRate", prod("taxRate", "-0.1")},
		{"ProductLongName", createProduct, "VALIDATION", "input.name", prod("name", strings.Repeat("x", 201))},
		{"ProductNoUnit", createProduct, "VALIDATION", "input.unitOfMeasure", prod("unitOfMeasure", " ")},
		{"UpdateProductStale", updateProduct, "CONFLICT", "version", map[string]any{"id": product, "v": 9, "input": map[string]any{"name": "x"}}},
		{"UpdateProductBlankName", updateProduct, "VALIDATION", "input.name", map[string]any{"id": product, "v": 1, "input": map[string]any{"name": ""}}},
		{"UpdateProductUnknown", updateProduct, "NOT_FOUND", "id", map[string]any{"id": "UHJvZHVjdDo5OTk5", "v": 1, "input": map[string]any{"name": "x"}}},
		{"WarehouseCodeTaken", createWarehouse, "CONFLICT", "input.code", map[string]any{"input": map[string]any{"code": "wh-taken", "name": "x"}}},
		{"WarehouseBadAddress", createWarehouse, "VALIDATION", "input.address.city", map[string]any{"input": map[string]any{"code": "W2", "name": "x", "address": map[string]any{"line1": "a", "city": "", "country": "DE"}}}},
		{"AddressesStale", setAddresses, "CONFLICT", "version", map[string]any{"id": customer.ID, "v": 7, "a": []any{map[string]any{"address": addr}}}},
		{"AddressesTwoDefaults", setAddresses, "VALIDATION", "addresses", map[string]any{"id": customer.ID, "v": 1, "a": []any{
			map[string]any{"address": addr, "isDefault": true}, map[string]any{"address": addr, "isDefault": true}}}},
		{"AddressesBadCountry", setAddresses, "VALIDATION", "addresses.0.address.country", map[string]any{"id": customer.ID, "v": 1, "a": []any{map[string]any{"address": map[string]any{"line1": "a", "city": "b", "country": "XX1"}}}}},
		{"ListValidToBeforeFrom", updateList, "VALIDATION", "input.validTo", map[string]any{"id": list, "v": 1, "input": map[string]any{"validFrom": "2026-05-01", "validTo": "2026-04-30"}}},
		{"ListStale", updateList, "CONFLICT", "version", map[string]any{"id": list, "v": 5, "input": map[string]any{"name": "x"}}},
		{"ItemUnknownList", setItem, "NOT_FOUND", "priceListId", map[string]any{"l": "UHJpY2VMaXN0Ojk5OTk", "input": map[string]any{"productId": product, "unitPrice": "1"}}},
		{"ItemFiveDecimals", setItem, "VALIDATION", "input.unitPrice", map[string]any{"l": list, "input": map[string]any{"productId": product, "unitPrice": "1.00001"}}},
		{"ItemHugePrice", setItem, "VALIDATION", "input.unitPrice", map[string]any{"l": list, "input": map[string]any{"productId": product, "unitPrice": "1" + strings.Repeat("0", 20)}}},
		{"ItemCustomerAsProduct", setItem, "VALIDATION", "input.productId", map[string]any{"l": list, "input": map[string]any{"productId": customer.ID, "unitPrice": "1"}}},
		{"UserBlankName", updateUser, "VALIDATION", "input.name", map[string]any{"id": viewer, "v": 1, "input": map[string]any{"name": " "}}},
		{"UserStale", updateUser, "CONFLICT", "version", map[string]any{"id": viewer, "v": 3, "input": map[string]any{"name": "x"}}},
		{"UserUnknown", updateUser, "NOT_FOUND", "id", map[string]any{"id": userID(99999), "v": 1, "input": map[string]any{"name": "x"}}},
		{"OverlongDecimalText", setItem, "VALIDATION", "input.unitPrice", map[string]any{"l": list, "input": map[string]any{"productId": product, "unitPrice": strings.Repeat("9", 1<<16)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unchanged(t, e.store, func() {
				wantError(t, e.with(t).as(sales.RoleAdmin, tc.query, tc.vars), tc.code, tc.field)
			})
		})
	}
}
