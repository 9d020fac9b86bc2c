package sales

import (
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestPlanAllocation(t *testing.T) {
	d := decimal.RequireFromString
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	open := []OpenInvoice{
		{ID: 3, Number: "INV-3", Currency: "EUR", DueDate: day("2026-03-01"), Open: d("50.00")},
		{ID: 1, Number: "INV-1", Currency: "EUR", DueDate: day("2026-02-01"), Open: d("30.00")},
		{ID: 2, Number: "INV-2", Currency: "EUR", DueDate: day("2026-02-01"), Open: d("20.00")},
		{ID: 4, Number: "INV-4", Currency: "USD", DueDate: day("2026-01-01"), Open: d("99.00")},
		{ID: 5, Number: "INV-5", Currency: "EUR", DueDate: day("2025-12-01"), Open: d("0")},
	}
	eur := func(amount string) MoneyToAllocate { return MoneyToAllocate{Currency: "EUR", Unallocated: d(amount)} }
	alloc := func(pairs ...any) []Allocation {
		out := []Allocation{}
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, Allocation{InvoiceID: int64(pairs[i].(int)), Amount: d(pairs[i+1].(string))})
		}
		return out
	}
	same := func(a, b []Allocation) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i].InvoiceID != b[i].InvoiceID || !a[i].Amount.Equal(b[i].Amount) {
				return false
			}
		}
		return true
	}
	t.Run("Auto", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			money MoneyToAllocate
			want  []Allocation
		}{
			// Oldest due first, ties by id; the paid and the USD invoices are skipped.
			{"covers two and part of a third", eur("60.00"), alloc(1, "30.00", 2, "20.00", 3, "10.00")},
			{"more than everything open", eur("500"), alloc(1, "30.00", 2, "20.00", 3, "50.00")},
			{"less than the oldest", eur("12.34"), alloc(1, "12.34")},
			{"nothing to allocate", eur("0"), alloc()},
			{"no invoice in the currency", MoneyToAllocate{Currency: "GBP", Unallocated: d("10")}, alloc()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := PlanAllocation(tc.money, open, nil)
				if err != nil || !same(got, tc.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tc.want)
				}
			})
		}
	})
	t.Run("Requested", func(t *testing.T) {
		for _, tc := range []struct {
			name     string
			money    MoneyToAllocate
			requests []AllocationInput
			want     []Allocation
			field    string
		}{
			{"as asked", eur("100"), []AllocationInput{{3, d("50.00")}, {1, d("10")}}, alloc(3, "50.00", 1, "10"), ""},
			{"the whole open amount", eur("30"), []AllocationInput{{1, d("30.00")}}, alloc(1, "30"), ""},
			{"more than the invoice has open", eur("100"), []AllocationInput{{1, d("30.01")}}, nil, "input.allocations.0.amount"},
			{"two requests passing one invoice", eur("100"), []AllocationInput{{1, d("20")}, {1, d("10.01")}}, nil, "input.allocations.1.amount"},
			{"more than the money", eur("40"), []AllocationInput{{1, d("30")}, {2, d("10.01")}}, nil, "input.allocations"},
			{"another currency's invoice", eur("100"), []AllocationInput{{4, d("1")}}, nil, "input.allocations.0.invoiceId"},
			{"a paid invoice", eur("100"), []AllocationInput{{5, d("1")}}, nil, "input.allocations.0.invoiceId"},
			{"an unknown invoice", eur("100"), []AllocationInput{{99, d("1")}}, nil, "input.allocations.0.invoiceId"},
			{"zero", eur("100"), []AllocationInput{{1, d("0")}}, nil, "input.allocations.0.amount"},
			{"negative", eur("100"), []AllocationInput{{1, d("-1")}}, nil, "input.allocations.0.amount"},
			{"a tenth of a cent", eur("100"), []AllocationInput{{1, d("0.001")}}, nil, "input.allocations.0.amount"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := PlanAllocation(tc.money, open, tc.requests)
				if tc.field == "" {
					if err != nil || !same(got, tc.want) {
						t.Fatalf("got %v, %v; want %v", got, err, tc.want)
					}
					return
				}
				e, ok := AsError(err)
				if !ok || e.Code != CodeValidation || e.Field != tc.field {
					t.Fatalf("got %v, %v; want VALIDATION on %s", got, err, tc.field)
				}
			})
		}
	})
	// The decision never changes what it was given.
	before := append([]OpenInvoice(nil), open...)
	if _, err := PlanAllocation(eur("60"), open, nil); err != nil || !reflect.DeepEqual(before, open) {
		t.Fatalf("the open invoices changed: %v", err)
	}
}
