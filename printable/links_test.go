package printable_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/graph"
	"salesgraph/printable"
	"salesgraph/sales"
)

// lockedBuffer is a log sink the handler's goroutines may write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// linkSite is a bill-of-lading server and what the link tests need of its data.
type linkSite struct {
	store          *db.Store
	srv            *httptest.Server
	links          *printable.Links
	log            *lockedBuffer
	admin, repA    *sales.User
	repB           *sales.User
	dA, dB         *sales.Delivery // deliveries to repA's customer and repB's
	pathA, pathB   string
	customerOfRepA *sales.Customer
}

func newLinkSite(t *testing.T) *linkSite {
	t.Helper()
	ctx := context.Background()
	s := dbtest.New(t)
	admin := must(s.Users.Create(ctx, nil, sales.User{Email: "admin@links.example", Name: "Admin", Role: sales.RoleAdmin, Active: true}, nil))(t)
	repA := must(s.Users.Create(ctx, nil, sales.User{Email: "a@links.example", Name: "Rep A", Role: sales.RoleSalesRep, Active: true}, nil))(t)
	repB := must(s.Users.Create(ctx, nil, sales.User{Email: "b@links.example", Name: "Rep B", Role: sales.RoleSalesRep, Active: true}, nil))(t)
	wh := must(s.Warehouses.Create(ctx, admin, sales.Warehouse{Code: "BER", Name: "Berlin DC",
		Address: &sales.Address{Line1: "Lagerstr. 1", City: "Berlin", Country: "DE"}}, nil))(t)
	p := must(s.Products.Create(ctx, admin, sales.Product{SKU: "BOLT-8", Name: "Hex bolt M8", UnitOfMeasure: "EA", Active: true}, nil))(t)
	_ = must(s.PriceLists.Create(ctx, admin, sales.PriceList{Code: "STD", Name: "Std", Currency: "EUR", IsDefault: true},
		[]sales.PriceListItem{{ProductID: p.ID, MinQuantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(2)}}, nil))(t)
	_ = must(s.Stock.Receive(ctx, admin, stockChange(p.ID, wh.ID, "100"), nil))(t)
	delivery := func(code string, rep *sales.User) (*sales.Customer, *sales.Delivery) {
		c := must(s.Customers.Create(ctx, admin, sales.Customer{Code: code, Name: "Customer " + code, Currency: "EUR", SalesRepID: &rep.ID, CreditLimit: decimal.NewFromInt(1_000_000), // not a test of credit
			BillingAddress: &sales.Address{Line1: "Main St 1", City: "Hamburg", Country: "DE"}}, nil, nil))(t)
		o := must(s.Orders.Create(ctx, admin, sales.NewOrder{CustomerID: c.ID, Terms: sales.OrderTerms{WarehouseID: wh.ID},
			Lines: []sales.LineInput{{ProductID: p.ID, Quantity: decimal.NewFromInt(10)}}}, nil))(t)
		o = must(s.Orders.Confirm(ctx, admin, o.ID, o.Version))(t)
		return c, must(s.Deliveries.Create(ctx, admin, sales.NewDelivery{OrderID: o.ID, Carrier: "DHL"}, nil))(t)
	}
	cA, dA := delivery("A1", repA)
	_, dB := delivery("B1", repB)

	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	links := printable.NewLinks(secret, printable.DefaultLinkTTL)
	mux := http.NewServeMux()
	mux.Handle("GET /documents/deliveries/{id}/bill-of-lading", printable.BillOfLading(s, &printable.Access{
		Authn: &graph.Authenticator{Secret: secret, Users: s.Users, Logger: logger}, Links: links, Users: s.Users}, logger))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &linkSite{store: s, srv: srv, links: links, log: logs, admin: admin, repA: repA, repB: repB, dA: dA, dB: dB,
		pathA: printable.BillOfLadingPath(dA.ID), pathB: printable.BillOfLadingPath(dB.ID), customerOfRepA: cA}
}

