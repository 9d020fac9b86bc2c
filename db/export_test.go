package db

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// Exported for the db_test package.
var (
	ConstraintErrors    = constraintErrors
	InternalConstraints = internalConstraints
)

// PriceLines prices lines for customer on date, as a document's mutation
// does, in a transaction of its own, and returns each line's unit price.
func PriceLines(ctx context.Context, d *DB, customer *sales.Customer, lines []sales.LineInput, date time.Time) ([]decimal.Decimal, error) {
	var prices []decimal.Decimal
	err := d.Transact(ctx, func(tx *Tx) error {
		out, _, err := priceLines(ctx, tx, customer, lines, date, "input.lines")
		for _, l := range out {
			prices = append(prices, l.UnitPrice)
		}
		return err
	})
	return prices, err
}
