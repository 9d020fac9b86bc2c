package graph

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"salesgraph/db"
	"salesgraph/sales"
)

// Loaders batch every edge of the graph: each loads many keys with one
// `= ANY($1)` statement. A fresh set is made per response (per HTTP request
// and per subscription event, see NewLoaderMiddleware), so a subscription
// never serves rows cached at connect time.
type Loaders struct {
	UserByID            *loader[int64, *sales.User]
	CustomerByID        *loader[int64, *sales.Customer]
	ProductByID         *loader[int64, *sales.Product]
	WarehouseByID       *loader[int64, *sales.Warehouse]
	PriceListByID       *loader[int64, *sales.PriceList]
	PriceListItemByID   *loader[int64, *sales.PriceListItem]
	StockMovementByID   *loader[int64, *sales.StockMovement]
	ShippingAddressByID *loader[int64, *sales.ShippingAddress]

	AddressesByCustomerID  *loader[int64, []*sales.ShippingAddress]
	FirstLevelsByProduct   *loader[parentPage, db.Window[sales.StockLevel]]
	FirstLevelsByWarehouse *loader[parentPage, db.Window[sales.StockLevel]]
	FirstItemsByPriceList  *loader[parentPage, db.Window[sales.PriceListItem]]
	// Documents.
	QuoteByID                  *loader[int64, *sales.Quote]
	QuoteLineByID              *loader[int64, *sales.QuoteLine]
	QuoteRevisionsByNumber     *loader[string, []*sales.Quote]
	FirstQuotesByCustomer      *loader[parentPage, db.Window[sales.Quote]]
	QuoteLinesByQuoteID        *loader[int64, []*sales.QuoteLine]
	OrderByID                  *loader[int64, *sales.SalesOrder]
	OrderByQuoteID             *loader[int64, *sales.SalesOrder]
	FirstOrdersByCustomer      *loader[parentPage, db.Window[sales.SalesOrder]]
	OrderLineByID              *loader[int64, *sales.OrderLine]
	OrderLinesByOrderID        *loader[int64, []*sales.OrderLine]
	OrderEventsByOrderID       *loader[int64, []*sales.OrderEvent]
	DeliveryByID               *loader[int64, *sales.Delivery]
	DeliveriesByOrderID        *loader[int64, []*sales.Delivery]
	DeliveryLineByID           *loader[int64, *sales.DeliveryLine]
	DeliveryLinesByDeliveryID  *loader[int64, []*sales.DeliveryLine]
	DeliveryLinesByOrderLineID *loader[int64, []*sales.DeliveryLine]
	ReturnByID                 *loader[int64, *sales.Return]
	ReturnsByOrderID           *loader[int64, []*sales.Return]
	ReturnsByDeliveryID        *loader[int64, []*sales.Return]
	ReturnLineByID             *loader[int64, *sales.ReturnLine]
	ReturnLinesByReturnID      *loader[int64, []*sales.ReturnLine]
	ReturnLinesByOrderLineID   *loader[int64, []*sales.ReturnLine]
	InvoiceByID                *loader[int64, *sales.Invoice]
	InvoicesByOrderID          *loader[int64, []*sales.Invoice]
	CreditDecisionsByOrderID   *loader[int64, []*sales.CreditDecision]
	CreditExposureByCustomerID *loader[int64, *db.CustomerExposure]
	InvoiceLineByID            *loader[int64, *sales.InvoiceLine]
	InvoiceLinesByInvoiceID    *loader[int64, []*sales.InvoiceLine]
	PaymentByID                *loader[int64, *sales.Payment]
	PaymentsByOrderID          *loader[int64, []*sales.Payment]
	FirstPaymentsByCustomer    *loader[parentPage, db.Window[sales.Payment]]
	FirstInvoicesByCustomer    *loader[parentPage, db.Window[sales.Invoice]]
	PaymentAllocationByID      *loader[int64, *sales.PaymentAllocation]
	AllocationsByPaymentID     *loader[int64, []*sales.PaymentAllocation]
	AllocationsByInvoiceID     *loader[int64, []*sales.PaymentAllocation]
	DisputeByID                *loader[int64, *sales.Dispute]
	DisputesByInvoiceID        *loader[int64, []*sales.Dispute]
	DisputeLineByID            *loader[int64, *sales.DisputeLine]
	DisputeLinesByDisputeID    *loader[int64, []*sales.DisputeLine]
	WriteOffByInvoiceID        *loader[int64, *sales.WriteOff]
	// Credit notes (invoices of kind CREDIT_NOTE) and their allocations.
	CreditNotesByInvoiceID          *loader[int64, []*db.InvoiceCreditNote]
	CreditNotesByReturnID           *loader[int64, []*sales.Invoice]
	CreditAllocationsByCreditNoteID *loader[int64, []*sales.CreditAllocation]
	CreditAllocationsByInvoiceID    *loader[int64, []*sales.CreditAllocation]
	// History has each described document type's events by document ID.
	History map[sales.DocumentType]*loader[int64, []*sales.DocumentEvent]

	BalanceByCustomerID *loader[int64, *db.CustomerBalance]
	// statements has customers' statements by period (reports.go).
	statements statementLoaders

	// The currency of the documents and lists whose lines were listed (money.go).
	currencies currencies
	// logger reports a panic in a prefetch (loader.go).
	logger *slog.Logger
}

