package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"salesgraph/sales"
)

// PaymentStore persists payments and their allocations. Every action locks
// in the documented order: the customer (FOR UPDATE: what they owe
// changes), then the payment, then the invoices by id.
type PaymentStore struct{ db *DB }

const (
	paymentColumns = `id, number, customer_id, order_id, currency, amount, allocated_amount, refunded_amount, status,
	received_date, method, reference, created_by, version, created_at, updated_at`
	allocationColumns = `id, payment_id, invoice_id, amount, allocated_at, allocated_by, reversed_at, reversed_by`
)

// The payment tables' constraints. Amounts are checked by sales under the
// customer's lock; the CHECKs on the sums are the last guard.
var paymentConstraints = describeConstraints(map[string]*sales.Error{
	"payments_customer_fkey":               {Code: sales.CodeNotFound, Field: "input.customerId", Message: "no such customer"},
	"payments_order_fkey":                  {Code: sales.CodeNotFound, Field: "input.orderId", Message: "no such order"},
	"payments_allocated_within_amount":     {Code: sales.CodeConflict, Field: "", Message: "more would be allocated or refunded than the payment's amount; reload it and try again"},
	"payment_allocations_invoice_fkey":     {Code: sales.CodeNotFound, Field: "input.allocations", Message: "no such invoice"},
	"sales_orders_deposit_amount_positive": {Code: sales.CodeValidation, Field: "input.depositAmount", Message: "a deposit must be positive"},
	"sales_orders_deposit_percent_range":   {Code: sales.CodeValidation, Field: "input.depositPercent", Message: "a deposit percentage is more than 0 and at most 100"},
	"sales_orders_deposit_one_way":         {Code: sales.CodeValidation, Field: "input.depositPercent", Message: "ask for a deposit amount or a percentage, not both"},
}, map[string]string{
	"payments_pkey": generatedKey, "payment_allocations_pkey": generatedKey, "payments_number_key": generatedKey,
	"payments_created_by_fkey": writtenTogether, "payment_allocations_payment_fkey": writtenTogether,
	"payment_allocations_allocated_by_fkey": writtenTogether, "payment_allocations_reversed_by_fkey": writtenTogether,
	"payments_currency_shape": computed, "payments_status_known": computed, "payments_allocated_nonnegative": computed,
	"payments_refunded_nonnegative": computed, "payment_allocations_reversed_after": computed,
	"payments_amount_positive":            "input value validated in sales/ before any write; no race can change it",
	"payments_method_known":               "input value validated in sales/ before any write; no race can change it",
	"payment_allocations_amount_positive": "input value validated in sales/ before any write; no race can change it",
	"payment_refunds_pkey":                generatedKey, "payment_refunds_payment_fkey": writtenTogether, "payment_refunds_refunded_by_fkey": writtenTogether,
	"payment_refunds_amount_positive": "input value validated in sales/ (CheckRefund) before any write; no race can change it",
})

// ByIDs returns the payments with these IDs, in any order.
func (s *PaymentStore) ByIDs(ctx context.Context, ids []int64) (_ []*sales.Payment, err error) {
	defer wrap(&err, "Payments.ByIDs")
	return byIDs[sales.Payment](ctx, s.db, `SELECT `+paymentColumns+` FROM payments WHERE id = ANY($1)`, ids)
}

// ByOrderIDs returns the payments that name these orders (their deposits), oldest first.
func (s *PaymentStore) ByOrderIDs(ctx context.Context, ids []int64) (_ []*sales.Payment, err error) {
	defer wrap(&err, "Payments.ByOrderIDs")
	return byIDs[sales.Payment](ctx, s.db, `SELECT `+paymentColumns+` FROM payments WHERE order_id = ANY($1) ORDER BY order_id, id`, ids)
}

// AllocationsByIDs returns allocations by ID.
func (s *PaymentStore) AllocationsByIDs(ctx context.Context, ids []int64) (_ []*sales.PaymentAllocation, err error) {
	defer wrap(&err, "Payments.AllocationsByIDs")
	return byIDs[sales.PaymentAllocation](ctx, s.db, `SELECT `+allocationColumns+` FROM payment_allocations WHERE id = ANY($1)`, ids)
}

