package scalar

import (
	"bytes"
	"context"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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

// appendQuotedDecimal writes what decimal's own text gives, quoted: String
// for a quantity, atScale for money; and Money picks the scale the rounding
// search picks. Every sign, exponent and length of coefficient, past int64
// included.
func TestDecimalTextMatchesDecimalPackage(t *testing.T) {
	coefs := []string{"0", "1", "5", "10", "100", "12345", "120", "1000000", "999999999999999999", "100000000000000000",
		"1234567890123456789", "99999999999999999999999", "100000000000000000000000"}
	var cases []decimal.Decimal
	for _, c := range coefs {
		for _, sign := range []string{"", "-"} {
			v, _ := new(big.Int).SetString(sign+c, 10)
			for exp := int32(-22); exp <= 4; exp++ {
				cases = append(cases, decimal.NewFromBigInt(v, exp))
			}
		}
	}
	cases = append(cases, decimal.Decimal{}, decimal.RequireFromString("22.80"), decimal.RequireFromString("-0.0500"))
	oldMoney := func(amount decimal.Decimal, currency string) decimal.Decimal {
		places := sales.MinorUnits(currency)
		for !amount.Equal(amount.Round(places)) {
			places++
		}
		return amount.Round(places)
	}
	for _, d := range cases {
		if got, want := string(appendQuotedDecimal(nil, d, false)), strconv.Quote(d.String()); got != want {
			t.Errorf("quantity %s (exp %d) = %s, want %s", d, d.Exponent(), got, want)
		}
		if got, want := string(appendQuotedDecimal(nil, d, true)), strconv.Quote(atScale(d)); got != want {
			t.Errorf("money %s (exp %d) = %s, want %s", d, d.Exponent(), got, want)
		}
		for _, cur := range []string{"EUR", "JPY", "KWD"} {
			got, want := Money(d, cur), oldMoney(d, cur)
			if !got.Equal(want) || got.Exponent() != want.Exponent() {
				t.Errorf("Money(%s (exp %d), %s) = %s (exp %d), want %s (exp %d)", d, d.Exponent(), cur, got, got.Exponent(), want, want.Exponent())
			}
		}
	}
}

func TestIsMoneyField(t *testing.T) {
	if !IsMoneyField("OrderLine", "total") || IsMoneyField("OrderLine", "quantity") || IsMoneyField("Order", "Line.total") {
		t.Fatal("IsMoneyField does not name the money fields by type and field")
	}
	// Named "Type.field", every one, sorted (which comes first changes as types are added).
	if f := MoneyFields(); len(f) != len(moneyFields) || !slices.Contains(f, "Customer.creditLimit") || !slices.IsSorted(f) {
		t.Fatalf("MoneyFields() = %v", f)
	}
}

// A money field and a quantity are written without building strings.
func TestMarshalDecimalAllocations(t *testing.T) {
	d := decimal.RequireFromString("1234.5600")
	var buf bytes.Buffer
	buf.Grow(1024)
	allocs := testing.AllocsPerRun(100, func() {
		buf.Reset()
		_, _ = buf.Write(appendQuotedDecimal(make([]byte, 0, decimalBuf), d, true))
		_, _ = buf.Write(appendQuotedDecimal(make([]byte, 0, decimalBuf), d, false))
	})
	if allocs > 0 {
		t.Fatalf("%v allocations to write two decimals", allocs)
	}
	if buf.String() != `"1234.5600""1234.56"` {
		t.Fatalf("wrote %s", buf.String())
	}
}

func TestMarshalDates(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	for _, tm := range []time.Time{
		time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC),
		time.Date(2026, 11, 28, 0, 30, 0, 123456789, berlin),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(12026, 1, 2, 3, 4, 5, 6, time.UTC),
	} {
		var date, dateTime bytes.Buffer
		MarshalDate(tm).MarshalGQL(&date)
		MarshalDateTime(tm).MarshalGQL(&dateTime)
		if want := strconv.Quote(tm.Format(time.DateOnly)); date.String() != want {
			t.Errorf("Date %v = %s, want %s", tm, date.String(), want)
		}
		if want := strconv.Quote(tm.UTC().Format(time.RFC3339Nano)); dateTime.String() != want {
			t.Errorf("DateTime %v = %s, want %s", tm, dateTime.String(), want)
		}
	}
}
