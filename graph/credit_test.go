package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/sales"
)

const (
	creditDecisionFields = `outcome holdReason reason currency creditLimit creditHold openInvoices uninvoicedOrders unallocatedCredit
		exposure availableCredit orderValue oldestOverdueDays graceDays decidedAt decidedBy { email }
		releasedBy { email } releasedAt releaseNote`
	orderCreditQuery    = `query($id: ID!) { order(id: $id) { status holdReason creditDecisions { ` + creditDecisionFields + ` } } }`
	customerCreditQuery = `query($id: ID!) { customer(id: $id) { creditExposure {
		currency openInvoices uninvoicedOrders unallocatedCredit exposure creditLimit availableCredit oldestOverdueDays creditHold } } }`
	ordersOnHoldQuery = `query($filter: OrderFilter) { ordersOnHold(first: 50, filter: $filter) { totalCount nodes { number holdReason } } }`
)

type creditDecisionOut struct {
	Outcome, Reason, Currency, CreditLimit, OpenInvoices, UninvoicedOrders, UnallocatedCredit string
	Exposure, AvailableCredit, OrderValue, DecidedAt                                          string
	HoldReason, ReleasedAt, ReleaseNote                                                       *string
	CreditHold                                                                                bool
	OldestOverdueDays, GraceDays                                                              int
	DecidedBy, ReleasedBy                                                                     *struct{ Email string }
}

type creditExposureOut struct {
	Currency, OpenInvoices, UninvoicedOrders, UnallocatedCredit, Exposure, CreditLimit, AvailableCredit string
	OldestOverdueDays                                                                                   int
	CreditHold                                                                                          bool
}

func (e *env) orderCredit(t *testing.T, id string) (status string, decisions []creditDecisionOut) {
	t.Helper()
	var out struct {
		Order struct {
			Status          string
			CreditDecisions []creditDecisionOut
		}
	}
	e.with(t).must(sales.RoleAccountant, orderCreditQuery, map[string]any{"id": id}, &out)
	return out.Order.Status, out.Order.CreditDecisions
}

func (e *env) customerCredit(t *testing.T, id string) creditExposureOut {
	t.Helper()
	var out struct {
		Customer struct{ CreditExposure creditExposureOut }
	}
	e.with(t).must(sales.RoleAccountant, customerCreditQuery, map[string]any{"id": id}, &out)
	return out.Customer.CreditExposure
}

func (e *env) confirm(t *testing.T, o orderOut) orderOut {
	t.Helper()
	var c struct{ ConfirmOrder orderOut }
	e.with(t).must(sales.RoleSalesManager, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version}, &c)
	return c.ConfirmOrder
}

