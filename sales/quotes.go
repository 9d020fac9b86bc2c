package sales

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The quote rules that depend on more than the state table (DESIGN.md,
// "States"): revisions, validity dates and reasons. Pure: the store calls
// them with the rows it locked and the transaction's date.

// CheckQuoteAction decides whether action may be done to q on day and
// returns the status it leads to. A superseded revision refuses everything
// (INVALID_TRANSITION naming the revision that supersedes it); then the state
// table decides (INVALID_TRANSITION naming the current state); then the
// dates: past validUntil a quote can no longer be sent or accepted
// (INVALID_TRANSITION on "validUntil", "expired on …"), and before it has
// passed it cannot be marked expired (VALIDATION on "validUntil").
func CheckQuoteAction(q *Quote, action QuoteAction, day time.Time) (QuoteStatus, error) {
	if q.SupersededBy != nil {
		next := Quote{Number: q.Number, Revision: q.Revision + 1}
		return q.Status, Errorf(CodeInvalidTransition, "status",
			"quote %s was revised: %s supersedes it, act on that revision instead", q.DisplayNumber(), next.DisplayNumber())
	}
	to, err := NextQuoteStatus(q.Status, action)
	if err != nil {
		return q.Status, err
	}
	validUntil := q.ValidUntil.Format(time.DateOnly)
	switch action {
	case QuoteSend, QuoteAccept:
		if q.Expired(day) {
			return q.Status, Errorf(CodeInvalidTransition, "validUntil",
				"cannot %s quote %s: it expired on %s", humanAction(string(action)), q.DisplayNumber(), validUntil)
		}
	case QuoteExpire:
		if !q.Expired(day) {
			return q.Status, Errorf(CodeValidation, "validUntil",
				"quote %s is valid until %s; it can be marked expired only after that", q.DisplayNumber(), validUntil)
		}
	}
	return to, nil
}

// CheckQuoteReason validates the reason given with an action: rejecting and
// cancelling need one; any reason is at most 500 characters. Returns the
// trimmed reason.
func CheckQuoteReason(action QuoteAction, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	var p Problems
	if action == QuoteReject || action == QuoteCancel {
		p.Check(reason != "", "reason", "a reason is required to %s a quote", humanAction(string(action)))
	}
	CheckText(&p, "reason", reason, 0, 500)
	return reason, p.Err()
}

// CheckValidUntil validates a quote's valid-until date against today (the
// transaction's date): it may not be in the past, nor absurdly far ahead.
func CheckValidUntil(p *Problems, field string, validUntil, today time.Time) {
	v, t := validUntil.Format(time.DateOnly), today.Format(time.DateOnly)
	p.Check(v >= t, field, "validUntil %s is in the past (today is %s)", v, t)
	p.Check(validUntil.Year() <= 2999, field, "validUntil must be before the year 3000")
}

// CheckQuoteNotes validates a quote's notes.
func CheckQuoteNotes(p *Problems, field, notes string) {
	CheckText(p, field, notes, 0, 4000)
}

var quoteDisplayNumber = regexp.MustCompile(`^(.+)-R([1-9][0-9]{0,5})$`)

// ParseQuoteNumber reads a quote number as a customer sees it: a base
// number (QT-2026-000123, revision 0: any) or a revision's display number
// (QT-2026-000123-R2). Case and surrounding space are ignored.
func ParseQuoteNumber(s string) (base string, revision int) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if m := quoteDisplayNumber.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		return m[1], n
	}
	return s, 0
}

// QuoteLineChangeKind says how a product's line differs between revisions.
type QuoteLineChangeKind string

// Kinds of line changes.
const (
	QuoteLineAdded           QuoteLineChangeKind = "ADDED"
	QuoteLineRemoved         QuoteLineChangeKind = "REMOVED"
	QuoteLineRepriced        QuoteLineChangeKind = "REPRICED"
	QuoteLineQuantityChanged QuoteLineChangeKind = "QUANTITY_CHANGED"
)

// QuoteLineChange is one difference between a revision's lines and the
// previous revision's. Before is nil for ADDED, After for REMOVED.
type QuoteLineChange struct {
	Kind      QuoteLineChangeKind
	ProductID int64
	Before    *QuoteLine
	After     *QuoteLine
}

// DiffQuoteLines compares a revision's lines (after) with the previous
// revision's (before), by product. When a product appears on several lines,
// its n-th line before is compared with its n-th line after. A pair whose
// unit price or discount differs is REPRICED; whose quantity differs,
// QUANTITY_CHANGED (both, when both changed). The changes follow the new
// revision's line order; removed lines come last, in the old order.
func DiffQuoteLines(before, after []*QuoteLine) []QuoteLineChange {
	pending := map[int64][]*QuoteLine{}
	for _, l := range before {
		pending[l.ProductID] = append(pending[l.ProductID], l)
	}
	matched := map[*QuoteLine]bool{}
	out := []QuoteLineChange{}
	for _, a := range after {
		olds := pending[a.ProductID]
		if len(olds) == 0 {
			out = append(out, QuoteLineChange{Kind: QuoteLineAdded, ProductID: a.ProductID, After: a})
			continue
		}
		b := olds[0]
		pending[a.ProductID] = olds[1:]
		matched[b] = true
		if !b.UnitPrice.Equal(a.UnitPrice) || !b.DiscountPercent.Equal(a.DiscountPercent) {
			out = append(out, QuoteLineChange{Kind: QuoteLineRepriced, ProductID: a.ProductID, Before: b, After: a})
		}
		if !b.Quantity.Equal(a.Quantity) {
			out = append(out, QuoteLineChange{Kind: QuoteLineQuantityChanged, ProductID: a.ProductID, Before: b, After: a})
		}
	}
	for _, b := range before {
		if !matched[b] {
			out = append(out, QuoteLineChange{Kind: QuoteLineRemoved, ProductID: b.ProductID, Before: b})
		}
	}
	return out
}
