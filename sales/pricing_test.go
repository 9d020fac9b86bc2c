package sales

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestChoosePrice(t *testing.T) {
	own := &PriceCandidate{List: &PriceList{ID: 1, Code: "OWN", Currency: "EUR", ValidTo: day("2026-12-31")}, Items: []*PriceListItem{
		{ID: 11, MinQuantity: d("1"), UnitPrice: d("8")},
		{ID: 12, MinQuantity: d("10"), UnitPrice: d("7")},
		{ID: 13, MinQuantity: d("100"), UnitPrice: d("6"), ValidFrom: day("2026-07-01")},
	}}
	std := &PriceCandidate{List: &PriceList{ID: 2, Code: "STD", Currency: "EUR", IsDefault: true}, Items: []*PriceListItem{
		{ID: 21, MinQuantity: d("1"), UnitPrice: d("10")},
		{ID: 22, MinQuantity: d("5"), UnitPrice: d("9"), ValidTo: day("2026-03-31")},
	}}
	eur := &Customer{Code: "C1", Currency: "EUR"}
	usd := &Customer{Code: "C2", Currency: "USD"}
	for _, tc := range []struct {
		name       string
		customer   *Customer
		own, std   *PriceCandidate
		qty, date  string
		wantItem   int64
		wantSource PriceSource
		wantCode   Code
	}{
		{"OwnListFirstBreak", eur, own, std, "1", "2026-11-01", 11, PriceFromCustomerList, ""},
		{"OwnListBreakAtExactMinimum", eur, own, std, "10", "2026-11-01", 12, PriceFromCustomerList, ""},
		{"HighestBreakNotAboveQuantity", eur, own, std, "150", "2026-11-01", 13, PriceFromCustomerList, ""},
		{"BreakNotYetValid", eur, own, std, "150", "2026-06-30", 12, PriceFromCustomerList, ""},
		{"OwnListExpiredFallsBack", eur, own, std, "7", "2027-01-01", 21, PriceFromDefaultList, ""},
		{"DefaultBreakExpired", eur, nil, std, "7", "2026-04-01", 21, PriceFromDefaultList, ""},
		{"DefaultBreakValid", eur, nil, std, "7", "2026-03-31", 22, PriceFromDefaultList, ""},
		{"OtherCurrencyIgnored", usd, own, std, "1", "2026-11-01", 0, "", CodeNoPrice},
		{"NoLists", eur, nil, nil, "1", "2026-11-01", 0, "", CodeNoPrice},
		{"QuantityBelowEveryBreak", eur, own, nil, "0.5", "2026-11-01", 0, "", CodeNoPrice},
		{"ZeroQuantity", eur, own, std, "0", "2026-11-01", 0, "", CodeValidation},
		{"NegativeQuantity", eur, own, std, "-1", "2026-11-01", 0, "", CodeValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ChoosePrice(tc.customer, tc.own, tc.std, d(tc.qty), *day(tc.date))
			if tc.wantCode != "" {
				if CodeOf(err) != tc.wantCode {
					t.Fatalf("err = %v, want code %s", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Item.ID != tc.wantItem || q.Source != tc.wantSource || !q.UnitPrice.Equal(q.Item.UnitPrice) {
				t.Fatalf("chose item %d from %s, want %d from %s", q.Item.ID, q.Source, tc.wantItem, tc.wantSource)
			}
		})
	}
}
