package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"salesgraph/web"
)

var dashboardConfigRE = regexp.MustCompile(`(?s)<script type="application/json" id="dashboard-config">(.*?)</script>`)

// The dashboard page: strict CSP (no inline script or style at all), no token or data in
// the page, and its three assets served by web.Static with long-lived versioned URLs.
func TestDashboardPage(t *testing.T) {
	h := web.Dashboard(web.DashboardOptions{Title: "Live </title><script>alert(1)</script>"})
	resp := get(t, h, "GET", "/dashboard", nil)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	wantCSP := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
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
	if strings.Contains(page, "<script>alert") {
		t.Errorf("the title reached the page unescaped:\n%s", page)
	}
	// The config block and two script files; no inline script, style element or attribute.
	if n := strings.Count(page, "<script"); n != 3 {
		t.Errorf("the page has %d <script elements, want 3:\n%s", n, page)
	}
	if strings.Contains(page, "<style") || strings.Contains(page, "style=") || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
		t.Errorf("the page has inline style or event handlers:\n%s", page)
	}
	if strings.Contains(page, "Bearer") || strings.Contains(page, "token=") && !strings.Contains(page, "#token=…") {
		t.Errorf("the page carries a token:\n%s", page)
	}
	m := dashboardConfigRE.FindStringSubmatch(page)
	if m == nil || m[1] != `{"endpoint":"/graphql"}` {
		t.Errorf("config = %q, want {\"endpoint\":\"/graphql\"}", m)
	}

	refs := regexp.MustCompile(`(?:src|href)="(/static/dashboard/[^"?]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	var names []string
	static := web.Static()
	for _, ref := range refs {
		path, version := ref[1], ref[2]
		names = append(names, strings.TrimPrefix(path, "/static/dashboard/"))
		r := get(t, static, "GET", path+"?v="+version, nil)
		b := body(t, r)
		wantType := "text/css; charset=utf-8"
		if strings.HasSuffix(path, ".js") {
			wantType = "text/javascript; charset=utf-8"
		}
		if r.StatusCode != http.StatusOK || len(b) == 0 || r.Header.Get("Content-Type") != wantType ||
			r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: status %d, %d bytes, headers %v", path, r.StatusCode, len(b), r.Header)
		}
	}
	if strings.Join(names, " ") != "page.css graphql-ws.min.js page.js" {
		t.Errorf("the page refers to %q, want page.css, graphql-ws.min.js and page.js", names)
	}
	if r := get(t, static, "GET", "/static/dashboard/graphql-ws.min.js", nil); !strings.Contains(body(t, r), "graphqlWs") {
		t.Errorf("graphql-ws.min.js is not the UMD bundle (no graphqlWs global)")
	}
	if r := get(t, static, "GET", "/static/dashboard/licenses/graphql-ws.LICENSE", nil); r.StatusCode != http.StatusOK ||
		!strings.Contains(body(t, r), "MIT License") {
		t.Errorf("graphql-ws's license: status %d", r.StatusCode)
	}
	for _, path := range []string{"/static/dashboard/", "/static/dashboard/nope.js", "/static/dashboard/../dashboard.go"} {
		if st := get(t, static, "GET", path, nil).StatusCode; st != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, st)
		}
	}

	head := get(t, h, "HEAD", "/dashboard", nil)
	if head.StatusCode != http.StatusOK || head.Header.Get("Content-Security-Policy") != wantCSP || body(t, head) != "" {
		t.Errorf("HEAD: status %d, CSP %q, want 200 with headers and no body", head.StatusCode, head.Header.Get("Content-Security-Policy"))
	}
	if post := get(t, h, "POST", "/dashboard", nil); post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", post.StatusCode)
	}

	// An absolute endpoint's origins join connect-src.
	csp := get(t, web.Dashboard(web.DashboardOptions{Endpoint: "https://api.example.com/graphql"}), "GET", "/", nil).Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://api.example.com wss://api.example.com;") {
		t.Errorf("CSP with an absolute endpoint: %q", csp)
	}
}
