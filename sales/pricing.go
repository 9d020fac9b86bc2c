package sales

import (
	"time"

	"github.com/shopspring/decimal"
)

// PriceSource says which rule gave a price.
type PriceSource string

// The price sources, in the order they are tried.
const (
	PriceFromCustomerList PriceSource = "CUSTOMER_PRICE_LIST"
	PriceFromDefaultList  PriceSource = "DEFAULT_PRICE_LIST"
)

// PriceCandidate is a price list that may price a product, with its items for that product.
type PriceCandidate struct {
	List  *PriceList
	Items []*PriceListItem
}

// PriceQuote is a unit price and where it came from, so sales staff can explain it.
type PriceQuote struct {
	UnitPrice decimal.Decimal
	Currency  string
	Quantity  decimal.Decimal
	Date      time.Time
	Source    PriceSource
	PriceList *PriceList
	Item      *PriceListItem
}

// ChoosePrice prices quantity of a product for a customer on date (DESIGN.md, "Pricing"):
// the customer's own list first, else the default list of the customer's
// currency; within a list, the item with the highest minimum quantity not
// above quantity, among items valid on date. Lists outside their dates or in
// another currency are passed over. No price is an error (NO_PRICE), never zero.
func ChoosePrice(customer *Customer, own, fallback *PriceCandidate, quantity decimal.Decimal, date time.Time) (*PriceQuote, error) {
	var p Problems
	CheckQuantity(&p, "quantity", quantity)
	if err := p.Err(); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		cand   *PriceCandidate
		source PriceSource
	}{{own, PriceFromCustomerList}, {fallback, PriceFromDefaultList}} {
		if c.cand == nil || c.cand.List.Currency != customer.Currency || !within(date, c.cand.List.ValidFrom, c.cand.List.ValidTo) {
			continue
		}
		if item := bestBreak(c.cand.Items, quantity, date); item != nil {
			return &PriceQuote{UnitPrice: item.UnitPrice, Currency: c.cand.List.Currency, Quantity: quantity, Date: date,
				Source: c.source, PriceList: c.cand.List, Item: item}, nil
		}
	}
	return nil, Errorf(CodeNoPrice, "productId",
		"no price list valid on %s prices this product for customer %s in %s", date.Format(time.DateOnly), customer.Code, customer.Currency)
}

func bestBreak(items []*PriceListItem, quantity decimal.Decimal, date time.Time) *PriceListItem {
	var best *PriceListItem
	for _, it := range items {
		if it.MinQuantity.GreaterThan(quantity) || !within(date, it.ValidFrom, it.ValidTo) {
			continue
		}
		if best == nil || it.MinQuantity.GreaterThan(best.MinQuantity) {
			best = it
		}
	}
	return best
}

// within reports whether date lies in [from, to], either end open when nil.
func within(date time.Time, from, to *time.Time) bool {
	d := date.Format(time.DateOnly)
	return (from == nil || from.Format(time.DateOnly) <= d) && (to == nil || d <= to.Format(time.DateOnly))
}

// OneUnit is a quantity of one.
var OneUnit = decimal.NewFromInt(1)
