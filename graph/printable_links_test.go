package graph_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"salesgraph/graph"
	"salesgraph/printable"
	"salesgraph/sales"
)

// TestDeliveries_BillOfLadingURLOpensInAPlainTab: the URL the API hands out
// is signed for the viewer with the injected signer's TTL, and a request
// with no Authorization header (a browser tab) opens the page with it.
func TestDeliveries_BillOfLadingURLOpensInAPlainTab(t *testing.T) {
	t.Parallel()
	links := printable.NewLinks(testSecret, 2*time.Minute)
	e := newEnv(t).retuned(t, func(c *graph.HandlerConfig) { c.DocumentLinks = links })
	s := e.salesSetup(t, map[string]string{"widget": "50", "gadget": "50"})
	d := e.delivery(t, map[string]any{"orderId": e.confirmedOrder(t, s).ID, "carrier": "DHL"})

	u, err := url.Parse(d.BillOfLadingURL)
	if err != nil || !strings.HasPrefix(u.Path, "/documents/deliveries/") || u.Query().Get("sig") == "" ||
		u.Query().Get("u") != strconv.FormatInt(e.users[sales.RoleWarehouse].ID, 10) {
		t.Fatalf("billOfLadingUrl %q: want a path signed for the warehouse user", d.BillOfLadingURL)
	}
	exp, _ := strconv.ParseInt(u.Query().Get("exp"), 10, 64)
	if left := time.Until(time.Unix(exp, 0)); left <= time.Minute || left > 2*time.Minute {
		t.Errorf("the link opens for %v, want the configured 2 minutes", left)
	}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	mux.Handle("GET /documents/deliveries/{id}/bill-of-lading", printable.BillOfLading(e.store, &printable.Access{
		Authn: &graph.Authenticator{Secret: testSecret, Users: e.store.Users, Logger: logger}, Links: links, Users: e.store.Users}, logger))
	docs := httptest.NewServer(mux)
	t.Cleanup(docs.Close)
	res, err := http.Get(docs.URL + d.BillOfLadingURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), d.BOLNumber) {
		t.Fatalf("opening billOfLadingUrl without a header: %d, want the page of %s", res.StatusCode, d.BOLNumber)
	}
	bare, err := http.Get(docs.URL + u.Path)
	if err != nil {
		t.Fatal(err)
	}
	bare.Body.Close()
	if bare.StatusCode != http.StatusUnauthorized {
		t.Errorf("the bare path without a header: %d, want 401", bare.StatusCode)
	}
}
