package sales

import "github.com/shopspring/decimal"

var hundred = decimal.NewFromInt(100)

// Amounts are a line's or a document's money: net of discount, tax, and the sum.
type Amounts struct {
	Subtotal decimal.Decimal
	Tax      decimal.Decimal
	Total    decimal.Decimal
}

// LineAmounts is the one function that prices a document line (DESIGN.md:
// "totals are computed once, by one function, and rounded per currency").
// The net is quantity × unit price less the discount, rounded half away from
// zero to the currency's minor unit; tax is charged on the rounded net and
// rounded the same way; the total is their sum, so it always adds up.
func LineAmounts(quantity, unitPrice, discountPercent, taxRate decimal.Decimal, currency string) Amounts {
	places := MinorUnits(currency)
	gross := quantity.Mul(unitPrice)
	net := gross.Sub(gross.Mul(discountPercent).Div(hundred)).Round(places)
	tax := net.Mul(taxRate).Round(places)
	return Amounts{Subtotal: net, Tax: tax, Total: net.Add(tax)}
}

// DocumentAmounts sums line amounts. Lines are rounded first (each line's
// tax is what its row shows), so the document equals the sum of its rows.
func DocumentAmounts(lines []Amounts) Amounts {
	var sum Amounts
	for _, l := range lines {
		sum.Subtotal = sum.Subtotal.Add(l.Subtotal)
		sum.Tax = sum.Tax.Add(l.Tax)
	}
	sum.Total = sum.Subtotal.Add(sum.Tax)
	return sum
}

// CheckLinePricing validates the inputs of a priced line at field (such as "input.lines.2").
func CheckLinePricing(p *Problems, field string, quantity, unitPrice, discountPercent decimal.Decimal) {
	CheckQuantity(p, field+".quantity", quantity)
	p.Check(!unitPrice.IsNegative(), field+".unitPrice", "unit price must not be negative")
	p.Check(unitPrice.LessThan(maxMoney), field+".unitPrice", "unit price is too large")
	p.Check(unitPrice.Equal(unitPrice.Truncate(4)), field+".unitPrice", "unit price may have at most 4 decimal places")
	p.Check(!discountPercent.IsNegative() && discountPercent.LessThanOrEqual(hundred), field+".discountPercent", "discount must be between 0 and 100 percent")
	p.Check(discountPercent.Equal(discountPercent.Truncate(2)), field+".discountPercent", "discount may have at most 2 decimal places")
	p.Check(quantity.Mul(unitPrice).LessThan(maxMoney), field+".quantity", "the line's amount is too large")
}
