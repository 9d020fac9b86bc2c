package db

import "salesgraph/sales"

// The dispute tables' constraints (migration 0014: disputes, dispute_lines,
// write_offs). The dispute's store checks these under the customer's and
// the invoice's locks; the entries word what a race lets through.
var disputeConstraints = describeConstraints(map[string]*sales.Error{
	"disputes_invoice_fkey":           {Code: sales.CodeNotFound, Field: "input.invoiceId", Message: "no such invoice"},
	"disputes_customer_fkey":          {Code: sales.CodeNotFound, Field: "input.invoiceId", Message: "the invoice's customer no longer exists"},
	"disputes_one_open_per_invoice":   {Code: sales.CodeConflict, Field: "input.invoiceId", Message: "this invoice already has an open dispute"},
	"dispute_lines_invoice_line_fkey": {Code: sales.CodeNotFound, Field: "input.lines", Message: "a line names an invoice line that does not exist"},
	"dispute_lines_invoice_line_key":  {Code: sales.CodeValidation, Field: "input.lines", Message: "each invoice line may appear only once in a dispute"},
	"write_offs_invoice_key":          {Code: sales.CodeConflict, Field: "id", Message: "this invoice has already been written off"},
	"write_offs_dispute_key":          {Code: sales.CodeConflict, Field: "id", Message: "this dispute has already been written off"},
}, map[string]string{
	"disputes_pkey": generatedKey, "dispute_lines_pkey": generatedKey, "write_offs_pkey": generatedKey, "disputes_number_key": generatedKey,
	"disputes_created_by_fkey": writtenTogether, "disputes_resolved_by_fkey": writtenTogether, "disputes_credit_note_fkey": writtenTogether,
	"dispute_lines_dispute_fkey": writtenTogether, "write_offs_invoice_fkey": writtenTogether, "write_offs_dispute_fkey": writtenTogether,
	"write_offs_customer_fkey": writtenTogether, "write_offs_written_off_by_fkey": writtenTogether,
	"disputes_of_an_invoice": computed, "disputes_credit_note_kind": computed, "write_offs_of_an_invoice": computed,
	"disputes_currency_shape": computed, "write_offs_currency_shape": computed, "disputes_status_known": computed,
	"disputes_resolution_whole": computed, "disputes_amount_positive": computed, "dispute_lines_amount_positive": computed,
	"write_offs_amount_positive":      computed,
	"disputes_reason_code_known":      "input value validated in sales/ before any write; no race can change it",
	"disputes_resolution_known":       "input value validated in sales/ before any write; no race can change it",
	"dispute_lines_quantity_positive": "input value validated in sales/ before any write; no race can change it",
	"write_offs_reason_not_blank":     "input value validated in sales/ before any write; no race can change it",
})
