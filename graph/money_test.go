package graph_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"salesgraph/graph"
	"salesgraph/graph/scalar"
	"salesgraph/sales"
)

// moneyDoc is what a money test reads back of one quote or order: every
// money field and, beside them, a quantity and rates that keep their form.
type moneyDoc struct {
	ID, Subtotal, TaxTotal, Total string
	Lines                         []struct {
		ID                                   string
		Quantity, UnitPrice, DiscountPercent string
		TaxRate, Subtotal, Tax, Total        string
		ListPrice                            *string
	}
}

// TestMoney_RendersAtCurrencyMinorUnits reads every kind of money field back
// through GraphQL in a 2-, a 0- and a 3-decimal currency: amounts come at the
// currency's minor units ("22.80", "15000", "1.250"), unit prices at least
// at them but with every significant digit ("1.2345"), quantities and rates
// as they are ("10", "0.14").
func TestMoney_RendersAtCurrencyMinorUnits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	taxed, untaxed, fine := e.with(t).taxedProduct("TAX-14", "0.14"), e.with(t).taxedProduct("TAX-0", "0"), e.with(t).taxedProduct("FINE", "0")
	wh := e.with(t).warehouse("WH1")

	for _, tc := range []struct {
		currency, creditIn, creditOut string
		product, priceIn, priceOut    string
		// Ten units: the document's subtotal, tax and total.
		subtotal, tax, total string
		// A price finer than the currency's minor units, on another product.
		finePrice string
	}{
		{"EUR", "25000", "25000.00", taxed, "2.0000", "2.00", "20.00", "2.80", "22.80", "1.2345"},
		{"JPY", "2000000", "2000000", untaxed, "1500", "1500", "15000", "0", "15000", "1500.5"},
		{"KWD", "500.5", "500.500", untaxed, "0.125", "0.125", "1.250", "0.000", "1.250", "0.1255"},
	} {
		t.Run(tc.currency, func(t *testing.T) {
			list := e.with(t).priceList(map[string]any{"code": "STD-" + tc.currency, "name": "Standard", "currency": tc.currency, "isDefault": true,
				"items": []any{
					map[string]any{"productId": tc.product, "unitPrice": tc.priceIn},
					map[string]any{"productId": fine, "unitPrice": tc.finePrice},
				}})
			in := validCustomer("C-" + tc.currency)
			in["currency"], in["creditLimit"] = tc.currency, tc.creditIn
			in["salesRepId"] = userID(e.users[sales.RoleSalesRep].ID)
			customer := e.with(t).createCustomer(sales.RoleAdmin, in)
			if customer.CreditLimit != tc.creditOut {
				t.Errorf("createCustomer creditLimit = %q, want %q", customer.CreditLimit, tc.creditOut)
			}

			var items struct {
				Node struct {
					Items struct {
						Nodes []struct {
							UnitPrice, MinQuantity string
							Product                struct{ SKU string }
						}
					}
				}
			}
			e.with(t).must(sales.RoleViewer, `query($id: ID!) { node(id: $id) { ... on PriceList { items { nodes { unitPrice minQuantity product { sku } } } } } }`,
				map[string]any{"id": list}, &items)
			for _, it := range items.Node.Items.Nodes {
				want := map[string]string{"FINE": tc.finePrice}[it.Product.SKU]
				if want == "" {
					want = tc.priceOut
				}
				if it.UnitPrice != want || it.MinQuantity != "1" {
					t.Errorf("price list item %s: unitPrice %q minQuantity %q, want %q and \"1\"", it.Product.SKU, it.UnitPrice, it.MinQuantity, want)
				}
			}

			var pq quoteOut
			e.with(t).must(sales.RoleSalesManager, priceQuoteQuery, map[string]any{"c": customer.ID, "p": tc.product, "q": "10"}, &pq)
			if pq.PriceQuote.UnitPrice != tc.priceOut || !strings.HasPrefix(pq.PriceQuote.Explanation, tc.priceOut+" "+tc.currency+" per unit") {
				t.Errorf("priceQuote unitPrice %q (%q), want %q", pq.PriceQuote.UnitPrice, pq.PriceQuote.Explanation, tc.priceOut)
			}

			const lineFields = `id quantity unitPrice discountPercent taxRate subtotal tax total`
			var q struct{ CreateQuote moneyDoc }
			e.with(t).must(sales.RoleSalesRep, `mutation($input: CreateQuoteInput!) { createQuote(input: $input) {
			  id subtotal taxTotal total lines { listPrice `+lineFields+` } } }`,
				map[string]any{"input": qtInput(customer.ID, qtLineIn(tc.product, "10"))}, &q)
			var o struct{ CreateOrder moneyDoc }
			e.with(t).must(sales.RoleSalesRep, `mutation($input: CreateOrderInput!) { createOrder(input: $input) {
			  id subtotal taxTotal total lines { `+lineFields+` } } }`,
				map[string]any{"input": map[string]any{"customerId": customer.ID, "warehouseId": wh, "lines": []any{line(tc.product, "10")}}}, &o)
			for name, d := range map[string]moneyDoc{"quote": q.CreateQuote, "order": o.CreateOrder} {
				if d.Subtotal != tc.subtotal || d.TaxTotal != tc.tax || d.Total != tc.total {
					t.Errorf("%s subtotal/taxTotal/total = %q/%q/%q, want %q/%q/%q", name, d.Subtotal, d.TaxTotal, d.Total, tc.subtotal, tc.tax, tc.total)
				}
				if len(d.Lines) != 1 {
					t.Fatalf("%s lines: %+v", name, d.Lines)
				}
				l := d.Lines[0]
				if l.UnitPrice != tc.priceOut || l.Subtotal != tc.subtotal || l.Tax != tc.tax || l.Total != tc.total {
					t.Errorf("%s line unitPrice/subtotal/tax/total = %q/%q/%q/%q, want %q/%q/%q/%q", name, l.UnitPrice, l.Subtotal, l.Tax, l.Total,
						tc.priceOut, tc.subtotal, tc.tax, tc.total)
				}
				if l.Quantity != "10" || l.DiscountPercent != "0" || (l.TaxRate != "0.14" && l.TaxRate != "0") {
					t.Errorf("%s line quantity/discountPercent/taxRate = %q/%q/%q: quantities and rates keep their form", name, l.Quantity, l.DiscountPercent, l.TaxRate)
				}
				if name == "quote" && (l.ListPrice == nil || *l.ListPrice != tc.priceOut) {
					t.Errorf("quote line listPrice = %s, want %q", mustJSON(t, l.ListPrice), tc.priceOut)
				}
			}

			// A line reached on its own (no document above it in the query)
			// still knows its currency.
			for _, id := range []string{q.CreateQuote.Lines[0].ID, o.CreateOrder.Lines[0].ID} {
				var n struct {
					Node struct{ UnitPrice, Total string }
				}
				e.with(t).must(sales.RoleViewer, `query($id: ID!) { node(id: $id) { ... on QuoteLine { unitPrice total } ... on OrderLine { unitPrice total } } }`,
					map[string]any{"id": id}, &n)
				if n.Node.UnitPrice != tc.priceOut || n.Node.Total != tc.total {
					t.Errorf("node(%s) unitPrice/total = %q/%q, want %q/%q", id, n.Node.UnitPrice, n.Node.Total, tc.priceOut, tc.total)
				}
			}

			// Lines listed under their documents find the currency without
			// a statement more (the documents come from a page, not a loader).
			for _, list := range []string{"quotes", "orders"} {
				cost := func(fields string) int64 {
					before := e.store.Statements()
					e.with(t).must(sales.RoleViewer, `query($c: ID!) { `+list+`(filter: {customerId: $c}) { nodes { lines { `+fields+` } } } }`,
						map[string]any{"c": customer.ID}, nil)
					return e.store.Statements() - before
				}
				if plain, money := cost("quantity"), cost("quantity unitPrice subtotal tax total"); money != plain {
					t.Errorf("%s: lines with their money cost %d statements, without it %d", list, money, plain)
				}
			}
		})
	}
}

