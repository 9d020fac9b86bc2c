package graph

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// quoteLineInputs decodes quote lines; errors name the line ("input.lines.2.productId").
func quoteLineInputs(field string, in []*model.QuoteLineInput) ([]sales.LineInput, error) {
	out := make([]sales.LineInput, len(in))
	for i, l := range in {
		product, err := relay.Key(fmt.Sprintf("%s.%d.productId", field, i), typeProduct, l.ProductID)
		if err != nil {
			return nil, err
		}
		out[i] = sales.LineInput{ProductID: product, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			PriceOverrideReason: deref(l.PriceOverrideReason), DiscountPercent: decimal.Zero}
		set(&out[i].DiscountPercent, l.DiscountPercent)
	}
	return out, nil
}

// quoteChange decodes an update or a revision. Lines sent (even an empty
// list, which priceLines refuses) replace all lines.
func quoteChange(in model.UpdateQuoteInput) (sales.QuoteChange, error) {
	ch := sales.QuoteChange{ValidUntil: in.ValidUntil, Notes: in.Notes}
	if in.Lines != nil {
		lines, err := quoteLineInputs("input.lines", in.Lines)
		if err != nil {
			return ch, err
		}
		ch.Lines = lines
	}
	return ch, nil
}

func (r *Resolver) createQuote(ctx context.Context, in model.CreateQuoteInput, key *string) (*sales.Quote, error) {
	customer, err := relay.Key("input.customerId", typeCustomer, in.CustomerID)
	if err != nil {
		return nil, err
	}
	lines, err := quoteLineInputs("input.lines", in.Lines)
	if err != nil {
		return nil, err
	}
	return r.Store.Quotes.Create(ctx, Viewer(ctx), sales.NewQuote{CustomerID: customer, ValidUntil: in.ValidUntil,
		Notes: deref(in.Notes), Lines: lines}, key)
}

func (r *Resolver) updateQuote(ctx context.Context, id string, version int, in model.UpdateQuoteInput) (*sales.Quote, error) {
	k, err := relay.Key("id", typeQuote, id)
	if err != nil {
		return nil, err
	}
	ch, err := quoteChange(in)
	if err != nil {
		return nil, err
	}
	return r.Store.Quotes.Update(ctx, Viewer(ctx), k, version, ch)
}

func (r *Resolver) quoteTransition(ctx context.Context, id string, version int, action sales.QuoteAction, reason string) (*sales.Quote, error) {
	k, err := relay.Key("id", typeQuote, id)
	if err != nil {
		return nil, err
	}
	return r.Store.Quotes.Transition(ctx, Viewer(ctx), k, version, action, reason)
}

func (r *Resolver) reviseQuote(ctx context.Context, id string, version int, in model.UpdateQuoteInput) (*sales.Quote, error) {
	k, err := relay.Key("id", typeQuote, id)
	if err != nil {
		return nil, err
	}
	ch, err := quoteChange(in)
	if err != nil {
		return nil, err
	}
	return r.Store.Quotes.Revise(ctx, Viewer(ctx), k, version, ch)
}

// quoteChanges compares q's lines with the previous revision's, by product.
// Everything comes through loaders, so a page of quotes costs a constant
// number of statements: revisions by number, lines by quote, products.
func (r *Resolver) quoteChanges(ctx context.Context, q *sales.Quote) ([]*model.QuoteLineChange, error) {
	out := []*model.QuoteLineChange{}
	if q.Revision <= 1 {
		return out, nil
	}
	l := loadersFrom(ctx)
	revisions, err := l.QuoteRevisionsByNumber.Load(ctx, q.Number)()
	if err != nil {
		return nil, err
	}
	var prev *sales.Quote
	for _, rev := range revisions {
		if rev.Revision < q.Revision && (prev == nil || rev.Revision > prev.Revision) {
			prev = rev
		}
	}
	if prev == nil {
		return out, nil
	}
	// Both revisions' lines show money in their quote's currency.
	l.currencies.note("quotes", prev.ID, prev.Currency)
	l.currencies.note("quotes", q.ID, q.Currency)
	beforeThunk, afterThunk := l.QuoteLinesByQuoteID.Load(ctx, prev.ID), l.QuoteLinesByQuoteID.Load(ctx, q.ID)
	before, err := beforeThunk()
	if err != nil {
		return nil, err
	}
	after, err := afterThunk()
	if err != nil {
		return nil, err
	}
	changes := sales.DiffQuoteLines(before, after)
	products := make([]func() (*sales.Product, error), len(changes))
	for i, c := range changes {
		products[i] = l.ProductByID.Load(ctx, c.ProductID)
	}
	for i, c := range changes {
		p, err := products[i]()
		if err != nil {
			return nil, err
		}
		out = append(out, &model.QuoteLineChange{Kind: model.QuoteLineChangeKind(c.Kind), Product: p, Before: c.Before, After: c.After})
	}
	return out, nil
}

