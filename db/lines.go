package db

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// pricedLine is a requested line with its price settled (sales.PriceLines).
type pricedLine = sales.PricedLine

// priceLines prices requested lines for customer on date, inside tx: the
// rules are sales.CheckLineInputs' and sales.PriceLines'; this reads the
// products and price lists they need, once for all lines. field names the
// lines input ("input.lines"); errors name the line ("input.lines.2.unitPrice").
func priceLines(ctx context.Context, tx *Tx, customer *sales.Customer, lines []sales.LineInput, date time.Time, field string) ([]pricedLine, sales.Amounts, error) {
	if err := sales.CheckLineInputs(lines, field); err != nil {
		return nil, sales.Amounts{}, err
	}
	book, err := loadPriceBook(ctx, tx, customer, lines)
	if err != nil {
		return nil, sales.Amounts{}, err
	}
	prices := sales.PriceBook{Products: book.products, ListPrices: make([]*decimal.Decimal, len(lines))}
	for i, l := range lines {
		if prices.ListPrices[i], err = book.listPrice(customer, l.ProductID, l.Quantity, date); err != nil {
			return nil, sales.Amounts{}, err
		}
	}
	return sales.PriceLines(lines, prices, customer.Currency, field)
}

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
