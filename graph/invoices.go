package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/graph/model"
	"salesgraph/relay"
	"salesgraph/sales"
)

// Global ID type names of the invoice and its lines; they equal its
// description's (TestDocumentNodes checks).
const (
	typeInvoice     = "Invoice"
	typeInvoiceLine = "InvoiceLine"
)

// invoiceByID loads an invoice the viewer may see: a sales rep only their
// own customers' (through the order, as deliveries and returns).
func (r *Resolver) invoiceByID(ctx context.Context, id int64) (*sales.Invoice, error) {
	inv, err := loadersFrom(ctx).InvoiceByID.Load(ctx, id)()
	return throughOrder(ctx, r, inv, err, func(inv *sales.Invoice) int64 { return inv.OrderID })
}

func (r *Resolver) createInvoice(ctx context.Context, in model.CreateInvoiceInput, key *string) (*sales.Invoice, error) {
	order, err := relay.Key("input.orderId", typeSalesOrder, in.OrderID)
	if err != nil {
		return nil, err
	}
	ni := sales.NewInvoice{OrderID: order}
	for i, l := range in.Lines {
		line, err := relay.Key(fmt.Sprintf("input.lines.%d.orderLineId", i), typeOrderLine, l.OrderLineID)
		if err != nil {
			return nil, err
		}
		ni.Lines = append(ni.Lines, sales.InvoiceLineInput{OrderLineID: line, Quantity: l.Quantity})
	}
	return r.Store.Invoices.Create(ctx, Viewer(ctx), ni, key)
}

func (r *Resolver) invoices(ctx context.Context, a pageArgs, f *model.InvoiceFilter, o *model.InvoiceOrder) (*model.InvoiceConnection, error) {
	filter := sales.InvoiceFilter{OwnerID: Viewer(ctx).CustomerScope()}
	if f != nil {
		filter.Statuses = f.Status
		filter.Kind = f.Kind
		if err := decodeKeys(
			keyArg{&filter.OrderID, "filter.orderId", typeSalesOrder, f.OrderID},
			keyArg{&filter.CustomerID, "filter.customerId", typeCustomer, f.CustomerID},
		); err != nil {
			return nil, err
		}
	}
	var sort db.Sort
	if o != nil {
		sort = sortOf(&o.Field, o.Direction)
	}
	return invoiceConnection(ctx, a, func(pg db.Page) (db.Window[sales.Invoice], error) {
		return r.Store.Invoices.List(ctx, filter, sort, pg)
	})
}

// invoiceConnection pages invoices with fetch and starts the edges the nodes select.
func invoiceConnection(ctx context.Context, a pageArgs, fetch func(db.Page) (db.Window[sales.Invoice], error)) (*model.InvoiceConnection, error) {
	p, err := paginate(ctx, a, fetch)
	if err != nil {
		return nil, err
	}
	prefetchInvoices(ctx, p.items, connectionNodeFields(ctx, invoiceImplementors))
	return &model.InvoiceConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Invoice) *model.InvoiceEdge { return &model.InvoiceEdge{Cursor: c, Node: n} })}, nil
}

// customerInvoices is customer.invoices: the first page from the
// customer's batched first pages, any other through invoices.
func (r *Resolver) customerInvoices(ctx context.Context, c *sales.Customer, a pageArgs, f *model.InvoiceFilter, o *model.InvoiceOrder) (*model.InvoiceConnection, error) {
	return objectList(ctx, a, f, o != nil, loadersFrom(ctx).FirstInvoicesByCustomer, c.ID, invoiceConnection,
		func(f *model.InvoiceFilter) (err error) {
			f.CustomerID, err = ownParent("filter.customerId", typeCustomer, c.ID, f.CustomerID)
			return err
		},
		func(f *model.InvoiceFilter) (*model.InvoiceConnection, error) { return r.invoices(ctx, a, f, o) })
}

// asOfDay is the day an overdue figure is computed for: the date asked, or today.
func asOfDay(asOf *time.Time) time.Time {
	if asOf != nil {
		return *asOf
	}
	return time.Now()
}