// AllocationsByPaymentIDs returns the allocations of these payments, reversed ones included, oldest first.
func (s *PaymentStore) AllocationsByPaymentIDs(ctx context.Context, ids []int64) (_ []*sales.PaymentAllocation, err error) {
	defer wrap(&err, "Payments.AllocationsByPaymentIDs")
	return byIDs[sales.PaymentAllocation](ctx, s.db, `SELECT `+allocationColumns+` FROM payment_allocations WHERE payment_id = ANY($1) ORDER BY payment_id, id`, ids)
}

// AllocationsByInvoiceIDs returns the allocations to these invoices, reversed ones included, oldest first.
func (s *PaymentStore) AllocationsByInvoiceIDs(ctx context.Context, ids []int64) (_ []*sales.PaymentAllocation, err error) {
	defer wrap(&err, "Payments.AllocationsByInvoiceIDs")
	return byIDs[sales.PaymentAllocation](ctx, s.db, `SELECT `+allocationColumns+` FROM payment_allocations WHERE invoice_id = ANY($1) ORDER BY invoice_id, id`, ids)
}

var paymentKeys = &keyset[sales.Payment]{
	list: "payments",
	sorts: map[string]sortKey[sales.Payment]{
		"CREATED_AT": stampKey("created_at", func(p *sales.Payment) time.Time { return p.CreatedAt }),
	},
	fallback: "CREATED_AT",
	key:      []string{"id"},
	keyOf:    func(p *sales.Payment) []int64 { return []int64{p.ID} },
}

// List returns a page of payments and, when page.Count asks, the total (else -1); newest first by default.
func (s *PaymentStore) List(ctx context.Context, f sales.PaymentFilter, sort Sort, page Page) (_ Window[sales.Payment], err error) {
	defer wrap(&err, "Payments.List")
	var w where
	if f.CustomerID != nil {
		w.add("customer_id = ?", *f.CustomerID)
	}
	if f.OrderID != nil {
		w.add("order_id = ?", *f.OrderID)
	}
	if f.OwnerID != nil {
		w.add("customer_id IN (SELECT id FROM customers WHERE sales_rep_id = ?)", *f.OwnerID)
	}
	if sort.Field == "" {
		sort = Sort{Field: "CREATED_AT", Desc: true}
	}
	return listPage(ctx, s.db, `SELECT `+paymentColumns, `FROM payments`, &w, paymentKeys, sort, page)
}

func (s *PaymentStore) byID(ctx context.Context, id int64) (*sales.Payment, error) {
	var p sales.Payment
	if err := s.db.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "payment")
	}
	return &p, nil
}

// lockCustomerForPayment locks a customer FOR UPDATE (the first lock of
// every payment action) and checks the actor may see them (else NOT_FOUND).
func lockCustomerForPayment(ctx context.Context, tx *Tx, actor *sales.User, id int64, field string) (*sales.Customer, error) {
	var c sales.Customer
	if err := tx.GetContext(ctx, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, field, "customer")
	}
	if !actor.CanSeeCustomer(&c) {
		return nil, sales.Errorf(sales.CodeNotFound, field, "customer not found")
	}
	return &c, nil
}