// loaderWait is how long a loader collects keys that resolvers ask for one
// at a time before it queries. The edges of a list do not wait for it: the
// level that lists parents loads their edges at once (prefetch.go), so a
// resolver finds its row already loaded or on its way. The timer only serves
// the rare key no prefetch foresaw (an edge reached through a union, a key
// that arrives alone); there, at 10 ms, a batch was never split in
// TestLoaders_StatementsPerPage on the 2-core dev machine (1 ms split it in 7
// of 20 runs).
const loaderWait = 10 * time.Millisecond

// NewLoaders builds a fresh loader set over store.
func NewLoaders(s *db.Store, wait time.Duration) *Loaders {
	if wait <= 0 {
		wait = loaderWait
	}
	return &Loaders{
		UserByID:            one(wait, s.Users.ByIDs, func(u *sales.User) int64 { return u.ID }),
		CustomerByID:        one(wait, s.Customers.ByIDs, func(c *sales.Customer) int64 { return c.ID }),
		ProductByID:         one(wait, s.Products.ByIDs, func(p *sales.Product) int64 { return p.ID }),
		WarehouseByID:       one(wait, s.Warehouses.ByIDs, func(w *sales.Warehouse) int64 { return w.ID }),
		PriceListByID:       one(wait, s.PriceLists.ByIDs, func(l *sales.PriceList) int64 { return l.ID }),
		PriceListItemByID:   one(wait, s.PriceLists.ItemsByIDs, func(i *sales.PriceListItem) int64 { return i.ID }),
		StockMovementByID:   one(wait, s.Stock.MovementsByIDs, func(m *sales.StockMovement) int64 { return m.ID }),
		ShippingAddressByID: one(wait, s.Customers.AddressesByIDs, func(a *sales.ShippingAddress) int64 { return a.ID }),

		AddressesByCustomerID:  many(wait, s.Customers.AddressesByCustomerIDs, func(a *sales.ShippingAddress) int64 { return a.CustomerID }),
		FirstLevelsByProduct:   firstPageLoader(wait, byLimit(s.Stock.FirstLevelPagesByProduct)),
		FirstLevelsByWarehouse: firstPageLoader(wait, byLimit(s.Stock.FirstLevelPagesByWarehouse)),
		FirstItemsByPriceList:  firstPageLoader(wait, firstItemPages(s.PriceLists)),

		QuoteByID:                  one(wait, s.Quotes.ByIDs, func(q *sales.Quote) int64 { return q.ID }),
		QuoteLineByID:              one(wait, s.Quotes.LinesByIDs, func(l *sales.QuoteLine) int64 { return l.ID }),
		QuoteRevisionsByNumber:     many(wait, s.Quotes.ByNumbers, func(q *sales.Quote) string { return q.Number }),
		FirstQuotesByCustomer:      firstPageLoader(wait, byLimit(s.Quotes.FirstQuotePages)),
		QuoteLinesByQuoteID:        many(wait, s.Quotes.LinesByQuoteIDs, func(l *sales.QuoteLine) int64 { return l.QuoteID }),
		OrderByID:                  one(wait, s.Orders.ByIDs, func(o *sales.SalesOrder) int64 { return o.ID }),
		OrderByQuoteID:             one(wait, s.Orders.ByQuoteIDs, func(o *sales.SalesOrder) int64 { return *o.QuoteID }),
		FirstOrdersByCustomer:      firstPageLoader(wait, byLimit(s.Orders.FirstOrderPages)),
		OrderLineByID:              one(wait, s.Orders.LinesByIDs, func(l *sales.OrderLine) int64 { return l.ID }),
		OrderLinesByOrderID:        many(wait, s.Orders.LinesByOrderIDs, func(l *sales.OrderLine) int64 { return l.OrderID }),
		OrderEventsByOrderID:       many(wait, s.Events.OrderStatusEvents, func(e *sales.OrderEvent) int64 { return e.OrderID }),
		DeliveryByID:               one(wait, s.Deliveries.ByIDs, func(d *sales.Delivery) int64 { return d.ID }),
		DeliveriesByOrderID:        many(wait, s.Deliveries.ByOrderIDs, func(d *sales.Delivery) int64 { return d.OrderID }),
		DeliveryLineByID:           one(wait, s.Deliveries.LinesByIDs, func(l *sales.DeliveryLine) int64 { return l.ID }),
		DeliveryLinesByDeliveryID:  many(wait, s.Deliveries.LinesByDeliveryIDs, func(l *sales.DeliveryLine) int64 { return l.DeliveryID }),
		DeliveryLinesByOrderLineID: many(wait, s.Deliveries.LinesByOrderLineIDs, func(l *sales.DeliveryLine) int64 { return l.OrderLineID }),
		ReturnByID:                 one(wait, s.Returns.ByIDs, func(r *sales.Return) int64 { return r.ID }),
		ReturnsByOrderID:           many(wait, s.Returns.ByOrderIDs, func(r *sales.Return) int64 { return r.OrderID }),
		ReturnsByDeliveryID:        many(wait, s.Returns.ByDeliveryIDs, func(r *sales.Return) int64 { return *r.DeliveryID }),
		ReturnLineByID:             one(wait, s.Returns.LinesByIDs, func(l *sales.ReturnLine) int64 { return l.ID }),
		ReturnLinesByReturnID:      many(wait, s.Returns.LinesByReturnIDs, func(l *sales.ReturnLine) int64 { return l.ReturnID }),
		ReturnLinesByOrderLineID:   many(wait, s.Returns.LinesByOrderLineIDs, func(l *sales.ReturnLine) int64 { return l.OrderLineID }),
		InvoiceByID:                one(wait, s.Invoices.ByIDs, func(inv *sales.Invoice) int64 { return inv.ID }),
		InvoicesByOrderID:          many(wait, s.Invoices.ByOrderIDs, func(inv *sales.Invoice) int64 { return inv.OrderID }),
		CreditDecisionsByOrderID:   many(wait, s.Orders.CreditDecisionsByOrderIDs, func(d *sales.CreditDecision) int64 { return d.OrderID }),
		CreditExposureByCustomerID: one(wait, s.Customers.CreditExposures, func(e *db.CustomerExposure) int64 { return e.CustomerID }),
		InvoiceLineByID:            one(wait, s.Invoices.LinesByIDs, func(l *sales.InvoiceLine) int64 { return l.ID }),
		InvoiceLinesByInvoiceID:    many(wait, s.Invoices.LinesByInvoiceIDs, func(l *sales.InvoiceLine) int64 { return l.InvoiceID }),
		PaymentByID:                one(wait, s.Payments.ByIDs, func(p *sales.Payment) int64 { return p.ID }),
		PaymentsByOrderID:          many(wait, s.Payments.ByOrderIDs, func(p *sales.Payment) int64 { return *p.OrderID }),
		FirstPaymentsByCustomer:    firstPageLoader(wait, byLimit(s.Payments.FirstPaymentPages)),
		FirstInvoicesByCustomer:    firstPageLoader(wait, byLimit(s.Invoices.FirstInvoicePages)),
		PaymentAllocationByID:      one(wait, s.Payments.AllocationsByIDs, func(a *sales.PaymentAllocation) int64 { return a.ID }),
		AllocationsByPaymentID:     many(wait, s.Payments.AllocationsByPaymentIDs, func(a *sales.PaymentAllocation) int64 { return a.PaymentID }),
		AllocationsByInvoiceID:     many(wait, s.Payments.AllocationsByInvoiceIDs, func(a *sales.PaymentAllocation) int64 { return a.InvoiceID }),
		DisputeByID:                one(wait, s.Disputes.ByIDs, func(d *sales.Dispute) int64 { return d.ID }),
		DisputesByInvoiceID:        many(wait, s.Disputes.ByInvoiceIDs, func(d *sales.Dispute) int64 { return d.InvoiceID }),
		DisputeLineByID:            one(wait, s.Disputes.LinesByIDs, func(l *sales.DisputeLine) int64 { return l.ID }),
		DisputeLinesByDisputeID:    many(wait, s.Disputes.LinesByDisputeIDs, func(l *sales.DisputeLine) int64 { return l.DisputeID }),
		WriteOffByInvoiceID:        one(wait, s.Disputes.WriteOffsByInvoiceIDs, func(w *sales.WriteOff) int64 { return w.InvoiceID }),
		CreditNotesByInvoiceID:     many(wait, s.CreditNotes.ByInvoiceIDs, func(n *db.InvoiceCreditNote) int64 { return n.InvoiceID }),
		CreditNotesByReturnID:      many(wait, s.CreditNotes.ByReturnIDs, func(n *sales.Invoice) int64 { return *n.ReturnID }),
		CreditAllocationsByCreditNoteID: many(wait, s.CreditNotes.AllocationsByCreditNoteIDs,
			func(a *sales.CreditAllocation) int64 { return a.CreditNoteID }),
		CreditAllocationsByInvoiceID: many(wait, s.CreditNotes.AllocationsByInvoiceIDs, func(a *sales.CreditAllocation) int64 { return a.InvoiceID }),
		History:                      histories(wait, s.Events),
		BalanceByCustomerID:          one(wait, s.Reports.Balances, func(b *db.CustomerBalance) int64 { return b.CustomerID }),
		statements:                   statementLoaders{wait: wait, reports: s.Reports},
	}
}