// open requests link (a path with its query) as a plain browser tab does: no
// Authorization header, unless token is given.
func (s *linkSite) open(t *testing.T, link, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+link, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// withQuery returns link with one query parameter set to v.
func withQuery(t *testing.T, link, key, v string) string {
	t.Helper()
	path, query, _ := strings.Cut(link, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q.Set(key, v)
	return path + "?" + q.Encode()
}

func queryOf(t *testing.T, link string) url.Values {
	t.Helper()
	_, query, _ := strings.Cut(link, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestSignedLink_OpensInAPlainTab(t *testing.T) {
	t.Parallel()
	s := newLinkSite(t)
	link := s.links.Link(s.pathA, s.repA.ID)
	if !strings.HasPrefix(link, s.pathA+"?") || queryOf(t, link).Get("sig") == "" || queryOf(t, link).Get("exp") == "" {
		t.Fatalf("link %q", link)
	}
	exp, _ := strconv.ParseInt(queryOf(t, link).Get("exp"), 10, 64)
	if left := time.Until(time.Unix(exp, 0)); left < 4*time.Minute || left > 5*time.Minute {
		t.Errorf("the link opens for %v, want the default 5 minutes", left)
	}
	res, body := s.open(t, link, "")
	if res.StatusCode != 200 || !strings.Contains(body, s.dA.BOLNumber) || !strings.Contains(body, "Customer A1") {
		t.Fatalf("status %d, want the bill of lading %s: %s", res.StatusCode, s.dA.BOLNumber, body)
	}
	if cc, rp := res.Header.Get("Cache-Control"), res.Header.Get("Referrer-Policy"); cc != "private, no-store" || rp != "no-referrer" {
		t.Errorf("Cache-Control %q, Referrer-Policy %q; want private, no-store and no-referrer", cc, rp)
	}
	if res, _ := s.open(t, s.links.Link(s.pathA, s.admin.ID), ""); res.StatusCode != 200 {
		t.Errorf("the admin's link: %d, want 200", res.StatusCode)
	}
	sig := queryOf(t, link).Get("sig")
	if strings.Contains(s.log.String(), sig) {
		t.Error("the log holds a link's signature")
	}
}

func TestSignedLink_RefusedWhenExpiredOrTampered(t *testing.T) {
	t.Parallel()
	s := newLinkSite(t)
	link := s.links.Link(s.pathA, s.admin.ID)
	q := queryOf(t, link)
	exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
	sig := q.Get("sig")
	flipped := []byte(sig)
	flipped[3] ^= 1 // still base64url: a letter's case or a digit changes
	other := printable.NewLinks([]byte("another-secret-another-secret-xx!"), 0)
	_, query, _ := strings.Cut(link, "?")

	refused := map[string]string{
		"expired":                 s.links.Sign(s.pathA, s.admin.ID, time.Now().Add(-time.Second)),
		"expiring beyond the TTL": s.links.Sign(s.pathA, s.admin.ID, time.Now().Add(time.Hour)),
		"another delivery's id":   s.pathB + "?" + query,
		"the same delivery, its id spelt otherwise": "/documents/deliveries/" +
			base64.RawURLEncoding.EncodeToString([]byte("Delivery:0"+strconv.FormatInt(s.dA.ID, 10))) + "/bill-of-lading?" + query,
		"signed for another path":         s.pathA + "?" + strings.SplitN(s.links.Link("/documents/invoices/x", s.admin.ID), "?", 2)[1],
		"a later exp":                     withQuery(t, link, "exp", strconv.FormatInt(exp+60, 10)),
		"another user":                    withQuery(t, link, "u", strconv.FormatInt(s.repA.ID, 10)),
		"a changed signature":             withQuery(t, link, "sig", string(flipped)),
		"a truncated signature":           withQuery(t, link, "sig", sig[:len(sig)-2]),
		"no signature":                    s.pathA + "?u=" + q.Get("u") + "&exp=" + q.Get("exp"),
		"a repeated parameter":            link + "&u=" + q.Get("u"),
		"signed with another secret":      other.Link(s.pathA, s.admin.ID),
		"signed for a user who never was": s.links.Link(s.pathA, 999999),
	}
	bodies := map[string]bool{}
	for name, bad := range refused {
		res, body := s.open(t, bad, "")
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401 (%s)", name, res.StatusCode, body)
		}
		if strings.Contains(body, s.dA.BOLNumber) {
			t.Errorf("%s: the page was served", name)
		}
		bodies[body] = true
	}
	if len(bodies) != 1 {
		t.Errorf("%d different refusals: the body must not say why a link does not open", len(bodies))
	}
	if res, _ := s.open(t, link, ""); res.StatusCode != 200 {
		t.Errorf("the untouched link: %d, want 200", res.StatusCode)
	}
	if strings.Contains(s.log.String(), sig) {
		t.Error("the log holds a link's signature")
	}
}

func TestSignedLink_DiesWithTheUsersAccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newLinkSite(t)

	// Rep B may not see rep A's customer: a link signed for B is as good as
	// B's token, which gets 404 there, as today.
	if res, _ := s.open(t, s.links.Link(s.pathA, s.repB.ID), ""); res.StatusCode != 404 {
		t.Errorf("rep B's link to rep A's delivery: %d, want 404", res.StatusCode)
	}
	if res, _ := s.open(t, s.links.Link(s.pathB, s.repB.ID), ""); res.StatusCode != 200 {
		t.Errorf("rep B's link to their own delivery: %d, want 200", res.StatusCode)
	}

	link := s.links.Link(s.pathA, s.repA.ID)
	if res, _ := s.open(t, link, ""); res.StatusCode != 200 {
		t.Fatalf("rep A's link: %d, want 200", res.StatusCode)
	}
	// The customer moves to rep B: A's link, still unexpired, no longer shows it.
	c := must(s.store.Customers.ByIDs(ctx, []int64{s.customerOfRepA.ID}))(t)[0]
	_ = must(s.store.Customers.Update(ctx, s.admin, c.ID, c.Version, func(c *sales.Customer) { c.SalesRepID = &s.repB.ID }))(t)
	if res, _ := s.open(t, link, ""); res.StatusCode != 404 {
		t.Errorf("rep A's link after the customer moved to rep B: %d, want 404", res.StatusCode)
	}

	adminLink := s.links.Link(s.pathA, s.admin.ID)
	_ = must(s.store.Users.Update(ctx, s.admin.ID, s.admin.Version, func(u *sales.User) { u.Active = false }))(t)
	if res, body := s.open(t, adminLink, ""); res.StatusCode != http.StatusUnauthorized || strings.Contains(body, s.dA.BOLNumber) {
		t.Errorf("a deactivated user's link: %d, want 401", res.StatusCode)
	}
}

func TestSignedLink_TheHeaderStillWorks(t *testing.T) {
	t.Parallel()
	s := newLinkSite(t)
	token := must(auth.Issue(secret, "admin@links.example", time.Hour))(t)
	res, body := s.open(t, s.pathA, token)
	if res.StatusCode != 200 || !strings.Contains(body, s.dA.BOLNumber) || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("with the header: %d %v", res.StatusCode, res.Header)
	}
	// The header wins over a link: a broken link beside a good token opens.
	if res, _ := s.open(t, s.pathA+"?u=1&exp=1&sig=x", token); res.StatusCode != 200 {
		t.Errorf("a good token with a broken link: %d, want 200", res.StatusCode)
	}
	// Neither: the bearer challenge, as before links.
	res, _ = s.open(t, s.pathA, "")
	if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no header, no link: %d %v", res.StatusCode, res.Header)
	}
	repToken := must(auth.Issue(secret, "b@links.example", time.Hour))(t)
	if res, _ := s.open(t, s.pathA, repToken); res.StatusCode != 404 {
		t.Errorf("rep B's token on rep A's delivery: %d, want 404", res.StatusCode)
	}
}
