package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// Global ID type names of the dispute and its lines; they equal its
// description's (TestDocumentNodes checks).
const (
	typeDispute     = "Dispute"
	typeDisputeLine = "DisputeLine"
)

// disputeByID loads a dispute the viewer may see: a sales rep only their own customers'.
func (r *Resolver) disputeByID(ctx context.Context, id int64) (*sales.Dispute, error) {
	d, err := loadersFrom(ctx).DisputeByID.Load(ctx, id)()
	return visible(ctx, r, d, err, func(d *sales.Dispute) int64 { return d.CustomerID })
}

// disputeLineInputs decodes lines of invoice quantities, naming field.N.invoiceLineId in errors.
func disputeLineInputs(field string, in []*model.DisputeLineInput) ([]sales.DisputeLineInput, error) {
	out := make([]sales.DisputeLineInput, 0, len(in))
	for i, l := range in {
		k, err := relay.Key(fmt.Sprintf("%s.%d.invoiceLineId", field, i), typeInvoiceLine, l.InvoiceLineID)
		if err != nil {
			return nil, err
		}
		out = append(out, sales.DisputeLineInput{InvoiceLineID: k, Quantity: l.Quantity})
	}
	return out, nil
}

func (r *Resolver) disputeInvoice(ctx context.Context, in model.DisputeInvoiceInput, key *string) (*sales.Dispute, error) {
	inv, err := relay.Key("input.invoiceId", typeInvoice, in.InvoiceID)
	if err != nil {
		return nil, err
	}
	nd := sales.NewDispute{InvoiceID: inv, ReasonCode: in.ReasonCode}
	if in.Notes != nil {
		nd.Notes = *in.Notes
	}
	if nd.Lines, err = disputeLineInputs("input.lines", in.Lines); err != nil {
		return nil, err
	}
	return r.Store.Disputes.Open(ctx, Viewer(ctx), nd, key)
}

func (r *Resolver) resolveDispute(ctx context.Context, id string, version int, in model.ResolveDisputeInput) (*sales.Dispute, error) {
	ri := sales.DisputeResolutionInput{Resolution: in.Resolution}
	if in.Note != nil {
		ri.Note = *in.Note
	}
	var err error
	if ri.CreditLines, err = disputeLineInputs("input.creditLines", in.CreditLines); err != nil {
		return nil, err
	}
	return actOn(typeDispute, id, func(k int64) (*sales.Dispute, error) {
		return r.Store.Disputes.Resolve(ctx, Viewer(ctx), k, version, ri)
	})
}

func (r *Resolver) disputes(ctx context.Context, a pageArgs, f *model.DisputeFilter, o *model.DisputeOrder) (*model.DisputeConnection, error) {
	filter := sales.DisputeFilter{OwnerID: Viewer(ctx).CustomerScope()}
	if f != nil {
		filter.Statuses = f.Status
		if err := decodeKeys(
			keyArg{&filter.CustomerID, "filter.customerId", typeCustomer, f.CustomerID},
			keyArg{&filter.InvoiceID, "filter.invoiceId", typeInvoice, f.InvoiceID},
		); err != nil {
			return nil, err
		}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.Dispute], error) {
		return r.Store.Disputes.List(ctx, filter, sort, pg)
	})
	if err != nil {
		return nil, err
	}
	prefetchDisputes(ctx, p.items, connectionNodeFields(ctx, disputeImplementors))
	return &model.DisputeConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Dispute) *model.DisputeEdge { return &model.DisputeEdge{Cursor: c, Node: n} })}, nil
}

// disputeLines loads a dispute's lines, noting its currency for their money.
func disputeLines(ctx context.Context, d *sales.Dispute) ([]*sales.DisputeLine, error) {
	l := loadersFrom(ctx)
	l.currencies.note("disputes", d.ID, d.Currency)
	return l.DisputeLinesByDisputeID.Load(ctx, d.ID)()
}

// inDisputeCurrency is a dispute line's amount in its dispute's currency.
func inDisputeCurrency(ctx context.Context, disputeID int64, amount decimal.Decimal) (*decimal.Decimal, error) {
	return inCurrencyOf(ctx, "disputes", loadersFrom(ctx).DisputeByID, disputeID, amount, func(d *sales.Dispute) string { return d.Currency })
}

// disputeWriteOff is the write-off that resolved a dispute, if one did.
func disputeWriteOff(ctx context.Context, d *sales.Dispute) (*sales.WriteOff, error) {
	if d.Resolution == nil || *d.Resolution != sales.ResolutionWriteOff {
		return nil, nil
	}
	return loadersFrom(ctx).WriteOffByInvoiceID.Load(ctx, d.InvoiceID)()
}

