package graph

import (
	"slices"
	"testing"

	"salesgraph/db"
	"salesgraph/sales"
)

// TestDocumentNodes: every document type described in sales has its graph
// side — a node resolver and a nodes(ids:) prefetch for itself and for each
// child type, under the global-ID type names its description gives, and a
// history loader — and the graph serves no document type sales does not
// describe. A type added to sales.DocumentTypes without its entry in
// documentNodes fails here.
func TestDocumentNodes(t *testing.T) {
	kinds := nodeKinds()
	loaders := NewLoaders(db.NewStore(nil), 0)
	described := map[sales.DocumentType]bool{}
	for _, d := range sales.DocumentTypes {
		described[d.Type] = true
		g, ok := documentNodes[d.Type]
		if !ok {
			t.Errorf("%s is described in sales but has no entry in documentNodes (the type's graph file, with describeNode)", d.Type)
			continue
		}
		if g.nodeType != d.NodeType {
			t.Errorf("%s: the graph encodes its IDs as %q, its description says %q", d.Type, g.nodeType, d.NodeType)
		}
		if g.node.resolve == nil || g.node.prefetch == nil {
			t.Errorf("%s: node resolver or prefetch missing", d.Type)
		}
		var want, got []string
		for _, c := range d.Children {
			want = append(want, c.NodeType)
			if k := g.children[c.NodeType]; k.resolve == nil || k.prefetch == nil {
				t.Errorf("%s: child type %s has no node resolver or prefetch", d.Type, c.NodeType)
			}
		}
		for name := range g.children {
			got = append(got, name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s: graph child types %v, described %v", d.Type, got, want)
		}
		for _, name := range append([]string{d.NodeType}, want...) {
			if _, ok := kinds[name]; !ok {
				t.Errorf("%s: node(id:) does not serve %s", d.Type, name)
			}
			if _, clash := masterNodes[name]; clash {
				t.Errorf("%s: node type %s is also a master-data node type", d.Type, name)
			}
		}
		if loaders.History[d.Type] == nil {
			t.Errorf("%s has no history loader", d.Type)
		}
	}
	for typ := range documentNodes {
		if !described[typ] {
			t.Errorf("documentNodes serves %s, which sales.DocumentTypes does not describe", typ)
		}
	}
}
