package demo

import (
	"fmt"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// creditNotes bills three orders and takes a unit of each back, so every
// credit note state shows and the returns reach CREDITED: one credit note
// applied at once to its order's invoice (APPLIED), one left as the
// customer's credit (ISSUED), and one applied in part (PARTIALLY_APPLIED).
func (d *documents) creditNotes() error {
	credit := func(allocate db.CreditNoteAllocation) (*sales.Invoice, *sales.Invoice, error) {
		inv, err := d.issuedInvoice()
		if err != nil {
			return nil, nil, err
		}
		lines, err := d.s.Invoices.LinesByInvoiceIDs(d.ctx, []int64{inv.ID})
		if err != nil {
			return nil, nil, err
		}
		rt, err := d.s.Returns.Create(d.ctx, d.manager, sales.NewReturn{OrderID: inv.OrderID, Reason: "Damaged in transit",
			Lines: []sales.ReturnLineInput{{OrderLineID: lines[0].OrderLineID, Quantity: decimal.NewFromInt(1)}}}, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("return to credit: %w", err)
		}
		if rt, err = d.s.Returns.Approve(d.ctx, d.manager, rt.ID, rt.Version); err != nil {
			return nil, nil, fmt.Errorf("approve return to credit: %w", err)
		}
		o, err := d.s.Orders.ByIDs(d.ctx, []int64{inv.OrderID})
		if err != nil {
			return nil, nil, err
		}
		if rt, err = d.s.Returns.Receive(d.ctx, d.warehouse, rt.ID, rt.Version, o[0].WarehouseID, nil); err != nil {
			return nil, nil, fmt.Errorf("receive return to credit: %w", err)
		}
		cn, err := d.s.CreditNotes.CreditReturn(d.ctx, d.manager, rt.ID, rt.Version, allocate, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("credit return: %w", err)
		}
		return cn, inv, nil
	}
	if _, _, err := credit(db.AllocateToOrderInvoices); err != nil {
		return err
	}
	if _, _, err := credit(db.AllocateNone); err != nil {
		return err
	}
	cn, inv, err := credit(db.AllocateNone)
	if err != nil {
		return err
	}
	part := cn.Total.Div(decimal.NewFromInt(2)).Round(sales.MinorUnits(cn.Currency))
	if _, err := d.s.CreditNotes.Allocate(d.ctx, d.manager, cn.ID, cn.Version,
		[]sales.AllocationInput{{InvoiceID: inv.ID, Amount: part}}); err != nil {
		return fmt.Errorf("apply part of a credit note: %w", err)
	}
	return nil
}
