package db

import (
	"context"
	"time"

	"salesgraph/sales"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"
)

// ByIDs returns the quotes with these IDs, in any order.
func (s *QuoteStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Quote, err error) {
	defer wrap(&err, "Quotes.ByIDs")
	return byIDs[sales.Quote](ctx, s.db, `SELECT `+quoteColumns+` FROM quotes WHERE id = ANY($1)`, ids)
}

// ByNumbers returns every revision of the quotes with these base numbers, by number and revision.
func (s *QuoteStore) ByNumbers(ctx context.Context, numbers []string) (_ []*sales.Quote, err error) {
	defer wrap(&err, "Quotes.ByNumbers")
	var out []*sales.Quote
	err = s.db.SelectContext(ctx, &out, `SELECT `+quoteColumns+` FROM quotes
		WHERE number = ANY($1) ORDER BY number, revision`, pq.Array(numbers))
	return out, err
}

// LinesByQuoteIDs returns the lines of these quotes, by quote and line number.
func (s *QuoteStore) LinesByQuoteIDs(ctx context.Context, ids []int64) (_ []*sales.QuoteLine, err error) {
	defer wrap(&err, "Quotes.LinesByQuoteIDs")
	return byIDs[sales.QuoteLine](ctx, s.db, `SELECT `+quoteLineColumns+` FROM quote_lines
		WHERE quote_id = ANY($1) ORDER BY quote_id, line_no`, ids)
}

// LinesByIDs returns quote lines by ID, in any order.
func (s *QuoteStore) LinesByIDs(ctx context.Context, ids []int64) (_ []*sales.QuoteLine, err error) {
	defer wrap(&err, "Quotes.LinesByIDs")
	return byIDs[sales.QuoteLine](ctx, s.db, `SELECT `+quoteLineColumns+` FROM quote_lines WHERE id = ANY($1)`, ids)
}

func (s *QuoteStore) byID(ctx context.Context, id int64) (*sales.Quote, error) {
	var q sales.Quote
	if err := s.db.GetContext(ctx, &q, `SELECT `+quoteColumns+` FROM quotes WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "quote")
	}
	return &q, nil
}

// Revisions share a number: NUMBER sorts them by revision within it (the
// list's key, id, follows revision order).
var quoteKeys = &keyset[sales.Quote]{
	list: "quotes",
	sorts: map[string]sortKey[sales.Quote]{
		"NUMBER":      textKey("number", "%s", func(r *sales.Quote) string { return r.Number }),
		"CREATED_AT":  stampKey("created_at", func(r *sales.Quote) time.Time { return r.CreatedAt }),
		"VALID_UNTIL": dateKey("valid_until", false, func(r *sales.Quote) *time.Time { return &r.ValidUntil }),
		"TOTAL":       numberKey("total", func(r *sales.Quote) decimal.Decimal { return r.Total }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(r *sales.Quote) []int64 { return []int64{r.ID} },
}

// List returns a page of quotes and, when page.Count asks, the total (else -1). The default order is newest
// first. Number matches a base number (every revision the other filters
// allow) or a display number with -Rn (that revision). From and To are
// creation dates, both inclusive, in the database's time zone.
func (s *QuoteStore) List(ctx context.Context, f sales.QuoteFilter, sort Sort, page Page) (_ Window[sales.Quote], err error) {
	defer wrap(&err, "Quotes.List")
	var w where
	anyOf(&w, "status", f.Statuses)
	if f.CustomerID != nil {
		w.add("customer_id = ?", *f.CustomerID)
	}
	if f.SalesRepID != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *f.SalesRepID)
	}
	if f.OwnerID != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *f.OwnerID)
	}
	if f.Number != nil {
		base, revision := sales.ParseQuoteNumber(*f.Number)
		w.add("number = ?", base)
		if revision > 0 {
			w.add("revision = ?", revision)
		}
	}
	if f.From != nil {
		w.add("created_at >= ?::date", f.From.Format(time.DateOnly))
	}
	if f.To != nil {
		w.add("created_at < ?::date + 1", f.To.Format(time.DateOnly))
	}
	if f.LatestOnly {
		w.add("superseded_by IS NULL")
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+quoteColumns, `FROM quotes`, &w, quoteKeys, sort, page)
}
