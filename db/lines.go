package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// pricedLine is a requested line with its price settled and its amounts
// computed by sales.LineAmounts: what quote and order lines store.
type pricedLine struct {
	LineNo         int
	ProductID      int64
	Quantity       decimal.Decimal
	UnitPrice      decimal.Decimal
	ListPrice      *decimal.Decimal // what the customer's price lists say; nil when none prices it
	OverrideReason string
	Discount       decimal.Decimal
	TaxRate        decimal.Decimal
	sales.Amounts
}

// priceLines validates requested lines and prices them for customer on
// date, inside tx: a line without a unit price takes the list price
// (NO_PRICE if no list prices it); a line whose price differs from the list
// needs a reason. Tax comes from the product. field names the lines input
// ("input.lines"); errors name the line ("input.lines.2.unitPrice").
// Inactive or unknown products are refused.
func priceLines(ctx context.Context, tx *Tx, customer *sales.Customer, lines []sales.LineInput, date time.Time, field string) ([]pricedLine, sales.Amounts, error) {
	var p sales.Problems
	p.Check(len(lines) > 0, field, "a document needs at least one line")
	p.Check(len(lines) <= 500, field, "a document may have at most 500 lines")
	for i, l := range lines {
		f := fmt.Sprintf("%s.%d", field, i)
		price := decimal.Zero
		if l.UnitPrice != nil {
			price = *l.UnitPrice
		}
		sales.CheckLinePricing(&p, f, l.Quantity, price, l.DiscountPercent)
		p.Check(len(l.PriceOverrideReason) <= 500, f+".priceOverrideReason", "priceOverrideReason must be at most 500 characters")
	}
	if err := p.Err(); err != nil {
		return nil, sales.Amounts{}, err
	}
	book, err := loadPriceBook(ctx, tx, customer, lines)
	if err != nil {
		return nil, sales.Amounts{}, err
	}
	out := make([]pricedLine, len(lines))
	amounts := make([]sales.Amounts, len(lines))
	for i, l := range lines {
		f := fmt.Sprintf("%s.%d", field, i)
		product := book.products[l.ProductID]
		if product == nil {
			return nil, sales.Amounts{}, sales.Errorf(sales.CodeNotFound, f+".productId", "product not found")
		}
		if !product.Active {
			return nil, sales.Amounts{}, sales.Errorf(sales.CodeValidation, f+".productId", "product %s is no longer sold", product.SKU)
		}
		listPrice, err := book.listPrice(customer, l.ProductID, l.Quantity, date)
		if err != nil {
			return nil, sales.Amounts{}, err
		}
		line := pricedLine{LineNo: i + 1, ProductID: l.ProductID, Quantity: l.Quantity, ListPrice: listPrice,
			OverrideReason: strings.TrimSpace(l.PriceOverrideReason), Discount: l.DiscountPercent, TaxRate: product.TaxRate}
		switch {
		case l.UnitPrice != nil:
			line.UnitPrice = *l.UnitPrice
			if (listPrice == nil || !listPrice.Equal(*l.UnitPrice)) && line.OverrideReason == "" {
				return nil, sales.Amounts{}, sales.Errorf(sales.CodeValidation, f+".priceOverrideReason",
					"a unit price other than the list price needs a reason")
			}
		case listPrice != nil:
			line.UnitPrice = *listPrice
		default:
			return nil, sales.Amounts{}, sales.Errorf(sales.CodeNoPrice, f+".unitPrice",
				"no price list prices %s for this customer; give a unit price and a reason", product.SKU)
		}
		line.Amounts = sales.LineAmounts(line.Quantity, line.UnitPrice, line.Discount, line.TaxRate, customer.Currency)
		if !line.Total.Abs().LessThan(maxAmount) {
			return nil, sales.Amounts{}, sales.Errorf(sales.CodeValidation, f, "the line's total with tax is too large")
		}
		out[i], amounts[i] = line, line.Amounts
	}
	total := sales.DocumentAmounts(amounts)
	if !total.Total.Abs().LessThan(maxAmount) {
		return nil, sales.Amounts{}, sales.Errorf(sales.CodeValidation, field, "the document's total is too large")
	}
	return out, total, nil
}

// maxAmount is one past what the numeric(18,3) total columns hold: checked
// here, an overflow names the line (or the lines) instead of failing as a
// bare numeric overflow in the INSERT.
var maxAmount = decimal.New(1, 15)

// priceBook is what pricing a document reads, loaded once for all its
// lines: the products, and the customer's own and fallback price lists with
// their items for those products. Three statements whatever the number of
// lines (TestPriceLines_StatementsDoNotGrowWithLines).
type priceBook struct {
	products map[int64]*sales.Product
	lists    []*sales.PriceList
	items    map[int64][]*sales.PriceListItem // by product
}

func loadPriceBook(ctx context.Context, tx *Tx, customer *sales.Customer, lines []sales.LineInput) (*priceBook, error) {
	ids := make([]int64, 0, len(lines))
	for _, l := range lines {
		ids = append(ids, l.ProductID)
	}
	var products []*sales.Product
	if err := tx.SelectContext(ctx, &products, `SELECT `+productColumns+` FROM products WHERE id = ANY($1)`, pqArray(ids)); err != nil {
		return nil, err
	}
	b := &priceBook{products: make(map[int64]*sales.Product, len(products)), items: map[int64][]*sales.PriceListItem{}}
	for _, p := range products {
		b.products[p.ID] = p
	}
	if err := tx.SelectContext(ctx, &b.lists, customerListsSQL, customer.PriceListID, customer.Currency); err != nil {
		return nil, err
	}
	var items []*sales.PriceListItem
	if err := tx.SelectContext(ctx, &items, customerItemsSQL, pqArray(ids), customer.PriceListID, customer.Currency); err != nil {
		return nil, err
	}
	for _, it := range items {
		b.items[it.ProductID] = append(b.items[it.ProductID], it)
	}
	return b, nil
}

// listPrice is what the customer's price lists charge for quantity of a
// product on date, or nil when none does (the same choice priceQuote makes).
func (b *priceBook) listPrice(customer *sales.Customer, productID int64, quantity decimal.Decimal, date time.Time) (*decimal.Decimal, error) {
	own, fallback := pickCandidates(customer, b.lists, b.items[productID])
	q, err := sales.ChoosePrice(customer, own, fallback, quantity, date)
	if sales.CodeOf(err) == sales.CodeNoPrice {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &q.UnitPrice, nil
}