// taxedProduct creates a product taxed at rate.
func (e *env) taxedProduct(sku, rate string) string {
	e.t.Helper()
	var out struct{ CreateProduct struct{ ID string } }
	e.must(sales.RoleAdmin, createProductMutation, map[string]any{"input": map[string]any{"sku": sku, "name": "Product " + sku, "unitOfMeasure": "EA", "taxRate": rate}}, &out)
	return out.CreateProduct.ID
}

// notMoney are the output Decimal fields that are not amounts of money:
// quantities and rates, which render as they are ("10", "2.5", "0.19").
var notMoney = []string{
	"StockLevel.onHand", "StockLevel.reserved", "StockLevel.available",
	"StockMovement.quantity", "StockMovement.onHandAfter", "StockMovement.reservedChange", "StockMovement.reservedAfter",
	"Product.taxRate",
	"PriceListItem.minQuantity", "PriceQuote.quantity",
	"QuoteLine.quantity", "QuoteLine.discountPercent", "QuoteLine.taxRate",
	"OrderLine.quantity", "OrderLine.reservedQuantity", "OrderLine.deliveredQuantity", "OrderLine.returnedQuantity",
	"OrderLine.openQuantity", "OrderLine.discountPercent", "OrderLine.taxRate",
	"DeliveryLine.quantity", "DeliveryLine.acceptedQuantity", "DeliveryLine.refusedQuantity",
	"ReturnLine.quantity",
	"OrderLine.invoicedQuantity", "InvoiceLine.quantity", "InvoiceLine.discountPercent", "InvoiceLine.taxRate",
	"SalesOrder.depositPercent",
	"DisputeLine.quantity",
	"OrderLine.creditedQuantity",
}

