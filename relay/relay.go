// Package relay holds the Relay conventions: opaque global IDs and cursors
// (a row's position in a list, an event's position in a live feed), how
// they are written and read, and when a cursor fits a list. It knows nothing
// of the schema's types; graph, the printable documents and db's lists
// share it.
package relay

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"

	"salesgraph/sales"
)

var typeName = regexp.MustCompile(`^[A-Z][A-Za-z]{0,40}$`)

// Node is any object with a global ID. gqlgen binds the schema's Node
// interface here; the domain types satisfy it without knowing GraphQL.
type Node interface{}

// ID encodes a global ID: base64url("Type:key"). Clients must treat it as opaque.
func ID(typ string, key int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(key, 10)))
}

// CompositeID encodes a global ID with a two-part key (such as a stock level).
func CompositeID(typ string, a, b int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(a, 10) + ":" + strconv.FormatInt(b, 10)))
}

// Parse decodes a global ID into its type and key parts.
// Anything malformed is a VALIDATION error on field.
func Parse(field, id string) (typ string, keys []int64, err error) {
	bad := sales.Errorf(sales.CodeValidation, field, "%s is not a valid ID", field)
	if len(id) > 100 {
		return "", nil, bad
	}
	raw, decErr := base64.RawURLEncoding.DecodeString(id)
	// Only the canonical encoding is an ID: base64 lets stray trailing bits
	// spell the same bytes several ways, and one object has one ID.
	if decErr != nil || base64.RawURLEncoding.EncodeToString(raw) != id {
		return "", nil, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) < 2 || len(parts) > 3 || !typeName.MatchString(parts[0]) {
		return "", nil, bad
	}
	for _, p := range parts[1:] {
		k, convErr := strconv.ParseInt(p, 10, 64)
		if convErr != nil || k <= 0 || strconv.FormatInt(k, 10) != p {
			return "", nil, bad
		}
		keys = append(keys, k)
	}
	return parts[0], keys, nil
}

// Key decodes a global ID that must name an object of type typ.
// An ID of another type is a VALIDATION error: the caller sent the wrong kind of object.
func Key(field, typ, id string) (int64, error) {
	got, keys, err := Parse(field, id)
	if err != nil {
		return 0, err
	}
	if got != typ || len(keys) != 1 {
		return 0, sales.Errorf(sales.CodeValidation, field, "%s must be the ID of a %s", field, typ)
	}
	return keys[0], nil
}

// OptionalKey is Key for an optional argument: nil stays nil.
func OptionalKey(field, typ string, id *string) (*int64, error) {
	if id == nil {
		return nil, nil
	}
	k, err := Key(field, typ, *id)
	if err != nil {
		return nil, err
	}
	return &k, nil
}
