package db

import "salesgraph/sales"

// The credit notes' constraints (migration 0014: the invoices columns of a
// credit note, order lines' credited quantities, credit_allocations). The
// quantities and amounts are checked by sales under the locks; the CHECKs
// and unique keys are the last guard against a race.
var creditNoteConstraints = describeConstraints(map[string]*sales.Error{
	"invoices_return_fkey":                 {Code: sales.CodeNotFound, Field: "id", Message: "no such return"},
	"invoices_credited_invoice_fkey":       {Code: sales.CodeNotFound, Field: "input.invoiceId", Message: "no such invoice"},
	"invoices_return_credited_once":        {Code: sales.CodeConflict, Field: "id", Message: "this return has already been credited"},
	"order_lines_credited_within_invoiced": {Code: sales.CodeConflict, Field: "id", Message: "more would be credited than was invoiced; another credit note may have been issued meanwhile"},
	"order_lines_credited_nonnegative":     {Code: sales.CodeConflict, Field: "", Message: "the order's credited quantities changed meanwhile; reload it and try again"},
	"credit_allocations_invoice_fkey":      {Code: sales.CodeNotFound, Field: "input.allocations", Message: "no such invoice"},
}, map[string]string{
	"credit_allocations_pkey": generatedKey, "invoices_id_kind_key": generatedKey,
	"credit_allocations_credit_note_fkey": writtenTogether, "credit_allocations_allocated_by_fkey": writtenTogether,
	"credit_allocations_reversed_by_fkey": writtenTogether,
	"invoices_credit_note_source":         computed, "invoices_not_crediting_itself": computed,
	"credit_allocations_from_credit_note": computed, "credit_allocations_to_invoice": computed,
	"credit_allocations_reversed_after":   computed,
	"credit_allocations_amount_positive":  "input value validated in sales/ before any write; no race can change it",
})
