package db

import (
	"context"
	"fmt"

	"salesgraph/sales"
)

// QuoteStore persists quotes, their lines and revisions. The reads and the
// list are in quotes_list.go.
//
// Lock order (as for orders): customer (FOR SHARE) → quote (FOR UPDATE) →
// its lines. Revisions of a quote share its number; the live one is the
// revision nobody superseded.
type QuoteStore struct{ db *DB }

const (
	quoteColumns = `id, number, revision, customer_id, currency, valid_until, status, superseded_by, notes,
	subtotal, tax_total, total, created_by, version, created_at, updated_at`
	quoteLineColumns = `id, quote_id, line_no, product_id, quantity, unit_price, list_price, price_override_reason,
	discount_percent, tax_rate, subtotal, tax, total`
)

// Create drafts a quote for a customer: currency the customer's, lines
// priced from its price lists unless given, number assigned in the same
// transaction, revision 1, history "CREATE". Returns VALIDATION, NOT_FOUND
// (customer, also another rep's; product), NO_PRICE, IDEMPOTENCY_KEY_REUSED.
func (s *QuoteStore) Create(ctx context.Context, actor *sales.User, in sales.NewQuote, key *string) (_ *sales.Quote, err error) {
	defer wrap(&err, "Quotes.Create")
	id, err := s.db.createOnce(ctx, actor, "createQuote", key, in, func(tx *Tx) (int64, error) {
		customer, err := customerForDocument(ctx, tx, actor, in.CustomerID, "input.customerId")
		if err != nil {
			return 0, err
		}
		in, err := sales.CheckNewQuote(in, tx.Now)
		if err != nil {
			return 0, err
		}
		lines, total, err := priceLines(ctx, tx, customer, in.Lines, tx.Now, "input.lines")
		if err != nil {
			return 0, err
		}
		number, err := nextNumber(ctx, tx, sales.DocQuote.Series())
		if err != nil {
			return 0, err
		}
		q := sales.Quote{Number: number, Revision: 1, CustomerID: customer.ID, Currency: customer.Currency,
			ValidUntil: in.ValidUntil, Status: sales.QuoteDraft, Notes: in.Notes}
		id, err := insertQuote(ctx, tx, actor, &q, total)
		if err != nil {
			return 0, err
		}
		if err := insertQuoteLines(ctx, tx, id, lines); err != nil {
			return 0, err
		}
		return id, recordEvent(ctx, tx, sales.DocQuote, id, "CREATE", nil, string(sales.QuoteDraft), "", &actor.ID)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

// insertQuote writes a quote row (number, revision, customer, currency,
// validity, status and notes from q) with its totals, inside tx.
func insertQuote(ctx context.Context, tx *Tx, actor *sales.User, q *sales.Quote, total sales.Amounts) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO quotes (number, revision, customer_id, currency, valid_until, status, notes,
			subtotal, tax_total, total, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
		q.Number, q.Revision, q.CustomerID, q.Currency, q.ValidUntil.Format("2006-01-02"), string(q.Status), q.Notes,
		total.Subtotal, total.Tax, total.Total, actor.ID, tx.Now)
	return id, err
}

func insertQuoteLines(ctx context.Context, tx *Tx, quoteID int64, lines []pricedLine) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO quote_lines (quote_id, `+lineColumnNames+`)
		SELECT $1, * FROM unnest(`+lineColumnsSQL(2)+`)`, append([]any{quoteID}, columnsOf(lines).args()...)...)
	return err
}

// lockQuote locks a quote for a change, in the house lock order: it reads
// the quote's customer and locks it FOR SHARE, then locks the quote FOR
// UPDATE. A quote the actor may not see (another rep's customer) is
// NOT_FOUND, as if absent; a stale version is CONFLICT.
func lockQuote(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Quote, *sales.Customer, error) {
	var customerID int64
	if err := tx.GetContext(ctx, &customerID, `SELECT customer_id FROM quotes WHERE id = $1`, id); err != nil {
		return nil, nil, notFound(err, "id", "quote")
	}
	var c sales.Customer
	if err := tx.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1 FOR SHARE`, customerID); err != nil {
		return nil, nil, err
	}
	if !actor.CanSeeCustomer(&c) {
		return nil, nil, sales.Errorf(sales.CodeNotFound, "id", "quote not found")
	}
	var q sales.Quote
	if err := tx.GetContext(ctx, &q, `SELECT `+quoteColumns+` FROM quotes WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, notFound(err, "id", "quote")
	}
	if err := checkVersion("quote", q.Version, version); err != nil {
		return nil, nil, err
	}
	return &q, &c, nil
}

// applyQuoteChange validates ch against q (validity date, notes) and applies
// it to q, inside tx, pricing new lines for customer when ch has lines.
// It returns the new lines and totals, or nil lines when they stay.
func applyQuoteChange(ctx context.Context, tx *Tx, q *sales.Quote, customer *sales.Customer, ch sales.QuoteChange) ([]pricedLine, *sales.Amounts, error) {
	if err := sales.ApplyQuoteTerms(q, ch, tx.Now); err != nil {
		return nil, nil, err
	}
	if ch.Lines == nil {
		return nil, nil, sales.CheckQuoteCurrency(q, customer)
	}
	lines, total, err := priceLines(ctx, tx, customer, ch.Lines, tx.Now, "input.lines")
	if err != nil {
		return nil, nil, err
	}
	q.Currency = customer.Currency
	return lines, &total, nil
}

// Update edits a draft quote; sent lines replace all lines (repriced today)
// and the totals follow. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION
// (not a draft, or a superseded revision), VALIDATION, NO_PRICE.
func (s *QuoteStore) Update(ctx context.Context, actor *sales.User, id int64, version int, ch sales.QuoteChange) (_ *sales.Quote, err error) {
	defer wrap(&err, "Quotes.Update(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		q, customer, err := lockQuote(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if _, err := sales.PlanQuoteAction(q, customer, sales.QuoteEdit, tx.Now); err != nil {
			return err
		}
		lines, total, err := applyQuoteChange(ctx, tx, q, customer, ch)
		if err != nil {
			return err
		}
		if total == nil {
			total = &sales.Amounts{Subtotal: q.Subtotal, Tax: q.TaxTotal, Total: q.Total}
		} else {
			if _, err := tx.ExecContext(ctx, `DELETE FROM quote_lines WHERE quote_id = $1`, id); err != nil {
				return err
			}
			if err := insertQuoteLines(ctx, tx, id, lines); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE quotes SET valid_until = $2, notes = $3, currency = $4, subtotal = $5, tax_total = $6, total = $7,
				version = version + 1, updated_at = $8
			WHERE id = $1`, id, q.ValidUntil.Format("2006-01-02"), q.Notes, q.Currency, total.Subtotal, total.Tax, total.Total, tx.Now)
		return err
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Transition sends, accepts, rejects, expires or cancels a quote, writing
// its history with the reason. The rules are sales.PlanQuoteAction's (a
// superseded revision refuses everything; past validUntil no send or accept;
// expire only after it; no send or accept for an archived customer) and
// sales.CheckQuoteReason's (reject and cancel need a reason). Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *QuoteStore) Transition(ctx context.Context, actor *sales.User, id int64, version int, action sales.QuoteAction, reason string) (_ *sales.Quote, err error) {
	defer wrap(&err, "Quotes.Transition(%d, %s)", id, action)
	switch action {
	case sales.QuoteSend, sales.QuoteAccept, sales.QuoteReject, sales.QuoteExpire, sales.QuoteCancel:
	default:
		return nil, fmt.Errorf("not a transition: %s", action)
	}
	reason, err = sales.CheckQuoteReason(action, reason)
	if err != nil {
		return nil, err
	}
	var out sales.Quote
	err = s.db.Transact(ctx, func(tx *Tx) error {
		q, customer, err := lockQuote(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		to, err := sales.PlanQuoteAction(q, customer, action, tx.Now)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &out, `UPDATE quotes SET status = $2, version = version + 1, updated_at = $3
			WHERE id = $1 RETURNING `+quoteColumns, id, string(to), tx.Now)
		if err != nil {
			return err
		}
		from := string(q.Status)
		return recordEvent(ctx, tx, sales.DocQuote, id, string(action), &from, string(to), reason, &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return &out, nil
}

// Revise makes the next revision of a sent, latest quote: a new row under
// the same number, revision+1, a DRAFT with the old revision's lines (copied
// as they were priced) and then ch applied. The old row stays SENT and
// readable, superseded by the new one (its version bumps). Both get history.
// Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION, NO_PRICE.
func (s *QuoteStore) Revise(ctx context.Context, actor *sales.User, id int64, version int, ch sales.QuoteChange) (_ *sales.Quote, err error) {
	defer wrap(&err, "Quotes.Revise(%d)", id)
	var newID int64
	err = s.db.Transact(ctx, func(tx *Tx) error {
		old, customer, err := lockQuote(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if err := sales.CheckRevisionLimit(old.Revision + 1); err != nil {
			return err
		}
		if _, err := sales.PlanQuoteAction(old, customer, sales.QuoteRevise, tx.Now); err != nil {
			return err
		}
		next := *old
		next.Revision, next.Status, next.SupersededBy = old.Revision+1, sales.QuoteDraft, nil
		lines, total, err := applyQuoteChange(ctx, tx, &next, customer, ch)
		if err != nil {
			return err
		}
		if total == nil {
			if lines, total, err = copyQuoteLines(ctx, tx, old.ID); err != nil {
				return err
			}
		}
		if newID, err = insertQuote(ctx, tx, actor, &next, *total); err != nil {
			return err
		}
		if err := insertQuoteLines(ctx, tx, newID, lines); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE quotes SET superseded_by = $2, version = version + 1, updated_at = $3
			WHERE id = $1`, old.ID, newID, tx.Now); err != nil {
			return err
		}
		sent := string(old.Status)
		if err := recordEvent(ctx, tx, sales.DocQuote, old.ID, string(sales.QuoteRevise), &sent, sent,
			"superseded by "+next.DisplayNumber(), &actor.ID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, sales.DocQuote, newID, string(sales.QuoteRevise), nil, string(sales.QuoteDraft),
			"revises "+old.DisplayNumber(), &actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, newID)
}

// copyQuoteLines reads a quote's lines as priced lines (to copy them to a
// new revision unchanged) with their total.
func copyQuoteLines(ctx context.Context, tx *Tx, quoteID int64) ([]pricedLine, *sales.Amounts, error) {
	var rows []*sales.QuoteLine
	if err := tx.SelectContext(ctx, &rows, `SELECT `+quoteLineColumns+` FROM quote_lines WHERE quote_id = $1 ORDER BY line_no`, quoteID); err != nil {
		return nil, nil, err
	}
	lines := make([]pricedLine, len(rows))
	amounts := make([]sales.Amounts, len(rows))
	for i, l := range rows {
		lines[i] = pricedLine{LineNo: l.LineNo, ProductID: l.ProductID, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			ListPrice: l.ListPrice, OverrideReason: l.PriceOverrideReason, Discount: l.DiscountPercent, TaxRate: l.TaxRate,
			Amounts: sales.Amounts{Subtotal: l.Subtotal, Tax: l.Tax, Total: l.Total}}
		amounts[i] = lines[i].Amounts
	}
	total := sales.DocumentAmounts(amounts)
	return lines, &total, nil
}
