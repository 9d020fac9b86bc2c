package graph_test

import (
	"context"
	"strings"
	"testing"

	"salesgraph/graph/relay"
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
