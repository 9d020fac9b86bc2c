package graph_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/relay"
	"salesgraph/sales"
)

// TestBounds_CutIsNeverSilent: a list past its @bound (here an order's
// history, bound 50, with 55 events written behind the API's back) returns
// its first 50 items and says so with a LIST_TRUNCATED error at the field
// (before, the 5 were dropped without a word).
func TestBounds_CutIsNeverSilent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, nil)
	o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "1")))
	id, err := relay.Key("id", "SalesOrder", o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ExecContext(context.Background(), `INSERT INTO document_events (doc_type, doc_id, action, to_status)
		SELECT 'ORDER', $1, 'NOTE', 'DRAFT' FROM generate_series(1, 54)`, id); err != nil {
		t.Fatal(err)
	}
	r := e.as(sales.RoleAdmin, `query($id: ID!) { order(id: $id) { number history { action } } }`, map[string]any{"id": o.ID})
	var out struct {
		Order struct {
			Number  string
			History []struct{ Action string }
		}
	}
	r.Decode(t, &out)
	if out.Order.Number != o.Number || len(out.Order.History) != 50 {
		t.Fatalf("order %q with %d history items, want %s with the first 50", out.Order.Number, len(out.Order.History), o.Number)
	}
	if len(r.Errors) != 1 {
		t.Fatalf("errors: %+v, want one LIST_TRUNCATED", r.Errors)
	}
	got := r.Errors[0]
	if code, _ := got.Extensions["code"].(string); code != "LIST_TRUNCATED" ||
		!strings.Contains(got.Message, "SalesOrder.history") || !strings.Contains(got.Message, "50") {
		t.Fatalf("error %+v, want LIST_TRUNCATED naming SalesOrder.history and 50", got)
	}
	if len(got.Path) != 2 || got.Path[0] != "order" || got.Path[1] != "history" {
		t.Fatalf("error path %v, want [order history]", got.Path)
	}

	// Within the bound, no error.
	r = e.as(sales.RoleAdmin, `query($id: ID!) { order(id: $id) { lines { lineNo } } }`, map[string]any{"id": o.ID})
	if len(r.Errors) != 0 {
		t.Fatalf("errors within the bound: %+v", r.Errors)
	}
}

// wantLimit checks that r is refused with VALIDATION on field naming limit.
func wantLimit(t *testing.T, r gqltest.Response, field string, limit int) {
	t.Helper()
	wantError(t, r, "VALIDATION", field)
	if !strings.Contains(r.Errors[0].Message, strconv.Itoa(limit)) {
		t.Fatalf("message %q does not name the limit %d", r.Errors[0].Message, limit)
	}
}

// TestBounds_DeliveriesPerOrderHoldOnWrite: an order takes 20 deliveries,
// the 21st is refused naming the limit (nothing else stops it: a unit is
// still reserved), and order.deliveries lists all 20 without a cut.
func TestBounds_DeliveriesPerOrderHoldOnWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50"})
	o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "25")))
	e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, nil)
	one := map[string]any{"orderId": o.ID, "lines": []any{map[string]any{"orderLineId": o.Lines[0].ID, "quantity": "1"}}}
	for range sales.MaxDeliveriesPerOrder {
		e.delivery(t, one)
	}
	unchanged(t, e.store, func() {
		wantLimit(t, e.as(sales.RoleWarehouse, createDeliveryMutation, map[string]any{"in": one}), "input.orderId", sales.MaxDeliveriesPerOrder)
	})
	r := e.as(sales.RoleAdmin, `query($id: ID!) { order(id: $id) { deliveries { number } history { action } } }`, map[string]any{"id": o.ID})
	var out struct {
		Order struct{ Deliveries []struct{ Number string } }
	}
	r.Decode(t, &out)
	if len(r.Errors) > 0 || len(out.Order.Deliveries) != sales.MaxDeliveriesPerOrder {
		t.Fatalf("order.deliveries: %d, errors %+v; want all %d", len(out.Order.Deliveries), r.Errors, sales.MaxDeliveriesPerOrder)
	}
}

// TestBounds_ReturnRequestsHoldOnWrite: an order takes return requests
// until it has 20 returns; the next is refused naming the limit though
// returnable goods remain.
func TestBounds_ReturnRequestsHoldOnWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "50"})
	o := e.createOrder(t, sales.RoleAdmin, s.order(nil, line(s.widget, "25")))
	e.with(t).must(sales.RoleAdmin, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, nil)
	d := e.delivery(t, map[string]any{"orderId": o.ID})
	e.with(t).must(sales.RoleWarehouse, shipMutation, map[string]any{"id": d.ID, "v": d.Version}, nil)
	one := returnIn(o.ID, "damaged", returnLine(o.Lines[0].ID, "1"))
	for range sales.MaxReturnRequests {
		e.returnDo(t, sales.RoleSalesManager, createReturnKey, one)
	}
	unchanged(t, e.store, func() {
		wantLimit(t, e.as(sales.RoleSalesManager, createReturnKey, one), "input.orderId", sales.MaxReturnRequests)
	})
}

