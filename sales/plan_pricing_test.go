package sales

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestCheckLineInputs(t *testing.T) {
	one := LineInput{ProductID: 1, Quantity: d("1")}
	many := make([]LineInput, 501)
	for i := range many {
		many[i] = one
	}
	price := d("-1")
	for _, tc := range []struct {
		name  string
		lines []LineInput
		code  Code
		field string
	}{
		{"one line", []LineInput{one}, "", ""},
		{"no lines", nil, CodeValidation, "input.lines"},
		{"501 lines", many, CodeValidation, "input.lines"},
		{"zero quantity", []LineInput{one, {ProductID: 1, Quantity: d("0")}}, CodeValidation, "input.lines.1.quantity"},
		{"negative price", []LineInput{{ProductID: 1, Quantity: d("1"), UnitPrice: &price}}, CodeValidation, "input.lines.0.unitPrice"},
		{"long reason", []LineInput{{ProductID: 1, Quantity: d("1"), PriceOverrideReason: strings.Repeat("x", 501)}}, CodeValidation, "input.lines.0.priceOverrideReason"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkErr(t, CheckLineInputs(tc.lines, "input.lines"), tc.code, tc.field) })
	}
}

func TestPriceLines(t *testing.T) {
	products := map[int64]*Product{
		1: {ID: 1, SKU: "BOLT", TaxRate: d("0.2"), Active: true},
		2: {ID: 2, SKU: "NUT", TaxRate: d("0.2"), Active: true},
		3: {ID: 3, SKU: "OLD", TaxRate: d("0.2"), Active: false},
	}
	list := func(s string) *decimal.Decimal { v := d(s); return &v }
	price := func(s string) *decimal.Decimal { return list(s) }
	for _, tc := range []struct {
		name      string
		lines     []LineInput
		lists     []*decimal.Decimal
		code      Code
		field     string
		wantPrice []string
		wantTotal string
	}{
		{name: "list price taken", lines: []LineInput{{ProductID: 1, Quantity: d("3")}}, lists: []*decimal.Decimal{list("10")},
			wantPrice: []string{"10"}, wantTotal: "36"},
		{name: "list price given back needs no reason", lines: []LineInput{{ProductID: 1, Quantity: d("1"), UnitPrice: price("10")}},
			lists: []*decimal.Decimal{list("10")}, wantPrice: []string{"10"}, wantTotal: "12"},
		{name: "override with a reason", lines: []LineInput{{ProductID: 1, Quantity: d("1"), UnitPrice: price("8"), PriceOverrideReason: " deal "}},
			lists: []*decimal.Decimal{list("10")}, wantPrice: []string{"8"}, wantTotal: "9.6"},
		{name: "override without a reason", lines: []LineInput{{ProductID: 1, Quantity: d("1")}, {ProductID: 2, Quantity: d("1"), UnitPrice: price("8"), PriceOverrideReason: "  "}},
			lists: []*decimal.Decimal{list("10"), list("10")}, code: CodeValidation, field: "input.lines.1.priceOverrideReason"},
		{name: "no list price and a given price needs a reason", lines: []LineInput{{ProductID: 1, Quantity: d("1"), UnitPrice: price("8")}},
			lists: []*decimal.Decimal{nil}, code: CodeValidation, field: "input.lines.0.priceOverrideReason"},
		{name: "no list price, given price and reason", lines: []LineInput{{ProductID: 1, Quantity: d("1"), UnitPrice: price("8"), PriceOverrideReason: "new item"}},
			lists: []*decimal.Decimal{nil}, wantPrice: []string{"8"}, wantTotal: "9.6"},
		{name: "no list price and no unit price", lines: []LineInput{{ProductID: 2, Quantity: d("1")}},
			lists: []*decimal.Decimal{nil}, code: CodeNoPrice, field: "input.lines.0.unitPrice"},
		{name: "unknown product", lines: []LineInput{{ProductID: 9, Quantity: d("1")}}, lists: []*decimal.Decimal{nil},
			code: CodeNotFound, field: "input.lines.0.productId"},
		{name: "product no longer sold", lines: []LineInput{{ProductID: 3, Quantity: d("1")}}, lists: []*decimal.Decimal{list("1")},
			code: CodeValidation, field: "input.lines.0.productId"},
		{name: "line total too large", lines: []LineInput{{ProductID: 1, Quantity: d("900000000000000")}}, lists: []*decimal.Decimal{list("1")},
			code: CodeValidation, field: "input.lines.0"},
		{name: "document total too large", lines: []LineInput{{ProductID: 1, Quantity: d("500000000000000")}, {ProductID: 2, Quantity: d("500000000000000")}},
			lists: []*decimal.Decimal{list("1"), list("1")}, code: CodeValidation, field: "input.lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines, total, err := PriceLines(tc.lines, PriceBook{Products: products, ListPrices: tc.lists}, "EUR", "input.lines")
			checkErr(t, err, tc.code, tc.field)
			if tc.code != "" {
				return
			}
			for i, want := range tc.wantPrice {
				if !lines[i].UnitPrice.Equal(d(want)) || lines[i].LineNo != i+1 {
					t.Fatalf("line %d: %s (no %d), want %s", i, lines[i].UnitPrice, lines[i].LineNo, want)
				}
			}
			if !total.Total.Equal(d(tc.wantTotal)) {
				t.Fatalf("total %s, want %s", total.Total, tc.wantTotal)
			}
		})
	}
}

func TestPriceLines_KeepsTheTrimmedReason(t *testing.T) {
	p := d("8")
	lines, _, err := PriceLines([]LineInput{{ProductID: 1, Quantity: d("1"), UnitPrice: &p, PriceOverrideReason: " deal "}},
		PriceBook{Products: map[int64]*Product{1: {ID: 1, Active: true}}, ListPrices: []*decimal.Decimal{nil}}, "EUR", "input.lines")
	if err != nil || lines[0].OverrideReason != "deal" || lines[0].ListPrice != nil {
		t.Fatalf("got %+v, %v", lines, err)
	}
}
