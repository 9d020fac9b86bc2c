package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// The credit note's edges (creditnotes.graphqls). A credit note is an
// Invoice of kind CREDIT_NOTE, so its node, lines and history are the
// invoice's; what is its own goes through the loaders below, and a page of
// invoices starts them (prefetchCreditNoteEdges) one statement per edge.

// invoiceCreditNotes loads the credit notes that credit an invoice or were applied to it.
func invoiceCreditNotes(ctx context.Context, inv *sales.Invoice) ([]*sales.Invoice, error) {
	if inv.Kind == sales.KindCreditNote {
		return []*sales.Invoice{}, nil
	}
	rows, err := loadersFrom(ctx).CreditNotesByInvoiceID.Load(ctx, inv.ID)()
	return creditNotesOf(rows), err
}

func creditNotesOf(rows []*db.InvoiceCreditNote) []*sales.Invoice {
	out := make([]*sales.Invoice, len(rows))
	for i, r := range rows {
		out[i] = &r.Invoice
	}
	return out
}

// invoiceCreditAllocations loads where a credit note was applied, or the
// credit applied to an invoice, noting the currency for their money.
func invoiceCreditAllocations(ctx context.Context, inv *sales.Invoice) ([]*sales.CreditAllocation, error) {
	l := loadersFrom(ctx)
	l.currencies.note("invoices", inv.ID, inv.Currency)
	if inv.Kind == sales.KindCreditNote {
		return l.CreditAllocationsByCreditNoteID.Load(ctx, inv.ID)()
	}
	return l.CreditAllocationsByInvoiceID.Load(ctx, inv.ID)()
}

// returnCreditNote is the credit note of a return: the one not void (a
// return is credited once), else the latest.
func returnCreditNote(ctx context.Context, r *sales.Return) (*sales.Invoice, error) {
	notes, err := loadersFrom(ctx).CreditNotesByReturnID.Load(ctx, r.ID)()
	if err != nil || len(notes) == 0 {
		return nil, err
	}
	for _, n := range notes {
		if n.Status != sales.InvoiceStatus(sales.CreditNoteVoid) {
			return n, nil
		}
	}
	return notes[len(notes)-1], nil
}

// creditAllocationAmount is an allocation's amount in its credit note's
// currency (which is its invoice's), from whichever of the two was listed.
func creditAllocationAmount(ctx context.Context, a *sales.CreditAllocation) (*decimal.Decimal, error) {
	if cur, ok := loadersFrom(ctx).currencies.lookup("invoices", a.InvoiceID); ok {
		return inCurrency(a.Amount, cur)
	}
	return inInvoiceCurrency(ctx, a.CreditNoteID, a.Amount)
}

// prefetchCreditNoteEdges starts the credit note edges f selects on a page
// of invoices (prefetchInvoices calls it for those fields).
func prefetchCreditNoteEdges(ctx context.Context, invoices []*sales.Invoice, f graphql.CollectedField) {
	l := loadersFrom(ctx)
	switch f.Name {
	case "creditNotes":
		var ids []int64
		for _, inv := range invoices {
			if inv.Kind != sales.KindCreditNote {
				ids = append(ids, inv.ID)
			}
		}
		l.CreditNotesByInvoiceID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, invoiceImplementors),
			func(ctx context.Context, rows []*db.InvoiceCreditNote, fields []graphql.CollectedField) {
				prefetchInvoices(ctx, creditNotesOf(rows), fields)
			}))
	case "return":
		l.ReturnByID.prefetch(ctx, optKeys(invoices, func(inv *sales.Invoice) *int64 { return inv.ReturnID }),
			thenOne(ctx, sub(ctx, f, returnImplementors), prefetchReturns))
	case "creditedInvoice":
		l.InvoiceByID.prefetch(ctx, optKeys(invoices, func(inv *sales.Invoice) *int64 { return inv.CreditedInvoiceID }),
			thenOne(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
	case "creditAllocations":
		var notes, bills []int64
		for _, inv := range invoices {
			l.currencies.note("invoices", inv.ID, inv.Currency)
			if inv.Kind == sales.KindCreditNote {
				notes = append(notes, inv.ID)
			} else {
				bills = append(bills, inv.ID)
			}
		}
		then := thenMany(ctx, sub(ctx, f, creditAllocationImplementors), prefetchCreditAllocations)
		if len(notes) > 0 {
			l.CreditAllocationsByCreditNoteID.prefetch(ctx, notes, then)
		}
		if len(bills) > 0 {
			l.CreditAllocationsByInvoiceID.prefetch(ctx, bills, then)
		}
	}
}

// prefetchCreditAllocations loads the edges a list of credit allocations selects.
func prefetchCreditAllocations(ctx context.Context, as []*sales.CreditAllocation, fields []graphql.CollectedField) {
	if len(as) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "creditNote", "invoice":
			pick := func(a *sales.CreditAllocation) int64 { return a.InvoiceID }
			if f.Name == "creditNote" {
				pick = func(a *sales.CreditAllocation) int64 { return a.CreditNoteID }
			}
			l.InvoiceByID.prefetch(ctx, keys(as, pick), thenOne(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		case "allocatedBy":
			l.UserByID.prefetch(ctx, optKeys(as, func(a *sales.CreditAllocation) *int64 { return a.AllocatedBy }), nil)
		case "reversedBy":
			l.UserByID.prefetch(ctx, optKeys(as, func(a *sales.CreditAllocation) *int64 { return a.ReversedBy }), nil)
		}
	}
}
