package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/graph/gqltest"
)

// TestServe_InvoicePrintURLOpensInATab runs the server as deployed, with
// SELLER_NAME given as a flag: an issued invoice's printUrl opens its page,
// with that seller, in a tab with no Authorization header.
func TestServe_InvoicePrintURLOpensInATab(t *testing.T) {
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
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret, "--seller-name", "Demo Trading Ltd")
	token, err := auth.Issue([]byte(testSecret), demo.AdminEmail, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	r := gqltest.Post(t, s.base+"/graphql", token, `{ invoices(first: 1, filter: {status: [ISSUED, PARTIALLY_PAID, PAID]}) { nodes { number balance printUrl } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("invoices: %+v", r.Errors)
	}
	var out struct {
		Invoices struct {
			Nodes []struct{ Number, Balance, PrintURL string }
		}
	}
	r.Decode(t, &out)
	if len(out.Invoices.Nodes) != 1 {
		t.Fatalf("the demo company has no issued invoice: %s", r.Data)
	}
	inv := out.Invoices.Nodes[0]
	res, err := http.Get(s.base + inv.PrintURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), inv.Number) || !strings.Contains(string(body), "Demo Trading Ltd") ||
		!strings.Contains(string(body), `id="balance">`+inv.Balance+`<`) {
		t.Fatalf("opening printUrl without a header: %d, want the page of %s by Demo Trading Ltd with its balance %s", res.StatusCode, inv.Number, inv.Balance)
	}
	bare, err := http.Get(s.base + strings.SplitN(inv.PrintURL, "?", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	bare.Body.Close()
	if bare.StatusCode != http.StatusUnauthorized {
		t.Errorf("the bare path without a header: %d, want 401", bare.StatusCode)
	}
}
