package relay

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// Cursor is a row's position in one order of a list: the list, its sort
// field and direction, the row's sort value as canonical text (nil for
// NULL) and its key. Clients see it only as the opaque text String writes.
type Cursor struct {
	List  string  `json:"l"`
	Sort  string  `json:"s"`
	Desc  bool    `json:"d"`
	Value *string `json:"v"`
	Key   []int64 `json:"k"`
}

// String encodes the cursor: base64url of its JSON.
func (c Cursor) String() string {
	b, _ := json.Marshal(c) // a struct of strings and numbers always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor reads a cursor sent as argument field. Only the exact text
// String writes is a cursor; anything else is a VALIDATION error on field.
func ParseCursor(field, text string) (Cursor, error) {
	bad := notFromList(field)
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return Cursor{}, bad
	}
	var c Cursor
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&c) != nil || c.String() != text {
		return Cursor{}, bad
	}
	return c, nil
}

func notFromList(field string) error {
	return sales.Errorf(sales.CodeValidation, field, "%s is not a cursor from this list", field)
}

// ValueType is the kind of a cursor's sort value. Each accepts only the
// canonical text written for it, so a hand-edited value is a VALIDATION
// error before it reaches a query.
type ValueType string

// Value types, named after the PostgreSQL type the value is compared as.
const (
	ValueText   ValueType = "text"
	ValueStamp  ValueType = "timestamptz"
	ValueDate   ValueType = "date"
	ValueNumber ValueType = "numeric"
	ValueInt    ValueType = "bigint"
)

// Layouts of the time values in cursors.
const (
	StampLayout = "2006-01-02T15:04:05.999999Z07:00"
	DateLayout  = "2006-01-02"
)

// Canonical reports whether v is text this type writes.
func (t ValueType) Canonical(v string) bool {
	switch t {
	case ValueText:
		return utf8.ValidString(v) && !strings.ContainsRune(v, 0)
	case ValueStamp:
		ts, err := time.Parse(time.RFC3339Nano, v)
		return err == nil && ts.Year() >= 1 && ts.UTC().Format(StampLayout) == v
	case ValueDate:
		d, err := time.Parse(DateLayout, v)
		return err == nil && d.Year() >= 1 && d.Format(DateLayout) == v
	case ValueNumber:
		d, err := decimal.NewFromString(v)
		return err == nil && d.String() == v
	case ValueInt:
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && strconv.FormatInt(n, 10) == v
	}
	return false
}

// Order is what one order of a list expects of its cursors: the list's
// name, the sort field and direction, the sort value's type (and whether it
// may be NULL) and how many columns its row key has. The storage layer
// describes its orders this way; Check holds the rules.
type Order struct {
	List     string
	Sort     string
	Desc     bool
	Value    ValueType
	Nullable bool
	KeyLen   int
}

// Check reports whether c is a cursor this order wrote. Anything else is a
// VALIDATION error on field: a cursor of another list, of another sort or
// direction (sent with the wrong orderBy), or with a value or key that does
// not fit. Cursors are not signed: a well-formed one edited by hand is only
// another position in the list, and the list's filters and scope still
// apply to what it returns.
func (o Order) Check(field string, c Cursor) error {
	if c.List != o.List || len(c.Key) != o.KeyLen {
		return notFromList(field)
	}
	if c.Sort != o.Sort || c.Desc != o.Desc {
		return sales.Errorf(sales.CodeValidation, field, "%s is a cursor from another order of this list; send it with the orderBy it came from", field)
	}
	if c.Value == nil && !o.Nullable || c.Value != nil && !o.Value.Canonical(*c.Value) {
		return notFromList(field)
	}
	return nil
}

// FeedCursor is the opaque position of an event in a live feed. It is
// written as the event's global ID (base64url of "OrderEvent:17"), the
// format the feed has always sent.
func FeedCursor(eventType string, id int64) string { return ID(eventType, id) }
