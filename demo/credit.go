package demo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// creditHolds shows the credit check at work: an order worth more than its
// customer's limit is held for CREDIT_LIMIT, and an order for the customer
// with the overdue invoice for OVERDUE_INVOICES (with the default grace of
// 0 days). Both are confirmed through the store, as the API would; each
// check is kept as a credit decision.
func (d *documents) creditHolds() error {
	var overdueCustomer int64
	if err := d.s.GetContext(d.ctx, &overdueCustomer, `SELECT customer_id FROM invoices
		WHERE status IN ('ISSUED', 'PARTIALLY_PAID') AND total > paid_amount AND due_date < current_date ORDER BY id LIMIT 1`); err != nil {
		return fmt.Errorf("overdue invoice: %w", err)
	}
	pumpAt := slices.IndexFunc(d.products, func(p *sales.Product) bool { return strings.HasPrefix(p.SKU, "PMP") })
	if pumpAt < 0 {
		return fmt.Errorf("no pump among the demo products")
	}
	var bigSpender *sales.Customer
	for _, c := range d.customers {
		if !c.CreditHold && c.ID != overdueCustomer {
			bigSpender = c
			break
		}
	}
	// 500 circulation pumps are worth more than any demo customer's limit.
	pumps := []sales.LineInput{{ProductID: d.products[pumpAt].ID, Quantity: decimal.NewFromInt(500), DiscountPercent: decimal.Zero}}
	for _, c := range []*sales.Customer{bigSpender, d.customerByID(overdueCustomer)} {
		lines := pumps
		if c.ID == overdueCustomer {
			_, lines = d.next()
		}
		o, err := d.order(c, lines, true)
		if err != nil {
			return err
		}
		if _, err := d.s.Orders.Confirm(d.ctx, d.manager, o.ID, o.Version); err != nil {
			return fmt.Errorf("confirm order for %s: %w", c.Code, err)
		}
	}
	return nil
}

func (d *documents) customerByID(id int64) *sales.Customer {
	for _, c := range d.customers {
		if c.ID == id {
			return c
		}
	}
	return nil
}
