package graph_test

import (
	"testing"

	"salesgraph/sales"
)

// TestOrders_CustomPriceWithReason: an order line may carry a price other
// than the list price when it says why, and the line keeps the reason and
// the list price it departs from; a quote's override reason travels to its
// order on conversion. (OrderLineInput had no priceOverrideReason while the
// rule demanded one: a custom order price was impossible through the API.)
func TestOrders_CustomPriceWithReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "10"})
	const create = `mutation($input: CreateOrderInput!) { createOrder(input: $input) {
		total lines { unitPrice listPrice priceOverrideReason } } }`
	var out struct {
		CreateOrder struct {
			Total string
			Lines []struct {
				UnitPrice           string
				ListPrice           *string
				PriceOverrideReason string
			}
		}
	}
	e.with(t).must(sales.RoleAdmin, create, s.order(nil,
		map[string]any{"productId": s.widget, "quantity": "2", "unitPrice": "9", "priceOverrideReason": "  loyal customer "},
		line(s.gadget, "1")), &out)
	o := out.CreateOrder
	if len(o.Lines) != 2 {
		t.Fatalf("lines %+v", o.Lines)
	}
	if l := o.Lines[0]; l.UnitPrice != "9.00" || l.ListPrice == nil || *l.ListPrice != "10.00" || l.PriceOverrideReason != "loyal customer" {
		t.Fatalf("overridden line %+v: want 9.00 against the list's 10.00, for \"loyal customer\"", l)
	}
	if l := o.Lines[1]; l.UnitPrice != "2.50" || l.ListPrice == nil || *l.ListPrice != "2.50" || l.PriceOverrideReason != "" {
		t.Fatalf("list-priced line %+v", l)
	}

	// Still refused without a reason.
	wantError(t, e.with(t).as(sales.RoleAdmin, create, s.order(nil,
		map[string]any{"productId": s.widget, "quantity": "2", "unitPrice": "9"})), "VALIDATION", "input.lines.0.priceOverrideReason")

	// A quote's override reason travels to its order.
	var q struct {
		CreateQuote struct {
			ID      string
			Version int
		}
	}
	e.with(t).must(sales.RoleAdmin, `mutation($in: CreateQuoteInput!) { createQuote(input: $in) { id version } }`, map[string]any{"in": map[string]any{
		"customerId": s.customer, "validUntil": "2099-12-31",
		"lines": []any{map[string]any{"productId": s.widget, "quantity": "3", "unitPrice": "8.5", "priceOverrideReason": "volume deal"}}}}, &q)
	version := q.CreateQuote.Version
	for _, m := range []string{"sendQuote", "acceptQuote"} {
		var v map[string]struct{ Version int }
		e.with(t).must(sales.RoleAdmin, `mutation($id: ID!, $v: Int!) { `+m+`(id: $id, version: $v) { version } }`, map[string]any{"id": q.CreateQuote.ID, "v": version}, &v)
		version = v[m].Version
	}
	var c struct {
		ConvertQuoteToOrder struct {
			Lines []struct {
				UnitPrice           string
				ListPrice           *string
				PriceOverrideReason string
			}
		}
	}
	e.with(t).must(sales.RoleAdmin, `mutation($id: ID!, $w: ID!) { convertQuoteToOrder(id: $id, input: {warehouseId: $w}) {
		lines { unitPrice listPrice priceOverrideReason } } }`, map[string]any{"id": q.CreateQuote.ID, "w": s.warehouse}, &c)
	if l := c.ConvertQuoteToOrder.Lines; len(l) != 1 || l[0].UnitPrice != "8.50" || l[0].ListPrice == nil || *l[0].ListPrice != "10.00" || l[0].PriceOverrideReason != "volume deal" {
		t.Fatalf("converted lines %+v: want the quote's 8.50 against 10.00, for \"volume deal\"", l)
	}
}
