package graph_test

import (
	"sync"
	"testing"

	"salesgraph/sales"
)

const (
	createProductMutation   = `mutation($input: CreateProductInput!, $key: String) { createProduct(input: $input, idempotencyKey: $key) { id sku taxRate active version } }`
	createWarehouseMutation = `mutation($input: CreateWarehouseInput!) { createWarehouse(input: $input) { id code } }`
	receiveMutation         = `mutation($input: ReceiveStockInput!, $key: String) {
	  receiveStock(input: $input, idempotencyKey: $key) { id kind quantity onHandAfter reference actor { email } product { sku } warehouse { code } }
	}`
	adjustMutation = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { id kind quantity onHandAfter reason } }`
	levelQuery     = `query($id: ID!) { product(id: $id) { stockLevels { nodes { id onHand reserved available warehouse { code } } } } }`
)

func (e *env) product(sku string) string {
	e.t.Helper()
	var out struct{ CreateProduct struct{ ID string } }
	e.must(sales.RoleAdmin, createProductMutation, map[string]any{"input": map[string]any{"sku": sku, "name": "Widget " + sku, "unitOfMeasure": "EA", "taxRate": "0.19"}}, &out)
	return out.CreateProduct.ID
}

func (e *env) warehouse(code string) string {
	e.t.Helper()
	var out struct{ CreateWarehouse struct{ ID string } }
	e.must(sales.RoleAdmin, createWarehouseMutation, map[string]any{"input": map[string]any{"code": code, "name": "Warehouse " + code}}, &out)
	return out.CreateWarehouse.ID
}

type levelOut struct {
	Product struct {
		StockLevels struct {
			Nodes []struct {
				ID                          string
				OnHand, Reserved, Available string
			}
		}
	}
}

func TestStock_ReceiveAndAdjust(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, w := e.with(t).product("SKU-1"), e.with(t).warehouse("WH1")

	var rec struct {
		ReceiveStock struct {
			Kind, Quantity, OnHandAfter, Reference string
			Actor                                  struct{ Email string }
		}
	}
	e.with(t).must(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "10.5", "reference": "PO-1"}}, &rec)
	if rec.ReceiveStock.Kind != "RECEIPT" || rec.ReceiveStock.OnHandAfter != "10.5" || rec.ReceiveStock.Actor.Email != e.users[sales.RoleWarehouse].Email {
		t.Fatalf("receipt: %+v", rec.ReceiveStock)
	}
	var adj struct {
		AdjustStock struct{ Quantity, OnHandAfter string }
	}
	e.with(t).must(sales.RoleWarehouse, adjustMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "-0.5", "reason": "count"}}, &adj)
	if adj.AdjustStock.OnHandAfter != "10" {
		t.Fatalf("after adjustment on hand = %s, want 10", adj.AdjustStock.OnHandAfter)
	}
	var lv levelOut
	e.with(t).must(sales.RoleViewer, levelQuery, map[string]any{"id": p}, &lv)
	if len(lv.Product.StockLevels.Nodes) != 1 || lv.Product.StockLevels.Nodes[0].Available != "10" {
		t.Fatalf("levels: %+v", lv.Product.StockLevels)
	}

	t.Run("LedgerExplainsBalance", func(t *testing.T) {
		var out struct {
			StockMovements struct {
				TotalCount int
				Nodes      []struct{ Kind, Quantity string }
			}
		}
		e.with(t).must(sales.RoleViewer, `query($p: ID!) { stockMovements(filter: {productId: $p}) { totalCount nodes { kind quantity } } }`, map[string]any{"p": p}, &out)
		if out.StockMovements.TotalCount != 2 || out.StockMovements.Nodes[0].Kind != "ADJUSTMENT" {
			t.Fatalf("ledger (newest first): %+v", out.StockMovements)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		in := func(k string, v any) map[string]any {
			m := map[string]any{"productId": p, "warehouseId": w, "quantity": "1", "reason": "count"}
			m[k] = v
			return m
		}
		for _, tc := range []struct {
			name, mutation, code, field string
			role                        sales.Role
			input                       map[string]any
		}{
			{"ZeroReceipt", receiveMutation, "VALIDATION", "input.quantity", sales.RoleWarehouse, in("quantity", "0")},
			{"NegativeReceipt", receiveMutation, "VALIDATION", "input.quantity", sales.RoleWarehouse, in("quantity", "-3")},
			{"FourDecimals", receiveMutation, "VALIDATION", "input.quantity", sales.RoleWarehouse, in("quantity", "1.0001")},
			{"UnknownProduct", receiveMutation, "NOT_FOUND", "input.productId", sales.RoleWarehouse, in("productId", "UHJvZHVjdDo5OTk5")},
			{"WarehouseIDForProduct", receiveMutation, "VALIDATION", "input.productId", sales.RoleWarehouse, in("productId", w)},
			{"SalesRepMayNot", receiveMutation, "FORBIDDEN", "", sales.RoleSalesRep, in("quantity", "1")},
			{"BelowZero", adjustMutation, "INSUFFICIENT_STOCK", "input.quantity", sales.RoleWarehouse, in("quantity", "-10.001")},
			{"NoReason", adjustMutation, "VALIDATION", "input.reason", sales.RoleWarehouse, in("reason", "  ")},
			{"ZeroAdjustment", adjustMutation, "VALIDATION", "input.quantity", sales.RoleWarehouse, in("quantity", "0")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.mutation == receiveMutation {
					delete(tc.input, "reason")
				}
				unchanged(t, e.store, func() {
					wantError(t, e.with(t).as(tc.role, tc.mutation, map[string]any{"input": tc.input}), tc.code, tc.field)
				})
			})
		}
	})

	t.Run("BelowReservedRefused", func(t *testing.T) {
		// Reservations arrive with sales orders; the database already refuses
		// to let on hand fall below them.
		if _, err := e.store.ExecContext(t.Context(), `UPDATE stock_levels SET reserved = 8`); err != nil {
			t.Fatal(err)
		}
		unchanged(t, e.store, func() {
			wantError(t, e.with(t).as(sales.RoleWarehouse, adjustMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "-3", "reason": "damaged"}}),
				"INSUFFICIENT_STOCK", "input.quantity")
		})
		if _, err := e.store.ExecContext(t.Context(), `UPDATE stock_levels SET reserved = 0`); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("DatabaseRefusesNegativeStock", func(t *testing.T) {
		_, err := e.store.ExecContext(t.Context(), `UPDATE stock_levels SET on_hand = -1`)
		if err == nil {
			t.Fatal("the database accepted negative stock on hand")
		}
	})
}

// TestStock_ConcurrentAdjustments races withdrawals for the last units: the
// level row lock lets exactly as many succeed as there is stock, and the
// ledger always sums to the balance.
func TestStock_ConcurrentAdjustments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, w := e.with(t).product("HOT-1"), e.with(t).warehouse("WH1")
	e.with(t).must(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "5"}}, nil)
	const racers = 12
	var wg sync.WaitGroup
	codes := make([]string, racers)
	for i := range racers {
		wg.Go(func() {
			r := e.with(t).as(sales.RoleWarehouse, adjustMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "-1", "reason": "race"}})
			if len(r.Errors) > 0 {
				codes[i] = r.Errors[0].Code()
			} else {
				codes[i] = "OK"
			}
		})
	}
	wg.Wait()
	ok, short := 0, 0
	for _, c := range codes {
		switch c {
		case "OK":
			ok++
		case "INSUFFICIENT_STOCK":
			short++
		}
	}
	if ok != 5 || short != racers-5 {
		t.Fatalf("codes %v: want 5 OK and %d INSUFFICIENT_STOCK", codes, racers-5)
	}
	var balance, ledger string
	if err := e.store.GetContext(t.Context(), &balance, `SELECT on_hand::text FROM stock_levels`); err != nil {
		t.Fatal(err)
	}
	if err := e.store.GetContext(t.Context(), &ledger, `SELECT sum(quantity)::text FROM stock_movements`); err != nil {
		t.Fatal(err)
	}
	if balance != "0.000" || ledger != "0.000" {
		t.Fatalf("on hand %s, ledger sum %s: want both 0", balance, ledger)
	}
	checkStockInvariants(t, e.store)
}

func TestStock_ReceiveIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, w := e.with(t).product("IDEM-1"), e.with(t).warehouse("WH1")
	vars := map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "7"}, "key": "delivery-77"}
	var a, b struct{ ReceiveStock struct{ ID string } }
	e.with(t).must(sales.RoleWarehouse, receiveMutation, vars, &a)
	e.with(t).must(sales.RoleWarehouse, receiveMutation, vars, &b)
	if a.ReceiveStock.ID != b.ReceiveStock.ID {
		t.Fatalf("a retried receipt booked twice: %s, %s", a.ReceiveStock.ID, b.ReceiveStock.ID)
	}
	var lv levelOut
	e.with(t).must(sales.RoleViewer, levelQuery, map[string]any{"id": p}, &lv)
	if lv.Product.StockLevels.Nodes[0].OnHand != "7" {
		t.Fatalf("on hand %s after a retried receipt of 7", lv.Product.StockLevels.Nodes[0].OnHand)
	}
}