// A customer with a limit of 100.00 EUR: the first order fits, the second
// would pass the limit and is held (saved, not refused) with every figure
// kept; an accountant releases it and the release is kept; an invoice past
// due then holds the next order for OVERDUE_INVOICES. The customer's
// exposure shows each part along the way.
func TestCredit_HoldKeepAndRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.salesSetup(t, map[string]string{"widget": "100", "gadget": "100"})
	if _, err := e.store.ExecContext(context.Background(), `UPDATE customers SET credit_limit = 100 WHERE code = 'CUST-1'`); err != nil {
		t.Fatal(err)
	}
	// 4 widgets at 10.00 with 19% tax: 47.60; 5 widgets: 59.50.
	a := e.createOrder(t, sales.RoleSalesRep, s.order(map[string]any{"invoicingPolicy": "ORDERED"}, line(s.widget, "4")))
	if a = e.confirm(t, a); a.Status != "CONFIRMED" || a.Total != "47.60" {
		t.Fatalf("first order %s %s, want CONFIRMED 47.60", a.Status, a.Total)
	}
	if _, ds := e.orderCredit(t, a.ID); len(ds) != 1 || ds[0].Outcome != "APPROVED" || ds[0].HoldReason != nil ||
		ds[0].UninvoicedOrders != "0.00" || ds[0].OrderValue != "47.60" || ds[0].AvailableCredit != "100.00" ||
		ds[0].Reason != "exposure with this order is 47.6, within the credit limit of 100" {
		t.Fatalf("first order's decisions %+v", ds)
	}

	b := e.createOrder(t, sales.RoleSalesRep, s.order(nil, line(s.widget, "5")))
	b = e.confirm(t, b)
	if b.Status != "ON_HOLD" || b.HoldReason == nil || *b.HoldReason != "CREDIT_LIMIT" {
		t.Fatalf("second order %s %v, want ON_HOLD CREDIT_LIMIT", b.Status, b.HoldReason)
	}
	if _, reserved := e.level(t, s.widget); reserved != "4" {
		t.Fatalf("widget reserved %s: a held order reserves nothing", reserved)
	}
	last := b.History[len(b.History)-1]
	if last.Action != "HOLD" || last.ToStatus != "ON_HOLD" || !strings.Contains(last.Reason, "over the credit limit of 100") {
		t.Fatalf("hold event %+v", last)
	}
	_, ds := e.orderCredit(t, b.ID)
	want := creditDecisionOut{Outcome: "HELD", Reason: "exposure with this order would be 107.1, over the credit limit of 100 (52.4 available)",
		Currency: "EUR", CreditLimit: "100.00", OpenInvoices: "0.00", UninvoicedOrders: "47.60", UnallocatedCredit: "0.00",
		Exposure: "47.60", AvailableCredit: "52.40", OrderValue: "59.50"}
	if len(ds) != 1 {
		t.Fatalf("%d decisions, want 1", len(ds))
	}
	got := ds[0]
	if got.HoldReason == nil || *got.HoldReason != "CREDIT_LIMIT" || got.DecidedBy == nil || got.DecidedBy.Email != "sales_manager@test.example" ||
		got.ReleasedBy != nil || got.ReleasedAt != nil || got.ReleaseNote != nil || got.DecidedAt == "" {
		t.Fatalf("held decision %+v", got)
	}
	got.HoldReason, got.DecidedBy, got.DecidedAt = nil, nil, ""
	if got != want {
		t.Fatalf("held decision\n got %+v\nwant %+v", got, want)
	}
	if x := e.customerCredit(t, s.customer); x != (creditExposureOut{Currency: "EUR", OpenInvoices: "0.00", UninvoicedOrders: "47.60",
		UnallocatedCredit: "0.00", Exposure: "47.60", CreditLimit: "100.00", AvailableCredit: "52.40"}) {
		t.Fatalf("exposure %+v: the held order does not count", x)
	}

	// The hold queue lists it; it is the hold list, not a status filter.
	var q struct {
		OrdersOnHold struct {
			TotalCount int
			Nodes      []struct{ Number, HoldReason string }
		}
	}
	e.with(t).must(sales.RoleAccountant, ordersOnHoldQuery, map[string]any{"filter": map[string]any{"customerId": s.customer}}, &q)
	if q.OrdersOnHold.TotalCount != 1 || len(q.OrdersOnHold.Nodes) != 1 || q.OrdersOnHold.Nodes[0].Number != b.Number || q.OrdersOnHold.Nodes[0].HoldReason != "CREDIT_LIMIT" {
		t.Fatalf("ordersOnHold %+v, want only %s", q.OrdersOnHold, b.Number)
	}
	r := e.as(sales.RoleAccountant, ordersOnHoldQuery, map[string]any{"filter": map[string]any{"status": []string{"CONFIRMED"}}})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "VALIDATION" || r.Errors[0].Field() != "filter.status" {
		t.Fatalf("status filter on the hold queue: %+v", r.Errors)
	}

	// Released by an accountant: confirmed, reserved, and the release kept.
	var rel struct{ ReleaseOrderHold orderOut }
	e.with(t).must(sales.RoleAccountant, releaseHoldMutation, map[string]any{"id": b.ID, "v": b.Version, "reason": "paid in advance by wire"}, &rel)
	if rel.ReleaseOrderHold.Status != "CONFIRMED" || rel.ReleaseOrderHold.Lines[0].ReservedQuantity != "5" {
		t.Fatalf("released %+v", rel.ReleaseOrderHold)
	}
	if _, ds := e.orderCredit(t, b.ID); len(ds) != 1 || ds[0].ReleasedBy == nil || ds[0].ReleasedBy.Email != "accountant@test.example" ||
		ds[0].ReleasedAt == nil || ds[0].ReleaseNote == nil || *ds[0].ReleaseNote != "paid in advance by wire" || ds[0].Outcome != "HELD" {
		t.Fatalf("released decision %+v", ds)
	}

	// Order A invoiced and ten days past due: open invoices, overdue days,
	// and the next order held for OVERDUE_INVOICES (grace 0) before the limit.
	inv := e.invoiceDo(t, sales.RoleAccountant, createInvoiceMutation, invoiceIn(a.ID))
	inv = e.invoiceDo(t, sales.RoleAccountant, issueInvoiceMutation, map[string]any{"id": inv.ID, "v": inv.Version})
	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
	if _, err := e.store.ExecContext(context.Background(), `UPDATE invoices SET issue_date = $1, due_date = $2 WHERE number = $3`,
		day(-40), day(-10), *inv.Number); err != nil {
		t.Fatal(err)
	}
	if x := e.customerCredit(t, s.customer); x != (creditExposureOut{Currency: "EUR", OpenInvoices: "47.60", UninvoicedOrders: "59.50",
		UnallocatedCredit: "0.00", Exposure: "107.10", CreditLimit: "100.00", AvailableCredit: "-7.10", OldestOverdueDays: 10}) {
		t.Fatalf("exposure %+v", x)
	}
	c := e.confirm(t, e.createOrder(t, sales.RoleSalesRep, s.order(nil, line(s.gadget, "1"))))
	if c.Status != "ON_HOLD" || c.HoldReason == nil || *c.HoldReason != "OVERDUE_INVOICES" {
		t.Fatalf("third order %s %v, want ON_HOLD OVERDUE_INVOICES", c.Status, c.HoldReason)
	}
	if _, ds := e.orderCredit(t, c.ID); len(ds) != 1 || ds[0].OldestOverdueDays != 10 || ds[0].GraceDays != 0 || ds[0].OpenInvoices != "47.60" ||
		ds[0].Reason != "an invoice is 10 days overdue; 0 are tolerated" {
		t.Fatalf("overdue decision %+v", ds)
	}
}

