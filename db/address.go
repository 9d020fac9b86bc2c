package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"

	"salesgraph/sales"
)

// Postal addresses (sales.Address) are stored as jsonb: customers'
// billing_address, warehouses' address, orders' and deliveries' ship_to.
// sales knows nothing of storage, so the encoding lives here and applies by
// type, wherever an address is written or read:
//
//   - written: an argument of type sales.Address or *sales.Address becomes
//     its JSON (nil: NULL) as the pool's connections check their arguments
//     (countingConn.CheckNamedValue);
//   - read: GetContext and SelectContext on DB and Tx, and the byIDs and
//     listPage helpers, decode a jsonb column into a sales.Address or
//     *sales.Address field of the row struct (NULL: nil). Rows without an
//     address field are scanned by sqlx as before.

var addressType = reflect.TypeFor[sales.Address]()

// addressValue is the stored form of v when v is an address; ok reports
// whether it was one.
func addressValue(v any) (_ driver.Value, ok bool, err error) {
	switch a := v.(type) {
	case sales.Address:
		b, err := json.Marshal(a)
		return b, true, err
	case *sales.Address:
		if a == nil {
			return nil, true, nil
		}
		b, err := json.Marshal(*a)
		return b, true, err
	}
	return nil, false, nil
}

// addressColumn scans a NOT NULL jsonb column into an address.
type addressColumn sales.Address

func (a *addressColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	case nil:
		*a = addressColumn{}
		return nil
	default:
		return fmt.Errorf("address column: unsupported source type %T", src)
	}
	var out sales.Address
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("address column: %w", err)
	}
	*a = addressColumn(out)
	return nil
}

// nullAddressColumn scans a nullable jsonb column into an optional address.
type nullAddressColumn struct{ dst **sales.Address }

func (n nullAddressColumn) Scan(src any) error {
	if src == nil {
		*n.dst = nil
		return nil
	}
	var a sales.Address
	if err := (*addressColumn)(&a).Scan(src); err != nil {
		return err
	}
	*n.dst = &a
	return nil
}

// holdsAddress reports whether rows of type t (a struct) have an address
// field anywhere, embedded or nested structs included.
func holdsAddress(t reflect.Type) bool {
	if v, ok := holdsAddressCache.Load(t); ok {
		return v.(bool)
	}
	found := walkForAddress(t, map[reflect.Type]bool{})
	holdsAddressCache.Store(t, found)
	return found
}

var holdsAddressCache sync.Map // reflect.Type → bool

func walkForAddress(t reflect.Type, seen map[reflect.Type]bool) bool {
	t = reflectx.Deref(t)
	if t == addressType {
		return true
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		if walkForAddress(t.Field(i).Type, seen) {
			return true
		}
	}
	return false
}

// GetContext is sqlx's GetContext, reading addresses (see above).
func (d *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return getContext(ctx, d.DB, dest, query, args...)
}

// SelectContext is sqlx's SelectContext, reading addresses (see above).
func (d *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return selectContext(ctx, d.DB, dest, query, args...)
}

// GetContext is sqlx's GetContext, reading addresses (see above).
func (tx *Tx) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return getContext(ctx, tx.Tx, dest, query, args...)
}

// SelectContext is sqlx's SelectContext, reading addresses (see above).
func (tx *Tx) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return selectContext(ctx, tx.Tx, dest, query, args...)
}

// getContext scans the first row into dest, a pointer to a struct or a
// scalar; no row is sql.ErrNoRows, as with sqlx.
func getContext(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct || !holdsAddress(v.Elem().Type()) {
		return sqlx.GetContext(ctx, q, dest, query, args...)
	}
	rows, err := q.QueryxContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	targets, err := newRowTargets(rows, v.Elem().Type())
	if err != nil {
		return err
	}
	if err := targets.scan(rows, v.Elem()); err != nil {
		return err
	}
	return rows.Close()
}

// selectContext scans every row into dest, a pointer to a slice of structs
// or of pointers to structs (or of scalars).
func selectContext(ctx context.Context, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	v := reflect.ValueOf(dest)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Slice {
		return sqlx.SelectContext(ctx, q, dest, query, args...)
	}
	slice := v.Elem()
	elem := slice.Type().Elem()
	base := reflectx.Deref(elem)
	if base.Kind() != reflect.Struct || !holdsAddress(base) {
		return sqlx.SelectContext(ctx, q, dest, query, args...)
	}
	rows, err := q.QueryxContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var targets *rowTargets
	for rows.Next() {
		if targets == nil {
			if targets, err = newRowTargets(rows, base); err != nil {
				return err
			}
		}
		row := reflect.New(base)
		if err := targets.scan(rows, row.Elem()); err != nil {
			return err
		}
		if elem.Kind() == reflect.Pointer {
			slice.Set(reflect.Append(slice, row))
		} else {
			slice.Set(reflect.Append(slice, row.Elem()))
		}
	}
	return rows.Err()
}

// rowTargets maps a result's columns to the fields of a row struct.
type rowTargets struct {
	columns    []string
	traversals [][]int
}

func newRowTargets(rows *sqlx.Rows, t reflect.Type) (*rowTargets, error) {
	columns, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	traversals := rows.Mapper.TraversalsByName(t, columns)
	for i, tr := range traversals {
		if len(tr) == 0 {
			return nil, fmt.Errorf("missing destination name %s in %s", columns[i], t)
		}
	}
	return &rowTargets{columns: columns, traversals: traversals}, nil
}

// scan reads the current row into v (an addressable struct), decoding
// address columns.
func (r *rowTargets) scan(rows *sqlx.Rows, v reflect.Value) error {
	values := make([]any, len(r.traversals))
	for i, tr := range r.traversals {
		switch p := reflectx.FieldByIndexes(v, tr).Addr().Interface().(type) {
		case *sales.Address:
			values[i] = (*addressColumn)(p)
		case **sales.Address:
			values[i] = nullAddressColumn{dst: p}
		default:
			values[i] = p
		}
	}
	return rows.Scan(values...)
}