// invoiceLines loads an invoice's lines, noting its currency for their money.
func invoiceLines(ctx context.Context, inv *sales.Invoice) ([]*sales.InvoiceLine, error) {
	l := loadersFrom(ctx)
	l.currencies.note("invoices", inv.ID, inv.Currency)
	return l.InvoiceLinesByInvoiceID.Load(ctx, inv.ID)()
}

// inInvoiceCurrency is an invoice line's amount in its invoice's currency.
func inInvoiceCurrency(ctx context.Context, invoiceID int64, amount decimal.Decimal) (*decimal.Decimal, error) {
	return inCurrencyOf(ctx, "invoices", loadersFrom(ctx).InvoiceByID, invoiceID, amount, func(inv *sales.Invoice) string { return inv.Currency })
}

// The invoice's node lookup: node(id:) and nodes(ids:) for it and its lines.
var invoiceNode = describeNode(sales.DocInvoice, documentWithLines(typeInvoice,
	func(ctx context.Context, r *Resolver, id int64) (*sales.Invoice, error) {
		return r.invoiceByID(ctx, id)
	}, prefetchInvoiceNodes,
	typeInvoiceLine, func(l *Loaders) *loader[int64, *sales.InvoiceLine] { return l.InvoiceLineByID }, func(x *sales.InvoiceLine) int64 { return x.InvoiceID }))

// prefetchInvoiceNodes starts loading invoice nodes, then what their visibility check reads.
func prefetchInvoiceNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).InvoiceByID.prefetch(ctx, ids, func(is []*sales.Invoice) {
		prefetchOrderNodes(ctx, keys(nonNil(is), func(inv *sales.Invoice) int64 { return inv.OrderID }))
	})
}

// prefetchInvoices loads the edges a page of invoices selects, one
// statement per edge for the whole page.
func prefetchInvoices(ctx context.Context, invoices []*sales.Invoice, fields []graphql.CollectedField) {
	if len(invoices) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(invoices, func(inv *sales.Invoice) int64 { return inv.ID })
	for _, f := range fields {
		switch f.Name {
		case "order":
			l.OrderByID.prefetch(ctx, keys(invoices, func(inv *sales.Invoice) int64 { return inv.OrderID }),
				thenOne(ctx, sub(ctx, f, salesOrderImplementors), prefetchOrders))
		case "customer":
			l.CustomerByID.prefetch(ctx, keys(invoices, func(inv *sales.Invoice) int64 { return inv.CustomerID }),
				thenOne(ctx, sub(ctx, f, customerImplementors), prefetchCustomers))
		case "createdBy":
			l.UserByID.prefetch(ctx, optKeys(invoices, func(inv *sales.Invoice) *int64 { return inv.CreatedBy }), nil)
		case "lines":
			for _, inv := range invoices {
				l.currencies.note("invoices", inv.ID, inv.Currency)
			}
			l.InvoiceLinesByInvoiceID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, invoiceLineImplementors), prefetchInvoiceLines))
		case "payments":
			for _, inv := range invoices {
				l.currencies.note("invoices", inv.ID, inv.Currency)
			}
			l.AllocationsByInvoiceID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, paymentAllocationImplementors), prefetchPaymentAllocations))
		case "history":
			l.History[sales.DocInvoice].prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, documentEventImplementors), prefetchDocumentEvents))
		case "disputes":
			l.DisputesByInvoiceID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, disputeImplementors), prefetchDisputes))
		case "writeOff":
			l.WriteOffByInvoiceID.prefetch(ctx, ids, thenOne(ctx, sub(ctx, f, writeOffImplementors), prefetchWriteOffs))
		case "creditNotes", "return", "creditedInvoice", "creditAllocations":
			prefetchCreditNoteEdges(ctx, invoices, f)
		}
	}
}

func prefetchInvoiceLines(ctx context.Context, lines []*sales.InvoiceLine, fields []graphql.CollectedField) {
	if len(lines) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "invoice":
			l.InvoiceByID.prefetch(ctx, keys(lines, func(x *sales.InvoiceLine) int64 { return x.InvoiceID }),
				thenOne(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		case "orderLine", "product":
			prefetchThroughOrderLines(ctx, f, keys(lines, func(x *sales.InvoiceLine) int64 { return x.OrderLineID }))
		}
	}
}
