package sales

// Limits that keep the plain lists of the schema within their @bound: a list
// on an object is either a connection or holds at most what a rule here (or
// the input's own maximum) lets the write side create, so the read side never
// has to cut it (docs/read-path.md, "Lists on an object").
const (
	// MaxRevisions is the most revisions a quote number may have (Quote.revisions).
	MaxRevisions = 50
	// MaxDeliveriesPerOrder is the most deliveries an order may have,
	// cancelled ones included (SalesOrder.deliveries; it also bounds
	// OrderLine.deliveryLines, one per delivery, and an order's history).
	MaxDeliveriesPerOrder = 20
	// MaxReturnRequests: an order that has this many returns takes no more
	// return requests. Refusals at the door are returns too, at most one per
	// delivery, and are never refused (the goods did come back).
	MaxReturnRequests = 20
	// MaxReturnsPerOrder is then the most returns an order can have
	// (SalesOrder.returns, Delivery.returns, and OrderLine.returnLines, one
	// per return).
	MaxReturnsPerOrder = MaxReturnRequests + MaxDeliveriesPerOrder
	// MaxHistoryEvents bounds a document's history (its status changes;
	// edits are not recorded). The state machines allow far fewer:
	// limits_test.go walks them.
	MaxHistoryEvents = 50
	// MaxInvoicesPerOrder is the most invoices an order may have, void ones
	// included (SalesOrder.invoices).
	MaxInvoicesPerOrder = 20
	// MaxAllocations is the most allocations a payment, or an invoice, may
	// have, reversed ones included (Payment.allocations, Invoice.payments).
	MaxAllocations = 50
	// MaxDepositsPerOrder is the most payments that may name one order
	// (SalesOrder.payments).
	MaxDepositsPerOrder = 20
	// MaxDisputesPerInvoice is the most disputes one invoice may have,
	// resolved ones included (Invoice.disputes; each adds two rows to the
	// invoice's history).
	MaxDisputesPerInvoice = 10
	// MaxCreditNotesPerInvoice is the most credit notes that may credit one
	// invoice (its disputes'), void ones included; with the ones applied to
	// it (at most MaxAllocations) they bound Invoice.creditNotes.
	MaxCreditNotesPerInvoice = 10
)

// CheckCreditNotesPerInvoice refuses a credit note of an invoice that
// already has existing ones crediting it, once that reaches MaxCreditNotesPerInvoice.
func CheckCreditNotesPerInvoice(existing int) error {
	if existing >= MaxCreditNotesPerInvoice {
		return Errorf(CodeValidation, "id", "an invoice may be credited by at most %d credit notes, void ones included, and this one has %d",
			MaxCreditNotesPerInvoice, existing)
	}
	return nil
}

// CheckRevisionLimit refuses revision number next (1 is the first) past MaxRevisions.
func CheckRevisionLimit(next int) error {
	if next > MaxRevisions {
		return Errorf(CodeValidation, "", "a quote may have at most %d revisions: this one has %d; start a new quote", MaxRevisions, next-1)
	}
	return nil
}

// CheckDeliveryLimit refuses a delivery for an order that already has existing
// deliveries, once that reaches MaxDeliveriesPerOrder.
func CheckDeliveryLimit(existing int) error {
	if existing >= MaxDeliveriesPerOrder {
		return Errorf(CodeValidation, "input.orderId", "an order may have at most %d deliveries, cancelled ones included, and this one has %d",
			MaxDeliveriesPerOrder, existing)
	}
	return nil
}

// CheckReturnRequestLimit refuses a return request for an order that already has
// existing returns (of any kind), once that reaches MaxReturnRequests.
func CheckReturnRequestLimit(existing int) error {
	if existing >= MaxReturnRequests {
		return Errorf(CodeValidation, "input.orderId", "an order takes return requests until it has %d returns, and this one has %d",
			MaxReturnRequests, existing)
	}
	return nil
}

// CheckInvoiceLimit refuses an invoice for an order that already has existing
// invoices (void ones included), once that reaches MaxInvoicesPerOrder.
func CheckInvoiceLimit(existing int) error {
	if existing >= MaxInvoicesPerOrder {
		return Errorf(CodeValidation, "input.orderId", "an order may have at most %d invoices, void ones included, and this one has %d",
			MaxInvoicesPerOrder, existing)
	}
	return nil
}