// The dispute's node lookup: node(id:) and nodes(ids:) for it and its lines.
var disputeNode = describeNode(sales.DocDispute, documentWithLines(typeDispute,
	func(ctx context.Context, r *Resolver, id int64) (*sales.Dispute, error) {
		return r.disputeByID(ctx, id)
	}, prefetchDisputeNodes,
	typeDisputeLine, func(l *Loaders) *loader[int64, *sales.DisputeLine] { return l.DisputeLineByID }, func(x *sales.DisputeLine) int64 { return x.DisputeID }))

// prefetchDisputeNodes starts loading dispute nodes, then what their visibility check reads.
func prefetchDisputeNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).DisputeByID.prefetch(ctx, ids, func(ds []*sales.Dispute) {
		prefetchVisibleCustomers(ctx, keys(nonNil(ds), func(d *sales.Dispute) int64 { return d.CustomerID }))
	})
}

// prefetchDisputes loads the edges a page of disputes selects, one
// statement per edge for the whole page.
func prefetchDisputes(ctx context.Context, ds []*sales.Dispute, fields []graphql.CollectedField) {
	if len(ds) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(ds, func(d *sales.Dispute) int64 { return d.ID })
	for _, f := range fields {
		switch f.Name {
		case "invoice":
			l.InvoiceByID.prefetch(ctx, keys(ds, func(d *sales.Dispute) int64 { return d.InvoiceID }),
				thenOne(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		case "customer":
			l.CustomerByID.prefetch(ctx, keys(ds, func(d *sales.Dispute) int64 { return d.CustomerID }),
				thenOne(ctx, sub(ctx, f, customerImplementors), prefetchCustomers))
		case "creditNote":
			l.InvoiceByID.prefetch(ctx, optKeys(ds, func(d *sales.Dispute) *int64 { return d.CreditNoteID }),
				thenOne(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		case "writeOff":
			var written []int64
			for _, d := range ds {
				if d.Resolution != nil && *d.Resolution == sales.ResolutionWriteOff {
					written = append(written, d.InvoiceID)
				}
			}
			l.WriteOffByInvoiceID.prefetch(ctx, written, thenOne(ctx, sub(ctx, f, writeOffImplementors), prefetchWriteOffs))
		case "resolvedBy":
			l.UserByID.prefetch(ctx, optKeys(ds, func(d *sales.Dispute) *int64 { return d.ResolvedBy }), nil)
		case "createdBy":
			l.UserByID.prefetch(ctx, optKeys(ds, func(d *sales.Dispute) *int64 { return d.CreatedBy }), nil)
		case "lines":
			for _, d := range ds {
				l.currencies.note("disputes", d.ID, d.Currency)
			}
			l.DisputeLinesByDisputeID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, disputeLineImplementors), prefetchDisputeLines))
		case "history":
			l.History[sales.DocDispute].prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, documentEventImplementors), prefetchDocumentEvents))
		}
	}
}

func prefetchDisputeLines(ctx context.Context, lines []*sales.DisputeLine, fields []graphql.CollectedField) {
	if len(lines) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "dispute":
			l.DisputeByID.prefetch(ctx, keys(lines, func(x *sales.DisputeLine) int64 { return x.DisputeID }),
				thenOne(ctx, sub(ctx, f, disputeImplementors), prefetchDisputes))
		case "invoiceLine":
			l.InvoiceLineByID.prefetch(ctx, keys(lines, func(x *sales.DisputeLine) int64 { return x.InvoiceLineID }),
				thenOne(ctx, sub(ctx, f, invoiceLineImplementors), prefetchInvoiceLines))
		}
	}
}

// prefetchWriteOffs loads the edges a list of write-offs selects.
func prefetchWriteOffs(ctx context.Context, ws []*sales.WriteOff, fields []graphql.CollectedField) {
	if len(ws) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "invoice":
			l.InvoiceByID.prefetch(ctx, keys(ws, func(w *sales.WriteOff) int64 { return w.InvoiceID }),
				thenOne(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		case "dispute":
			l.DisputeByID.prefetch(ctx, optKeys(ws, func(w *sales.WriteOff) *int64 { return w.DisputeID }),
				thenOne(ctx, sub(ctx, f, disputeImplementors), prefetchDisputes))
		case "writtenOffBy":
			l.UserByID.prefetch(ctx, keys(ws, func(w *sales.WriteOff) int64 { return w.WrittenOffBy }), nil)
		}
	}
}
