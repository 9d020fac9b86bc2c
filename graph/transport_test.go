package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/db/dbtest"
	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/sales"
)

// rawResponse is what a client sees of a request it built by hand.
type rawResponse struct {
	status int
	body   []byte
	resp   gqltest.Response
}

// send makes one HTTP request to the GraphQL endpoint and decodes the body as
// a GraphQL response; a body that is not one fails the test.
func send(t *testing.T, method, target, contentType, token, body string) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := rawResponse{status: res.StatusCode, body: raw}
	if err := json.Unmarshal(raw, &out.resp); err != nil || len(out.resp.Errors) == 0 && out.resp.Data == nil {
		t.Fatalf("%s %s: HTTP %d, body is not a GraphQL response (%v): %.300s", method, target, res.StatusCode, err, raw)
	}
	return out
}

// wantHTTPError asserts the status, a single error's code and that the body shows no internals.
func wantHTTPError(t *testing.T, r rawResponse, status int, code string) {
	t.Helper()
	if r.status != status || len(r.resp.Errors) == 0 || r.resp.Errors[0].Code() != code {
		t.Fatalf("HTTP %d %.300s, want HTTP %d with code %s", r.status, r.body, status, code)
	}
	assertNoLeak(t, r.resp.Errors[0])
	assertBodyNoLeak(t, r.body)
}

// assertBodyNoLeak fails if a whole response body shows driver errors, SQL or source locations.
func assertBodyNoLeak(t *testing.T, body []byte) {
	t.Helper()
	low := strings.ToLower(string(body))
	for _, bad := range []string{"pq:", "select ", "insert ", "update ", "delete ", "sqlstate", "constraint", ".go:", "goroutine"} {
		if strings.Contains(low, bad) {
			t.Fatalf("response leaks internals (%q): %.500s", bad, body)
		}
	}
}

func TestTransportErrorsAreClientErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.tokens[sales.RoleViewer]
	endpoint := e.url + "/graphql"
	const me = `{"query":"{ me { email } }"}`
	big := `{"query":"{ me { email } }","variables":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`
	for _, tc := range []struct {
		name, method, target, contentType, body string
		status                                  int
		code                                    string
	}{
		{"BodyOverCap", "POST", endpoint, "application/json", big, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"},
		{"BatchedArray", "POST", endpoint, "application/json", "[" + me + "," + me + "]", http.StatusBadRequest, "BAD_REQUEST"},
		{"InvalidJSON", "POST", endpoint, "application/json", `{"query": "{ me { email } }"`, http.StatusBadRequest, "BAD_REQUEST"},
		{"EmptyBody", "POST", endpoint, "application/json", "", http.StatusBadRequest, "BAD_REQUEST"},
		{"WrongJSONShape", "POST", endpoint, "application/json", `{"query": 42}`, http.StatusBadRequest, "BAD_REQUEST"},
		{"UnsupportedContentType", "POST", endpoint, "text/plain", me, http.StatusBadRequest, "BAD_REQUEST"},
		{"MutationOverGET", "GET", endpoint + "?query=" + url.QueryEscape(`mutation { createWarehouse(input: {code: "W1", name: "W"}) { id } }`), "", "", http.StatusNotAcceptable, "BAD_REQUEST"},
		{"BadVariablesOverGET", "GET", endpoint + "?query=" + url.QueryEscape(`{ me { email } }`) + "&variables=%7B", "", "", http.StatusBadRequest, "BAD_REQUEST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantHTTPError(t, send(t, tc.method, tc.target, tc.contentType, tok, tc.body), tc.status, tc.code)
		})
	}
	t.Run("StillServesGoodRequests", func(t *testing.T) {
		r := send(t, "POST", endpoint, "application/json", tok, me)
		if r.status != http.StatusOK || len(r.resp.Errors) > 0 || !strings.Contains(string(r.resp.Data), "viewer@test.example") {
			t.Fatalf("HTTP %d %s", r.status, r.body)
		}
	})
}