// TestMoney_EveryDecimalFieldIsClassified walks the schema: each Decimal an
// object returns is either money (scalar.IsMoneyField, rendered at its
// currency's minor units by a resolver that knows the currency) or listed
// above as a quantity or rate. A new money field cannot slip through with
// the plain rendering.
func TestMoney_EveryDecimalFieldIsClassified(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	root := reflect.TypeFor[graph.ResolverRoot]()
	money := 0
	for _, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") {
			continue
		}
		for _, f := range def.Fields {
			typ := f.Type
			for typ.Elem != nil {
				typ = typ.Elem
			}
			if typ.NamedType != "Decimal" {
				continue
			}
			name := def.Name + "." + f.Name
			isMoney, isNot := scalar.IsMoneyField(def.Name, f.Name), slices.Contains(notMoney, name)
			switch {
			case isMoney && isNot:
				t.Errorf("%s is listed both as money and as a quantity or rate", name)
			case !isMoney && !isNot:
				t.Errorf("%s is a Decimal that is neither money (scalar.IsMoneyField) nor a listed quantity or rate", name)
			case isMoney:
				money++
				// The currency lives on the parent, so the field needs a resolver.
				objResolver, ok := root.MethodByName(def.Name)
				if !ok || objResolver.Type.NumOut() != 1 {
					t.Errorf("money field %s: %s has no resolvers (gqlgen.yml: %s: { resolver: true })", name, def.Name, f.Name)
					continue
				}
				if _, ok := objResolver.Type.Out(0).MethodByName(strings.ToUpper(f.Name[:1]) + f.Name[1:]); !ok {
					t.Errorf("money field %s has no resolver (gqlgen.yml: %s: { resolver: true })", name, f.Name)
				}
			}
		}
	}
	for _, name := range append(scalar.MoneyFields(), notMoney...) {
		obj, field, _ := strings.Cut(name, ".")
		if d := schema.Types[obj]; d == nil || d.Fields.ForName(field) == nil || d.Fields.ForName(field).Type.Name() != "Decimal" {
			t.Errorf("%s is listed as money, a quantity or a rate but is no Decimal field in the schema", name)
		}
	}
	if money == 0 {
		t.Fatal("no money fields found")
	}
	t.Logf("%d money fields, %d quantities and rates", money, len(notMoney))
}
