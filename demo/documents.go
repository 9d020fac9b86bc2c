package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/sales"
)

// documents puts quotes, orders, deliveries and returns in every state they
// can reach before billing, so GraphiQL shows the whole flow. Everything
// goes through the stores, as the API would.
type documents struct {
	ctx       context.Context
	s         *db.Store
	manager   *sales.User
	warehouse *sales.User
	customers []*sales.Customer
	products  []*sales.Product
	whs       []*sales.Warehouse
	n         int // rotates customers and products
}

func (d *documents) next() (*sales.Customer, []sales.LineInput) {
	d.n++
	c := d.customers[(d.n*7)%len(d.customers)]
	var lines []sales.LineInput
	for k := 0; k < 1+d.n%3; k++ {
		p := d.products[(d.n*11+k*5)%len(d.products)]
		lines = append(lines, sales.LineInput{ProductID: p.ID, Quantity: decimal.NewFromInt(int64(2 + (d.n+k)%6)), DiscountPercent: decimal.Zero})
	}
	return c, lines
}

func (d *documents) quote(state sales.QuoteStatus) (*sales.Quote, error) {
	c, lines := d.next()
	q, err := d.s.Quotes.Create(d.ctx, d.manager, sales.NewQuote{CustomerID: c.ID, ValidUntil: time.Now().AddDate(0, 1, 0), Lines: lines,
		Notes: "Demo quotation."}, nil)
	if err != nil || state == sales.QuoteDraft {
		return q, err
	}
	if q, err = d.s.Quotes.Transition(d.ctx, d.manager, q.ID, q.Version, sales.QuoteSend, ""); err != nil {
		return nil, err
	}
	switch state {
	case sales.QuoteAccepted, sales.QuoteRejected, sales.QuoteCancelled:
		reason := map[sales.QuoteStatus]string{sales.QuoteRejected: "Price too high for the customer's budget", sales.QuoteCancelled: "Project postponed"}[state]
		action := map[sales.QuoteStatus]sales.QuoteAction{sales.QuoteAccepted: sales.QuoteAccept, sales.QuoteRejected: sales.QuoteReject, sales.QuoteCancelled: sales.QuoteCancel}[state]
		return d.s.Quotes.Transition(d.ctx, d.manager, q.ID, q.Version, action, reason)
	case sales.QuoteExpired:
		// A quote from last month: backdate its validity (the API refuses a
		// past date, rightly), then expire it as the daily housekeeping would.
		if _, err := d.s.ExecContext(d.ctx, `UPDATE quotes SET valid_until = current_date - 3 WHERE id = $1`, q.ID); err != nil {
			return nil, err
		}
		return d.s.Quotes.Transition(d.ctx, d.manager, q.ID, q.Version, sales.QuoteExpire, "")
	}
	return q, nil
}

func (d *documents) order(c *sales.Customer, lines []sales.LineInput, backorder bool) (*sales.SalesOrder, error) {
	return d.s.Orders.Create(d.ctx, d.manager, sales.NewOrder{CustomerID: c.ID, Lines: lines,
		Terms: sales.OrderTerms{WarehouseID: d.whs[d.n%len(d.whs)].ID, AllowBackorder: backorder, CustomerReference: fmt.Sprintf("PO-%05d", 40000+d.n)}}, nil)
}

func (d *documents) confirmed() (*sales.SalesOrder, error) {
	c, lines := d.next()
	for c.CreditHold {
		c, lines = d.next()
	}
	o, err := d.order(c, lines, true) // backorders allowed: demo stock has gaps
	if err != nil {
		return nil, err
	}
	return d.s.Orders.Confirm(d.ctx, d.manager, o.ID, o.Version)
}

