package graph

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"salesgraph/sales"
)

func TestErrorPresenter(t *testing.T) {
	var logs bytes.Buffer
	present := ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := WithRequestID(context.Background(), "req-42")

	t.Run("DomainErrorKeepsCodeAndField", func(t *testing.T) {
		err := fmt.Errorf("Customers.Create: %w", sales.Errorf(sales.CodeConflict, "input.code", "a customer with this code already exists"))
		got := present(ctx, err)
		if got.Message != "a customer with this code already exists" || got.Extensions["code"] != "CONFLICT" || got.Extensions["field"] != "input.code" {
			t.Fatalf("presented %+v", got)
		}
	})
	t.Run("DriverErrorIsHidden", func(t *testing.T) {
		logs.Reset()
		err := fmt.Errorf("Customers.List: %w", &pq.Error{Code: "42601", Message: `syntax error at or near "SELEC"`, Table: "customers"})
		got := present(ctx, err)
		if got.Message != "internal error" || got.Extensions["code"] != "INTERNAL" || got.Extensions["requestId"] != "req-42" {
			t.Fatalf("presented %+v", got)
		}
		if !strings.Contains(logs.String(), "SELEC") || !strings.Contains(logs.String(), "req-42") {
			t.Fatalf("the cause should be logged with the request id: %s", logs.String())
		}
	})
	t.Run("PlainErrorIsHidden", func(t *testing.T) {
		got := present(ctx, errors.New("open /etc/secret: permission denied"))
		if got.Message != "internal error" || got.Extensions["code"] != "INTERNAL" {
			t.Fatalf("presented %+v", got)
		}
	})
	t.Run("WrappedInGqlerror", func(t *testing.T) {
		got := present(ctx, gqlerror.WrapPath(nil, errors.New("pq: duplicate key value violates unique constraint")))
		if got.Message != "internal error" {
			t.Fatalf("presented %+v", got)
		}
	})
	t.Run("ComplexityRenamed", func(t *testing.T) {
		e := &gqlerror.Error{Message: "operation has complexity 9000, which exceeds the limit of 5000",
			Extensions: map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"}}
		if got := present(ctx, e); got.Extensions["code"] != "QUERY_TOO_COMPLEX" {
			t.Fatalf("presented %+v", got)
		}
	})
	// Reads return raw driver errors; the presenter still tells a database
	// that is down or slow from a bug, and never shows the driver's text.
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"ShuttingDown", &pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}, "UNAVAILABLE"},
		{"StartingUp", &pq.Error{Code: "57P03", Message: "the database system is starting up"}, "UNAVAILABLE"},
		{"ConnectionFailure", &pq.Error{Code: "08006", Message: "connection failure"}, "UNAVAILABLE"},
		{"Refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, "UNAVAILABLE"},
		{"BadConn", driver.ErrBadConn, "UNAVAILABLE"},
		{"StatementTimeout", &pq.Error{Code: "57014", Message: "canceling statement due to statement timeout"}, "TIMEOUT"},
		{"NumericOverflow", &pq.Error{Code: "22003", Message: "numeric field overflow"}, "VALIDATION"},
		{"NUL", &pq.Error{Code: "22P05", Message: "unsupported Unicode escape sequence"}, "VALIDATION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := present(ctx, gqlerror.WrapPath(ast.Path{ast.PathName("customers")}, fmt.Errorf("Customers.List: %w", tc.err)))
			if got.Extensions["code"] != tc.code {
				t.Fatalf("presented %+v, want %s", got, tc.code)
			}
			for _, leak := range []string{"pq:", "administrator", "statement timeout", "dial", "overflow", "driver"} {
				if strings.Contains(got.Message, leak) {
					t.Fatalf("message leaks %q: %q", leak, got.Message)
				}
			}
		})
	}
	t.Run("PanicBecomesInternal", func(t *testing.T) {
		logs.Reset()
		err := Recover(slog.New(slog.NewTextHandler(&logs, nil)))(ctx, "boom: index out of range")
		got := present(ctx, err)
		if got.Message != "internal error" || strings.Contains(got.Message, "boom") {
			t.Fatalf("presented %+v", got)
		}
		if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "goroutine") {
			t.Fatalf("the panic and its stack should be logged: %s", logs.String())
		}
	})
}