// TestBounds_RevisionsHoldOnWrite: a quote number takes 50 revisions; the
// 51st is refused naming the limit, and quote.revisions lists all 50.
func TestBounds_RevisionsHoldOnWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, nil)
	q := e.qtCreate(t, sales.RoleAdmin, qtInput(s.customer, line(s.widget, "1")))
	for q.Revision < sales.MaxRevisions {
		q = e.qtMust(t, sales.RoleAdmin, "sendQuote", q, nil)
		q = e.qtMust(t, sales.RoleAdmin, "reviseQuote", q, map[string]any{"input": map[string]any{}})
	}
	q = e.qtMust(t, sales.RoleAdmin, "sendQuote", q, nil)
	unchanged(t, e.store, func() {
		r := e.qtDo(t, sales.RoleAdmin, "reviseQuote", q, map[string]any{"input": map[string]any{}})
		wantLimit(t, r, "", sales.MaxRevisions)
	})
	r := e.as(sales.RoleAdmin, `query($id: ID!) { quote(id: $id) { revisions { number } } }`, map[string]any{"id": q.ID})
	var out struct {
		Quote struct{ Revisions []struct{ Number string } }
	}
	r.Decode(t, &out)
	if len(r.Errors) > 0 || len(out.Quote.Revisions) != sales.MaxRevisions {
		t.Fatalf("quote.revisions: %d, errors %+v; want all %d", len(out.Quote.Revisions), r.Errors, sales.MaxRevisions)
	}
}

// TestBounds_EachHeldByAWriteSideRule: every @bound in the schema is kept by
// a rule on the write side, so enforceBounds never has to cut. Where the
// rule is a sales limit the figures must agree; the others name where the
// rule lives. A new @bound fails here until it is given one.
func TestBounds_EachHeldByAWriteSideRule(t *testing.T) {
	const documentLines = 500 // db/lines.go: a document may have at most 500 lines
	limits := map[string]int{
		"Quote.revisions":             sales.MaxRevisions,
		"SalesOrder.deliveries":       sales.MaxDeliveriesPerOrder,
		"OrderLine.deliveryLines":     sales.MaxDeliveriesPerOrder, // one delivery line per delivery (delivery_lines_order_line_key)
		"SalesOrder.returns":          sales.MaxReturnsPerOrder,
		"Delivery.returns":            sales.MaxReturnsPerOrder, // a subset of its order's
		"OrderLine.returnLines":       sales.MaxReturnsPerOrder, // one return line per return (return_lines_order_line_key)
		"Quote.history":               sales.MaxHistoryEvents,
		"SalesOrder.history":          sales.MaxHistoryEvents,
		"SalesOrder.statusEvents":     sales.MaxHistoryEvents, // the same status changes
		"Delivery.history":            sales.MaxHistoryEvents,
		"Return.history":              sales.MaxHistoryEvents,
		"Quote.lines":                 documentLines,
		"SalesOrder.lines":            documentLines,
		"Delivery.lines":              documentLines, // one per order line
		"Return.lines":                documentLines, // one per order line
		"Invoice.lines":               documentLines, // one per order line (invoice_lines_order_line_key)
		"Invoice.history":             sales.MaxHistoryEvents,
		"SalesOrder.invoices":         sales.MaxInvoicesPerOrder,
		"SalesOrder.creditDecisions":  sales.MaxCreditDecisionsPerOrder, // credit_decisions_order_key
		"Payment.allocations":         sales.MaxAllocations,
		"Invoice.payments":            sales.MaxAllocations,
		"Payment.history":             sales.MaxHistoryEvents, // each action checks CheckPaymentHistoryLimit
		"SalesOrder.payments":         sales.MaxDepositsPerOrder,
		"Invoice.creditNotes":         sales.MaxAllocations + sales.MaxCreditNotesPerInvoice, // applied to it (credit_allocations, limited per invoice) or crediting it
		"Invoice.creditAllocations":   sales.MaxAllocations,                                  // checkCreditAllocationLimits, per credit note and per invoice
		"Quote.changes":               2 * documentLines,
		"Query.nodes":                 100,                     // graph/nodes.go refuses more IDs (maxPageSize)
		"Customer.shippingAddresses":  100,                     // sales.ValidateAddresses refuses more
		"ReceivablesAging.totals":     sales.CurrencyCount(),   // one per currency, and sales.ValidCurrency knows no more
		"DashboardSummary.currencies": sales.CurrencyCount(),   // one per currency, and sales.ValidCurrency knows no more
		"CustomerStatement.lines":     sales.MaxStatementLines, // a longer period is refused (sales.CheckStatementLines)

		// The dispute's (disputes.graphqls).
		"Invoice.disputes": sales.MaxDisputesPerInvoice, // sales.CheckDisputeLimit
		"Dispute.lines":    documentLines,               // one per invoice line (dispute_lines_invoice_line_key)
		"Dispute.history":  sales.MaxHistoryEvents,      // created, then resolved once
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	seen := map[string]bool{}
	for _, typ := range schema.Types {
		for _, f := range typ.Fields {
			d := f.Directives.ForName("bound")
			if d == nil {
				continue
			}
			name := typ.Name + "." + f.Name
			seen[name] = true
			want, ok := limits[name]
			if !ok {
				t.Errorf("%s has @bound but no write-side rule is declared for it here", name)
				continue
			}
			if got := d.Arguments.ForName("max").Value.Raw; got != strconv.Itoa(want) {
				t.Errorf("%s: @bound(max: %s), but the write side allows %d", name, got, want)
			}
		}
	}
	for name := range limits {
		if !seen[name] {
			t.Errorf("%s is declared here but has no @bound in the schema", name)
		}
	}
}
