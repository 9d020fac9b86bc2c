package graph

import (
	"context"
	"fmt"
	"sync"

	"github.com/shopspring/decimal"

	"salesgraph/graph/scalar"
	"salesgraph/sales"
)

// Money fields render at their currency's minor units ("22.80" EUR, "15000"
// JPY, "1.250" KWD; scalar.Money). A document or customer carries its
// currency; a line or price-list item takes its quote's, order's or list's.
// The resolvers that list lines and items note that currency in the
// response's currencies, so the usual query costs no statement more; a line
// reached on its own (node, a delivery line's orderLine) loads its document
// through the loaders. The note is kept apart from the loaders (not primed
// into them) so it never changes what the other edges query.

// currencies is one response's note of the currency of each quote, order
// and price list whose lines or items were listed.
type currencies struct {
	mu sync.Mutex
	of map[currencyKey]string
}

type currencyKey struct {
	table string
	id    int64
}

func (c *currencies) note(table string, id int64, currency string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.of == nil {
		c.of = map[currencyKey]string{}
	}
	c.of[currencyKey{table, id}] = currency
}

func (c *currencies) lookup(table string, id int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.of[currencyKey{table, id}]
	return cur, ok
}

// inCurrency is amount scaled for display in currency.
func inCurrency(amount decimal.Decimal, currency string) (*decimal.Decimal, error) {
	m := scalar.Money(amount, currency)
	return &m, nil
}

// inQuoteCurrency is a quote line's amount in its quote's currency.
func inQuoteCurrency(ctx context.Context, quoteID int64, amount decimal.Decimal) (*decimal.Decimal, error) {
	return inCurrencyOf(ctx, "quotes", loadersFrom(ctx).QuoteByID, quoteID, amount, func(q *sales.Quote) string { return q.Currency })
}

// inQuoteCurrencyOpt is inQuoteCurrency for an amount that may be absent.
func inQuoteCurrencyOpt(ctx context.Context, quoteID int64, amount *decimal.Decimal) (*decimal.Decimal, error) {
	if amount == nil {
		return nil, nil
	}
	return inQuoteCurrency(ctx, quoteID, *amount)
}

// inOrderCurrency is an order line's amount in its order's currency.
func inOrderCurrency(ctx context.Context, orderID int64, amount decimal.Decimal) (*decimal.Decimal, error) {
	return inCurrencyOf(ctx, "sales_orders", loadersFrom(ctx).OrderByID, orderID, amount, func(o *sales.SalesOrder) string { return o.Currency })
}

// inOrderCurrencyOpt is inOrderCurrency for an amount that may be absent.
func inOrderCurrencyOpt(ctx context.Context, orderID int64, amount *decimal.Decimal) (*decimal.Decimal, error) {
	if amount == nil {
		return nil, nil
	}
	return inOrderCurrency(ctx, orderID, *amount)
}

// inListCurrency is a price-list item's amount in its list's currency.
func inListCurrency(ctx context.Context, listID int64, amount decimal.Decimal) (*decimal.Decimal, error) {
	return inCurrencyOf(ctx, "price_lists", loadersFrom(ctx).PriceListByID, listID, amount, func(l *sales.PriceList) string { return l.Currency })
}

// inCurrencyOf is amount in the currency of the row key of table: noted, or
// loaded by l.
func inCurrencyOf[V any](ctx context.Context, table string, l *loader[int64, *V], key int64, amount decimal.Decimal,
	currency func(*V) string) (*decimal.Decimal, error) {
	if cur, ok := loadersFrom(ctx).currencies.lookup(table, key); ok {
		return inCurrency(amount, cur)
	}
	parent, err := l.Load(ctx, key)()
	if err != nil {
		return nil, err
	}
	if parent == nil {
		// Foreign keys rule this out; the presenter hides the detail.
		return nil, fmt.Errorf("money: the %T %d that holds the amount was not found", parent, key)
	}
	return inCurrency(amount, currency(parent))
}

// quoteLines loads a quote's lines, noting its currency for their money.
func quoteLines(ctx context.Context, q *sales.Quote) ([]*sales.QuoteLine, error) {
	l := loadersFrom(ctx)
	l.currencies.note("quotes", q.ID, q.Currency)
	return l.QuoteLinesByQuoteID.Load(ctx, q.ID)()
}

// orderLines loads an order's lines, noting its currency for their money.
func orderLines(ctx context.Context, o *sales.SalesOrder) ([]*sales.OrderLine, error) {
	l := loadersFrom(ctx)
	l.currencies.note("sales_orders", o.ID, o.Currency)
	return l.OrderLinesByOrderID.Load(ctx, o.ID)()
}
