package graph

import (
	"context"
	"log/slog"
	"reflect"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/sales"
)

// codeListTruncated marks a list that held more items than its @bound: the
// response carries the first N and this error, never a silent cut.
const codeListTruncated sales.Code = "LIST_TRUNCATED"

// enforceBounds keeps a list field with @bound(max: N) to N items, so that
// the query cost (cost.go), which counts N, holds whatever the rows say. It
// takes the field's result (guardFields). Every bound is meant to hold by a
// rule on the write side (docs/read-path.md, "Lists on an object"); rows past
// it mean a rule was bypassed, so the cut is reported: the field keeps its
// first N items, the response gets a LIST_TRUNCATED error at the field's
// path, and the log an error.
func enforceBounds(ctx context.Context, fc *graphql.FieldContext, res any, err error) (any, error) {
	if err != nil || fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return res, err
	}
	d := fc.Field.Definition.Directives.ForName(boundDirective)
	if d == nil {
		return res, err
	}
	most, ok := toInt(directiveArg(d, "max"))
	if v := reflect.ValueOf(res); ok && v.Kind() == reflect.Slice && int64(v.Len()) > most {
		field := fc.Object + "." + fc.Field.Name
		graphql.AddError(ctx, sales.Errorf(codeListTruncated, "",
			"%s has more than %d items, its documented limit; only the first %d are returned", field, most, most))
		logger := slog.Default()
		if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok && l.logger != nil {
			logger = l.logger
		}
		logger.ErrorContext(ctx, "list past its @bound: a write-side limit did not hold", "requestId", RequestID(ctx),
			"field", field, "path", fc.Path().String(), "bound", most, "items", v.Len())
		return v.Slice(0, int(most)).Interface(), nil
	}
	return res, err
}
