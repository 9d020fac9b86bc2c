package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"salesgraph/db"
	"salesgraph/sales"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request ID (set by the HTTP layer).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request's ID, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID returns a random 16-hex-digit ID.
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// gqlgen's own codes that are safe to pass through as they are.
var passThroughCodes = map[string]bool{
	errcode.ValidationFailed: true,
	errcode.ParseFailed:      true,
	// Limits' refusals (limits.go): which limit, the figure and the limit.
	string(sales.CodeQueryTooComplex): true,
}

// ErrorPresenter is the only place where a Go error becomes text a client
// reads. A *sales.Error keeps its code, field and message. gqlgen's parse and
// validation errors pass through. Everything else — driver errors, SQL,
// panics — is logged with the request ID and shown as "internal error".
func ErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			gqlErr = gqlerror.WrapPath(graphql.GetPath(ctx), err)
		}
		if _, ok := sales.AsError(err); !ok {
			// Reads reach here with raw driver errors: a database that is
			// down or a statement that timed out keeps its code either way.
			err = db.Translate(err)
		}
		if domain, ok := sales.AsError(err); ok {
			out := &gqlerror.Error{Message: domain.Message, Path: gqlErr.Path, Locations: gqlErr.Locations,
				Extensions: map[string]any{"code": string(domain.Code)}}
			field := domain.Field
			if field == "" && domain.Code == sales.CodeValidation && gqlErr.Path != nil && isInputError(gqlErr) {
				field = inputField(gqlErr.Path)
			}
			if field != "" {
				out.Extensions["field"] = field
			}
			if domain.Code == sales.CodeInternal || domain.Code == sales.CodeUnavailable || domain.Code == sales.CodeTimeout {
				out.Extensions["requestId"] = RequestID(ctx)
				logger.ErrorContext(ctx, "request failed", "requestId", RequestID(ctx), "code", domain.Code, "err", err)
			}
			return out
		}
		if code, _ := gqlErr.Extensions["code"].(string); passThroughCodes[code] || (gqlErr.Err == nil && code == "") && gqlErr.Rule != "" {
			return gqlErr
		}
		if code, _ := gqlErr.Extensions["code"].(string); code == "COMPLEXITY_LIMIT_EXCEEDED" {
			gqlErr.Extensions["code"] = string(sales.CodeQueryTooComplex)
			return gqlErr
		}
		if gqlErr.Err == nil && gqlErr.Extensions == nil {
			// gqlgen's own messages (a non-null field resolved to null, an
			// argument that failed coercion) carry no cause and no internals.
			if isSafeGqlgenMessage(gqlErr.Message) {
				gqlErr.Extensions = map[string]any{"code": string(sales.CodeValidation)}
				return gqlErr
			}
		}
		id := RequestID(ctx)
		logger.ErrorContext(ctx, "internal error", "requestId", id, "path", gqlErr.Path.String(), "err", err)
		return &gqlerror.Error{Message: "internal error", Path: gqlErr.Path, Locations: gqlErr.Locations,
			Extensions: map[string]any{"code": string(sales.CodeInternal), "requestId": id}}
	}
}

// isInputError tells an argument-coercion error (its path names arguments)
// from a resolver error (its path names output fields).
func isInputError(e *gqlerror.Error) bool {
	return len(e.Path) > 1
}

// inputField turns gqlgen's input path (["createCustomer","input","creditLimit"])
// into our field form ("input.creditLimit"), dropping the root field.
func inputField(p []ast.PathElement) string {
	var parts []string
	for i, el := range p {
		if i == 0 {
			continue
		}
		switch v := el.(type) {
		case ast.PathName:
			parts = append(parts, string(v))
		case ast.PathIndex:
			parts = append(parts, fmt.Sprint(int(v)))
		}
	}
	return strings.Join(parts, ".")
}

func isSafeGqlgenMessage(msg string) bool {
	return strings.HasPrefix(msg, "must not be null") || strings.HasPrefix(msg, "the requested element is null")
}

// Recover turns a panic in a resolver into an internal error. The stack goes
// to the log with the request ID; the process stays up.
func Recover(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver", "requestId", RequestID(ctx), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	}
}

// LogResponses writes one line per GraphQL response: request ID, operation,
// duration and the error codes it carried.
func LogResponses(logger *slog.Logger) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		start := time.Now()
		// A caller's recorder (a test, the benchmark) sees the statements too.
		stats := db.StatsFrom(ctx)
		if stats == nil {
			ctx, stats = db.WithStats(ctx)
		}
		resp := next(ctx)
		if resp == nil || !graphql.HasOperationContext(ctx) {
			return resp
		}
		oc := graphql.GetOperationContext(ctx)
		var codes []string
		for _, e := range resp.Errors {
			if c, ok := e.Extensions["code"].(string); ok {
				codes = append(codes, c)
			}
		}
		op := "anonymous"
		if oc.Operation != nil {
			op = string(oc.Operation.Operation)
			if oc.OperationName != "" {
				op += " " + oc.OperationName
			} else if oc.Operation.Name != "" {
				op += " " + oc.Operation.Name
			}
		}
		logger.InfoContext(ctx, "graphql", "requestId", RequestID(ctx), "operation", op,
			"durationMs", float64(time.Since(start).Microseconds())/1000, "errors", codes,
			"sqlStatements", stats.Statements(), "sqlMs", float64(stats.DBTime().Microseconds())/1000)
		return resp
	}
}
