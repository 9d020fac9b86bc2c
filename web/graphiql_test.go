package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"salesgraph/web"
)

// get serves one request to h and returns the response.
func get(t *testing.T, h http.Handler, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var configRE = regexp.MustCompile(`(?s)<script type="application/json" id="graphiql-config">(.*?)</script>`)

// pageConfig is the JSON config that page.js reads.
type pageConfig struct {
	Endpoint             string `json:"endpoint"`
	SubscriptionEndpoint string `json:"subscriptionEndpoint"`
	Headers              string `json:"headers"`
	DefaultQuery         string `json:"defaultQuery"`
	StyleNonce           string `json:"styleNonce"`
}

func parseConfig(t *testing.T, page string) pageConfig {
	t.Helper()
	m := configRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no config element in the page:\n%s", page)
	}
	var cfg pageConfig
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("config %s: %v", m[1], err)
	}
	return cfg
}

func TestPageEscapesHostileValues(t *testing.T) {
	const (
		hostile = `</script><script>alert(1)</script><!--`
		query   = "{ name }\n# " + hostile + "\u2028\u2029 ' \" & <b>"
	)
	resp := get(t, web.GraphiQL(web.GraphiQLOptions{
		Endpoint:     `/graphql?q="></script><script>alert(2)</script>`,
		DefaultQuery: query,
		Title:        `</title><script>alert(3)</script>`,
	}), "GET", "/", nil)
	page := body(t, resp)

	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<!--") {
		t.Errorf("a hostile value reached the page unescaped:\n%s", page)
	}
	// The config block and the five script files, and nothing else.
	if n := strings.Count(page, "<script"); n != 6 {
		t.Errorf("the page has %d <script elements, want 6:\n%s", n, page)
	}
	if n := strings.Count(page, "</script>"); n != 6 {
		t.Errorf("the page has %d </script>, want 6:\n%s", n, page)
	}
	if !strings.Contains(page, "<title>&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;</title>") {
		t.Errorf("the title is not escaped as text:\n%s", page)
	}

	// What page.js reads back is exactly what was configured.
	cfg := parseConfig(t, page)
	if cfg.DefaultQuery != query {
		t.Errorf("defaultQuery = %q, want %q", cfg.DefaultQuery, query)
	}
	if cfg.Endpoint != `/graphql?q="></script><script>alert(2)</script>` {
		t.Errorf("endpoint = %q", cfg.Endpoint)
	}
}

// TestPageHoldsNoToken: the page is served to anyone, so its headers tab starts with the
// placeholder; a token reaches it only in the address's fragment (see the browser test).
func TestPageHoldsNoToken(t *testing.T) {
	page := body(t, get(t, web.GraphiQL(web.GraphiQLOptions{}), "GET", "/", nil))
	if strings.Contains(page, "Bearer ey") || strings.Contains(page, "token=") {
		t.Errorf("the page carries a token:\n%s", page)
	}
	cfg := parseConfig(t, page)
	want := "{\n  \"Authorization\": \"" + web.TokenPlaceholder + "\"\n}"
	if cfg.Headers != want {
		t.Errorf("headers = %q, want %q", cfg.Headers, want)
	}
	if cfg.Endpoint != "/graphql" || cfg.SubscriptionEndpoint != "" || cfg.DefaultQuery != "" {
		t.Errorf("config = %+v, want the defaults", cfg)
	}
}

func TestPageResponseHeaders(t *testing.T) {
	h := web.GraphiQL(web.GraphiQLOptions{Title: "t"})
	resp := get(t, h, "GET", "/", nil)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	nonce := parseConfig(t, page).StyleNonce
	if !regexp.MustCompile(`^[A-Za-z0-9]{20,}$`).MatchString(nonce) {
		t.Errorf("styleNonce = %q, want a long random token", nonce)
	}
	wantCSP := "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; " +
		"form-action 'none'; frame-ancestors 'none'"
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": wantCSP,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if again := parseConfig(t, body(t, get(t, h, "GET", "/", nil))).StyleNonce; again == nonce {
		t.Errorf("two responses share the style nonce %q", nonce)
	}

	head := get(t, h, "HEAD", "/", nil)
	if head.StatusCode != http.StatusOK || head.Header.Get("Content-Security-Policy") == "" || body(t, head) != "" {
		t.Errorf("HEAD: status %d, CSP %q, want 200 with headers and no body", head.StatusCode, head.Header.Get("Content-Security-Policy"))
	}
	if post := get(t, h, "POST", "/", nil); post.StatusCode != http.StatusMethodNotAllowed || post.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q", post.StatusCode, post.Header.Get("Allow"))
	}
}