// histories builds the history loader of every described document type.
func histories(wait time.Duration, events *db.EventStore) map[sales.DocumentType]*loader[int64, []*sales.DocumentEvent] {
	out := make(map[sales.DocumentType]*loader[int64, []*sales.DocumentEvent], len(sales.DocumentTypes))
	for _, d := range sales.DocumentTypes {
		out[d.Type] = history(wait, events, d.Type)
	}
	return out
}

// history builds the loader of one document type's events.
func history(wait time.Duration, events *db.EventStore, docType sales.DocumentType) *loader[int64, []*sales.DocumentEvent] {
	return many(wait, func(ctx context.Context, ids []int64) ([]*sales.DocumentEvent, error) {
		return events.ByDocuments(ctx, docType, ids)
	}, func(e *sales.DocumentEvent) int64 { return e.DocID })
}

type loadersKey struct{}

// NewLoaderMiddleware gives every response its own loader set. It is an
// AroundResponses hook rather than HTTP middleware because a websocket's
// request context lives as long as the connection: loaders made there would
// cache the first status forever (gqlgen issue #1368, STYLE.md §0.3).
func NewLoaderMiddleware(s *db.Store, wait time.Duration, logger *slog.Logger) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		l := NewLoaders(s, wait)
		l.logger = logger
		return next(context.WithValue(ctx, loadersKey{}, l))
	}
}

