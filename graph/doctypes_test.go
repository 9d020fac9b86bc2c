package graph_test

import (
	"context"
	"testing"

	"salesgraph/demo"
	"salesgraph/relay"
	"salesgraph/sales"
)

// TestNodes_EveryDocumentType: node(id:) and nodes(ids:) answer for every
// document type sales describes and for each of its child types, by the
// global-ID type name the description gives, with that __typename; and a
// sales rep gets null for documents of customers not theirs. The IDs are
// the demo company's, so a new type is covered once the demo has it.
func TestNodes_EveryDocumentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, e.store); err != nil {
		t.Fatal(err)
	}
	var ids, want []string
	for _, d := range sales.DocumentTypes {
		for _, x := range append([]sales.ChildType{{Table: d.Table, NodeType: d.NodeType}}, d.Children...) {
			var id int64
			if err := e.store.GetContext(ctx, &id, `SELECT coalesce(min(id), 0) FROM `+x.Table); err != nil || id == 0 {
				t.Fatalf("%s: no row in %s (%v)", d.Type, x.Table, err)
			}
			ids = append(ids, relay.ID(x.NodeType, id))
			want = append(want, x.NodeType)
		}
	}
	type node struct {
		ID       string
		Typename string `json:"__typename"`
	}
	var out struct{ Nodes []*node }
	e.with(t).must(sales.RoleViewer, `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`, map[string]any{"ids": ids}, &out)
	if len(out.Nodes) != len(ids) {
		t.Fatalf("nodes: %d answers for %d IDs", len(out.Nodes), len(ids))
	}
	for i, n := range out.Nodes {
		if n == nil || n.ID != ids[i] || n.Typename != want[i] {
			t.Errorf("nodes[%d] = %+v, want %s %s", i, n, ids[i], want[i])
		}
		var one struct{ Node *node }
		e.with(t).must(sales.RoleViewer, `query($id: ID!) { node(id: $id) { id __typename } }`, map[string]any{"id": ids[i]}, &one)
		if one.Node == nil || one.Node.ID != ids[i] || one.Node.Typename != want[i] {
			t.Errorf("node(%s) = %+v, want %s", want[i], one.Node, ids[i])
		}
	}
	// The test's rep has no customers: every demo document is someone else's.
	var rep struct{ Nodes []*node }
	e.with(t).must(sales.RoleSalesRep, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}, &rep)
	for i, n := range rep.Nodes {
		if n != nil {
			t.Errorf("a sales rep saw %s %s of another rep's customer", want[i], n.ID)
		}
	}
}
