package db

import (
	"context"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

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
	"credit_allocations_reversed_after":  computed,
	"credit_allocations_amount_positive": "input value validated in sales/ before any write; no race can change it",
})

// CreditNoteStore persists credit notes (invoices rows of kind CREDIT_NOTE)
// and their allocations to invoices. Every action locks in the documented
// order: the customer (FOR UPDATE: what they owe changes), the order, its
// lines, the return, then the invoices by id (the credit note among them).
type CreditNoteStore struct{ db *DB }

const creditAllocationColumns = `id, credit_note_id, invoice_id, amount, allocated_at, allocated_by, reversed_at, reversed_by`

// issueCreditNote writes the credit note a plan chose, inside tx: its
// number (the next of the CN series for the year, gapless like invoices'),
// the row, its lines and the order lines' credited quantities (one
// statement each) and its history row. The caller has locked the
// customer, the order and its lines; a dispute's resolution calls it in
// its own transaction.
func issueCreditNote(ctx context.Context, tx *Tx, actorID int64, plan sales.CreditNotePlan) (int64, error) {
	number, err := nextNumber(ctx, tx, sales.SeriesCreditNote)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO invoices (number, order_id, customer_id, kind, status, currency, issue_date, due_date,
			subtotal, tax_total, total, return_id, credited_invoice_id, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
		number, plan.OrderID, plan.CustomerID, string(sales.KindCreditNote), string(plan.Status), plan.Currency, plan.IssueDate,
		plan.Totals.Subtotal, plan.Totals.Tax, plan.Totals.Total, plan.ReturnID, plan.CreditedInvoiceID, actorID, tx.Now); err != nil {
		return 0, err
	}
	if err := insertInvoiceLines(ctx, tx, id, plan.Lines); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE order_lines l SET credited_quantity = l.credited_quantity + c.quantity
		FROM (SELECT id, sum(quantity) AS quantity FROM unnest($1::bigint[], $2::numeric[]) AS u(id, quantity) GROUP BY id) c
		WHERE l.id = c.id`,
		idArray(plan.Credited, func(c sales.InvoicedChange) int64 { return c.OrderLineID }),
		decimalArray(plan.Credited, func(c sales.InvoicedChange) decimal.Decimal { return c.Quantity })); err != nil {
		return 0, err
	}
	return id, writeEvent(ctx, tx, sales.DocInvoice, id, plan.Event, actorID)
}

// billedQuantities is, per line of an order, the quantity on its issued
// invoices (neither drafts nor void): what the customer was billed for.
func billedQuantities(ctx context.Context, tx *Tx, orderID int64) (map[int64]decimal.Decimal, error) {
	var rows []struct {
		OrderLineID int64           `db:"order_line_id"`
		Quantity    decimal.Decimal `db:"quantity"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT l.order_line_id, sum(l.quantity) AS quantity
		FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
		WHERE i.order_id = $1 AND i.kind = $2 AND i.status <> ALL($3) GROUP BY l.order_line_id`,
		orderID, string(sales.KindInvoice), statusArray([]sales.InvoiceStatus{sales.InvoiceDraft, sales.InvoiceVoid})); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.OrderLineID] = r.Quantity
	}
	return out, nil
}

// CreditNoteAllocation says where a new credit note goes: to the order's
// open invoices, oldest due first, or nowhere (it stays the customer's credit).
type CreditNoteAllocation string

// Credit note allocation modes.
const (
	AllocateToOrderInvoices CreditNoteAllocation = "ORDER_INVOICES"
	AllocateNone            CreditNoteAllocation = "NONE"
)

// CreditReturn issues the credit note of a received return, as
// sales.PlanReturnCredit decides, moves the return to CREDITED and, with
// AllocateToOrderInvoices, applies the credit note to the order's open
// invoices oldest due first. The same idempotency key issues one credit
// note. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION,
// IDEMPOTENCY_KEY_REUSED.
func (s *CreditNoteStore) CreditReturn(ctx context.Context, actor *sales.User, returnID int64, version int, allocate CreditNoteAllocation, key *string) (_ *sales.Invoice, err error) {
	defer wrap(&err, "CreditNotes.CreditReturn(%d)", returnID)
	request := struct {
		ReturnID int64
		Version  int
		Allocate CreditNoteAllocation
	}{returnID, version, allocate}
	id, err := s.db.createOnce(ctx, actor, "creditReturn", key, request, func(tx *Tx) (int64, error) {
		var orderID int64
		if err := tx.GetContext(ctx, &orderID, `SELECT order_id FROM returns WHERE id = $1`, returnID); err != nil {
			return 0, notFound(err, "id", "return")
		}
		if err := lockCustomerOfOrder(ctx, tx, orderID, "id"); err != nil {
			return 0, err
		}
		r, o, lines, err := lockReturn(ctx, tx, actor, returnID, version)
		if err != nil {
			return 0, notFoundAs(err, "return")
		}
		snap := sales.ReturnCreditSnapshot{Order: o, Lines: lines, Return: r, Today: tx.Now}
		if err := tx.SelectContext(ctx, &snap.ReturnLines, `SELECT `+returnLineColumns+` FROM return_lines WHERE return_id = $1 ORDER BY id`, r.ID); err != nil {
			return 0, err
		}
		if snap.Billed, err = billedQuantities(ctx, tx, o.ID); err != nil {
			return 0, err
		}
		plan, err := sales.PlanReturnCredit(snap)
		if err != nil {
			return 0, err
		}
		id, err := issueCreditNote(ctx, tx, actor.ID, plan.CreditNote)
		if err != nil {
			return 0, err
		}
		if err := writeReturnStep(ctx, tx, r, plan.Return, actor.ID); err != nil {
			return 0, err
		}
		if allocate != AllocateToOrderInvoices {
			return id, nil
		}
		cn, err := lockCreditNoteRow(ctx, tx, id)
		if err != nil {
			return 0, err
		}
		open, err := lockOpenInvoices(ctx, tx, o.CustomerID, &o.ID)
		if err != nil {
			return 0, err
		}
		return id, allocateCreditNote(ctx, tx, actor.ID, cn, open, nil, false)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

func lockCreditNoteRow(ctx context.Context, tx *Tx, id int64) (*sales.Invoice, error) {
	var cn sales.Invoice
	if err := tx.GetContext(ctx, &cn, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, "id", "credit note")
	}
	return &cn, sales.CheckCreditNote(&cn)
}

// lockCreditNote locks a credit note's customer, then the credit note, and
// checks it is one, the actor may see it (else NOT_FOUND) and its version.
func lockCreditNote(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Invoice, error) {
	var customerID int64
	if err := tx.GetContext(ctx, &customerID, `SELECT customer_id FROM invoices WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "credit note")
	}
	if _, err := lockCustomerForPayment(ctx, tx, actor, customerID, "id"); err != nil {
		return nil, notFoundAs(err, "credit note")
	}
	cn, err := lockCreditNoteRow(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion("credit note", cn.Version, version); err != nil {
		return nil, err
	}
	var events int
	if err := tx.GetContext(ctx, &events, `SELECT count(*) FROM document_events WHERE doc_type = $1 AND doc_id = $2`,
		string(sales.DocInvoice), id); err != nil {
		return nil, err
	}
	return cn, sales.CheckCreditNoteHistoryLimit(events)
}