// TestCredit_ParallelConfirmationsKeepEachLimit confirms 200 orders at once,
// 40 for each of 5 customers whose limit fits exactly 10 of them. The
// customer's lock makes each confirmation read the exposure the ones before
// it committed, so for every customer exactly 10 orders are confirmed, their
// value is within the limit, and the other 30 are ON_HOLD for CREDIT_LIMIT,
// each with its one decision.
func TestCredit_ParallelConfirmationsKeepEachLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	warehouse := e.warehouse("WH1")
	const customers, perCustomer, fit = 5, 40, 10
	// Each of a customer's orders is for a product of its own, one unit at
	// 10.00 (11.90 with tax): the limit fits exactly ten. No stock: the
	// orders take backorders. So no stock level's lock queues one
	// customer's confirmations: only the customer's lock keeps them apart.
	products := make([]string, perCustomer)
	items := make([]any, perCustomer)
	for i := range products {
		products[i] = e.product(fmt.Sprintf("P-%02d", i))
		items[i] = map[string]any{"productId": products[i], "unitPrice": "10.00"}
	}
	list := e.priceList(map[string]any{"code": "PAR", "name": "Parallel", "currency": "EUR", "items": items})
	var orders []orderOut
	for c := range customers {
		in := validCustomer(fmt.Sprintf("PAR-%d", c))
		in["creditLimit"], in["priceListId"] = "119.00", list
		cust := e.createCustomer(sales.RoleAdmin, in).ID
		for i := range perCustomer {
			o := e.createOrder(t, sales.RoleSalesManager, map[string]any{"input": map[string]any{
				"customerId": cust, "warehouseId": warehouse, "allowBackorder": true, "lines": []any{line(products[i], "1")}}})
			if o.Total != "11.90" {
				t.Fatalf("order total %s, want 11.90", o.Total)
			}
			orders = append(orders, o)
		}
	}
	// Interleave the customers so their confirmations race each other.
	var wg sync.WaitGroup
	errs := make(chan string, len(orders))
	work := make(chan orderOut)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				r := e.as(sales.RoleSalesManager, confirmOrderMutation, map[string]any{"id": o.ID, "v": o.Version})
				if len(r.Errors) > 0 {
					errs <- fmt.Sprintf("%s: %v", o.Number, r.Errors)
				}
			}
		}()
	}
	for i := range perCustomer {
		for c := range customers {
			work <- orders[c*perCustomer+i]
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var rows []struct {
		Code      string `db:"code"`
		Limit     string `db:"credit_limit"`
		Confirmed int    `db:"confirmed"`
		Value     string `db:"confirmed_value"`
		WithinCap bool   `db:"within"`
		Held      int    `db:"held"`
		Decisions int    `db:"decisions"`
	}
	if err := e.store.SelectContext(context.Background(), &rows, `
		SELECT c.code, c.credit_limit::text AS credit_limit,
		  count(*) FILTER (WHERE o.status = 'CONFIRMED') AS confirmed,
		  coalesce(sum(o.total) FILTER (WHERE o.status = 'CONFIRMED'), 0)::text AS confirmed_value,
		  coalesce(sum(o.total) FILTER (WHERE o.status = 'CONFIRMED'), 0) <= c.credit_limit AS within,
		  count(*) FILTER (WHERE o.status = 'ON_HOLD' AND o.hold_reason = 'CREDIT_LIMIT') AS held,
		  (SELECT count(*) FROM credit_decisions d WHERE d.customer_id = c.id) AS decisions
		FROM customers c JOIN sales_orders o ON o.customer_id = c.id
		WHERE c.code LIKE 'PAR-%' GROUP BY c.id ORDER BY c.code`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != customers {
		t.Fatalf("%d customers with orders, want %d", len(rows), customers)
	}
	for _, r := range rows {
		t.Logf("%s: limit %s, %d confirmed worth %s, %d held for CREDIT_LIMIT, %d decisions", r.Code, r.Limit, r.Confirmed, r.Value, r.Held, r.Decisions)
		if !r.WithinCap || r.Confirmed != fit || r.Held != perCustomer-fit || r.Decisions != perCustomer {
			t.Errorf("%s: %d confirmed worth %s against a limit of %s, %d held, %d decisions; want %d confirmed, %d held, %d decisions",
				r.Code, r.Confirmed, r.Value, r.Limit, r.Held, r.Decisions, fit, perCustomer-fit, perCustomer)
		}
	}
	checkStockInvariants(t, e.store)
}
