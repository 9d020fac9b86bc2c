package graph

import (
	"context"
	"sync"
	"time"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/printable"
	"salesgraph/relay"
	"salesgraph/sales"
)

// Reports (reports.graphqls): the receivables aging, customers' balances
// and statements. Each reads in SQL (db/reports.go); a page of customers
// asking for balances or statements shares one batch per period.

// statementPeriod keys the statement loaders: one per (from, to) a
// response asks for.
type statementPeriod struct{ from, to string }

// statementLoaders are a response's statement loaders, made on first use.
type statementLoaders struct {
	wait    time.Duration
	reports *db.ReportStore
	mu      sync.Mutex
	by      map[statementPeriod]*loader[int64, *db.StatementRows]
}

func (l *statementLoaders) of(from, to time.Time) *loader[int64, *db.StatementRows] {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := statementPeriod{from.Format(time.DateOnly), to.Format(time.DateOnly)}
	if ld := l.by[k]; ld != nil {
		return ld
	}
	if l.by == nil {
		l.by = map[statementPeriod]*loader[int64, *db.StatementRows]{}
	}
	ld := one(l.wait, func(ctx context.Context, ids []int64) ([]*db.StatementRows, error) {
		return l.reports.Statements(ctx, ids, from, to)
	}, func(r *db.StatementRows) int64 { return r.CustomerID })
	l.by[k] = ld
	return ld
}

// receivablesAging is the report on asOf (default today), a sales rep's own
// customers' only.
func (r *Resolver) receivablesAging(ctx context.Context, asOf *time.Time) *model.ReceivablesAging {
	day := time.Now().UTC()
	if asOf != nil {
		day = *asOf
	}
	y, m, d := day.Date()
	return &model.ReceivablesAging{AsOf: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), OwnerID: Viewer(ctx).CustomerScope()}
}

// agingCustomers pages the aging's customer lines.
func (r *Resolver) agingCustomers(ctx context.Context, rep *model.ReceivablesAging, a pageArgs, f *model.AgingFilter) (*model.AgingLineConnection, error) {
	filter := sales.AgingFilter{OwnerID: rep.OwnerID}
	if f != nil {
		filter.Currency = f.Currency
		filter.OverdueOnly = f.OverdueOnly != nil && *f.OverdueOnly
		if err := decodeKeys(keyArg{&filter.CustomerID, "filter.customerId", typeCustomer, f.CustomerID}); err != nil {
			return nil, err
		}
	}
	p, err := paginate(ctx, a, func(pg db.Page) (db.Window[sales.AgingLine], error) {
		return r.Store.Reports.AgingCustomers(ctx, rep.AsOf, filter, pg)
	})
	if err != nil {
		return nil, err
	}
	// The lines' customers, in one batch.
	ids := make([]int64, len(p.items))
	for i, l := range p.items {
		ids[i] = l.CustomerID
	}
	loadersFrom(ctx).CustomerByID.prefetch(ctx, ids, nil)
	return &model.AgingLineConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.AgingLine) *model.AgingLineEdge {
			return &model.AgingLineEdge{Cursor: c, Node: n}
		})}, nil
}

// customerStatement is c's statement from from to to.
func (r *Resolver) customerStatement(ctx context.Context, c *sales.Customer, from, to time.Time) (*sales.Statement, error) {
	if err := sales.CheckStatementPeriod(from, to); err != nil {
		return nil, err
	}
	rows, err := loadersFrom(ctx).statements.of(from, to).Load(ctx, c.ID)()
	if err != nil {
		return nil, err
	}
	if rows == nil {
		return nil, sales.Errorf(sales.CodeNotFound, "id", "customer not found")
	}
	if err := sales.CheckStatementLines(len(rows.Lines)); err != nil {
		return nil, err
	}
	return sales.BuildStatement(c.ID, rows.Currency, from, to, rows.Opening, rows.Lines), nil
}

// statementDocument is the document a statement line moved the balance
// with, if the viewer may see it.
func (r *Resolver) statementDocument(ctx context.Context, l *sales.StatementLine) (relay.Node, error) {
	switch l.DocType {
	case sales.DocInvoice:
		return nilIfAbsent(r.invoiceByID(ctx, l.DocID))
	case sales.DocPayment:
		return nilIfAbsent(r.paymentByID(ctx, l.DocID))
	}
	return nil, nil
}

// invoicePrintURL is the printable invoice's path, signed for the viewer
// so that a plain browser tab opens it (printable/links.go).
func (r *Resolver) invoicePrintURL(ctx context.Context, inv *sales.Invoice) string {
	path := printable.InvoicePath(inv.ID)
	if v := Viewer(ctx); v != nil {
		return r.Links.Link(path, v.ID)
	}
	return path
}