// lockPayment locks a payment's customer, then the payment, and checks its version.
func lockPayment(ctx context.Context, tx *Tx, actor *sales.User, id int64, version int) (*sales.Payment, error) {
	var customerID int64
	if err := tx.GetContext(ctx, &customerID, `SELECT customer_id FROM payments WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "id", "payment")
	}
	if _, err := lockCustomerForPayment(ctx, tx, actor, customerID, "id"); err != nil {
		return nil, notFoundAs(err, "payment")
	}
	var p sales.Payment
	if err := tx.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, err
	}
	if err := checkVersion("payment", p.Version, version); err != nil {
		return nil, err
	}
	var events int
	if err := tx.GetContext(ctx, &events, `SELECT count(*) FROM document_events WHERE doc_type = $1 AND doc_id = $2`,
		string(sales.DocPayment), id); err != nil {
		return nil, err
	}
	return &p, sales.CheckPaymentHistoryLimit(events)
}

// lockOpenInvoices locks the customer's invoices (kind INVOICE) that take
// payments (by id, the lock order); with orderID, only that order's.
func lockOpenInvoices(ctx context.Context, tx *Tx, customerID int64, orderID *int64) ([]*sales.Invoice, error) {
	var out []*sales.Invoice
	err := tx.SelectContext(ctx, &out, `SELECT `+invoiceColumns+` FROM invoices
		WHERE customer_id = $1 AND kind = $4 AND status = ANY($2) AND ($3::bigint IS NULL OR order_id = $3) ORDER BY id FOR UPDATE`,
		customerID, statusArray(sales.PayableInvoiceStatuses()), orderID, string(sales.KindInvoice))
	return out, err
}

// Record records a payment and allocates it: as asked, or (allocations
// nil) to the customer's open invoices oldest due first, only the order's
// when it names one (an order not yet invoiced keeps it as its deposit).
// The same idempotency key records one payment. Returns NOT_FOUND,
// VALIDATION, IDEMPOTENCY_KEY_REUSED.
func (s *PaymentStore) Record(ctx context.Context, actor *sales.User, in sales.NewPayment, key *string) (_ *sales.Payment, err error) {
	defer wrap(&err, "Payments.Record")
	id, err := s.db.createOnce(ctx, actor, "recordPayment", key, in, func(tx *Tx) (int64, error) {
		c, err := lockCustomerForPayment(ctx, tx, actor, in.CustomerID, "input.customerId")
		if err != nil {
			return 0, err
		}
		if err := sales.CheckNewPayment(in, c); err != nil {
			return 0, err
		}
		if in.OrderID != nil {
			var o struct {
				CustomerID int64 `db:"customer_id"`
				Payments   int   `db:"payments"`
			}
			if err := tx.GetContext(ctx, &o, `SELECT customer_id, (SELECT count(*) FROM payments WHERE order_id = o.id) AS payments
				FROM sales_orders o WHERE id = $1`, *in.OrderID); err != nil {
				return 0, notFound(err, "input.orderId", "sales order")
			}
			if err := sales.CheckPaymentOrder(c, o.CustomerID, o.Payments); err != nil {
				return 0, err
			}
		}
		received := tx.Now
		if in.ReceivedDate != nil {
			received = *in.ReceivedDate
		}
		number, err := nextNumber(ctx, tx, sales.DocPayment.Series())
		if err != nil {
			return 0, err
		}
		p := &sales.Payment{Number: number, CustomerID: c.ID, OrderID: in.OrderID, Currency: c.Currency, Amount: in.Amount,
			Status: sales.PaymentUnallocated, Method: in.Method, Reference: in.Reference}
		if err := tx.GetContext(ctx, &p.ID, `INSERT INTO payments (number, customer_id, order_id, currency, amount, status, received_date,
				method, reference, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			number, c.ID, in.OrderID, c.Currency, in.Amount, string(p.Status), received, string(in.Method), in.Reference,
			actor.ID, tx.Now); err != nil {
			return 0, err
		}
		scope := in.OrderID
		if in.Allocations != nil {
			scope = nil
		}
		open, err := lockOpenInvoices(ctx, tx, c.ID, scope)
		if err != nil {
			return 0, err
		}
		plan, err := sales.PlanAllocation(sales.MoneyToAllocate{Currency: p.Currency, Unallocated: p.Amount}, sales.OpenInvoicesOf(open), in.Allocations)
		if err != nil {
			return 0, err
		}
		return p.ID, applyAllocations(ctx, tx, actor.ID, p, open, plan, sales.PaymentRecord)
	})
	if err != nil {
		return nil, err
	}
	return s.byID(ctx, id)
}

