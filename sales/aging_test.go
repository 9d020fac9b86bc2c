package sales

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestAging(t *testing.T) {
	d := decimal.RequireFromString
	asOf := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
	due := func(daysAgo int) time.Time { return asOf.AddDate(0, 0, -daysAgo).Add(-5 * time.Hour) }
	items := []Receivable{
		{CustomerID: 2, Currency: "EUR", DueDate: due(-5), Open: d("100.10")}, // due in 5 days
		{CustomerID: 2, Currency: "EUR", DueDate: due(0), Open: d("0.01")},    // due today: current
		{CustomerID: 2, Currency: "EUR", DueDate: due(1), Open: d("1.00")},
		{CustomerID: 2, Currency: "EUR", DueDate: due(30), Open: d("30.00")},
		{CustomerID: 2, Currency: "EUR", DueDate: due(31), Open: d("31.00")},
		{CustomerID: 2, Currency: "EUR", DueDate: due(60), Open: d("60.00")},
		{CustomerID: 2, Currency: "EUR", DueDate: due(61), Open: d("61.00")},
		{CustomerID: 2, Currency: "EUR", DueDate: due(90), Open: d("90.00")},
		{CustomerID: 2, Currency: "EUR", DueDate: due(91), Open: d("91.00")},
		{CustomerID: 2, Currency: "EUR", DueDate: due(400), Open: d("5.55"), Disputed: true},
		{CustomerID: 1, Currency: "EUR", DueDate: due(10), Open: d("10.00")},
		{CustomerID: 1, Currency: "JPY", DueDate: due(10), Open: d("15000")},
		{CustomerID: 1, Currency: "EUR", DueDate: due(10), Open: d("0")}, // paid: not listed
	}
	r := Aging(asOf, items)
	want := func(t *testing.T, got AgingBuckets, cur, d30, d60, d90, over, disputed string) {
		t.Helper()
		for _, c := range []struct {
			name      string
			got, want decimal.Decimal
		}{{"current", got.Current, d(cur)}, {"1–30", got.Days1To30, d(d30)}, {"31–60", got.Days31To60, d(d60)},
			{"61–90", got.Days61To90, d(d90)}, {"over 90", got.Over90, d(over)}, {"disputed", got.Disputed, d(disputed)}} {
			if !c.got.Equal(c.want) {
				t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
			}
		}
	}
	if len(r.Customers) != 3 || r.Customers[0].CustomerID != 1 || r.Customers[0].Currency != "EUR" ||
		r.Customers[1].Currency != "JPY" || r.Customers[2].CustomerID != 2 {
		t.Fatalf("customer lines %+v; want customer 1 EUR, 1 JPY, 2 EUR", r.Customers)
	}
	want(t, r.Customers[2].AgingBuckets, "100.11", "31.00", "91.00", "151.00", "91.00", "5.55")
	want(t, r.Customers[0].AgingBuckets, "0", "10.00", "0", "0", "0", "0")
	if len(r.Totals) != 2 || r.Totals[0].Currency != "EUR" || r.Totals[1].Currency != "JPY" {
		t.Fatalf("totals %+v; want EUR then JPY, never added together", r.Totals)
	}
	want(t, r.Totals[0].AgingBuckets, "100.11", "41.00", "91.00", "151.00", "91.00", "5.55")
	want(t, r.Totals[1].AgingBuckets, "0", "15000", "0", "0", "0", "0")
	// Each currency's total equals the sum of its open balances to the cent.
	sums := map[string]decimal.Decimal{}
	for _, it := range items {
		sums[it.Currency] = sums[it.Currency].Add(it.Open)
	}
	for _, tot := range r.Totals {
		if !tot.Total().Equal(sums[tot.Currency]) {
			t.Errorf("%s total %s, open balances add up to %s", tot.Currency, tot.Total(), sums[tot.Currency])
		}
	}
}
