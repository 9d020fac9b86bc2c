package graph

import (
	"encoding/base64"
	"strconv"
	"strings"

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
// builds the page info. fetch returns the window's rows and the list's total.
func paginate[T any](a pageArgs, fetch func(db.Page) ([]*T, int, error)) (*page[T], error) {
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
	var window db.Page
	switch {
	case a.last != nil:
		if end < 0 {
			// "The last N" needs the total first; a zero-row fetch counts.
			_, total, err := fetch(db.Page{Offset: 0, Limit: 0})
			if err != nil {
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
	items, total, err := fetch(window)
	if err != nil {
		return nil, err
	}
	out := &page[T]{items: items, total: total, info: &model.PageInfo{
		HasPreviousPage: window.Offset > 0 && total > 0,
		HasNextPage:     window.Offset+len(items) < total && (end < 0 || window.Offset+len(items) < end),
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