// applyAllocations writes allocations of payment p to invoices (locked):
// the allocation rows, the invoices' paid amounts and states, the
// payment's allocated amount and state, and the payment's history row for
// action, one statement each. The invoices passed are updated to match.
func applyAllocations(ctx context.Context, tx *Tx, actorID int64, p *sales.Payment, invoices []*sales.Invoice, plan []sales.Allocation, action sales.PaymentAction) error {
	if len(plan) > 0 {
		if err := checkAllocationLimits(ctx, tx, p, plan); err != nil {
			return err
		}
	}
	settled, err := sales.PlanSettlement(invoices, plan)
	if err != nil {
		return err
	}
	if err := writeSettlement(ctx, tx, "payment_allocations", "payment_id", p.ID, actorID, invoices, plan, settled); err != nil {
		return err
	}
	total := settled.Total
	from := p.Status
	p.AllocatedAmount = p.AllocatedAmount.Add(total)
	p.Status = sales.PaymentStatusOf(p.Amount, p.AllocatedAmount, p.RefundedAmount)
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET allocated_amount = $2, status = $3, version = version + $4, updated_at = $5 WHERE id = $1`,
		p.ID, p.AllocatedAmount, string(p.Status), boolInt(action != sales.PaymentRecord), tx.Now); err != nil {
		return err
	}
	reason := ""
	if len(plan) > 0 {
		reason = sales.AllocationReason("allocated to", plan, invoiceNumbers(invoices), p.Currency)
	}
	return writeEvent(ctx, tx, sales.DocPayment, p.ID, sales.PaymentEvent(action, from, p.Status, reason), actorID)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkAllocationLimits counts the allocations the payment and the
// invoices already have, in one statement, against sales.MaxAllocations.
func checkAllocationLimits(ctx context.Context, tx *Tx, p *sales.Payment, plan []sales.Allocation) error {
	invoiceIDs := ids(plan, func(a sales.Allocation) int64 { return a.InvoiceID })
	var counts []struct {
		InvoiceID int64 `db:"invoice_id"`
		Count     int   `db:"count"`
	}
	if err := tx.SelectContext(ctx, &counts, `SELECT 0::bigint AS invoice_id, count(*) FROM payment_allocations WHERE payment_id = $1
		UNION ALL SELECT invoice_id, count(*) FROM payment_allocations WHERE invoice_id = ANY($2) GROUP BY invoice_id`,
		p.ID, pq.Array(invoiceIDs)); err != nil {
		return err
	}
	adding := map[int64]int{}
	for _, a := range plan {
		adding[a.InvoiceID]++
	}
	for _, c := range counts {
		if c.InvoiceID == 0 {
			if err := sales.CheckAllocationLimit("payment "+p.Number, c.Count, len(plan)); err != nil {
				return err
			}
		} else if err := sales.CheckAllocationLimit("an invoice", c.Count, adding[c.InvoiceID]); err != nil {
			return err
		}
	}
	return nil
}

// writeSettlement writes what sales.PlanSettlement decided for plan, the
// allocations of a payment or a credit note (table and ownerColumn say
// which, ownerID whose): the allocation rows and the invoices' new paid
// amounts and states, one statement each. The invoices passed are updated
// to match.
func writeSettlement(ctx context.Context, tx *Tx, table, ownerColumn string, ownerID, actorID int64,
	invoices []*sales.Invoice, plan []sales.Allocation, settled sales.Settlement) error {
	if len(plan) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+ownerColumn+`, invoice_id, amount, allocated_at, allocated_by)
		SELECT $1, a.invoice_id, a.amount, $2, $3 FROM unnest($4::bigint[], $5::numeric[]) WITH ORDINALITY AS a(invoice_id, amount, n) ORDER BY a.n`,
		ownerID, tx.Now, actorID, idArray(plan, func(a sales.Allocation) int64 { return a.InvoiceID }),
		decimalArray(plan, func(a sales.Allocation) decimal.Decimal { return a.Amount })); err != nil {
		return err
	}
	if err := writeInvoicePayments(ctx, tx, settled.Invoices); err != nil {
		return err
	}
	byID := make(map[int64]*sales.Invoice, len(invoices))
	for _, inv := range invoices {
		byID[inv.ID] = inv
	}
	for _, c := range settled.Invoices { // the caller's invoices now stand as written
		byID[c.InvoiceID].PaidAmount, byID[c.InvoiceID].Status = c.Paid, c.Status
	}
	return nil
}

// lockAllocated locks invoice invoiceID and sums what the owner (a
// payment or a credit note: table and ownerColumn say which) has allocated
// to it and not taken back.
func lockAllocated(ctx context.Context, tx *Tx, table, ownerColumn string, ownerID, invoiceID int64) (*sales.Invoice, decimal.Decimal, error) {
	var inv sales.Invoice
	if err := tx.GetContext(ctx, &inv, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1 FOR UPDATE`, invoiceID); err != nil {
		return nil, decimal.Zero, notFound(err, "invoiceId", "invoice")
	}
	var taken decimal.Decimal
	err := tx.GetContext(ctx, &taken, `SELECT coalesce(sum(amount), 0) FROM `+table+`
		WHERE `+ownerColumn+` = $1 AND invoice_id = $2 AND reversed_at IS NULL`, ownerID, inv.ID)
	return &inv, taken, err
}

