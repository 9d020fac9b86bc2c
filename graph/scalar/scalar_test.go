package scalar

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

func TestDecimal(t *testing.T) {
	ctx := context.Background()
	for _, ok := range []string{"0", "12.50", "-3", "0.0001", "12345678901234.5678"} {
		d, err := UnmarshalDecimal(ctx, ok)
		if err != nil {
			t.Fatalf("UnmarshalDecimal(%q): %v", ok, err)
		}
		var buf bytes.Buffer
		if err := MarshalDecimal(d).MarshalGQLContext(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		if want := strconv.Quote(decimal.RequireFromString(ok).String()); buf.String() != want {
			t.Fatalf("round trip of %q = %s, want %s", ok, buf.String(), want)
		}
	}
	for _, bad := range []any{12.5, 12, "", "1e3", "12,50", "abc", " 1", strings.Repeat("9", 41), nil, true} {
		if _, err := UnmarshalDecimal(ctx, bad); sales.CodeOf(err) != sales.CodeValidation {
			t.Errorf("UnmarshalDecimal(%#v) = %v, want VALIDATION", bad, err)
		}
	}
}

func TestDatesAndCurrency(t *testing.T) {
	if _, err := UnmarshalDate("2026-02-29"); err == nil {
		t.Error("2026-02-29 is not a date")
	}
	if d, err := UnmarshalDate("2028-02-29"); err != nil || d.Day() != 29 {
		t.Errorf("leap day: %v %v", d, err)
	}
	if _, err := UnmarshalDateTime("2026-11-28T09:30:00"); err == nil {
		t.Error("a DateTime without a zone is ambiguous and must be refused")
	}
	if _, err := UnmarshalCurrency("eur"); err == nil {
		t.Error("lower-case currency accepted")
	}
	if c, err := UnmarshalCurrency("JPY"); err != nil || c != "JPY" {
		t.Errorf("JPY: %v %v", c, err)
	}
}

// FuzzUnmarshalDecimal: any string is a VALIDATION error or a decimal that
// prints back to the same value; never a panic, never a float.
func FuzzUnmarshalDecimal(f *testing.F) {
	for _, s := range []string{"1", "-0.5", "1e9", "0x10", "NaN", "Infinity", "١٢", "9999999999999999999999999999999999999999"} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDecimal(ctx, s)
		if err != nil {
			if sales.CodeOf(err) != sales.CodeValidation {
				t.Fatalf("UnmarshalDecimal(%q): %v is not VALIDATION", s, err)
			}
			return
		}
		again, err := UnmarshalDecimal(ctx, d.String())
		if err != nil || !again.Equal(d) {
			t.Fatalf("%q → %s does not round-trip (%v)", s, d, err)
		}
	})
}

// TestMoney: an amount gets the currency's minor units, a finer amount keeps
// its digits, and the value never changes.
func TestMoney(t *testing.T) {
	for _, tc := range []struct{ amount, currency, want string }{
		{"22.8", "EUR", "22.80"},
		{"22.800", "EUR", "22.80"},
		{"15000", "EUR", "15000.00"},
		{"15000.000", "JPY", "15000"},
		{"1500.5", "JPY", "1500.5"},
		{"1.25", "KWD", "1.250"},
		{"0", "KWD", "0.000"},
		{"1.2345", "EUR", "1.2345"},
		{"1.2000", "EUR", "1.20"},
		{"-3.1", "USD", "-3.10"},
	} {
		d := decimal.RequireFromString(tc.amount)
		if got := FormatMoney(d, tc.currency); got != tc.want {
			t.Errorf("FormatMoney(%s, %s) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
		if m := Money(d, tc.currency); !m.Equal(d) {
			t.Errorf("Money(%s, %s) = %s changed the value", tc.amount, tc.currency, m)
		}
	}
}
