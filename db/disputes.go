package db

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// DisputeStore persists disputes, their lines and write-offs. Every action
// locks in the documented order: the invoice's customer (FOR UPDATE: what
// the customer owes changes), its order and the order's lines, the invoice,
// then the dispute. The constraints are mapped in disputes_constraints.go.
type DisputeStore struct{ db *DB }

const (
	disputeColumns = `id, number, invoice_id, customer_id, status, reason_code, notes, currency, disputed_amount, resolution,
	resolution_note, credit_note_id, resolved_at, resolved_by, created_by, version, created_at, updated_at`
	disputeLineColumns = `id, dispute_id, invoice_line_id, quantity, amount`
	writeOffColumns    = `id, invoice_id, dispute_id, customer_id, currency, amount, reason, written_off_at, written_off_by`
)

// ByIDs returns the disputes with these IDs, in any order.
func (s *DisputeStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Dispute, err error) {
	defer wrap(&err, "Disputes.ByIDs")
	return byIDs[sales.Dispute](ctx, s.db, `SELECT `+disputeColumns+` FROM disputes WHERE id = ANY($1)`, ids)
}

// ByInvoiceIDs returns the disputes of these invoices, oldest first.
func (s *DisputeStore) ByInvoiceIDs(ctx context.Context, ids []int64) (_ []*sales.Dispute, err error) {
	defer wrap(&err, "Disputes.ByInvoiceIDs")
	return byIDs[sales.Dispute](ctx, s.db, `SELECT `+disputeColumns+` FROM disputes WHERE invoice_id = ANY($1) ORDER BY invoice_id, id`, ids)
}

// LinesByIDs returns dispute lines by ID.
func (s *DisputeStore) LinesByIDs(ctx context.Context, ids []int64) (_ []*sales.DisputeLine, err error) {
	defer wrap(&err, "Disputes.LinesByIDs")
	return byIDs[sales.DisputeLine](ctx, s.db, `SELECT `+disputeLineColumns+` FROM dispute_lines WHERE id = ANY($1)`, ids)
}

// LinesByDisputeIDs returns the lines of these disputes, in the order they were written (invoice line order).
func (s *DisputeStore) LinesByDisputeIDs(ctx context.Context, ids []int64) (_ []*sales.DisputeLine, err error) {
	defer wrap(&err, "Disputes.LinesByDisputeIDs")
	return byIDs[sales.DisputeLine](ctx, s.db, `SELECT `+disputeLineColumns+` FROM dispute_lines WHERE dispute_id = ANY($1) ORDER BY dispute_id, id`, ids)
}

// WriteOffsByInvoiceIDs returns the write-offs of these invoices (one each at most).
func (s *DisputeStore) WriteOffsByInvoiceIDs(ctx context.Context, ids []int64) (_ []*sales.WriteOff, err error) {
	defer wrap(&err, "Disputes.WriteOffsByInvoiceIDs")
	return byIDs[sales.WriteOff](ctx, s.db, `SELECT `+writeOffColumns+` FROM write_offs WHERE invoice_id = ANY($1)`, ids)
}

var disputeKeys = &keyset[sales.Dispute]{
	list: "disputes",
	sorts: map[string]sortKey[sales.Dispute]{
		"CREATED_AT": stampKey("created_at", func(d *sales.Dispute) time.Time { return d.CreatedAt }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(d *sales.Dispute) []int64 { return []int64{d.ID} },
}

// List returns a page of disputes and, when page.Count asks, the total (else -1); newest first by default.
func (s *DisputeStore) List(ctx context.Context, f sales.DisputeFilter, sort Sort, page Page) (_ Window[sales.Dispute], err error) {
	defer wrap(&err, "Disputes.List")
	var w where
	anyOf(&w, "status", f.Statuses)
	if f.CustomerID != nil {
		w.add("customer_id = ?", *f.CustomerID)
	}
	if f.InvoiceID != nil {
		w.add("invoice_id = ?", *f.InvoiceID)
	}
	if f.OwnerID != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *f.OwnerID)
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+disputeColumns, `FROM disputes`, &w, disputeKeys, sort, page)
}

