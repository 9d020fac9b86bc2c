package db

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
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

// keyType is the PostgreSQL type a cursor's text is cast to. Each type
// accepts only the canonical text Go writes for it, so a hand-edited cursor
// is a VALIDATION error instead of a failed cast.
type keyType string

const (
	keyText   keyType = "text"
	keyStamp  keyType = "timestamptz"
	keyDate   keyType = "date"
	keyNumber keyType = "numeric"
	keyInt    keyType = "bigint"
)

const (
	stampLayout = "2006-01-02T15:04:05.999999Z07:00"
	dateLayout  = "2006-01-02"
)

func (t keyType) canonical(v string) bool {
	switch t {
	case keyText:
		return utf8.ValidString(v) && !strings.ContainsRune(v, 0)
	case keyStamp:
		ts, err := time.Parse(time.RFC3339Nano, v)
		return err == nil && ts.Year() >= 1 && ts.UTC().Format(stampLayout) == v
	case keyDate:
		d, err := time.Parse(dateLayout, v)
		return err == nil && d.Year() >= 1 && d.Format(dateLayout) == v
	case keyNumber:
		d, err := decimal.NewFromString(v)
		return err == nil && d.String() == v
	case keyInt:
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && strconv.FormatInt(n, 10) == v
	}
	return false
}

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

// cursor is a row's position in one order of a list.
type cursor struct {
	List  string  `json:"l"`
	Sort  string  `json:"s"`
	Desc  bool    `json:"d"`
	Value *string `json:"v"`
	Key   []int64 `json:"k"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of strings and numbers always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// resolve returns the sort field a Sort names (the fallback when it names
// none) and its key.
func (ks *keyset[T]) resolve(s Sort) (string, sortKey[T]) {
	if k, ok := ks.sorts[s.Field]; ok {
		return s.Field, k
	}
	return ks.fallback, ks.sorts[ks.fallback]
}

// decode reads a cursor sent as argument field. Anything this list did not
// write for this order is a VALIDATION error on that field: the cursor must
// re-encode to exactly the same text, name this list, sort and direction, and
// carry a value of the column's type and a whole row key. Cursors are not
// signed: a well-formed one edited by hand is only another position in the
// list, and the list's filters and scope still apply to what it returns.
func (ks *keyset[T]) decode(field, text string, s Sort) (cursor, error) {
	name, k := ks.resolve(s)
	bad := sales.Errorf(sales.CodeValidation, field, "%s is not a cursor from this list", field)
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return cursor{}, bad
	}
	var c cursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&c) != nil || c.encode() != text || c.List != ks.list || len(c.Key) != len(ks.key) {
		return cursor{}, bad
	}
	if c.Sort != name || c.Desc != s.Desc {
		return cursor{}, sales.Errorf(sales.CodeValidation, field, "%s is a cursor from another order of this list; send it with the orderBy it came from", field)
	}
	if c.Value == nil && !k.nullable || c.Value != nil && !k.typ.canonical(*c.Value) {
		return cursor{}, bad
	}
	return c, nil
}

// columns are the expressions a list is ordered by: the sort expression,
// then the key. Sorting by the key's own first column (stock levels by
// product) orders by the key alone, so its index serves the row comparison.
func (ks *keyset[T]) columns(k sortKey[T]) []string {
	if k.rowExpr() == ks.key[0] {
		return ks.key
	}
	return append([]string{k.rowExpr()}, ks.key...)
}

// seek adds "row comes after (or before) c in this order" to w: one row
// comparison over the order's columns, which a btree index on the same
// expressions serves as a range scan, in either direction.
func (ks *keyset[T]) seek(w *where, k sortKey[T], c cursor, desc, after bool) {
	op := ">"
	if desc == after {
		op = "<"
	}
	left := ks.columns(k)
	var right []string
	var args []any
	if len(left) > len(ks.key) {
		right, args = []string{k.paramExpr()}, []any{c.Value}
	}
	for _, id := range c.Key {
		right = append(right, "?")
		args = append(args, id)
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
	var after, before *cursor
	for _, b := range []struct {
		field, text string
		dst         **cursor
	}{{"after", page.After, &after}, {"before", page.Before, &before}} {
		if b.text == "" {
			continue
		}
		c, err := ks.decode(b.field, b.text, s)
		if err != nil {
			return out, err
		}
		*b.dst = &c
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
			out.Cursors = append(out.Cursors, cursor{List: ks.list, Sort: name, Desc: s.Desc, Value: k.value(r), Key: ks.keyOf(r)}.encode())
		}
	}
	if page.Count {
		if err := sqlx.GetContext(ctx, q, &out.Total, "SELECT count(*) "+fromSQL+w.sql(), w.args...); err != nil {
			return out, err
		}
	}
	return out, nil
}
