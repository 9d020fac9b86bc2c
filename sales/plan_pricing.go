package sales

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// The pricing of a document's lines (docs/domain.md, "Price list"): db loads
// the products and the customer's price lists once for all lines, and these
// decide each line's price and amounts.

// PricedLine is a requested line with its price settled and its amounts
// computed by LineAmounts: what quote and order lines store.
type PricedLine struct {
	LineNo         int
	ProductID      int64
	Quantity       decimal.Decimal
	UnitPrice      decimal.Decimal
	ListPrice      *decimal.Decimal // what the customer's price lists say; nil when none prices it
	OverrideReason string
	Discount       decimal.Decimal
	TaxRate        decimal.Decimal
	Amounts
}

// MaxLines is the most lines a document may have.
const MaxLines = 500

// CheckLineInputs validates requested lines before anything is read for
// them. field names the lines input ("input.lines"). Returns VALIDATION.
func CheckLineInputs(lines []LineInput, field string) error {
	var p Problems
	p.Check(len(lines) > 0, field, "a document needs at least one line")
	p.Check(len(lines) <= MaxLines, field, "a document may have at most 500 lines")
	for i, l := range lines {
		f := fmt.Sprintf("%s.%d", field, i)
		price := decimal.Zero
		if l.UnitPrice != nil {
			price = *l.UnitPrice
		}
		CheckLinePricing(&p, f, l.Quantity, price, l.DiscountPercent)
		p.Check(len(l.PriceOverrideReason) <= 500, f+".priceOverrideReason", "priceOverrideReason must be at most 500 characters")
	}
	return p.Err()
}

// PriceBook is what pricing a document knows: its products by id and, per
// line, what the customer's price lists charge (nil when none prices it).
type PriceBook struct {
	Products   map[int64]*Product
	ListPrices []*decimal.Decimal // by line, as the lines
}

// PriceLines prices lines (already checked by CheckLineInputs) in currency.
// A line without a unit price takes the list price; a unit price other than
// the list price needs a reason. Errors name the line ("input.lines.2.unitPrice"):
// NOT_FOUND for an unknown product, VALIDATION for a product no longer sold,
// a missing reason or a total too large to store, NO_PRICE when neither a
// list nor the user gives a price.
func PriceLines(lines []LineInput, book PriceBook, currency, field string) ([]PricedLine, Amounts, error) {
	out := make([]PricedLine, len(lines))
	amounts := make([]Amounts, len(lines))
	for i, l := range lines {
		f := fmt.Sprintf("%s.%d", field, i)
		product := book.Products[l.ProductID]
		if product == nil {
			return nil, Amounts{}, Errorf(CodeNotFound, f+".productId", "product not found")
		}
		if !product.Active {
			return nil, Amounts{}, Errorf(CodeValidation, f+".productId", "product %s is no longer sold", product.SKU)
		}
		var listPrice *decimal.Decimal
		if i < len(book.ListPrices) {
			listPrice = book.ListPrices[i]
		}
		line := PricedLine{LineNo: i + 1, ProductID: l.ProductID, Quantity: l.Quantity, ListPrice: listPrice,
			OverrideReason: strings.TrimSpace(l.PriceOverrideReason), Discount: l.DiscountPercent, TaxRate: product.TaxRate}
		switch {
		case l.UnitPrice != nil:
			line.UnitPrice = *l.UnitPrice
			if (listPrice == nil || !listPrice.Equal(*l.UnitPrice)) && line.OverrideReason == "" {
				return nil, Amounts{}, Errorf(CodeValidation, f+".priceOverrideReason",
					"a unit price other than the list price needs a reason")
			}
		case listPrice != nil:
			line.UnitPrice = *listPrice
		default:
			return nil, Amounts{}, Errorf(CodeNoPrice, f+".unitPrice",
				"no price list prices %s for this customer; give a unit price and a reason", product.SKU)
		}
		line.Amounts = LineAmounts(line.Quantity, line.UnitPrice, line.Discount, line.TaxRate, currency)
		if !line.Total.Abs().LessThan(maxMoney) {
			return nil, Amounts{}, Errorf(CodeValidation, f, "the line's total with tax is too large")
		}
		out[i], amounts[i] = line, line.Amounts
	}
	total := DocumentAmounts(amounts)
	if !total.Total.Abs().LessThan(maxMoney) {
		return nil, Amounts{}, Errorf(CodeValidation, field, "the document's total is too large")
	}
	return out, total, nil
}
