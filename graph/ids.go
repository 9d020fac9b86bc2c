package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/relay"
)

// omittableKey decodes an optional ID that may also be sent as null.
func omittableKey(field, typ string, v graphql.Omittable[*string]) (*int64, error) {
	if !v.IsSet() {
		return nil, nil
	}
	return relay.OptionalKey(field, typ, v.Value())
}

// keyed decodes a global ID of type typ and loads the object; an ID of
// another type is VALIDATION, an absent object null.
func keyed[T any](ctx context.Context, field, typ, id string, load func(context.Context, int64) (*T, error)) (*T, error) {
	k, err := relay.Key(field, typ, id)
	if err != nil {
		return nil, err
	}
	return load(ctx, k)
}

// keyArg is an optional ID filter argument to decode into dst.
type keyArg struct {
	dst        **int64
	field, typ string
	id         *string
}

// decodeKeys decodes optional ID arguments, stopping at the first bad one.
func decodeKeys(args ...keyArg) error {
	for _, a := range args {
		k, err := relay.OptionalKey(a.field, a.typ, a.id)
		if err != nil {
			return err
		}
		*a.dst = k
	}
	return nil
}
