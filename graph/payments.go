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

// Global ID type names of the payment and its allocations; they equal its
// description's (TestDocumentNodes checks).
const (
	typePayment           = "Payment"
	typePaymentAllocation = "PaymentAllocation"
)

// paymentByID loads a payment the viewer may see: a sales rep only their own customers'.
func (r *Resolver) paymentByID(ctx context.Context, id int64) (*sales.Payment, error) {
	p, err := loadersFrom(ctx).PaymentByID.Load(ctx, id)()
	return visible(ctx, r, p, err, func(p *sales.Payment) int64 { return p.CustomerID })
}

// allocationInputs decodes allocation requests; nil stays nil (auto-allocation).
func allocationInputs(in []*model.AllocationInput) ([]sales.AllocationInput, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]sales.AllocationInput, 0, len(in))
	for i, a := range in {
		k, err := relay.Key(fmt.Sprintf("input.allocations.%d.invoiceId", i), typeInvoice, a.InvoiceID)
		if err != nil {
			return nil, err
		}
		out = append(out, sales.AllocationInput{InvoiceID: k, Amount: a.Amount})
	}
	return out, nil
}

func (r *Resolver) recordPayment(ctx context.Context, in model.RecordPaymentInput, key *string) (*sales.Payment, error) {
	np := sales.NewPayment{Amount: in.Amount, Currency: in.Currency, ReceivedDate: in.ReceivedDate, Method: in.Method}
	if in.Reference != nil {
		np.Reference = *in.Reference
	}
	if err := decodeKeys(
		keyArg{&np.OrderID, "input.orderId", typeSalesOrder, in.OrderID},
	); err != nil {
		return nil, err
	}
	c, err := relay.Key("input.customerId", typeCustomer, in.CustomerID)
	if err != nil {
		return nil, err
	}
	np.CustomerID = c
	if np.Allocations, err = allocationInputs(in.Allocations); err != nil {
		return nil, err
	}
	return r.Store.Payments.Record(ctx, Viewer(ctx), np, key)
}

func (r *Resolver) payments(ctx context.Context, a pageArgs, f *model.PaymentFilter, o *model.PaymentOrder) (*model.PaymentConnection, error) {
	filter := sales.PaymentFilter{OwnerID: Viewer(ctx).CustomerScope()}
	if f != nil {
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
	return paymentConnection(ctx, a, func(pg db.Page) (db.Window[sales.Payment], error) {
		return r.Store.Payments.List(ctx, filter, sort, pg)
	})
}

// paymentConnection pages payments with fetch and starts the edges the nodes select.
func paymentConnection(ctx context.Context, a pageArgs, fetch func(db.Page) (db.Window[sales.Payment], error)) (*model.PaymentConnection, error) {
	p, err := paginate(ctx, a, fetch)
	if err != nil {
		return nil, err
	}
	prefetchPayments(ctx, p.items, connectionNodeFields(ctx, paymentImplementors))
	return &model.PaymentConnection{Nodes: p.items, PageInfo: p.info, TotalCount: p.total,
		Edges: edges(p, func(c string, n *sales.Payment) *model.PaymentEdge { return &model.PaymentEdge{Cursor: c, Node: n} })}, nil
}

func (r *Resolver) customerPayments(ctx context.Context, c *sales.Customer, a pageArgs, f *model.PaymentFilter, o *model.PaymentOrder) (*model.PaymentConnection, error) {
	return objectList(ctx, a, f, o != nil, loadersFrom(ctx).FirstPaymentsByCustomer, c.ID, paymentConnection,
		func(f *model.PaymentFilter) (err error) {
			f.CustomerID, err = ownParent("filter.customerId", typeCustomer, c.ID, f.CustomerID)
			return err
		},
		func(f *model.PaymentFilter) (*model.PaymentConnection, error) { return r.payments(ctx, a, f, o) })
}

// inPaymentCurrency is an allocation's amount in its payment's currency.
func inPaymentCurrency(ctx context.Context, paymentID int64, amount decimal.Decimal) (*decimal.Decimal, error) {
	return inCurrencyOf(ctx, "payments", loadersFrom(ctx).PaymentByID, paymentID, amount, func(p *sales.Payment) string { return p.Currency })
}

// paymentAllocations loads a payment's allocations, noting its currency for their money.
func paymentAllocations(ctx context.Context, p *sales.Payment) ([]*sales.PaymentAllocation, error) {
	l := loadersFrom(ctx)
	l.currencies.note("payments", p.ID, p.Currency)
	return l.AllocationsByPaymentID.Load(ctx, p.ID)()
}

// The payment's node lookup: node(id:) and nodes(ids:) for it and its allocations.
var paymentNode = describeNode(sales.DocPayment, documentWithLines(typePayment,
	func(ctx context.Context, r *Resolver, id int64) (*sales.Payment, error) {
		return r.paymentByID(ctx, id)
	}, prefetchPaymentNodes,
	typePaymentAllocation, func(l *Loaders) *loader[int64, *sales.PaymentAllocation] { return l.PaymentAllocationByID }, func(x *sales.PaymentAllocation) int64 { return x.PaymentID }))

// prefetchPaymentNodes starts loading payment nodes, then what their visibility check reads.
func prefetchPaymentNodes(ctx context.Context, ids []int64) {
	loadersFrom(ctx).PaymentByID.prefetch(ctx, ids, func(ps []*sales.Payment) {
		prefetchVisibleCustomers(ctx, keys(nonNil(ps), func(p *sales.Payment) int64 { return p.CustomerID }))
	})
}

// prefetchPayments loads the edges a page of payments selects, one
// statement per edge for the whole page.
func prefetchPayments(ctx context.Context, payments []*sales.Payment, fields []graphql.CollectedField) {
	if len(payments) == 0 {
		return
	}
	l := loadersFrom(ctx)
	ids := keys(payments, func(p *sales.Payment) int64 { return p.ID })
	for _, f := range fields {
		switch f.Name {
		case "customer":
			l.CustomerByID.prefetch(ctx, keys(payments, func(p *sales.Payment) int64 { return p.CustomerID }),
				thenOne(ctx, sub(ctx, f, customerImplementors), prefetchCustomers))
		case "order":
			l.OrderByID.prefetch(ctx, optKeys(payments, func(p *sales.Payment) *int64 { return p.OrderID }),
				thenOne(ctx, sub(ctx, f, salesOrderImplementors), prefetchOrders))
		case "createdBy":
			l.UserByID.prefetch(ctx, optKeys(payments, func(p *sales.Payment) *int64 { return p.CreatedBy }), nil)
		case "allocations":
			for _, p := range payments {
				l.currencies.note("payments", p.ID, p.Currency)
			}
			l.AllocationsByPaymentID.prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, paymentAllocationImplementors), prefetchPaymentAllocations))
		case "history":
			l.History[sales.DocPayment].prefetch(ctx, ids, thenMany(ctx, sub(ctx, f, documentEventImplementors), prefetchDocumentEvents))
		}
	}
}

