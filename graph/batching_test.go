package graph_test

import (
	"testing"

	"salesgraph/sales"
)

// TestMutations_StatementsDoNotGrowWithLines: writing a document of N lines
// costs a fixed few statements, whatever N is: the lines are priced from one
// read of the price book and written in one INSERT, all under the customer's
// lock. The figures are those of one mutation over HTTP, reading back the
// document it wrote.
func TestMutations_StatementsDoNotGrowWithLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100000", "gadget": "100000"})
	const createQuote = `mutation($input: CreateQuoteInput!) { createQuote(input: $input) { id lines { lineNo } } }`
	count := func(mutation string, vars map[string]any, out any) int64 {
		// Sign the rep in first: the sign-in is cached for a second, so the
		// mutation's count holds only its own statements.
		e.with(t).must(sales.RoleSalesRep, `{ me { id } }`, nil, nil)
		before := e.store.Statements()
		e.with(t).must(sales.RoleSalesRep, mutation, vars, out)
		return e.store.Statements() - before
	}
	orders, quotes := map[int]int64{}, map[int]int64{}
	for _, n := range []int{1, 50, 500} {
		lines := make([]map[string]any, n)
		for i := range lines {
			product := s.widget
			if i%2 == 1 {
				product = s.gadget
			}
			lines[i] = line(product, "1")
		}
		var order struct {
			CreateOrder struct {
				Lines []struct{ LineNo int }
			}
		}
		orders[n] = count(createOrderMutation, s.order(nil, lines...), &order)
		if got := len(order.CreateOrder.Lines); got != n {
			t.Fatalf("createOrder with %d lines returned %d", n, got)
		}
		var quote struct {
			CreateQuote struct {
				Lines []struct{ LineNo int }
			}
		}
		quotes[n] = count(createQuote, map[string]any{"input": map[string]any{"customerId": s.customer, "validUntil": "2099-12-31", "lines": lines}}, &quote)
		if got := len(quote.CreateQuote.Lines); got != n {
			t.Fatalf("createQuote with %d lines returned %d", n, got)
		}
	}
	t.Logf("statements for 1/50/500 lines: createOrder %d/%d/%d, createQuote %d/%d/%d",
		orders[1], orders[50], orders[500], quotes[1], quotes[50], quotes[500])
	for name, got := range map[string]map[int]int64{"createOrder": orders, "createQuote": quotes} {
		if got[500] != got[1] || got[50] != got[1] {
			t.Errorf("%s: %d statements for 1 line, %d for 50, %d for 500; want the same", name, got[1], got[50], got[500])
		}
	}
}
