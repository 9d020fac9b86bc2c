package scalar

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

func TestDecimal(t *testing.T) {
	for _, ok := range []string{"0", "12.50", "-3", "0.0001", "12345678901234.5678"} {
		d, err := UnmarshalDecimal(ok)
		if err != nil {
			t.Fatalf("UnmarshalDecimal(%q): %v", ok, err)
		}
		var buf bytes.Buffer
		MarshalDecimal(d).MarshalGQL(&buf)
		if want := strconv.Quote(decimal.RequireFromString(ok).String()); buf.String() != want {
			t.Fatalf("round trip of %q = %s, want %s", ok, buf.String(), want)
		}
	}
	for _, bad := range []any{12.5, 12, "", "1e3", "12,50", "abc", " 1", strings.Repeat("9", 41), nil, true} {
		if _, err := UnmarshalDecimal(bad); sales.CodeOf(err) != sales.CodeValidation {
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
	f.Fuzz(func(t *testing.T, s string) {
		d, err := UnmarshalDecimal(s)
		if err != nil {
			if sales.CodeOf(err) != sales.CodeValidation {
				t.Fatalf("UnmarshalDecimal(%q): %v is not VALIDATION", s, err)
			}
			return
		}
		again, err := UnmarshalDecimal(d.String())
		if err != nil || !again.Equal(d) {
			t.Fatalf("%q → %s does not round-trip (%v)", s, d, err)
		}
	})
}
