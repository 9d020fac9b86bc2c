// Package sales holds Salesgraph's business rules: the domain types, their
// validation, pricing and (later) the document state machines. It imports no
// SQL and no GraphQL; db/ persists what it decides and graph/ translates it.
package sales

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code. It reaches clients as extensions.code.
type Code string

// The error codes of the public contract (DESIGN.md, "The GraphQL contract").
const (
	CodeValidation           Code = "VALIDATION"
	CodeNotFound             Code = "NOT_FOUND"
	CodeForbidden            Code = "FORBIDDEN"
	CodeUnauthenticated      Code = "UNAUTHENTICATED"
	CodeInvalidTransition    Code = "INVALID_TRANSITION"
	CodeInsufficientStock    Code = "INSUFFICIENT_STOCK"
	CodeConflict             Code = "CONFLICT"
	CodeIdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	CodeNoPrice              Code = "NO_PRICE"
	CodeDepositRequired      Code = "DEPOSIT_REQUIRED" // the order's deposit is not received yet
	CodeQueryTooComplex      Code = "QUERY_TOO_COMPLEX"
	CodeUnavailable          Code = "UNAVAILABLE" // retryable: the database is down, starting or busy
	CodeTimeout              Code = "TIMEOUT"     // a statement ran past the statement timeout
	CodeBadRequest           Code = "BAD_REQUEST" // not a GraphQL request: bad JSON, a batch, an empty body
	CodeRequestTooLarge      Code = "REQUEST_TOO_LARGE"
	CodeInternal             Code = "INTERNAL"
	CodeCursorExpired        Code = "CURSOR_EXPIRED" // a live feed resume cursor older than the feed keeps
)

// Error is a broken business rule. Code, Field and Message are safe to show a
// client; Err is the cause, for the log only. Any error that is not an *Error
// is internal and is never shown.
type Error struct {
	Code    Code
	Field   string // input path such as "input.creditLimit"; empty when no single field is at fault
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the *Error in err's chain, or CodeInternal.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return CodeInternal
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) { return errors.AsType[*Error](err) }

// Problems collects validation failures so a caller sees the first one; it
// keeps validation code flat (v.check(cond, field, msg) …; return v.err()).
type Problems struct{ first *Error }

// Check records a VALIDATION error on field unless ok.
func (p *Problems) Check(ok bool, field, format string, args ...any) {
	if !ok && p.first == nil {
		p.first = Errorf(CodeValidation, field, format, args...)
	}
}

// Add records err (an *Error) unless one is recorded already.
func (p *Problems) Add(err *Error) {
	if err != nil && p.first == nil {
		p.first = err
	}
}

// Err returns the first recorded problem, or nil.
func (p *Problems) Err() error {
	if p.first == nil {
		return nil
	}
	return p.first
}