// allocateCreditNote applies credit note cn (locked) to invoices (locked,
// the customer's open ones) as sales.PlanAllocation decides for requests
// (nil: oldest due first), each invoice moving as a payment moves it
// (sales.PlanInvoicePayment): the allocation rows, the invoices' paid
// amounts and states, the credit note's applied amount and state, and its
// history row, one statement each. bump raises the credit note's version
// (not when it was issued in the same transaction).
func allocateCreditNote(ctx context.Context, tx *Tx, actorID int64, cn *sales.Invoice, invoices []*sales.Invoice, requests []sales.AllocationInput, bump bool) error {
	money, err := sales.CreditToAllocate(cn)
	if err != nil {
		return err
	}
	plan, err := sales.PlanAllocation(money, sales.OpenInvoicesOf(invoices), requests)
	if err != nil || len(plan) == 0 {
		return err
	}
	if err := checkCreditAllocationLimits(ctx, tx, cn, plan); err != nil {
		return err
	}
	settled, err := sales.PlanSettlement(invoices, plan)
	if err != nil {
		return err
	}
	applied, err := sales.PlanCreditNoteApplication(cn, settled.Total, "input.allocations")
	if err != nil {
		return err
	}
	if err := writeSettlement(ctx, tx, "credit_allocations", "credit_note_id", cn.ID, actorID, invoices, plan, settled); err != nil {
		return err
	}
	reason := sales.AllocationReason("applied to", plan, invoiceNumbers(invoices), cn.Currency)
	return writeCreditNoteApplication(ctx, tx, actorID, cn, applied, reason, bump)
}