// writeReversal marks what the owner allocated to change's invoice as
// taken back (kept, with who and when) and writes the invoice's new paid
// amount and state.
func writeReversal(ctx context.Context, tx *Tx, table, ownerColumn string, ownerID, actorID int64, change sales.InvoicePayment) error {
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET reversed_at = $3, reversed_by = $4
		WHERE `+ownerColumn+` = $1 AND invoice_id = $2 AND reversed_at IS NULL`, ownerID, change.InvoiceID, tx.Now, actorID); err != nil {
		return err
	}
	return writeInvoicePayments(ctx, tx, []sales.InvoicePayment{change})
}

// invoiceNumbers maps invoices' IDs to their numbers, for history reasons.
func invoiceNumbers(invoices []*sales.Invoice) map[int64]string {
	numbers := make(map[int64]string, len(invoices))
	for _, inv := range invoices {
		if inv.Number != nil {
			numbers[inv.ID] = *inv.Number
		}
	}
	return numbers
}

// writeInvoicePayments writes invoices' new paid amounts and states, in one statement.
func writeInvoicePayments(ctx context.Context, tx *Tx, rows []sales.InvoicePayment) error {
	_, err := tx.ExecContext(ctx, `UPDATE invoices i SET paid_amount = c.paid, status = c.status, version = i.version + 1, updated_at = $1
		FROM unnest($2::bigint[], $3::numeric[], $4::text[]) AS c(id, paid, status) WHERE i.id = c.id`, tx.Now,
		idArray(rows, func(c sales.InvoicePayment) int64 { return c.InvoiceID }),
		decimalArray(rows, func(c sales.InvoicePayment) decimal.Decimal { return c.Paid }),
		textArray(rows, func(c sales.InvoicePayment) string { return string(c.Status) }))
	return err
}

// Allocate applies more of a payment to the customer's open invoices, as
// asked. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *PaymentStore) Allocate(ctx context.Context, actor *sales.User, id int64, version int, requests []sales.AllocationInput) (_ *sales.Payment, err error) {
	defer wrap(&err, "Payments.Allocate(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		p, err := lockPayment(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if err := sales.CheckPaymentAction(p.Status, sales.PaymentAllocate); err != nil {
			return err
		}
		if len(requests) == 0 {
			return sales.Errorf(sales.CodeValidation, "input.allocations", "name at least one invoice to allocate to")
		}
		open, err := lockOpenInvoices(ctx, tx, p.CustomerID, nil)
		if err != nil {
			return err
		}
		plan, err := sales.PlanAllocation(sales.MoneyToAllocate{Currency: p.Currency, Unallocated: p.Unallocated()}, sales.OpenInvoicesOf(open), requests)
		if err != nil {
			return err
		}
		return applyAllocations(ctx, tx, actor.ID, p, open, plan, sales.PaymentAllocate)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Unallocate takes back what a payment has allocated to one invoice: the
// allocations are kept, marked reversed; the invoice's paid amount and
// state go back. Returns NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *PaymentStore) Unallocate(ctx context.Context, actor *sales.User, id int64, version int, invoiceID int64) (_ *sales.Payment, err error) {
	defer wrap(&err, "Payments.Unallocate(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		p, err := lockPayment(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		if err := sales.CheckPaymentAction(p.Status, sales.PaymentUnallocate); err != nil {
			return err
		}
		inv, taken, err := lockAllocated(ctx, tx, "payment_allocations", "payment_id", p.ID, invoiceID)
		if err != nil {
			return err
		}
		if !taken.IsPositive() {
			return sales.Errorf(sales.CodeValidation, "invoiceId", "payment %s has nothing allocated to that invoice", p.Number)
		}
		change, err := sales.PlanInvoicePayment(inv, taken.Neg(), "invoiceId")
		if err != nil {
			return err
		}
		if err := writeReversal(ctx, tx, "payment_allocations", "payment_id", p.ID, actor.ID, change); err != nil {
			return err
		}
		from := p.Status
		p.AllocatedAmount = p.AllocatedAmount.Sub(taken)
		p.Status = sales.PaymentStatusOf(p.Amount, p.AllocatedAmount, p.RefundedAmount)
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET allocated_amount = $2, status = $3, version = version + 1, updated_at = $4 WHERE id = $1`,
			p.ID, p.AllocatedAmount, string(p.Status), tx.Now); err != nil {
			return err
		}
		reason := sales.AllocationReason("taken back from", []sales.Allocation{{InvoiceID: inv.ID, Amount: taken}},
			map[int64]string{inv.ID: deref(inv.Number)}, p.Currency)
		return writeEvent(ctx, tx, sales.DocPayment, p.ID, sales.PaymentEvent(sales.PaymentUnallocate, from, p.Status, reason), actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// Refund pays back unallocated money of a payment, for a reason. Returns
// NOT_FOUND, CONFLICT, INVALID_TRANSITION, VALIDATION.
func (s *PaymentStore) Refund(ctx context.Context, actor *sales.User, id int64, version int, amount decimal.Decimal, reason string) (_ *sales.Payment, err error) {
	defer wrap(&err, "Payments.Refund(%d)", id)
	err = s.db.Transact(ctx, func(tx *Tx) error {
		p, err := lockPayment(ctx, tx, actor, id, version)
		if err != nil {
			return err
		}
		why, err := sales.CheckRefund(p, amount, reason)
		if err != nil {
			return err
		}
		from := p.Status
		p.RefundedAmount = p.RefundedAmount.Add(amount)
		p.Status = sales.PaymentStatusOf(p.Amount, p.AllocatedAmount, p.RefundedAmount)
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET refunded_amount = $2, status = $3, version = version + 1, updated_at = $4 WHERE id = $1`,
			p.ID, p.RefundedAmount, string(p.Status), tx.Now); err != nil {
			return err
		}
		// Each refund is kept as a row too, so statements can date it.
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_refunds (payment_id, amount, reason, refunded_at, refunded_by) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, amount, why, tx.Now, actor.ID); err != nil {
			return err
		}
		ev := sales.PaymentEvent(sales.PaymentRefund, from, p.Status, fmt.Sprintf("refunded %s %s: %s", amount, p.Currency, why))
		return writeEvent(ctx, tx, sales.DocPayment, p.ID, ev, actor.ID)
	})
	if err != nil {
		return nil, translate(err)
	}
	return s.byID(ctx, id)
}

// depositsReceived is what the payments naming an order bring, less refunds.
func depositsReceived(ctx context.Context, tx *Tx, orderID int64) (decimal.Decimal, error) {
	var got decimal.Decimal
	err := tx.GetContext(ctx, &got, `SELECT coalesce(sum(amount - refunded_amount), 0) FROM payments WHERE order_id = $1`, orderID)
	return got, err
}

// allocateDeposits applies the unallocated money of the payments naming
// the order of invoice inv (just issued, locked) to it, oldest payment
// first, as sales.PlanAllocation decides, once the invoice is issued. The
// customer is locked already (the invoice's first lock); the payments are
// locked by id.
func allocateDeposits(ctx context.Context, tx *Tx, actorID int64, inv *sales.Invoice) error {
	var deposits []*sales.Payment
	if err := tx.SelectContext(ctx, &deposits, `SELECT `+paymentColumns+` FROM payments
		WHERE order_id = $1 AND amount > allocated_amount + refunded_amount ORDER BY id FOR UPDATE`, inv.OrderID); err != nil {
		return err
	}
	for _, p := range deposits {
		plan, err := sales.PlanAllocation(sales.MoneyToAllocate{Currency: p.Currency, Unallocated: p.Unallocated()},
			sales.OpenInvoicesOf([]*sales.Invoice{inv}), nil)
		if err != nil {
			return err
		}
		if len(plan) == 0 {
			return nil // the invoice is paid in full
		}
		if err := applyAllocations(ctx, tx, actorID, p, []*sales.Invoice{inv}, plan, sales.PaymentAllocate); err != nil {
			return err
		}
	}
	return nil
}
