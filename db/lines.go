package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
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

// lineColumns is a document's priced lines column by column: one INSERT …
// SELECT FROM unnest(…) writes them all, so writing 500 lines costs one
// statement, not 500. Decimals travel as text and are cast to numeric.
type lineColumns struct {
	lineNo, productID                                            []int64
	quantity, unitPrice, discount, taxRate, subtotal, tax, total []string
	listPrice                                                    []sql.NullString
	overrideReason                                               []string
}

func columnsOf(lines []pricedLine) lineColumns {
	var c lineColumns
	for _, l := range lines {
		c.lineNo = append(c.lineNo, int64(l.LineNo))
		c.productID = append(c.productID, l.ProductID)
		c.quantity = append(c.quantity, l.Quantity.String())
		c.unitPrice = append(c.unitPrice, l.UnitPrice.String())
		c.discount = append(c.discount, l.Discount.String())
		c.taxRate = append(c.taxRate, l.TaxRate.String())
		c.subtotal = append(c.subtotal, l.Subtotal.String())
		c.tax = append(c.tax, l.Tax.String())
		c.total = append(c.total, l.Total.String())
		var list sql.NullString
		if l.ListPrice != nil {
			list = sql.NullString{String: l.ListPrice.String(), Valid: true}
		}
		c.listPrice = append(c.listPrice, list)
		c.overrideReason = append(c.overrideReason, l.OverrideReason)
	}
	return c
}

// lineColumnsSQL is the lineColumns arguments from $first on, cast for
// unnest, in the column order lineColumnNames lists.
func lineColumnsSQL(first int) string {
	casts := []string{"int[]", "bigint[]", "numeric[]", "numeric[]", "numeric[]", "numeric[]", "numeric[]", "numeric[]", "numeric[]", "numeric[]", "text[]"}
	args := make([]string, len(casts))
	for i, c := range casts {
		args[i] = fmt.Sprintf("$%d::%s", first+i, c)
	}
	return strings.Join(args, ", ")
}

// lineColumnNames are the columns lineColumnsSQL fills, in order.
const lineColumnNames = `line_no, product_id, quantity, unit_price, discount_percent, tax_rate, subtotal, tax, total, list_price, price_override_reason`

func (c lineColumns) args() []any {
	return []any{pq.Array(c.lineNo), pq.Array(c.productID), pq.Array(c.quantity), pq.Array(c.unitPrice), pq.Array(c.discount),
		pq.Array(c.taxRate), pq.Array(c.subtotal), pq.Array(c.tax), pq.Array(c.total), pq.Array(c.listPrice), pq.Array(c.overrideReason)}
}