// quotes lists quotes; a sales rep sees their own customers' only. By
// default only live revisions are listed; a number naming one revision
// (QT-2026-000123-R1) finds it even when superseded, unless latestOnly is
// sent as true.
func (r *Resolver) quotes(ctx context.Context, a pageArgs, f *model.QuoteFilter, o *model.QuoteOrder) (*model.QuoteConnection, error) {
	filter := sales.QuoteFilter{OwnerID: Viewer(ctx).CustomerScope(), LatestOnly: true}
	if f != nil {
		filter.Statuses, filter.Number, filter.From, filter.To = f.Status, f.Number, f.From, f.To
		var err error
		if filter.CustomerID, err = relay.OptionalKey("filter.customerId", typeCustomer, f.CustomerID); err != nil {
			return nil, err
		}
		if filter.SalesRepID, err = relay.OptionalKey("filter.salesRepId", typeUser, f.SalesRepID); err != nil {
			return nil, err
		}
		if f.Number != nil {
			if _, revision := sales.ParseQuoteNumber(*f.Number); revision > 0 {
				filter.LatestOnly = false
			}
		}
		if f.LatestOnly != nil {
			filter.LatestOnly = *f.LatestOnly
		}
		if f.From != nil && f.To != nil && f.To.Before(*f.From) {
			return nil, sales.Errorf(sales.CodeValidation, "filter.to", "filter.to is before filter.from")
		}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	return quoteConnection(ctx, a, func(pg db.Page) (db.Window[sales.Quote], error) { return r.Store.Quotes.List(ctx, filter, sort, pg) })
}

// quoteConnection pages quotes with fetch and starts the edges the nodes select.
func quoteConnection(ctx context.Context, a pageArgs, fetch func(db.Page) (db.Window[sales.Quote], error)) (*model.QuoteConnection, error) {
	p, err := paginate(ctx, a, fetch)
	if err != nil {
		return nil, err
	}
	prefetchQuotes(ctx, p.items, connectionNodeFields(ctx, quoteImplementors))
	return &model.QuoteConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Quote) *model.QuoteEdge { return &model.QuoteEdge{Cursor: c, Node: n} })}, nil
}

// Global ID type names of the quote and its lines; they equal its
// description's (TestDocumentNodes checks).
const (
	typeQuote     = "Quote"
	typeQuoteLine = "QuoteLine"
)

// The quote's node lookup: node(id:) and nodes(ids:) for it and its lines.
var quoteNode = describeNode(sales.DocQuote, documentWithLines(typeQuote,
	func(ctx context.Context, r *Resolver, id int64) (*sales.Quote, error) { return r.quoteByID(ctx, id) }, prefetchQuoteNodes,
	typeQuoteLine, func(l *Loaders) *loader[int64, *sales.QuoteLine] { return l.QuoteLineByID }, func(x *sales.QuoteLine) int64 { return x.QuoteID }))

// prefetchQuoteNodes starts loading quote nodes, then what their visibility check reads.
func prefetchQuoteNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).QuoteByID.prefetch(ctx, ids, func(qs []*sales.Quote) {
		prefetchVisibleCustomers(ctx, keys(nonNil(qs), func(q *sales.Quote) int64 { return q.CustomerID }))
	})
}
