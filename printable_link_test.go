package main

import (
	"context"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/graph/gqltest"
)

// TestServe_BillOfLadingLinkOpensInATab runs the server as deployed, with
// DOCUMENT_LINK_TTL given as a flag: the billOfLadingUrl the API hands out
// lives that long and opens the page with no Authorization header.
func TestServe_BillOfLadingLinkOpensInATab(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	d, err := db.Open(ctx, url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := demo.Load(ctx, db.NewStore(d)); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret, "--document-link-ttl", "90s")
	token, err := auth.Issue([]byte(testSecret), demo.AdminEmail, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r := gqltest.Post(t, s.base+"/graphql", token, `{ deliveries(first: 1) { nodes { bolNumber billOfLadingUrl } } }`, nil)
	var out struct {
		Deliveries struct {
			Nodes []struct{ BOLNumber, BillOfLadingURL string }
		}
	}
	if len(r.Errors) > 0 {
		t.Fatalf("deliveries: %+v", r.Errors)
	}
	r.Decode(t, &out)
	if len(out.Deliveries.Nodes) != 1 {
		t.Fatalf("the demo company has no delivery: %s", r.Data)
	}
	dl := out.Deliveries.Nodes[0]
	u, err := neturl.Parse(dl.BillOfLadingURL)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := strconv.ParseInt(u.Query().Get("exp"), 10, 64)
	if left := time.Until(time.Unix(exp, 0)); left <= time.Minute || left > 90*time.Second {
		t.Errorf("the link opens for %v, want DOCUMENT_LINK_TTL's 90s", left)
	}
	res, err := http.Get(s.base + dl.BillOfLadingURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), dl.BOLNumber) {
		t.Fatalf("opening billOfLadingUrl without a header: %d, want the page of %s", res.StatusCode, dl.BOLNumber)
	}
	if res.Header.Get("Cache-Control") != "private, no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers of a page opened by link: %v", res.Header)
	}
	if strings.Contains(s.stderr.String(), u.Query().Get("sig")) {
		t.Error("the server's log holds the link's signature")
	}
}