// loadersFrom returns the response's loader set.
func loadersFrom(ctx context.Context) *Loaders {
	return ctx.Value(loadersKey{}).(*Loaders)
}

// one builds a loader of one row per key. The batch's rows come back in any
// order; they are put back in key order, and a key with no row gets nil
// (the caller decides whether that is "null" or an error).
func one[K comparable, V any](wait time.Duration, fetch func(context.Context, []K) ([]*V, error), key func(*V) K) *loader[K, *V] {
	return newLoader(wait, func(ctx context.Context, keys []K) (map[K]*V, error) {
		rows, err := fetch(ctx, keys)
		byKey := make(map[K]*V, len(rows))
		for _, r := range rows {
			byKey[key(r)] = r
		}
		return byKey, err
	})
}

// many builds a loader of a list of rows per parent key, in the order the
// query returned them; a key with no rows gets an empty list.
func many[K comparable, V any](wait time.Duration, fetch func(context.Context, []K) ([]*V, error), key func(*V) K) *loader[K, []*V] {
	return newLoader(wait, func(ctx context.Context, keys []K) (map[K][]*V, error) {
		rows, err := fetch(ctx, keys)
		byKey := make(map[K][]*V, len(keys))
		for _, r := range rows {
			byKey[key(r)] = append(byKey[key(r)], r)
		}
		for _, k := range keys {
			if byKey[k] == nil {
				byKey[k] = []*V{}
			}
		}
		return byKey, err
	})
}

// load is Load(ctx, key)() for an optional edge: a nil key loads nothing.
func load[V any](ctx context.Context, l *loader[int64, *V], key *int64) (*V, error) {
	if key == nil {
		return nil, nil
	}
	return l.Load(ctx, *key)()
}
