package printable_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

func TestMain(m *testing.M) { dbtest.Main(m) }

var secret = []byte("bol-test-secret-bol-test-secret-xx")

// must(f())(t) is f's value, failing t on its error.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestBillOfLading(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := dbtest.New(t)
	admin := must(s.Users.Create(ctx, nil, sales.User{Email: "admin@bol.example", Name: "Admin", Role: sales.RoleAdmin, Active: true}, nil))(t)
	_ = must(s.Users.Create(ctx, nil, sales.User{Email: "rep@bol.example", Name: "Rep", Role: sales.RoleSalesRep, Active: true}, nil))(t)
	wh := must(s.Warehouses.Create(ctx, admin, sales.Warehouse{Code: "BER", Name: "Berlin DC",
		Address: &sales.Address{Line1: "Lagerstr. 1", City: "Berlin", Country: "DE"}}, nil))(t)
	p := must(s.Products.Create(ctx, admin, sales.Product{SKU: "BOLT-8", Name: "Hex bolt M8", UnitOfMeasure: "EA", Active: true}, nil))(t)
	_ = must(s.PriceLists.Create(ctx, admin, sales.PriceList{Code: "STD", Name: "Std", Currency: "EUR", IsDefault: true},
		[]sales.PriceListItem{{ProductID: p.ID, MinQuantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(2)}}, nil))(t)
	c := must(s.Customers.Create(ctx, admin, sales.Customer{Code: "X1", Name: `<script>alert(1)</script> & Sons`, Currency: "EUR", CreditLimit: decimal.NewFromInt(1_000_000), // not a test of credit
		BillingAddress: &sales.Address{Line1: "Main St 1", City: "Hamburg", Country: "DE"}}, nil, nil))(t)
	_ = must(s.Stock.Receive(ctx, admin, stockChange(p.ID, wh.ID, "100"), nil))(t)
	o := must(s.Orders.Create(ctx, admin, sales.NewOrder{CustomerID: c.ID, Terms: sales.OrderTerms{WarehouseID: wh.ID, CustomerReference: "PO-9"},
		Lines: []sales.LineInput{{ProductID: p.ID, Quantity: decimal.NewFromInt(40)}}}, nil))(t)
	o = must(s.Orders.Confirm(ctx, admin, o.ID, o.Version))(t)
	d := must(s.Deliveries.Create(ctx, admin, sales.NewDelivery{OrderID: o.ID, Carrier: "DHL Freight", TrackingNumber: "JD42"}, nil))(t)

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	mux.Handle("GET /documents/deliveries/{id}/bill-of-lading", printable.BillOfLading(s, &printable.Access{
		Authn: &graph.Authenticator{Secret: secret, Users: s.Users, Logger: logger}, Links: printable.NewLinks(secret, 0), Users: s.Users}, logger))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	url := srv.URL + "/documents/deliveries/" + relay.ID("Delivery", d.ID) + "/bill-of-lading"
	get := func(u, email string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
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

	res, body := get(url, "admin@bol.example")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	for _, want := range []string{d.BOLNumber, d.Number, o.Number, "PO-9", "DHL Freight", "JD42", "BOLT-8", "Hex bolt M8", "40", "Berlin DC",
		"&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons", "@page"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("the customer's name reached the page unescaped")
	}
	csp := res.Header.Get("Content-Security-Policy")
	nonce, _, _ := strings.Cut(strings.TrimPrefix(csp[strings.Index(csp, "'nonce-")+1:], "nonce-"), "'")
	if !strings.HasPrefix(csp, "default-src 'none';") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") ||
		nonce == "" || !strings.Contains(body, `<style nonce="`+nonce+`">`) || res.Header.Get("Cache-Control") != "no-store" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("headers: %v", res.Header)
	}
	for _, want := range []string{"Shipper", "Consignee", "Carrier: signature", "Consignee: signature", "Main St 1", "Hamburg", "EA", "@media print"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if _, again := get(url, "admin@bol.example"); strings.Contains(again, `nonce="`+nonce+`"`) {
		t.Error("the style nonce must change on every response")
	}
	if res, _ := get(url, ""); res.StatusCode != 401 {
		t.Errorf("no token: %d, want 401", res.StatusCode)
	}
	if res, _ := get(url, "ghost@bol.example"); res.StatusCode != 401 {
		t.Errorf("unknown user: %d, want 401", res.StatusCode)
	}
	if res, _ := get(url, "rep@bol.example"); res.StatusCode != 404 {
		t.Errorf("a rep who does not own the customer: %d, want 404", res.StatusCode)
	}
	if res, _ := get(srv.URL+"/documents/deliveries/"+relay.ID("Delivery", 99999)+"/bill-of-lading", "admin@bol.example"); res.StatusCode != 404 {
		t.Errorf("unknown delivery: %d, want 404", res.StatusCode)
	}
	if res, _ := get(srv.URL+"/documents/deliveries/"+relay.ID("Customer", c.ID)+"/bill-of-lading", "admin@bol.example"); res.StatusCode != 404 {
		t.Errorf("an ID of another type: %d, want 404", res.StatusCode)
	}
}
