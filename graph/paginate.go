package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// Page sizes: a list returns defaultPageSize rows unless asked, and never
// more than maxPageSize (OWASP: amount limiting).
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// pageArgs are a connection's Relay arguments.
type pageArgs struct {
	first, last   *int
	after, before *string
}

// page is a fetched window of a list, ready to become a connection.
type page[T any] struct {
	items   []*T
	cursors []string
	info    *model.PageInfo
	total   int
}

// paginate turns Relay arguments into a keyset window (db.Page), fetches it,
// and builds the page info. Cursors are opaque (base64url) positions that
// relay encodes and decodes: the list, the order's field and direction, the
// row's sort value and its key; db checks a decoded one against its list's
// order with relay's rules. A cursor of another order, or one edited by
// hand, is a VALIDATION error on after or before.
//
// first/after reads forwards from after (or the start), last/before reads
// backwards from before (or the end); with both after and before the window
// lies between them. One row past the window, in the direction of travel,
// tells whether more follow: that gives hasNextPage for first and
// hasPreviousPage for last. The other direction is answered without a query,
// as Relay allows: a cursor we start from was a row of the list, so
// hasPreviousPage is "after was given" (first) and hasNextPage is "before
// was given" (last). The total is counted, as a statement of its own, only
// when the query selects totalCount.
func paginate[T any](ctx context.Context, a pageArgs, fetch func(db.Page) (db.Window[T], error)) (*page[T], error) {
	var p sales.Problems
	p.Check(a.first == nil || a.last == nil, "first", "send first or last, not both")
	p.Check(a.first == nil || (*a.first >= 0 && *a.first <= maxPageSize), "first", "first must be between 0 and %d", maxPageSize)
	p.Check(a.last == nil || (*a.last >= 0 && *a.last <= maxPageSize), "last", "last must be between 0 and %d", maxPageSize)
	// An empty cursor is no position; taking it for "none" would page from the start.
	p.Check(a.after == nil || *a.after != "", "after", "after is not a cursor from this list")
	p.Check(a.before == nil || *a.before != "", "before", "before is not a cursor from this list")
	if err := p.Err(); err != nil {
		return nil, err
	}
	pg := db.Page{Count: selectsTotalCount(ctx), FromEnd: a.last != nil}
	for _, c := range []struct {
		field string
		text  *string
		dst   **relay.Cursor
	}{{"after", a.after, &pg.After}, {"before", a.before, &pg.Before}} {
		if c.text == nil {
			continue
		}
		pos, err := relay.ParseCursor(c.field, *c.text)
		if err != nil {
			return nil, err
		}
		*c.dst = &pos
	}
	size := defaultPageSize
	switch {
	case a.last != nil:
		size = *a.last
	case a.first != nil:
		size = *a.first
	}
	pg.Limit = size + 1
	w, err := fetch(pg)
	if err != nil {
		return nil, err
	}
	items := w.Items
	cursors := make([]string, len(w.Cursors))
	for i, c := range w.Cursors {
		cursors[i] = c.String()
	}
	more := len(items) > size
	if more && pg.FromEnd {
		items, cursors = items[len(items)-size:], cursors[len(cursors)-size:]
	} else if more {
		items, cursors = items[:size], cursors[:size]
	}
	info := &model.PageInfo{HasNextPage: more, HasPreviousPage: a.after != nil}
	if pg.FromEnd {
		info = &model.PageInfo{HasNextPage: a.before != nil, HasPreviousPage: more}
	}
	out := &page[T]{items: items, cursors: cursors, total: w.Total, info: info}
	if items == nil {
		out.items = []*T{}
	}
	if len(cursors) > 0 {
		info.StartCursor = &cursors[0]
		info.EndCursor = &cursors[len(cursors)-1]
	}
	return out, nil
}

// selectsTotalCount reports whether the connection field being resolved
// selects totalCount: directly, under an alias, or through named or inline
// fragments on its type (@skip/@include honoured). Outside a GraphQL field
// it says yes, so a total is never silently missing.
func selectsTotalCount(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return true
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{fc.Field.Definition.Type.Name()}) {
		if f.Name == "totalCount" {
			return true
		}
	}
	return false
}

// edges pairs a page's rows with their cursors in the connection's edge type.
func edges[T any, E any](p *page[T], edge func(cursor string, node *T) E) []E {
	out := make([]E, len(p.items))
	for i, n := range p.items {
		out[i] = edge(p.cursors[i], n)
	}
	return out
}

// sortOf reads a schema orderBy (field enum and direction) into a db.Sort.
func sortOf[F ~string](field *F, dir *model.SortDirection) db.Sort {
	s := db.Sort{}
	if field != nil {
		s.Field = string(*field)
	}
	s.Desc = dir != nil && *dir == model.SortDirectionDesc
	return s
}