func TestPageConnectSrcForAbsoluteEndpoints(t *testing.T) {
	for _, tc := range []struct {
		opts web.GraphiQLOptions
		want string
	}{
		{web.GraphiQLOptions{Endpoint: "/api/graphql", SubscriptionEndpoint: "/api/ws"}, "connect-src 'self';"},
		{web.GraphiQLOptions{Endpoint: "https://API.example.com:8443/graphql"},
			"connect-src 'self' https://api.example.com:8443 wss://api.example.com:8443;"},
		{web.GraphiQLOptions{Endpoint: "http://localhost:8080/graphql", SubscriptionEndpoint: "ws://localhost:9090/ws"},
			"connect-src 'self' http://localhost:8080 ws://localhost:9090;"},
		{web.GraphiQLOptions{SubscriptionEndpoint: "wss://[::1]:8443/graphql"}, "connect-src 'self' wss://[::1]:8443;"},
	} {
		csp := get(t, web.GraphiQL(tc.opts), "GET", "/", nil).Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, tc.want) {
			t.Errorf("%+v: CSP %q, want it to contain %q", tc.opts, csp, tc.want)
		}
	}

	for _, bad := range []web.GraphiQLOptions{
		{Endpoint: "javascript:alert(1)"},
		{Endpoint: "ftp://example.com/graphql"},
		{SubscriptionEndpoint: "wss://exa mple.com/graphql"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("GraphiQL(%+v) did not panic", bad)
				}
			}()
			web.GraphiQL(bad)
		}()
	}
}

func TestStatic(t *testing.T) {
	page := body(t, get(t, web.GraphiQL(web.GraphiQLOptions{}), "GET", "/", nil))
	refs := regexp.MustCompile(`(?:src|href)="(/static/graphiql/[^"?]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 8 {
		t.Fatalf("the page refers to %d assets, want 8 (5 scripts, 3 style sheets):\n%s", len(refs), page)
	}
	static := web.Static()
	for _, ref := range refs {
		path, version := ref[1], ref[2]
		resp := get(t, static, "GET", path+"?v="+version, nil)
		plain := body(t, resp)
		if resp.StatusCode != http.StatusOK || len(plain) == 0 {
			t.Errorf("%s: status %d, %d bytes", path, resp.StatusCode, len(plain))
			continue
		}
		wantType := "text/css; charset=utf-8"
		if strings.HasSuffix(path, ".js") {
			wantType = "text/javascript; charset=utf-8"
		}
		for k, want := range map[string]string{
			"Content-Type":           wantType,
			"X-Content-Type-Options": "nosniff",
			"Cache-Control":          "public, max-age=31536000, immutable",
			"ETag":                   `"` + version + `"`,
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}

		// Without the current version: revalidate every time.
		if cc := get(t, static, "GET", path, nil).Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s without ?v: Cache-Control %q, want no-cache", path, cc)
		}
		if st := get(t, static, "GET", path, http.Header{"If-None-Match": {`"` + version + `"`}}).StatusCode; st != http.StatusNotModified {
			t.Errorf("%s with a matching If-None-Match: status %d, want 304", path, st)
		}

		gz := get(t, static, "GET", path+"?v="+version, http.Header{"Accept-Encoding": {"br, gzip;q=0.8"}})
		if gz.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(gz.Body)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unzipped, []byte(plain)) {
				t.Errorf("%s: the gzip body does not decode to the file (err %v)", path, err)
			}
			if etag := gz.Header.Get("ETag"); etag == `"`+version+`"` {
				t.Errorf("%s: gzip and identity share the ETag %s", path, etag)
			}
		} else if len(plain) > 100_000 {
			t.Errorf("%s (%d bytes) is not served gzipped", path, len(plain))
		}
		if ce := get(t, static, "GET", path, http.Header{"Accept-Encoding": {"gzip;q=0"}}).Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("%s with gzip;q=0: Content-Encoding %q", path, ce)
		}
	}

	if resp := get(t, static, "GET", "/static/graphiql/licenses/graphiql.LICENSE", nil); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body(t, resp), "MIT License") {
		t.Errorf("graphiql's license: status %d", resp.StatusCode)
	}
	for _, path := range []string{"/static/graphiql/", "/static/graphiql/nope.js", "/static/graphiql/../graphiql.go", "/static/other.js", "/"} {
		if st := get(t, static, "GET", path, nil).StatusCode; st != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, st)
		}
	}
	if st := get(t, static, "POST", "/static/graphiql/page.js", nil).StatusCode; st != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", st)
	}
}
