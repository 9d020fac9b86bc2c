// Package scalar marshals Salesgraph's custom GraphQL scalars (Decimal, Date,
// DateTime, Currency) in gqlgen's external-marshaler style, so the domain
// types stay free of GraphQL. Bad input is a VALIDATION error; gqlgen adds
// the input path.
package scalar

import (
	"context"
	"fmt"
	"io"
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
// hence a ContextMarshaler. A page writes thousands of these, so the text is
// built in one buffer (appendDecimal) rather than as strings.
func MarshalDecimal(d decimal.Decimal) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(ctx context.Context, w io.Writer) error {
		keepScale := false
		if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil && IsMoneyField(fc.Object, fc.Field.Name) {
			keepScale = true
		}
		var buf [decimalBuf]byte
		_, _ = w.Write(appendQuotedDecimal(buf[:0], d, keepScale))
		return nil
	})
}

// decimalBuf holds any numeric(18,4) and most computed decimals.
const decimalBuf = 48

// appendQuotedDecimal appends d as a JSON string: with every decimal its
// exponent holds when keepScale (atScale), else without trailing zeros
// (decimal's String). A coefficient of up to 18 digits is written from an
// int64, without allocating; a larger one through decimal's own text.
func appendQuotedDecimal(dst []byte, d decimal.Decimal, keepScale bool) []byte {
	dst = append(dst, '"')
	if d.NumDigits() > 18 || !decimal.TrimTrailingZeros || decimal.UseScientificNotation {
		s := d.String()
		if keepScale {
			s = atScale(d)
		}
		return append(append(dst, s...), '"')
	}
	coef, exp := d.CoefficientInt64(), int(d.Exponent())
	if coef < 0 {
		dst = append(dst, '-')
		coef = -coef // at most 18 digits: no overflow
	}
	var digits [20]byte
	str := strconv.AppendInt(digits[:0], coef, 10)
	if exp >= 0 {
		dst = append(dst, str...)
		if coef != 0 {
			for range exp {
				dst = append(dst, '0')
			}
		}
		return append(dst, '"')
	}
	places := -exp
	if len(str) > places {
		dst = append(dst, str[:len(str)-places]...)
	} else {
		dst = append(dst, '0')
	}
	point := len(dst)
	dst = append(dst, '.')
	for range places - len(str) {
		dst = append(dst, '0')
	}
	dst = append(dst, str[max(len(str)-places, 0):]...)
	if !keepScale {
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if len(dst)-1 == point {
			dst = dst[:point]
		}
	}
	return append(dst, '"')
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

// moneyFields are the output fields (Type, field) whose Decimal is an
// amount of money. The currency lives on the object, or on the quote, order
// or price list above it, so each has a resolver that returns the amount
// through Money (graph/money.go); graph's
// TestMoney_EveryDecimalFieldIsClassified checks that every Decimal field is
// here or declared a quantity or rate.
var moneyFields = map[moneyField]bool{
	{"Customer", "creditLimit"}:    true,
	{"PriceListItem", "unitPrice"}: true,
	{"PriceQuote", "unitPrice"}:    true,
	{"Quote", "subtotal"}:          true,
	{"Quote", "taxTotal"}:          true,
	{"Quote", "total"}:             true,
	{"QuoteLine", "unitPrice"}:     true,
	{"QuoteLine", "listPrice"}:     true,
	{"QuoteLine", "subtotal"}:      true,
	{"QuoteLine", "tax"}:           true,
	{"QuoteLine", "total"}:         true,
	{"SalesOrder", "subtotal"}:     true,
	{"SalesOrder", "taxTotal"}:     true,
	{"SalesOrder", "total"}:        true,
	{"OrderLine", "unitPrice"}:     true,
	{"OrderLine", "listPrice"}:     true,
	{"OrderLine", "subtotal"}:      true,
	{"OrderLine", "tax"}:           true,
	{"OrderLine", "total"}:         true,
	{"Invoice", "subtotal"}:        true,
	{"Invoice", "taxTotal"}:        true,
	{"Invoice", "total"}:           true,
	{"Invoice", "paidAmount"}:      true,
	{"Invoice", "balance"}:         true,
	{"InvoiceLine", "unitPrice"}:   true,
	{"InvoiceLine", "subtotal"}:    true,
	{"InvoiceLine", "tax"}:         true,
	{"InvoiceLine", "total"}:       true,
	// Credit control (credit.graphqls): a decision's and a customer's exposure.
	{"CreditDecision", "creditLimit"}:       true,
	{"CreditDecision", "openInvoices"}:      true,
	{"CreditDecision", "uninvoicedOrders"}:  true,
	{"CreditDecision", "unallocatedCredit"}: true,
	{"CreditDecision", "exposure"}:          true,
	{"CreditDecision", "availableCredit"}:   true,
	{"CreditDecision", "orderValue"}:        true,
	{"CreditExposure", "openInvoices"}:      true,
	{"CreditExposure", "uninvoicedOrders"}:  true,
	{"CreditExposure", "unallocatedCredit"}: true,
	{"CreditExposure", "exposure"}:          true,
	{"CreditExposure", "creditLimit"}:       true,
	{"CreditExposure", "availableCredit"}:   true,

	// The payment's, and the deposit an order requires.
	{"Payment", "amount"}:             true,
	{"Payment", "allocatedAmount"}:    true,
	{"Payment", "refundedAmount"}:     true,
	{"Payment", "unallocatedAmount"}:  true,
	{"PaymentAllocation", "amount"}:   true,
	{"SalesOrder", "depositAmount"}:   true,
	{"SalesOrder", "depositRequired"}: true,
	// A credit note's allocation (its credit note's currency).
	{"CreditAllocation", "amount"}: true,

	// Reports (reports.graphqls): the aging's lines, a customer's balance and statement.
	{"AgingLine", "current"}:                      true,
	{"AgingLine", "days1To30"}:                    true,
	{"AgingLine", "days31To60"}:                   true,
	{"AgingLine", "days61To90"}:                   true,
	{"AgingLine", "over90"}:                       true,
	{"AgingLine", "disputed"}:                     true,
	{"AgingLine", "total"}:                        true,
	{"AgingLine", "unappliedCredit"}:              true,
	{"AgingLine", "net"}:                          true,
	{"DashboardCurrencyLine", "ordersTodayValue"}: true,
	{"DashboardCurrencyLine", "onHoldValue"}:      true,
	{"DashboardCurrencyLine", "backlogValue"}:     true,
	{"Customer", "balance"}:                       true,
	{"CustomerStatement", "openingBalance"}:       true,
	{"CustomerStatement", "closingBalance"}:       true,
	{"StatementLine", "debit"}:                    true,
	{"StatementLine", "credit"}:                   true,
	{"StatementLine", "balance"}:                  true,

	// The dispute's (disputes.graphqls) and the write-off's.
	{"Dispute", "disputedAmount"}: true,
	{"DisputeLine", "amount"}:     true,
	{"WriteOff", "amount"}:        true,
}

// moneyField is a key of moneyFields: a pair, so that a lookup builds no string.
type moneyField struct{ object, field string }

// IsMoneyField reports whether the Decimal field of a GraphQL object type is
// an amount of money.
func IsMoneyField(object, field string) bool { return moneyFields[moneyField{object, field}] }

// MoneyFields lists the money fields as "Type.field", sorted.
func MoneyFields() []string {
	out := make([]string, 0, len(moneyFields))
	for f := range moneyFields {
		out = append(out, f.object+"."+f.field)
	}
	slices.Sort(out)
	return out
}

// Money is amount at the scale it is shown at in currency: the currency's
// minor units ("22.80" EUR, "15000" JPY, "1.250" KWD), or more decimals
// where the amount has significant digits beyond them (a unit price of
// 1.2345 EUR). Only the scale changes, never the value.
func Money(amount decimal.Decimal, currency string) decimal.Decimal {
	places := max(sales.MinorUnits(currency), significantPlaces(amount))
	shift := places + amount.Exponent() // decimals to add (> 0) or drop (< 0, all zeros)
	if shift == 0 {
		return amount
	}
	// Most amounts fit an int64 (numeric(18,4)): rescale the coefficient
	// there rather than through big.Int's division.
	if n := amount.NumDigits(); n <= 18 && n+int(shift) <= 18 {
		coef := amount.CoefficientInt64()
		for ; shift < 0; shift++ {
			coef /= 10
		}
		for ; shift > 0; shift-- {
			coef *= 10
		}
		return decimal.New(coef, -places)
	}
	return amount.Round(places) // exact: no significant digit is past places
}

// significantPlaces is how many decimals amount needs: its exponent's, less
// the trailing zeros of its coefficient.
func significantPlaces(amount decimal.Decimal) int32 {
	places := -amount.Exponent()
	if places <= 0 {
		return 0
	}
	if amount.NumDigits() > 18 {
		// Rare: find it by rounding, which allocates.
		p := int32(0)
		for !amount.Equal(amount.Round(p)) {
			p++
		}
		return p
	}
	coef := amount.CoefficientInt64()
	if coef == 0 {
		return 0
	}
	for places > 0 && coef%10 == 0 {
		coef /= 10
		places--
	}
	return places
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
		var buf [16]byte
		_, _ = w.Write(append(t.AppendFormat(append(buf[:0], '"'), time.DateOnly), '"')) // digits and dashes: nothing to escape
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
		var buf [48]byte
		_, _ = w.Write(append(t.UTC().AppendFormat(append(buf[:0], '"'), time.RFC3339Nano), '"')) // nothing to escape
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