// prefetchPaymentAllocations loads the edges a list of allocations selects.
func prefetchPaymentAllocations(ctx context.Context, as []*sales.PaymentAllocation, fields []graphql.CollectedField) {
	if len(as) == 0 {
		return
	}
	l := loadersFrom(ctx)
	for _, f := range fields {
		switch f.Name {
		case "payment":
			l.PaymentByID.prefetch(ctx, keys(as, func(a *sales.PaymentAllocation) int64 { return a.PaymentID }),
				thenOne(ctx, sub(ctx, f, paymentImplementors), prefetchPayments))
		case "invoice":
			l.InvoiceByID.prefetch(ctx, keys(as, func(a *sales.PaymentAllocation) int64 { return a.InvoiceID }),
				thenOne(ctx, sub(ctx, f, invoiceImplementors), prefetchInvoices))
		case "allocatedBy":
			l.UserByID.prefetch(ctx, optKeys(as, func(a *sales.PaymentAllocation) *int64 { return a.AllocatedBy }), nil)
		case "reversedBy":
			l.UserByID.prefetch(ctx, optKeys(as, func(a *sales.PaymentAllocation) *int64 { return a.ReversedBy }), nil)
		}
	}
}

// allocationAmount is an allocation's amount in its currency (its
// payment's, which is its invoice's), from whichever of the two was listed.
func allocationAmount(ctx context.Context, a *sales.PaymentAllocation) (*decimal.Decimal, error) {
	if cur, ok := loadersFrom(ctx).currencies.lookup("payments", a.PaymentID); ok {
		return inCurrency(a.Amount, cur)
	}
	return inInvoiceCurrency(ctx, a.InvoiceID, a.Amount)
}

// invoicePayments loads the allocations to an invoice, noting its currency for their money.
func invoicePayments(ctx context.Context, inv *sales.Invoice) ([]*sales.PaymentAllocation, error) {
	l := loadersFrom(ctx)
	l.currencies.note("invoices", inv.ID, inv.Currency)
	return l.AllocationsByInvoiceID.Load(ctx, inv.ID)()
}
