package printable_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/auth"
	"salesgraph/db/dbtest"
	"salesgraph/graph"
	"salesgraph/printable"
	"salesgraph/relay"
	"salesgraph/sales"
)

// TestInvoicePage: the printable invoice shows seller, customer, number,
// dates, lines, totals, paid, balance and due date; a draft is marked
// DRAFT; the bearer header and a signed link open it; a link changed in any
// part, an unknown user or a rep of another customer does not.
func TestInvoicePage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := dbtest.New(t)
	admin := must(s.Users.Create(ctx, nil, sales.User{Email: "admin@inv.example", Name: "Admin", Role: sales.RoleAdmin, Active: true}, nil))(t)
	repA := must(s.Users.Create(ctx, nil, sales.User{Email: "a@inv.example", Name: "Rep A", Role: sales.RoleSalesRep, Active: true}, nil))(t)
	_ = must(s.Users.Create(ctx, nil, sales.User{Email: "b@inv.example", Name: "Rep B", Role: sales.RoleSalesRep, Active: true}, nil))(t)
	wh := must(s.Warehouses.Create(ctx, admin, sales.Warehouse{Code: "BER", Name: "Berlin DC",
		Address: &sales.Address{Line1: "Lagerstr. 1", City: "Berlin", Country: "DE"}}, nil))(t)
	p := must(s.Products.Create(ctx, admin, sales.Product{SKU: "BOLT-8", Name: "Hex bolt M8", UnitOfMeasure: "EA", Active: true,
		TaxRate: decimal.RequireFromString("0.19")}, nil))(t)
	_ = must(s.PriceLists.Create(ctx, admin, sales.PriceList{Code: "STD", Name: "Std", Currency: "EUR", IsDefault: true},
		[]sales.PriceListItem{{ProductID: p.ID, MinQuantity: decimal.NewFromInt(1), UnitPrice: decimal.RequireFromString("2.50")}}, nil))(t)
	c := must(s.Customers.Create(ctx, admin, sales.Customer{Code: "X1", Name: `<script>alert(1)</script> & Sons`, Currency: "EUR",
		SalesRepID: &repA.ID, CreditLimit: decimal.NewFromInt(1_000_000), PaymentTermsDays: 30,
		BillingAddress: &sales.Address{Line1: "Main St 1", City: "Hamburg", Country: "DE"}}, nil, nil))(t)
	ordered := sales.InvoiceOrdered
	o := must(s.Orders.Create(ctx, admin, sales.NewOrder{CustomerID: c.ID, Terms: sales.OrderTerms{WarehouseID: wh.ID, CustomerReference: "PO-9",
		InvoicingPolicy: &ordered}, Lines: []sales.LineInput{{ProductID: p.ID, Quantity: decimal.NewFromInt(40)}}}, nil))(t)
	_ = must(s.Stock.Receive(ctx, admin, stockChange(p.ID, wh.ID, "100"), nil))(t)
	o = must(s.Orders.Confirm(ctx, admin, o.ID, o.Version))(t)
	draft := must(s.Invoices.Create(ctx, admin, sales.NewInvoice{OrderID: o.ID}, nil))(t)

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	links := printable.NewLinks(secret, 0)
	mux := http.NewServeMux()
	mux.Handle("GET /documents/invoices/{id}", printable.Invoice(s, &printable.Access{
		Authn: &graph.Authenticator{Secret: secret, Users: s.Users, Logger: logger}, Links: links, Users: s.Users}, "Bolt & Nut Trading", logger))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	path := printable.InvoicePath(draft.ID)
	if path != "/documents/invoices/"+relay.ID("Invoice", draft.ID) {
		t.Fatalf("InvoicePath %q", path)
	}
	get := func(link, email string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+link, nil)
		if email != "" {
			tok, _ := auth.Issue(secret, email, time.Hour)
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	// The draft: marked DRAFT, no number, no dates yet.
	res, body := get(path, "admin@inv.example")
	if res.StatusCode != 200 || !strings.Contains(body, "DRAFT — not issued") || !strings.Contains(body, "<h1>Invoice DRAFT</h1>") {
		t.Fatalf("draft page: %d\n%s", res.StatusCode, body)
	}

	// Issued and part paid: 40 × 2.50 = 100.00 + 19.00 tax = 119.00; 50.00 paid.
	inv := must(s.Invoices.Issue(ctx, admin, draft.ID, draft.Version))(t)
	_ = must(s.Payments.Record(ctx, admin, sales.NewPayment{CustomerID: c.ID, Amount: decimal.NewFromInt(50), Currency: "EUR",
		Method: sales.PaymentMethod("BANK_TRANSFER"), Allocations: []sales.AllocationInput{{InvoiceID: inv.ID, Amount: decimal.NewFromInt(50)}}}, nil))(t)
	res, body = get(path, "admin@inv.example")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	for _, want := range []string{*inv.Number, o.Number, "PO-9", "Bolt &amp; Nut Trading", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons",
		"Main St 1", "Hamburg", "BOLT-8", "Hex bolt M8", ">40<", ">2.50<", ">100.00<", ">19.00<", `id="total">119.00<`, `id="paid">50.00<`,
		`id="balance">69.00<`, inv.IssueDate.Format(time.DateOnly), "Balance due by " + inv.DueDate.Format(time.DateOnly), "PARTIALLY_PAID", "@page"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "DRAFT") || strings.Contains(body, "<script>") {
		t.Error("an issued invoice's page says DRAFT, or the customer's name reached it unescaped")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none';") || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", res.Header)
	}

	// Who may open it.
	if res, _ := get(path, ""); res.StatusCode != 401 {
		t.Errorf("no token: %d, want 401", res.StatusCode)
	}
	if res, _ := get(path, "ghost@inv.example"); res.StatusCode != 401 {
		t.Errorf("unknown user: %d, want 401", res.StatusCode)
	}
	if res, _ := get(path, "b@inv.example"); res.StatusCode != 404 {
		t.Errorf("a rep of another customer: %d, want 404", res.StatusCode)
	}
	if res, _ := get(printable.InvoicePath(99999), "admin@inv.example"); res.StatusCode != 404 {
		t.Errorf("unknown invoice: %d, want 404", res.StatusCode)
	}
	if res, _ := get("/documents/invoices/"+relay.ID("Customer", c.ID), "admin@inv.example"); res.StatusCode != 404 {
		t.Errorf("an ID of another type: %d, want 404", res.StatusCode)
	}

	// A signed link opens it in a plain tab, for the rep who owns the customer.
	link := links.Link(path, repA.ID)
	if res, body := get(link, ""); res.StatusCode != 200 || !strings.Contains(body, *inv.Number) || res.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("the rep's link: %d", res.StatusCode)
	}
	// Tampered: another user, a later expiry, another invoice's path, a forged signature.
	tampered := []string{
		withQuery(t, link, "u", strconv.FormatInt(admin.ID, 10)),
		withQuery(t, link, "exp", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)),
		strings.Replace(link, path, printable.InvoicePath(draft.ID+1), 1),
		withQuery(t, link, "sig", "AAAA"),
	}
	for _, l := range tampered {
		if res, body := get(l, ""); res.StatusCode != 401 || strings.Contains(body, *inv.Number) {
			t.Errorf("tampered link %s: %d, want 401", l, res.StatusCode)
		}
	}
	// Expired.
	if res, _ := get(links.Sign(path, repA.ID, time.Now().Add(-time.Second)), ""); res.StatusCode != 401 {
		t.Errorf("an expired link: %d, want 401", res.StatusCode)
	}
}
