package sales

import "testing"

func TestLineAmounts(t *testing.T) {
	for _, tc := range []struct {
		name, qty, price, disc, tax, cur string
		sub, taxAmt, total               string
	}{
		{"Plain", "3", "9.99", "0", "0.19", "EUR", "29.97", "5.69", "35.66"},
		{"HalfCentRoundsAwayFromZero", "1", "0.125", "0", "0", "EUR", "0.13", "0", "0.13"},
		{"DiscountThenTax", "10", "19.99", "12.5", "0.2", "GBP", "174.91", "34.98", "209.89"},
		{"FractionalQuantity", "2.5", "3.3333", "0", "0.07", "EUR", "8.33", "0.58", "8.91"},
		{"ZeroDecimalCurrency", "3", "333.5", "0", "0.1", "JPY", "1001", "100", "1101"},
		{"ThreeDecimalCurrency", "1", "1.2345", "0", "0.05", "KWD", "1.235", "0.062", "1.297"},
		{"FullDiscount", "4", "50", "100", "0.19", "EUR", "0", "0", "0"},
		{"FreeLine", "5", "0", "0", "0.19", "EUR", "0", "0", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LineAmounts(d(tc.qty), d(tc.price), d(tc.disc), d(tc.tax), tc.cur)
			if !got.Subtotal.Equal(d(tc.sub)) || !got.Tax.Equal(d(tc.taxAmt)) || !got.Total.Equal(d(tc.total)) {
				t.Fatalf("got %s + %s = %s; want %s + %s = %s", got.Subtotal, got.Tax, got.Total, tc.sub, tc.taxAmt, tc.total)
			}
		})
	}
}

func TestDocumentAmountsManyLines(t *testing.T) {
	// 1,000 lines of 0.333 × 1 at 19 %: each line rounds to 0.33 and tax
	// 0.06, so the document is exactly the sum of what its rows show.
	var lines []Amounts
	for range 1000 {
		lines = append(lines, LineAmounts(d("1"), d("0.333"), d("0"), d("0.19"), "EUR"))
	}
	got := DocumentAmounts(lines)
	if !got.Subtotal.Equal(d("330")) || !got.Tax.Equal(d("60")) || !got.Total.Equal(d("390")) {
		t.Fatalf("got %s + %s = %s; want 330 + 60 = 390", got.Subtotal, got.Tax, got.Total)
	}
	if empty := DocumentAmounts(nil); !empty.Total.IsZero() {
		t.Fatalf("no lines total %s", empty.Total)
	}
}
