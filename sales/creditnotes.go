package sales

// SeriesCreditNote numbers credit notes (CN-2026-000001): an invoices row of
// kind CREDIT_NOTE carries it instead of an INV number.
const SeriesCreditNote NumberSeries = "CN"

// CreditNoteStatus is where a credit note stands: how much of it has been
// applied to invoices.
type CreditNoteStatus string

// Credit note states. A credit note is issued at once; applying it to
// invoices moves it to PARTIALLY_APPLIED and APPLIED, taking an
// application back moves it back.
const (
	CreditNoteIssued           CreditNoteStatus = "ISSUED"
	CreditNotePartiallyApplied CreditNoteStatus = "PARTIALLY_APPLIED"
	CreditNoteApplied          CreditNoteStatus = "APPLIED"
	CreditNoteVoid             CreditNoteStatus = "VOID"
)

// CreditNoteStatuses lists every credit note state; CreditNoteOnlyStatuses
// those an invoice of kind INVOICE never takes.
var (
	CreditNoteStatuses     = []CreditNoteStatus{CreditNoteIssued, CreditNotePartiallyApplied, CreditNoteApplied, CreditNoteVoid}
	CreditNoteOnlyStatuses = []CreditNoteStatus{CreditNotePartiallyApplied, CreditNoteApplied}
)
