// Package scalar marshals Salesgraph's custom GraphQL scalars (Decimal, Date,
// DateTime, Currency) in gqlgen's external-marshaler style, so the domain
// types stay free of GraphQL. Bad input is a VALIDATION error; gqlgen adds
// the input path.
package scalar

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// maxDecimalLen bounds a Decimal's text: numeric(18,4) needs far less, and a
// megabyte of digits would otherwise be parsed before validation refuses it.
const maxDecimalLen = 40

// MarshalDecimal writes a decimal as a JSON string, exactly.
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDecimal reads a decimal from a string ("12.50"). JSON numbers are
// refused: a client's float may already have lost the exact value.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	s, ok := v.(string)
	if !ok {
		return decimal.Decimal{}, sales.Errorf(sales.CodeValidation, "", "a Decimal is sent as a string such as \"12.50\"")
	}
	if len(s) == 0 || len(s) > maxDecimalLen || strings.ContainsAny(s, "eE_ ") {
		return decimal.Decimal{}, sales.Errorf(sales.CodeValidation, "", "%q is not a decimal number such as \"12.50\"", truncate(s))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, sales.Errorf(sales.CodeValidation, "", "%q is not a decimal number such as \"12.50\"", truncate(s))
	}
	return d, nil
}

// MarshalDate writes a date as YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
	})
}

// UnmarshalDate reads YYYY-MM-DD.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, sales.Errorf(sales.CodeValidation, "", "a Date is a string such as \"2026-11-28\"")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, sales.Errorf(sales.CodeValidation, "", "%q is not a date such as \"2026-11-28\"", truncate(s))
	}
	return t, nil
}

// MarshalDateTime writes RFC 3339 in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads RFC 3339 with a zone.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, sales.Errorf(sales.CodeValidation, "", "a DateTime is an RFC 3339 string such as \"2026-11-28T09:30:00Z\"")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, sales.Errorf(sales.CodeValidation, "", "%q is not an RFC 3339 time such as \"2026-11-28T09:30:00Z\"", truncate(s))
	}
	return t, nil
}

// MarshalCurrency writes an ISO 4217 code.
func MarshalCurrency(c string) graphql.Marshaler { return graphql.MarshalString(c) }

// UnmarshalCurrency reads an ISO 4217 code we trade in.
func UnmarshalCurrency(v any) (string, error) {
	s, ok := v.(string)
	if !ok || !sales.ValidCurrency(s) {
		return "", sales.Errorf(sales.CodeValidation, "", "%s is not an ISO 4217 currency code we trade in, such as \"EUR\"", truncate(fmt.Sprint(v)))
	}
	return s, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
