package sales

import (
	"strings"
	"time"
)

// Quote decisions that need more than CheckQuoteAction (quotes.go): the
// conversion to an order and the currency a kept set of lines is priced in.

// PlanQuoteConversion decides whether q may be converted to its order on
// day (a quote converted before is found by db and returned as it was,
// without asking). Returns INVALID_TRANSITION on "id" when q is not
// accepted, was revised, or has expired.
func PlanQuoteConversion(q *Quote, day time.Time) error {
	if _, err := NextQuoteStatus(q.Status, QuoteConvert); err != nil {
		return err
	}
	if q.SupersededBy != nil {
		return Errorf(CodeInvalidTransition, "id", "quote %s was revised; convert the latest revision", q.DisplayNumber())
	}
	if q.Expired(day) {
		return Errorf(CodeInvalidTransition, "id", "quote %s expired on %s", q.DisplayNumber(), q.ValidUntil.Format(time.DateOnly))
	}
	return nil
}

// ConvertedLines are a quote's lines as its order's lines: the quote's
// prices, list prices, reasons and amounts, renumbered from 1.
func ConvertedLines(lines []*QuoteLine) ([]PricedLine, Amounts) {
	out := make([]PricedLine, len(lines))
	amounts := make([]Amounts, len(lines))
	for i, l := range lines {
		out[i] = PricedLine{LineNo: i + 1, ProductID: l.ProductID, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			ListPrice: l.ListPrice, OverrideReason: l.PriceOverrideReason, Discount: l.DiscountPercent, TaxRate: l.TaxRate,
			Amounts: Amounts{Subtotal: l.Subtotal, Tax: l.Tax, Total: l.Total}}
		amounts[i] = out[i].Amounts
	}
	return out, DocumentAmounts(amounts)
}

// CheckQuoteCurrency refuses keeping a quote's lines when its customer now
// trades in another currency: they must be sent again to be priced in it.
// Returns VALIDATION on "input.lines".
func CheckQuoteCurrency(q *Quote, c *Customer) error {
	if q.Currency != c.Currency {
		return Errorf(CodeValidation, "input.lines",
			"customer %s now trades in %s, not %s: send the lines again to price them in %s", c.Code, c.Currency, q.Currency, c.Currency)
	}
	return nil
}

// PlanQuoteAction decides an action on a quote of customer on day and
// returns the status it leads to: CheckQuoteAction's rules, then the
// customer's: a quote of an archived customer can no longer be edited,
// revised, sent or accepted (VALIDATION on "id"); it can still be
// rejected, cancelled or marked expired.
func PlanQuoteAction(q *Quote, customer *Customer, action QuoteAction, day time.Time) (QuoteStatus, error) {
	to, err := CheckQuoteAction(q, action, day)
	if err != nil {
		return q.Status, err
	}
	switch action {
	case QuoteEdit, QuoteRevise, QuoteSend, QuoteAccept:
		if err := CheckCustomerActive(customer, "id"); err != nil {
			return q.Status, err
		}
	}
	return to, nil
}

// CheckNewQuote validates a new quote's notes (trimmed) and valid-until date
// against today (the transaction's date). Returns VALIDATION on
// "input.notes" or "input.validUntil".
func CheckNewQuote(in NewQuote, today time.Time) (NewQuote, error) {
	in.Notes = strings.TrimSpace(in.Notes)
	var p Problems
	CheckQuoteNotes(&p, "input.notes", in.Notes)
	CheckValidUntil(&p, "input.validUntil", in.ValidUntil, today)
	return in, p.Err()
}

// ApplyQuoteTerms applies a change's valid-until date and notes (trimmed)
// to q and validates the result against today: a quote whose date has
// passed must be given a new one with any edit. Returns VALIDATION on
// "input.validUntil" or "input.notes".
func ApplyQuoteTerms(q *Quote, ch QuoteChange, today time.Time) error {
	var p Problems
	if ch.ValidUntil != nil {
		q.ValidUntil = *ch.ValidUntil
	}
	CheckValidUntil(&p, "input.validUntil", q.ValidUntil, today)
	if ch.Notes != nil {
		q.Notes = strings.TrimSpace(*ch.Notes)
		CheckQuoteNotes(&p, "input.notes", q.Notes)
	}
	return p.Err()
}
