package db

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"salesgraph/relay"
)

// Lists page by keyset, never by OFFSET: a page starts strictly after (or
// ends strictly before) a cursor's position (sort value, row key), so it
// reads only its own rows, and rows inserted or deleted elsewhere in the list
// neither shift nor repeat the rows a client has yet to see.
//
// A cursor carries the raw column value as text (code, not lower(code)) and
// the SQL applies the same expression to both sides, e.g.
// (lower(code), id) > (lower($1::text), $2), so Go never re-implements
// lower(), collation or numeric comparison.

// keyType is the PostgreSQL type a cursor's text is cast to; relay checks
// that a cursor's value is canonical text of it before any query sees it.
type keyType = relay.ValueType

const (
	keyText   = relay.ValueText
	keyStamp  = relay.ValueStamp
	keyDate   = relay.ValueDate
	keyNumber = relay.ValueNumber
	keyInt    = relay.ValueInt
)

const (
	stampLayout = relay.StampLayout
	dateLayout  = relay.DateLayout
)

// sortKey is one order of a list. expr wraps the column (and, in the
// keyset predicate, the cursor's value cast to typ) with %s; a nullable
// column's expr maps NULL to a sentinel (e.g. COALESCE(ship_date,
// 'infinity'::date)), so NULLs sort consistently last ascending and first
// descending and the row comparison never meets a NULL. value reads the
// column's raw value from a row as canonical text, nil for NULL.
type sortKey[T any] struct {
	column   string
	expr     string
	typ      keyType
	nullable bool
	value    func(*T) *string
	// within is how many of the key's columns come before the sort
	// expression: 0 for a list ordered by a field, then its key; 1 for price
	// list items, ordered by product, then quantity break, then id.
	within int
}

func (k sortKey[T]) rowExpr() string   { return fmt.Sprintf(k.expr, k.column) }
func (k sortKey[T]) paramExpr() string { return fmt.Sprintf(k.expr, "?::"+string(k.typ)) }

func textKey[T any](column, expr string, v func(*T) string) sortKey[T] {
	return sortKey[T]{column: column, expr: expr, typ: keyText, value: func(r *T) *string { s := v(r); return &s }}
}

func stampKey[T any](column string, v func(*T) time.Time) sortKey[T] {
	return sortKey[T]{column: column, expr: "%s", typ: keyStamp, value: func(r *T) *string {
		s := v(r).UTC().Format(stampLayout)
		return &s
	}}
}

func numberKey[T any](column string, v func(*T) decimal.Decimal) sortKey[T] {
	return sortKey[T]{column: column, expr: "%s", typ: keyNumber, value: func(r *T) *string { s := v(r).String(); return &s }}
}

// dateKey orders by a date column; a nullable one sorts NULL as infinity.
func dateKey[T any](column string, nullable bool, v func(*T) *time.Time) sortKey[T] {
	k := sortKey[T]{column: column, expr: "%s", typ: keyDate, nullable: nullable, value: func(r *T) *string {
		d := v(r)
		if d == nil {
			return nil
		}
		// pq reads a date as midnight in some zone: its own date is the day.
		s := d.Format(dateLayout)
		return &s
	}}
	if nullable {
		k.expr = "COALESCE(%s, 'infinity'::date)"
	}
	return k
}

func intKey[T any](column string, v func(*T) int64) sortKey[T] {
	return sortKey[T]{column: column, expr: "%s", typ: keyInt, value: func(r *T) *string { s := strconv.FormatInt(v(r), 10); return &s }}
}

// keyset describes how a list may be ordered: its name, its sort fields by schema enum
// value, the one used when none is asked for, and the row key that breaks
// ties (its columns and how to read them from a row).
type keyset[T any] struct {
	list     string // names the list in its cursors
	sorts    map[string]sortKey[T]
	fallback string
	key      []string
	keyOf    func(*T) []int64
}

// resolve returns the sort field a Sort names (the fallback when it names
// none) and its key.
func (ks *keyset[T]) resolve(s Sort) (string, sortKey[T]) {
	if k, ok := ks.sorts[s.Field]; ok {
		return s.Field, k
	}
	return ks.fallback, ks.sorts[ks.fallback]
}

