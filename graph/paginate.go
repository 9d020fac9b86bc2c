package graph

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/db"
	"salesgraph/graph/model"
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

// Cursors are opaque offsets into the list's order ("cursor:41"). They stay
// valid while the list's filter and order are the same.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(offset)))
}

func decodeCursor(field, c string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	n, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), "cursor:"))
	if err != nil || convErr != nil || n < 0 || encodeCursor(n) != c {
		return 0, sales.Errorf(sales.CodeValidation, field, "%s is not a cursor from this list", field)
	}
	return n, nil
}

// paginate turns Relay arguments into an offset window, fetches it, and
// builds the page info. fetch returns the window's rows and, when the
// db.Page asks for a count, the list's total (else -1). The total is counted
// only when the query selects totalCount or "the last N" needs it: counting
// reads every matching row, while a page stops at its window. hasNextPage
// comes from fetching one row past the window instead.
func paginate[T any](ctx context.Context, a pageArgs, fetch func(db.Page) ([]*T, int, error)) (*page[T], error) {
	var p sales.Problems
	p.Check(a.first == nil || a.last == nil, "first", "send first or last, not both")
	p.Check(a.first == nil || (*a.first >= 0 && *a.first <= maxPageSize), "first", "first must be between 0 and %d", maxPageSize)
	p.Check(a.last == nil || (*a.last >= 0 && *a.last <= maxPageSize), "last", "last must be between 0 and %d", maxPageSize)
	if err := p.Err(); err != nil {
		return nil, err
	}
	start, end := 0, -1 // end < 0: open
	if a.after != nil {
		n, err := decodeCursor("after", *a.after)
		if err != nil {
			return nil, err
		}
		start = n + 1
	}
	if a.before != nil {
		n, err := decodeCursor("before", *a.before)
		if err != nil {
			return nil, err
		}
		end = n
	}
	total := -1 // not counted (yet)
	count := func() error {
		_, n, err := fetch(db.Page{Count: true})
		total = n
		return err
	}
	var window db.Page
	switch {
	case a.last != nil:
		if end < 0 {
			// "The last N" needs the total first.
			if err := count(); err != nil {
				return nil, err
			}
			end = total
		}
		window.Offset = max(start, end-*a.last)
		window.Limit = max(0, end-window.Offset)
	default:
		size := defaultPageSize
		if a.first != nil {
			size = *a.first
		}
		window.Offset, window.Limit = start, size
		if end >= 0 {
			window.Limit = max(0, min(size, end-start))
		}
	}
	askCount := total < 0 && selectsTotalCount(ctx)
	items, n, err := fetch(db.Page{Offset: window.Offset, Limit: window.Limit + 1, Count: askCount})
	if err != nil {
		return nil, err
	}
	if askCount {
		total = n
	}
	more := len(items) > window.Limit
	if more {
		items = items[:window.Limit]
	}
	// Rows before the window exist if any row does. An empty page past the
	// end cannot tell, so it counts: its OFFSET has read those rows anyway.
	prev := false
	if window.Offset > 0 {
		if len(items) == 0 && !more && total < 0 {
			if err := count(); err != nil {
				return nil, err
			}
		}
		prev = len(items) > 0 || more || total > 0
	}
	out := &page[T]{items: items, total: total, info: &model.PageInfo{
		HasPreviousPage: prev,
		HasNextPage:     more && (end < 0 || window.Offset+len(items) < end),
	}}
	if items == nil {
		out.items = []*T{}
	}
	for i := range items {
		out.cursors = append(out.cursors, encodeCursor(window.Offset+i))
	}
	if len(out.cursors) > 0 {
		out.info.StartCursor = &out.cursors[0]
		out.info.EndCursor = &out.cursors[len(out.cursors)-1]
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
