// Package scalar marshals Salesgraph's custom GraphQL scalars (Decimal, Date,
// DateTime, Currency) in gqlgen's external-marshaler style, so the domain
// types stay free of GraphQL. Bad input is a VALIDATION error; gqlgen adds
// the input path.
package scalar

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
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

// MarshalDecimal writes a decimal as a JSON string, exactly. A quantity or a
// rate drops its trailing zeros ("10", "0.19"); an amount of money, a field
// IsMoneyField names, keeps every decimal of the scale its resolver gave it
// with Money ("22.80", "15000", "1.250"). The field comes from the context,
// hence a ContextMarshaler.
func MarshalDecimal(d decimal.Decimal) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(ctx context.Context, w io.Writer) error {
		s := d.String()
		if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil && IsMoneyField(fc.Object, fc.Field.Name) {
			s = atScale(d)
		}
		_, _ = io.WriteString(w, strconv.Quote(s))
		return nil
	})
}

// UnmarshalDecimal reads a decimal from a string ("12.50"). JSON numbers are
// refused: a client's float may already have lost the exact value. (It takes
// a context only because MarshalDecimal does.)
func UnmarshalDecimal(_ context.Context, v any) (decimal.Decimal, error) {
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

// moneyFields are the output fields ("Type.field") whose Decimal is an amount
// of money. The currency lives on the object, or on the quote, order or price
// list above it, so each has a resolver that returns the amount through Money
// (graph/money.go); graph's TestMoney_EveryDecimalFieldIsClassified checks
// that every Decimal field is here or declared a quantity or rate.
var moneyFields = map[string]bool{
	"Customer.creditLimit":    true,
	"PriceListItem.unitPrice": true,
	"PriceQuote.unitPrice":    true,
	"Quote.subtotal":          true,
	"Quote.taxTotal":          true,
	"Quote.total":             true,
	"QuoteLine.unitPrice":     true,
	"QuoteLine.listPrice":     true,
	"QuoteLine.subtotal":      true,
	"QuoteLine.tax":           true,
	"QuoteLine.total":         true,
	"SalesOrder.subtotal":     true,
	"SalesOrder.taxTotal":     true,
	"SalesOrder.total":        true,
	"OrderLine.unitPrice":     true,
	"OrderLine.subtotal":      true,
	"OrderLine.tax":           true,
	"OrderLine.total":         true,
}

// IsMoneyField reports whether the Decimal field of a GraphQL object type is
// an amount of money.
func IsMoneyField(object, field string) bool { return moneyFields[object+"."+field] }

// MoneyFields lists the money fields as "Type.field", sorted.
func MoneyFields() []string {
	return slices.Sorted(maps.Keys(moneyFields))
}

// Money is amount at the scale it is shown at in currency: the currency's
// minor units ("22.80" EUR, "15000" JPY, "1.250" KWD), or more decimals
// where the amount has significant digits beyond them (a unit price of
// 1.2345 EUR). Only the scale changes, never the value.
func Money(amount decimal.Decimal, currency string) decimal.Decimal {
	places := sales.MinorUnits(currency)
	for !amount.Equal(amount.Round(places)) {
		places++
	}
	return amount.Round(places)
}

// FormatMoney writes amount as a money field shows it in currency, for text
// such as a price's explanation.
func FormatMoney(amount decimal.Decimal, currency string) string {
	return atScale(Money(amount, currency))
}

// atScale writes d with every decimal its exponent holds, trailing zeros
// included (decimal's String drops them).
func atScale(d decimal.Decimal) string {
	if d.Exponent() < 0 {
		return d.StringFixed(-d.Exponent())
	}
	return d.String()
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
