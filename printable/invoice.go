package printable

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/scalar"
	"salesgraph/relay"
	"salesgraph/sales"
)

//go:embed invoice.html
var invoiceHTML string

var invoicePage = newPage("invoice", invoiceHTML)

// DefaultSeller is the seller printed on invoices when none is configured.
const DefaultSeller = "Salesgraph"

// invoiceLine is one printed line, its money at the currency's minor units.
type invoiceLine struct {
	LineNo                          int
	SKU, Name, Unit                 string
	Quantity, Discount, TaxRate     decimal.Decimal
	UnitPrice, Subtotal, Tax, Total string
}

type invoiceData struct {
	Seller   string
	Invoice  *sales.Invoice
	Title    string // "Invoice" or "Credit note"
	Number   string // the number, or DRAFT
	Draft    bool
	Order    *sales.SalesOrder
	Customer *sales.Customer
	Lines    []invoiceLine
	// Money of the invoice, at its currency's minor units.
	Subtotal, TaxTotal, Total, Paid, Balance string
	Printed                                  string
	pageNonce
}

// Invoice serves GET /documents/invoices/{id}: the invoice (or credit note)
// as HTML that prints on A4 or Letter: seller, customer, number, dates,
// lines, totals, paid, balance and due date; a draft is marked DRAFT. The
// same access as the bill of lading: 401 without a valid token or signed
// link, 404 for an unknown invoice or one the user may not see (a sales rep
// sees their own customers' only).
func Invoice(store *db.Store, access *Access, seller string, logger *slog.Logger) http.Handler {
	if seller == "" {
		seller = DefaultSeller
	}
	return documentPage(store, access, logger, invoiceNodeType, invoicePage,
		func(ctx context.Context, s *db.Store, user *sales.User, id int64) (*invoiceData, error) {
			data, err := loadInvoice(ctx, s, user, id)
			if data != nil {
				data.Seller = seller
			}
			return data, err
		})
}

// InvoicePath is where an invoice's printable page is served, for the API
// to hand out (signed with Links.Link).
func InvoicePath(invoiceID int64) string {
	return "/documents/invoices/" + relay.ID(invoiceNodeType, invoiceID)
}

// invoiceNodeType is the global-ID type of the invoice in the URL.
var invoiceNodeType = nodeTypeOf(sales.DocInvoice)

// loadInvoice gathers what the invoice page prints, with the loaders' batch reads.
func loadInvoice(ctx context.Context, s *db.Store, user *sales.User, id int64) (*invoiceData, error) {
	invs, err := s.Invoices.ByIDs(ctx, []int64{id})
	if err != nil || len(invs) == 0 {
		return nil, errors.Join(err, errNotFound)
	}
	inv := invs[0]
	customers, err := s.Customers.ByIDs(ctx, []int64{inv.CustomerID})
	if err != nil || len(customers) == 0 || !user.CanSeeCustomer(customers[0]) {
		return nil, errors.Join(err, errNotFound)
	}
	orders, err := s.Orders.ByIDs(ctx, []int64{inv.OrderID})
	if err != nil || len(orders) == 0 {
		return nil, errors.Join(err, errNotFound)
	}
	ilines, err := s.Invoices.LinesByInvoiceIDs(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	var olIDs []int64
	for _, l := range ilines {
		olIDs = append(olIDs, l.OrderLineID)
	}
	byLine, byProduct, err := linesAndProducts(ctx, s, olIDs)
	if err != nil {
		return nil, err
	}
	cur := inv.Currency
	// At the currency's minor units, as the API renders money ("130.90").
	money := func(d decimal.Decimal) string {
		m := scalar.Money(d, cur)
		return m.StringFixed(max(0, -m.Exponent()))
	}
	data := &invoiceData{Invoice: inv, Title: "Invoice", Order: orders[0], Customer: customers[0],
		Subtotal: money(inv.Subtotal), TaxTotal: money(inv.TaxTotal), Total: money(inv.Total),
		Paid: money(inv.PaidAmount), Balance: money(inv.Balance()),
		Printed: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	if inv.Kind == sales.KindCreditNote {
		data.Title = "Credit note"
	}
	switch {
	case inv.Number != nil:
		data.Number = *inv.Number
	default:
		data.Number = "DRAFT"
	}
	data.Draft = inv.Status == sales.InvoiceDraft
	for _, l := range ilines {
		var p *sales.Product
		if ol := byLine[l.OrderLineID]; ol != nil {
			p = byProduct[ol.ProductID]
		}
		line := invoiceLine{LineNo: l.LineNo, Quantity: l.Quantity, Discount: l.DiscountPercent, TaxRate: l.TaxRate.Shift(2),
			UnitPrice: money(l.UnitPrice), Subtotal: money(l.Subtotal), Tax: money(l.Tax), Total: money(l.Total)}
		if p != nil {
			line.SKU, line.Name, line.Unit = p.SKU, p.Name, p.UnitOfMeasure
		}
		data.Lines = append(data.Lines, line)
	}
	return data, nil
}
