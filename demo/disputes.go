package demo

import (
	"fmt"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// disputes shows a customer's refusal to pay both ways it stands: an open
// dispute of one line of an issued invoice (the invoice DISPUTED), and an
// invoice disputed in full and written off as bad debt (the invoice
// WRITTEN_OFF, its dispute RESOLVED, a write-off with who and why).
func (d *documents) disputes() error {
	open, err := d.issuedInvoice()
	if err != nil {
		return err
	}
	lines, err := d.s.Invoices.LinesByInvoiceIDs(d.ctx, []int64{open.ID})
	if err != nil {
		return err
	}
	if _, err := d.s.Disputes.Open(d.ctx, d.manager, sales.NewDispute{InvoiceID: open.ID, ReasonCode: sales.ReasonDamaged,
		Notes: "Two cartons arrived crushed; photos sent by the customer",
		Lines: []sales.DisputeLineInput{{InvoiceLineID: lines[0].ID, Quantity: decimal.Min(lines[0].Quantity, decimal.NewFromInt(1))}}}, nil); err != nil {
		return fmt.Errorf("open dispute: %w", err)
	}
	refused, err := d.issuedInvoice()
	if err != nil {
		return err
	}
	dsp, err := d.s.Disputes.Open(d.ctx, d.manager, sales.NewDispute{InvoiceID: refused.ID, ReasonCode: sales.ReasonNotDelivered,
		Notes: "Customer says the goods never arrived and will not pay"}, nil)
	if err != nil {
		return fmt.Errorf("dispute to write off: %w", err)
	}
	if _, err := d.s.Disputes.Resolve(d.ctx, d.manager, dsp.ID, dsp.Version, sales.DisputeResolutionInput{
		Resolution: sales.ResolutionWriteOff, Note: "Customer went into administration; not worth pursuing"}); err != nil {
		return fmt.Errorf("write off: %w", err)
	}
	return nil
}

// issuedInvoice confirms and ships a new order (as far as stock allows) and
// bills what was delivered: an issued invoice.
func (d *documents) issuedInvoice() (*sales.Invoice, error) {
	for range 10 {
		o, err := d.confirmed()
		if err != nil {
			return nil, err
		}
		if _, err := d.ship(o, false); err != nil {
			return nil, err
		}
		inv, err := d.s.Invoices.Create(d.ctx, d.manager, sales.NewInvoice{OrderID: o.ID}, nil)
		if sales.CodeOf(err) == sales.CodeValidation {
			continue // nothing was delivered
		}
		if err != nil {
			return nil, fmt.Errorf("invoice to dispute: %w", err)
		}
		if inv, err = d.s.Invoices.Issue(d.ctx, d.manager, inv.ID, inv.Version); err != nil {
			return nil, fmt.Errorf("issue invoice to dispute: %w", err)
		}
		return inv, nil
	}
	return nil, fmt.Errorf("no order could be delivered to invoice and dispute")
}