// writeCreditNoteApplication writes a credit note's new applied amount and
// state, and its history row.
func writeCreditNoteApplication(ctx context.Context, tx *Tx, actorID int64, cn *sales.Invoice, a sales.CreditNoteApplication, reason string, bump bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE invoices SET paid_amount = $2, status = $3, version = version + $4, updated_at = $5 WHERE id = $1`,
		cn.ID, a.Applied, string(a.Status), boolInt(bump), tx.Now); err != nil {
		return err
	}
	from := string(cn.Status)
	cn.PaidAmount, cn.Status = a.Applied, sales.InvoiceStatus(a.Status)
	return writeEvent(ctx, tx, sales.DocInvoice, cn.ID, sales.PlannedEvent{Action: string(a.Action), From: &from, To: string(a.Status), Reason: reason}, actorID)
}

// checkCreditAllocationLimits counts the allocations the credit note and
// the invoices already have, in one statement, against sales.MaxAllocations.
func checkCreditAllocationLimits(ctx context.Context, tx *Tx, cn *sales.Invoice, plan []sales.Allocation) error {
	var counts []struct {
		InvoiceID int64 `db:"invoice_id"`
		Count     int   `db:"count"`
	}
	if err := tx.SelectContext(ctx, &counts, `SELECT 0::bigint AS invoice_id, count(*) FROM credit_allocations WHERE credit_note_id = $1
		UNION ALL SELECT invoice_id, count(*) FROM credit_allocations WHERE invoice_id = ANY($2) GROUP BY invoice_id`,
		cn.ID, pq.Array(ids(plan, func(a sales.Allocation) int64 { return a.InvoiceID }))); err != nil {
		return err
	}
	adding := map[int64]int{}
	for _, a := range plan {
		adding[a.InvoiceID]++
	}
	for _, c := range counts {
		if c.InvoiceID == 0 {
			if err := sales.CheckAllocationLimit("credit note "+deref(cn.Number), c.Count, len(plan)); err != nil {
				return err
			}
		} else if err := sales.CheckAllocationLimit("an invoice", c.Count, adding[c.InvoiceID]); err != nil {
			return err
		}
	}
	return nil
}

// Allocate applies more of a credit note to the customer's open invoices,
// as asked. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *CreditNoteStore) Allocate(ctx context.Context, actor *sales.User, id int64, version int, requests []sales.AllocationInput) (_ *sales.Invoice, err error) {
	defer wrap(&err, "CreditNotes.Allocate(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		cn, err := lockCreditNote(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if _, err := sales.CreditToAllocate(cn); err != nil {
			return err
		}
		if len(requests) == 0 {
			return sales.Errorf(sales.CodeValidation, "input.allocations", "name at least one invoice to apply the credit note to")
		}
		open, err := lockOpenInvoices(ctx, tx, cn.CustomerID, nil)
		if err != nil {
			return err
		}
		return allocateCreditNote(ctx, tx, actor.ID, cn, open, requests, true)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Unallocate takes back what a credit note has applied to one invoice: the
// allocations are kept, marked reversed; the invoice's paid amount and
// state go back, and so do the credit note's. Returns NOT_FOUND, CONFLICT,
// INVALID_TRANSITION, VALIDATION.
func (s *CreditNoteStore) Unallocate(ctx context.Context, actor *sales.User, id int64, version int, invoiceID int64) (_ *sales.Invoice, err error) {
	defer wrap(&err, "CreditNotes.Unallocate(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		cn, err := lockCreditNote(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		inv, taken, err := lockAllocated(ctx, tx, "credit_allocations", "credit_note_id", cn.ID, invoiceID)
		if err != nil {
			return err
		}
		if !taken.IsPositive() {
			return sales.Errorf(sales.CodeValidation, "invoiceId", "credit note %s has nothing applied to that invoice", deref(cn.Number))
		}
		change, err := sales.PlanInvoicePayment(inv, taken.Neg(), "invoiceId")
		if err != nil {
			return err
		}
		applied, err := sales.PlanCreditNoteApplication(cn, taken.Neg(), "invoiceId")
		if err != nil {
			return err
		}
		if err := writeReversal(ctx, tx, "credit_allocations", "credit_note_id", cn.ID, actor.ID, change); err != nil {
			return err
		}
		reason := sales.AllocationReason("taken back from", []sales.Allocation{{InvoiceID: inv.ID, Amount: taken}},
			map[int64]string{inv.ID: deref(inv.Number)}, cn.Currency)
		return writeCreditNoteApplication(ctx, tx, actor.ID, cn, applied, reason, true)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

func (s *CreditNoteStore) byID(ctx context.Context, id int64) (*sales.Invoice, error) {
	return (&InvoiceStore{s.db}).byID(ctx, id)
}

// ByReturnIDs returns the credit notes of these returns, oldest first.
func (s *CreditNoteStore) ByReturnIDs(ctx context.Context, ids []int64) (_ []*sales.Invoice, err error) {
	defer wrap(&err, "CreditNotes.ByReturnIDs")
	return byIDs[sales.Invoice](ctx, s.db, `SELECT `+invoiceColumns+` FROM invoices WHERE return_id = ANY($1) ORDER BY return_id, id`, ids)
}

// InvoiceCreditNote is a credit note as seen from one invoice it credits
// or was applied to.
type InvoiceCreditNote struct {
	InvoiceID int64 `db:"for_invoice"`
	sales.Invoice
}

// ByInvoiceIDs returns, for these invoices, the credit notes that credit
// them (a dispute's) or were applied to them, each once per invoice, oldest first.
func (s *CreditNoteStore) ByInvoiceIDs(ctx context.Context, ids []int64) (_ []*InvoiceCreditNote, err error) {
	defer wrap(&err, "CreditNotes.ByInvoiceIDs")
	return byIDs[InvoiceCreditNote](ctx, s.db, `SELECT x.for_invoice, i.* FROM (
			SELECT credited_invoice_id AS for_invoice, id FROM invoices WHERE credited_invoice_id = ANY($1)
			UNION SELECT invoice_id, credit_note_id FROM credit_allocations WHERE invoice_id = ANY($1)) x
		JOIN (SELECT `+invoiceColumns+` FROM invoices) i ON i.id = x.id ORDER BY x.for_invoice, i.id`, ids)
}

// AllocationsByCreditNoteIDs returns what these credit notes were applied to, reversed ones included, oldest first.
func (s *CreditNoteStore) AllocationsByCreditNoteIDs(ctx context.Context, ids []int64) (_ []*sales.CreditAllocation, err error) {
	defer wrap(&err, "CreditNotes.AllocationsByCreditNoteIDs")
	return byIDs[sales.CreditAllocation](ctx, s.db, `SELECT `+creditAllocationColumns+` FROM credit_allocations WHERE credit_note_id = ANY($1) ORDER BY credit_note_id, id`, ids)
}

// AllocationsByInvoiceIDs returns the credit applied to these invoices, reversed ones included, oldest first.
func (s *CreditNoteStore) AllocationsByInvoiceIDs(ctx context.Context, ids []int64) (_ []*sales.CreditAllocation, err error) {
	defer wrap(&err, "CreditNotes.AllocationsByInvoiceIDs")
	return byIDs[sales.CreditAllocation](ctx, s.db, `SELECT `+creditAllocationColumns+` FROM credit_allocations WHERE invoice_id = ANY($1) ORDER BY invoice_id, id`, ids)
}