func (s *DisputeStore) byID(ctx context.Context, id int64) (*sales.Dispute, error) {
	var d sales.Dispute
	if err := s.db.GetContext(ctx, &d, `SELECT `+disputeColumns+` FROM disputes WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "dispute")
	}
	return &d, nil
}

// Open disputes an invoice, as sales.PlanDispute decides: the dispute (the
// next number of the DSP series), its lines in one statement, and the
// invoice's move to DISPUTED, with both histories. The same idempotency key
// opens one dispute. Returns NOT_FOUND, INVALID_TRANSITION, VALIDATION,
// IDEMPOTENCY_KEY_REUSED.
func (s *DisputeStore) Open(ctx context.Context, actor *sales.User, in sales.NewDispute, key *string) (_ *sales.Dispute, err error) {
	defer wrap(&err, "Disputes.Open")
	if err := sales.CheckNewDispute(in); err != nil {
		return nil, err
	}
	id, err := s.db.createOnce(ctx, actor, "disputeInvoice", key, in, func(tx *Tx) (int64, error) {
		inv, _, _, err := lockInvoice(ctx, tx, actor, in.InvoiceID, unversioned)
		if err != nil {
			return 0, fieldAs(err, "id", "input.invoiceId")
		}
		snap := sales.DisputeSnapshot{Invoice: inv, Input: in}
		if err := tx.SelectContext(ctx, &snap.Lines, `SELECT `+invoiceLineColumns+` FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no`, inv.ID); err != nil {
			return 0, err
		}
		var counts struct {
			All  int     `db:"n"`
			Open *string `db:"open"`
		}
		if err := tx.GetContext(ctx, &counts, `SELECT count(*) AS n, max(number) FILTER (WHERE status = $2) AS open FROM disputes WHERE invoice_id = $1`,
			inv.ID, string(sales.DisputeOpen)); err != nil {
			return 0, err
		}
		snap.Disputes, snap.OpenNumber = counts.All, deref(counts.Open)
		plan, err := sales.PlanDispute(snap)
		if err != nil {
			return 0, err
		}
		number, err := nextNumber(ctx, tx, sales.DocDispute.Series())
		if err != nil {
			return 0, err
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO disputes (number, invoice_id, customer_id, status, reason_code, notes, currency,
				disputed_amount, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			number, inv.ID, inv.CustomerID, string(plan.Status), string(plan.ReasonCode), plan.Notes, plan.Currency, plan.Amount,
			actor.ID, tx.Now); err != nil {
			return 0, err
		}
		if len(plan.Lines) > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dispute_lines (dispute_id, invoice_line_id, quantity, amount)
				SELECT $1, l.invoice_line_id, l.quantity, l.amount
				FROM unnest($2::bigint[], $3::numeric[], $4::numeric[]) WITH ORDINALITY AS l(invoice_line_id, quantity, amount, n) ORDER BY l.n`, id,
				idArray(plan.Lines, func(l sales.PlannedDisputeLine) int64 { return l.InvoiceLineID }),
				decimalArray(plan.Lines, func(l sales.PlannedDisputeLine) decimal.Decimal { return l.Quantity }),
				decimalArray(plan.Lines, func(l sales.PlannedDisputeLine) decimal.Decimal { return l.Amount })); err != nil {
				return 0, err
			}
		}
		if err := setInvoiceStatus(ctx, tx, inv.ID, plan.InvoiceStatus); err != nil {
			return 0, err
		}
		if err := writeEvent(ctx, tx, sales.DocInvoice, inv.ID, plan.InvoiceEvent, actor.ID); err != nil {
			return 0, err
		}
		return id, writeEvent(ctx, tx, sales.DocDispute, id, plan.Event, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// setInvoiceStatus moves an invoice to status, bumping its version.
func setInvoiceStatus(ctx context.Context, tx *Tx, id int64, status sales.InvoiceStatus) error {
	_, err := tx.ExecContext(ctx, `UPDATE invoices SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1`, id, string(status), tx.Now)
	return err
}

// fieldAs renames the field of a NOT_FOUND (lockInvoice words it for "id").
func fieldAs(err error, from, to string) error {
	if e, ok := sales.AsError(err); ok && e.Code == sales.CodeNotFound && e.Field == from {
		return &sales.Error{Code: e.Code, Field: to, Message: e.Message, Err: e.Err}
	}
	return err
}

// lockDispute locks, in the lock order, the dispute's invoice (its
// customer, order, order lines, then the invoice), then the dispute, and
// checks the dispute's version. The actor must be able to see the order
// (else NOT_FOUND).
func lockDispute(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Dispute, *sales.Invoice, *sales.SalesOrder, []*sales.OrderLine, error) {
	var invoiceID int64
	if err := tx.GetContext(ctx, &invoiceID, `SELECT invoice_id FROM disputes WHERE id = $1`, id); err != nil {
		return nil, nil, nil, nil, notFound(err, "id", "dispute")
	}
	inv, o, lines, err := lockInvoice(ctx, tx, actor, invoiceID, unversioned)
	if err != nil {
		return nil, nil, nil, nil, notFoundAs(err, "dispute")
	}
	var d sales.Dispute
	if err := tx.GetContext(ctx, &d, `SELECT `+disputeColumns+` FROM disputes WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, nil, nil, err
	}
	return &d, inv, o, lines, checkVersion("dispute", d.Version, version)
}

// Resolve ends an open dispute as sales.PlanDisputeResolution decides, in
// one transaction: the invoice back to its payment state (and, for a
// credit note, the note issued and applied to it), or written off with its
// write_offs row; then the dispute, with both histories. Returns
// NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *DisputeStore) Resolve(ctx context.Context, actor *sales.User, id int64, version int, in sales.DisputeResolutionInput) (_ *sales.Dispute, err error) {
	defer wrap(&err, "Disputes.Resolve(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		d, inv, o, lines, err := lockDispute(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		snap := sales.ResolutionSnapshot{Dispute: d, Invoice: inv, Input: in}
		if err := tx.SelectContext(ctx, &snap.Lines, `SELECT `+disputeLineColumns+` FROM dispute_lines WHERE dispute_id = $1 ORDER BY id`, d.ID); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &snap.InvoiceLines, `SELECT `+invoiceLineColumns+` FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no`, inv.ID); err != nil {
			return err
		}
		plan, err := sales.PlanDisputeResolution(snap)
		if err != nil {
			return err
		}
		if err := setInvoiceStatus(ctx, tx, inv.ID, plan.InvoiceStatus); err != nil {
			return err
		}
		if err := writeEvent(ctx, tx, sales.DocInvoice, inv.ID, plan.InvoiceEvent, actor.ID); err != nil {
			return err
		}
		inv.Status, inv.Version = plan.InvoiceStatus, inv.Version+1
		var creditNoteID *int64
		switch {
		case plan.WriteOff != nil:
			if _, err := tx.ExecContext(ctx, `INSERT INTO write_offs (invoice_id, dispute_id, customer_id, currency, amount, reason,
					written_off_at, written_off_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				inv.ID, d.ID, inv.CustomerID, inv.Currency, plan.WriteOff.Amount, plan.WriteOff.Reason, tx.Now, actor.ID); err != nil {
				return err
			}
		case len(plan.Credit) > 0:
			cn, err := creditDisputedInvoice(ctx, tx, actor.ID, d, inv, o, lines, plan)
			if err != nil {
				return err
			}
			creditNoteID = &cn
		}
		if _, err := tx.ExecContext(ctx, `UPDATE disputes SET status = $2, resolution = $3, resolution_note = $4, credit_note_id = $5,
				resolved_at = $6, resolved_by = $7, version = version + 1, updated_at = $6 WHERE id = $1`,
			d.ID, string(plan.Status), string(plan.Resolution), plan.Note, creditNoteID, tx.Now, actor.ID); err != nil {
			return err
		}
		return writeEvent(ctx, tx, sales.DocDispute, d.ID, plan.Event, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// creditDisputedInvoice issues the credit note a dispute's resolution
// planned (sales.PlanCreditNoteLines prices it from the order lines, as the
// invoice lines were, and holds it to what is billed and not yet credited)
// and applies it to the disputed invoice, just sent back to its payment
// state, which then moves on as a payment moves it. The customer, the
// order, its lines, the invoice and the dispute are locked. An invoice is
// credited at most once per dispute, so sales.MaxDisputesPerInvoice keeps
// it within sales.MaxCreditNotesPerInvoice. Returns the credit note's id.
func creditDisputedInvoice(ctx context.Context, tx *Tx, actorID int64, d *sales.Dispute, inv *sales.Invoice, o *sales.SalesOrder,
	lines []*sales.OrderLine, plan sales.ResolutionPlan) (int64, error) {
	billed, err := billedQuantities(ctx, tx, o.ID)
	if err != nil {
		return 0, err
	}
	requests := make([]sales.CreditNoteLineInput, len(plan.Credit))
	for i, l := range plan.Credit {
		requests[i] = sales.CreditNoteLineInput{OrderLineID: l.OrderLineID, Quantity: l.Quantity, Field: fmt.Sprintf("input.creditLines.%d", i)}
	}
	cnPlan, err := sales.PlanCreditNoteLines(sales.CreditNoteLinesSnapshot{Order: o, Lines: lines, Billed: billed, Requests: requests,
		CreditedInvoiceID: &inv.ID, Reason: "dispute " + d.Number + " of invoice " + deref(inv.Number), Today: tx.Now})
	if err != nil {
		return 0, err
	}
	id, err := issueCreditNote(ctx, tx, actorID, cnPlan)
	if err != nil {
		return 0, err
	}
	cn, err := lockCreditNoteRow(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	return id, allocateCreditNote(ctx, tx, actorID, cn, []*sales.Invoice{inv}, nil, false)
}