// order describes the cursors of one order of the list, for relay to
// check a client's cursor against before it becomes a query's position.
func (ks *keyset[T]) order(s Sort) relay.Order {
	name, k := ks.resolve(s)
	return relay.Order{List: ks.list, Sort: name, Desc: s.Desc, Value: k.typ, Nullable: k.nullable, KeyLen: len(ks.key)}
}

// columns are the expressions a list is ordered by: the sort expression,
// then the key. Sorting by the key's own first column (stock levels by
// product) orders by the key alone, so its index serves the row comparison.
func (ks *keyset[T]) columns(k sortKey[T]) []string {
	if k.rowExpr() == ks.key[0] {
		return ks.key
	}
	return slices.Concat(ks.key[:k.within], []string{k.rowExpr()}, ks.key[k.within:])
}

// seek adds "row comes after (or before) c in this order" to w: one row
// comparison over the order's columns, which a btree index on the same
// expressions serves as a range scan, in either direction.
func (ks *keyset[T]) seek(w *where, k sortKey[T], c relay.Cursor, desc, after bool) {
	op := ">"
	if desc == after {
		op = "<"
	}
	left := ks.columns(k)
	var right []string
	var args []any
	for i, id := range c.Key {
		if i == k.within && len(left) > len(ks.key) {
			right, args = append(right, k.paramExpr()), append(args, c.Value)
		}
		right = append(right, "?")
		args = append(args, id)
	}
	if len(right) < len(left) { // the sort expression comes after the whole key
		right, args = append(right, k.paramExpr()), append(args, c.Value)
	}
	w.add("("+strings.Join(left, ", ")+") "+op+" ("+strings.Join(right, ", ")+")", args...)
}

// listPage runs the page query (selectSQL fromSQL WHERE filters AND seek
// ORDER BY sort, key LIMIT n) and, when page.Count asks, "SELECT count(*)
// fromSQL WHERE filters" for the total; otherwise the total is -1. A zero-row
// page skips its query. The two statements are separate so a page that does
// not show the total never pays for reading the whole list. A page read from
// the Before end runs in the reverse order and is turned back in Go.
func listPage[T any](ctx context.Context, q sqlx.QueryerContext, selectSQL, fromSQL string, w *where, ks *keyset[T], s Sort, page Page) (Window[T], error) {
	out := Window[T]{Total: -1}
	name, k := ks.resolve(s)
	// The cursors were decoded from the client's text by the caller (relay);
	// checking that they belong to this order needs the list's keyset.
	order := ks.order(s)
	after, before := page.After, page.Before
	for _, b := range []struct {
		field string
		c     *relay.Cursor
	}{{"after", after}, {"before", before}} {
		if b.c == nil {
			continue
		}
		if err := order.Check(b.field, *b.c); err != nil {
			return out, err
		}
	}
	if page.Limit > 0 {
		seek := where{conds: slices.Clone(w.conds), args: slices.Clone(w.args)}
		if after != nil {
			ks.seek(&seek, k, *after, s.Desc, true)
		}
		if before != nil {
			ks.seek(&seek, k, *before, s.Desc, false)
		}
		dir := "ASC"
		if s.Desc != page.FromEnd {
			dir = "DESC"
		}
		order := make([]string, 0, 1+len(ks.key))
		for _, col := range ks.columns(k) {
			order = append(order, col+" "+dir)
		}
		query := selectSQL + " " + fromSQL + seek.sql() + " ORDER BY " + strings.Join(order, ", ") + fmt.Sprintf(" LIMIT %d", page.Limit)
		if err := selectContext(ctx, q, &out.Items, query, seek.args...); err != nil {
			return out, err
		}
		if page.FromEnd {
			slices.Reverse(out.Items)
		}
		for _, r := range out.Items {
			out.Cursors = append(out.Cursors, relay.Cursor{List: ks.list, Sort: name, Desc: s.Desc, Value: k.value(r), Key: ks.keyOf(r)})
		}
	}
	if page.Count {
		if err := sqlx.GetContext(ctx, q, &out.Total, "SELECT count(*) "+fromSQL+w.sql(), w.args...); err != nil {
			return out, err
		}
	}
	return out, nil
}