func (d *documents) ship(o *sales.SalesOrder, partial bool) (*sales.Delivery, error) {
	lines, err := d.s.Orders.LinesByOrderIDs(d.ctx, []int64{o.ID})
	if err != nil {
		return nil, err
	}
	var want []sales.DeliveryLineInput
	for _, l := range lines {
		q := l.ReservedQuantity
		if partial {
			q = q.Div(decimal.NewFromInt(2)).Floor()
		}
		if q.IsPositive() {
			want = append(want, sales.DeliveryLineInput{OrderLineID: l.ID, Quantity: q})
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	dl, err := d.s.Deliveries.Create(d.ctx, d.warehouse, sales.NewDelivery{OrderID: o.ID, Lines: want, Carrier: "DHL Freight",
		TrackingNumber: fmt.Sprintf("JD%012d", 1000000+d.n)}, nil)
	if err != nil {
		return nil, err
	}
	return d.s.Deliveries.Ship(d.ctx, d.warehouse, dl.ID, dl.Version, nil)
}

// loadDocuments runs the document flow over the demo company.
func loadDocuments(ctx context.Context, s *db.Store, manager, warehouse *sales.User, customers []*sales.Customer,
	products []*sales.Product, whs []*sales.Warehouse) (string, error) {
	d := &documents{ctx: ctx, s: s, manager: manager, warehouse: warehouse, customers: customers, products: products, whs: whs}
	counts := map[string]int{}
	fail := func(what string, err error) (string, error) { return "", fmt.Errorf("demo %s: %w", what, err) }

	for _, st := range []sales.QuoteStatus{sales.QuoteDraft, sales.QuoteSent, sales.QuoteAccepted, sales.QuoteRejected,
		sales.QuoteExpired, sales.QuoteCancelled, sales.QuoteSent, sales.QuoteAccepted} {
		if _, err := d.quote(st); err != nil {
			return fail("quote "+string(st), err)
		}
		counts["quotes"]++
	}
	// A revised quote (R2 under the same number), and an accepted one converted to an order.
	if q, err := d.quote(sales.QuoteSent); err != nil {
		return fail("quote to revise", err)
	} else if _, err := s.Quotes.Revise(ctx, manager, q.ID, q.Version, sales.QuoteChange{Notes: ptr("Revised: 5% volume discount.")}); err != nil {
		return fail("revise quote", err)
	}
	accepted, err := d.quote(sales.QuoteAccepted)
	if err != nil {
		return fail("accepted quote", err)
	}
	fromQuote, err := s.Orders.ConvertQuote(ctx, manager, accepted.ID, sales.OrderTerms{WarehouseID: whs[0].ID, CustomerReference: "PO-QUOTE-1"})
	if err != nil {
		return fail("convert quote", err)
	}
	counts["quotes"] += 2

	// Orders: a draft (the converted one), confirmed ones, one cancelled,
	// one held for a customer on credit hold, and the delivery states.
	for range 3 {
		if _, err := d.confirmed(); err != nil {
			return fail("confirmed order", err)
		}
	}
	if o, err := d.confirmed(); err != nil {
		return fail("order to cancel", err)
	} else if _, err := s.Orders.Cancel(ctx, manager, o.ID, o.Version, "Customer ordered by mistake"); err != nil {
		return fail("cancel order", err)
	}
	for _, c := range customers {
		if c.CreditHold {
			_, lines := d.next()
			o, err := d.order(c, lines, false)
			if err != nil {
				return fail("order on hold", err)
			}
			if _, err := s.Orders.Confirm(ctx, manager, o.ID, o.Version); err != nil {
				return fail("hold order", err)
			}
			break
		}
	}
	// Partly delivered, fully delivered with a refusal at the door, short-closed.
	partly, err := d.confirmed()
	if err != nil {
		return fail("order to deliver partly", err)
	}
	if _, err := d.ship(partly, true); err != nil {
		return fail("partial delivery", err)
	}
	full, err := d.confirmed()
	if err != nil {
		return fail("order to deliver", err)
	}
	if dl, err := d.ship(full, false); err != nil {
		return fail("delivery", err)
	} else if dl != nil {
		lines, err := s.Deliveries.LinesByDeliveryIDs(ctx, []int64{dl.ID})
		if err != nil {
			return fail("delivery lines", err)
		}
		receipt := sales.DeliveryReceipt{ReceivedBy: "J. Meyer, goods-in", RefusalReason: "Packaging damaged in transit"}
		for i, l := range lines {
			refused := decimal.Zero
			if i == 0 {
				refused = decimal.NewFromInt(1)
			}
			receipt.Lines = append(receipt.Lines, sales.ReceiptLine{DeliveryLineID: l.ID, Accepted: l.Quantity.Sub(refused), Refused: refused})
		}
		if _, err := s.Deliveries.ConfirmReceipt(ctx, warehouse, dl.ID, dl.Version, receipt); err != nil {
			return fail("proof of delivery", err)
		}
		// A customer return on the same order, received back into stock.
		ol, err := s.Orders.LinesByOrderIDs(ctx, []int64{full.ID})
		if err != nil {
			return fail("order lines", err)
		}
		rt, err := s.Returns.Create(ctx, manager, sales.NewReturn{OrderID: full.ID, DeliveryID: &dl.ID, Reason: "Wrong size ordered",
			Lines: []sales.ReturnLineInput{{OrderLineID: ol[len(ol)-1].ID, Quantity: decimal.NewFromInt(1)}}}, nil)
		if err != nil {
			return fail("return", err)
		}
		if rt, err = s.Returns.Approve(ctx, manager, rt.ID, rt.Version); err != nil {
			return fail("approve return", err)
		}
		if _, err := s.Returns.Receive(ctx, warehouse, rt.ID, rt.Version, full.WarehouseID, nil); err != nil {
			return fail("receive return", err)
		}
	}
	closing, err := d.confirmed()
	if err != nil {
		return fail("order to close", err)
	}
	if dl, err := d.ship(closing, true); err != nil {
		return fail("delivery before close", err)
	} else if dl != nil {
		o, err := s.Orders.ByIDs(ctx, []int64{closing.ID})
		if err != nil {
			return fail("order", err)
		}
		if o[0].Status == sales.OrderPartiallyDelivered {
			if _, err := s.Orders.Close(ctx, manager, closing.ID, o[0].Version, "Customer no longer needs the rest"); err != nil {
				return fail("close order", err)
			}
		}
	}
	// Returns requested and rejected on the partly delivered order.
	if pl, err := s.Orders.LinesByOrderIDs(ctx, []int64{partly.ID}); err != nil {
		return fail("order lines", err)
	} else {
		for _, reject := range []bool{false, true} {
			for _, l := range pl {
				if l.DeliveredQuantity.Sub(l.ReturnedQuantity).GreaterThanOrEqual(decimal.NewFromInt(2)) {
					rt, err := s.Returns.Create(ctx, manager, sales.NewReturn{OrderID: partly.ID, Reason: "Customer ordered too many",
						Lines: []sales.ReturnLineInput{{OrderLineID: l.ID, Quantity: decimal.NewFromInt(1)}}}, nil)
					if err != nil {
						return fail("requested return", err)
					}
					if reject {
						if _, err := s.Returns.Reject(ctx, manager, rt.ID, rt.Version, "Outside the 30-day return window"); err != nil {
							return fail("reject return", err)
						}
					}
					break
				}
			}
		}
	}
	// A draft delivery, and a cancelled one.
	for _, cancel := range []bool{true, false} {
		open, err := d.confirmed()
		if err != nil {
			return fail("order for draft delivery", err)
		}
		dl, err := s.Deliveries.Create(ctx, warehouse, sales.NewDelivery{OrderID: open.ID, Carrier: "UPS"}, nil)
		if sales.CodeOf(err) == sales.CodeValidation {
			continue // nothing reserved yet: all on backorder
		}
		if err != nil {
			return fail("draft delivery", err)
		}
		if cancel {
			if _, err := s.Deliveries.Cancel(ctx, warehouse, dl.ID, dl.Version, "Truck booked for the wrong day"); err != nil {
				return fail("cancel delivery", err)
			}
		}
	}
	_ = fromQuote
	if err := d.invoices(partly, closing); err != nil {
		return fail("invoices", err)
	}
	if err := d.creditHolds(); err != nil {
		return fail("credit holds", err)
	}
	return fmt.Sprintf("Documents: %d quotes, orders in every state, deliveries, returns, invoices, payments, credit notes and disputes.\n", counts["quotes"]), nil
}

// invoices bills what was delivered: a draft for the partly delivered
// order, an issued and overdue invoice that completes a fully delivered
// order, and a void one (issued, then voided: it keeps its number).
// Payments put part of the overdue one's money on it; disputes, which
// reach the other invoice states, come with billing's next step.
func (d *documents) invoices(partly, closing *sales.SalesOrder) error {
	if _, err := d.s.Invoices.Create(d.ctx, d.manager, sales.NewInvoice{OrderID: partly.ID}, nil); err != nil {
		return fmt.Errorf("draft invoice: %w", err)
	}
	// An order shipped in full, invoiced and issued: it becomes COMPLETED.
	var done *sales.SalesOrder
	for range 10 {
		o, err := d.confirmed()
		if err != nil {
			return err
		}
		if _, err := d.ship(o, false); err != nil {
			return err
		}
		got, err := d.s.Orders.ByIDs(d.ctx, []int64{o.ID})
		if err != nil {
			return err
		}
		if got[0].Status == sales.OrderDelivered {
			done = got[0]
			break
		}
	}
	if done == nil {
		return fmt.Errorf("no order could be delivered in full")
	}
	// Billed in two: one unit of its first line (overdue, part paid below),
	// then the rest (issued, open).
	lines, err := d.s.Orders.LinesByOrderIDs(d.ctx, []int64{done.ID})
	if err != nil {
		return err
	}
	first, err := d.s.Invoices.Create(d.ctx, d.manager, sales.NewInvoice{OrderID: done.ID,
		Lines: []sales.InvoiceLineInput{{OrderLineID: lines[0].ID, Quantity: decimal.NewFromInt(1)}}}, nil)
	if err != nil {
		return fmt.Errorf("first invoice: %w", err)
	}
	if first, err = d.s.Invoices.Issue(d.ctx, d.manager, first.ID, first.Version); err != nil {
		return fmt.Errorf("issue first invoice: %w", err)
	}
	overdue := first
	inv, err := d.s.Invoices.Create(d.ctx, d.manager, sales.NewInvoice{OrderID: done.ID}, nil)
	if err != nil {
		return fmt.Errorf("invoice: %w", err)
	}
	if inv, err = d.s.Invoices.Issue(d.ctx, d.manager, inv.ID, inv.Version); err != nil {
		return fmt.Errorf("issue invoice: %w", err)
	}
	// Issued six weeks ago on 30 days: overdue (the API dates an issue today, rightly).
	if _, err := d.s.ExecContext(d.ctx, `UPDATE invoices SET issue_date = current_date - 45, due_date = current_date - 15 WHERE id = $1`, overdue.ID); err != nil {
		return err
	}
	// The short-closed order's delivered goods, invoiced to the wrong order
	// reference, voided after issue.
	inv, err = d.s.Invoices.Create(d.ctx, d.manager, sales.NewInvoice{OrderID: closing.ID}, nil)
	if err != nil {
		return fmt.Errorf("invoice to void: %w", err)
	}
	if inv, err = d.s.Invoices.Issue(d.ctx, d.manager, inv.ID, inv.Version); err != nil {
		return fmt.Errorf("issue invoice to void: %w", err)
	}
	if _, err := d.s.Invoices.Void(d.ctx, d.manager, inv.ID, inv.Version, "Issued with the wrong purchase order reference"); err != nil {
		return fmt.Errorf("void invoice: %w", err)
	}
	if err := d.payments(overdue); err != nil {
		return err
	}
	if err := d.deposit(); err != nil {
		return err
	}
	if err := d.creditNotes(); err != nil {
		return err
	}
	return d.disputes()
}

// payments puts money on the overdue invoice and on account, so every
// payment state shows: part of the invoice paid (the invoice PARTIALLY_PAID,
// the payment ALLOCATED), a payment partly allocated, one on account, and
// one refunded in full.
func (d *documents) payments(inv *sales.Invoice) error {
	cur := inv.Currency
	part := inv.Total.Mul(decimal.RequireFromString("0.4")).Round(sales.MinorUnits(cur))
	record := func(amount decimal.Decimal, ref string, allocations []sales.AllocationInput) (*sales.Payment, error) {
		return d.s.Payments.Record(d.ctx, d.manager, sales.NewPayment{CustomerID: inv.CustomerID, Amount: amount, Currency: cur,
			Method: sales.MethodBankTransfer, Reference: ref, Allocations: allocations}, nil)
	}
	if _, err := record(part, "Wire, first instalment", []sales.AllocationInput{{InvoiceID: inv.ID, Amount: part}}); err != nil {
		return fmt.Errorf("payment: %w", err)
	}
	if _, err := record(decimal.NewFromInt(100), "Cheque on account", []sales.AllocationInput{}); err != nil {
		return fmt.Errorf("payment on account: %w", err)
	}
	half := inv.Total.Sub(part).Div(decimal.NewFromInt(2)).Round(sales.MinorUnits(cur))
	if _, err := record(decimal.NewFromInt(50), "Card, partly applied", []sales.AllocationInput{{InvoiceID: inv.ID, Amount: half}}); err != nil {
		return fmt.Errorf("payment partly allocated: %w", err)
	}
	p, err := record(decimal.NewFromInt(20), "Paid twice by mistake", []sales.AllocationInput{})
	if err != nil {
		return fmt.Errorf("payment to refund: %w", err)
	}
	if _, err := d.s.Payments.Refund(d.ctx, d.manager, p.ID, p.Version, p.Amount, "Paid twice by mistake: sent back"); err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	return nil
}

// deposit confirms an order that asks 30% up front and records the
// customer's deposit against it, so it may ship; its invoice takes the
// deposit when issued, and the customer pays the rest (the invoice PAID).
func (d *documents) deposit() error {
	c, lines := d.next()
	for c.CreditHold {
		c, lines = d.next()
	}
	o, err := d.s.Orders.Create(d.ctx, d.manager, sales.NewOrder{CustomerID: c.ID, Lines: lines,
		Terms: sales.OrderTerms{WarehouseID: d.whs[d.n%len(d.whs)].ID, AllowBackorder: true,
			CustomerReference: fmt.Sprintf("PO-%05d", 40000+d.n), DepositPercent: ptr(decimal.NewFromInt(30))}}, nil)
	if err != nil {
		return fmt.Errorf("order asking a deposit: %w", err)
	}
	if o, err = d.s.Orders.Confirm(d.ctx, d.manager, o.ID, o.Version); err != nil {
		return fmt.Errorf("confirm order asking a deposit: %w", err)
	}
	amount := sales.DepositRequired(o)
	if _, err := d.s.Payments.Record(d.ctx, d.manager, sales.NewPayment{CustomerID: c.ID, OrderID: &o.ID, Amount: amount,
		Currency: o.Currency, Method: sales.MethodBankTransfer, Reference: "Deposit, 30% with order " + o.Number}, nil); err != nil {
		return fmt.Errorf("deposit: %w", err)
	}
	if _, err := d.ship(o, false); err != nil {
		return fmt.Errorf("ship order with its deposit: %w", err)
	}
	inv, err := d.s.Invoices.Create(d.ctx, d.manager, sales.NewInvoice{OrderID: o.ID}, nil)
	if err != nil {
		return fmt.Errorf("invoice order with its deposit: %w", err)
	}
	if inv, err = d.s.Invoices.Issue(d.ctx, d.manager, inv.ID, inv.Version); err != nil {
		return fmt.Errorf("issue invoice with its deposit: %w", err)
	}
	if rest := inv.Balance(); rest.IsPositive() {
		if _, err := d.s.Payments.Record(d.ctx, d.manager, sales.NewPayment{CustomerID: c.ID, Amount: rest, Currency: o.Currency,
			Method: sales.MethodBankTransfer, Reference: "Wire, balance of " + *inv.Number,
			Allocations: []sales.AllocationInput{{InvoiceID: inv.ID, Amount: rest}}}, nil); err != nil {
			return fmt.Errorf("payment of the balance: %w", err)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