// NUL bytes and numbers past the columns' precision are the client's mistake:
// VALIDATION on the field, not INTERNAL.
func TestBadValuesNameTheField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p, w := e.with(t).product("SKU-NUL"), e.with(t).warehouse("WHNUL")
	t.Run("NULInName", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.as(sales.RoleAdmin, createWarehouseMutation, map[string]any{"input": map[string]any{"code": "WH2", "name": "North\x00Yard"}}), "VALIDATION", "input.name")
		})
	})
	t.Run("NULInNestedField", func(t *testing.T) {
		in := validCustomer("NUL-1")
		in["billingAddress"] = map[string]any{"line1": "Main St\x00 1", "city": "Berlin", "country": "DE"}
		unchanged(t, e.store, func() {
			wantError(t, e.as(sales.RoleSalesManager, createCustomerMutation, map[string]any{"input": in}), "VALIDATION", "input.billingAddress.line1")
		})
	})
	t.Run("NULInSearch", func(t *testing.T) {
		wantError(t, e.as(sales.RoleViewer, `query($s: String) { customers(search: $s) { totalCount } }`, map[string]any{"s": "ab\x00c"}), "VALIDATION", "search")
	})
	t.Run("QuantityPastPrecision", func(t *testing.T) {
		unchanged(t, e.store, func() {
			wantError(t, e.as(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "10000000000000000", "reference": "PO-1"}}), "VALIDATION", "input.quantity")
		})
	})
	t.Run("DocumentTotalsPastPrecision", func(t *testing.T) {
		f := e.with(t).qtSetup(t)
		big := func(product string) map[string]any {
			return qtLineIn(product, "1", "unitPrice", "999999999999999", "priceOverrideReason", "test")
		}
		unchanged(t, e.store, func() {
			// One line fits before tax (19 %) but not after it.
			wantError(t, e.as(sales.RoleSalesManager, qtCreateMutation, map[string]any{"input": qtInput(f.mine, big(f.widget))}), "VALIDATION", "input.lines.0")
			// Each line fits with its tax; the document's total does not.
			half := func(product string) map[string]any {
				return qtLineIn(product, "1", "unitPrice", "500000000000000", "priceOverrideReason", "test")
			}
			wantError(t, e.as(sales.RoleSalesManager, qtCreateMutation, map[string]any{"input": qtInput(f.mine, half(f.widget), half(f.gadget))}), "VALIDATION", "input.lines")
		})
	})
	t.Run("StockSumPastPrecision", func(t *testing.T) {
		// Each receipt fits numeric(18,3); their sum does not.
		e.with(t).must(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "999999999999999", "reference": "PO-1"}}, nil)
		unchanged(t, e.store, func() {
			wantError(t, e.as(sales.RoleWarehouse, receiveMutation, map[string]any{"input": map[string]any{"productId": p, "warehouseId": w, "quantity": "1", "reference": "PO-2"}}), "VALIDATION", "input.quantity")
		})
	})
}

// An undecodable body is logged as a short prefix at most, and never with
// the request's headers: a client may paste a token or a customer's data.
func TestUndecodableBodyIsNotLoggedInFull(t *testing.T) {
	t.Parallel()
	store := dbtest.New(t)
	var logs gqltest.LogBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	authn := &graph.Authenticator{Secret: testSecret, Users: store.Users, Logger: logger}
	srv := httptest.NewServer(graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger}))
	t.Cleanup(srv.Close)
	if _, err := store.Users.Create(context.Background(), nil, sales.User{Email: "v@test.example", Name: "V", Role: sales.RoleViewer, Active: true}, nil); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Issue(testSecret, "v@test.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"query": "{ me { email } }", "variables": {"note": "` + strings.Repeat("a", 300) + `TAIL-OF-THE-BODY"}`
	r := send(t, "POST", srv.URL+"/graphql", "application/json", tok, body)
	if r.status != http.StatusBadRequest {
		t.Fatalf("HTTP %d %s", r.status, r.body)
	}
	got := logs.String()
	for _, secret := range []string{"TAIL-OF-THE-BODY", tok, strings.Repeat("a", 200)} {
		if strings.Contains(got, secret) {
			t.Fatalf("the log holds %.40q…:\n%.2000s", secret, got)
		}
	}
	if strings.Contains(string(r.body), "TAIL-OF-THE-BODY") {
		t.Fatalf("the response echoes the body: %.500s", r.body)
	}
}
