package web

// The live dashboard (/dashboard): a page for leadership that shows every order status
// change as it commits (the orderStatusChanged subscription over graphql-transport-ws,
// through the vendored graphql-ws client), and the figures of dashboardSummary, asked
// again shortly after each change. docs/live-feed.md, "The live dashboard", describes it.
//
// Like the GraphiQL page it is embedded in the binary, loads nothing from elsewhere and
// runs no inline script: the server renders its settings as JSON into a data block that
// static/dashboard/page.js reads. A token reaches it only in the address's fragment
// (/dashboard#token=T), which browsers do not send to the server; page.js keeps it in the
// tab's sessionStorage and removes it from the address bar.

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// DashboardStaticPath is the URL path under which Static serves the dashboard's assets.
const DashboardStaticPath = "/static/dashboard/"

// DashboardOptions configures the dashboard page.
type DashboardOptions struct {
	// Endpoint is the URL of the GraphQL HTTP endpoint, relative to the page or absolute;
	// "/graphql" if empty.
	Endpoint string
	// SubscriptionEndpoint is the graphql-transport-ws websocket URL; if empty, the browser
	// derives it from Endpoint with http(s) turned into ws(s).
	SubscriptionEndpoint string
	// Title is the page's title and heading; "Sales dashboard" if empty.
	Title string
}

// dashboardConfig is what static/dashboard/page.js reads from the page's JSON config element.
type dashboardConfig struct {
	Endpoint             string `json:"endpoint"`
	SubscriptionEndpoint string `json:"subscriptionEndpoint,omitempty"`
}

//go:embed dashboard.html
var dashboardTemplate string

//go:embed static/dashboard
var dashboardFiles embed.FS

// dashboardAssets maps a name relative to static/dashboard (e.g. "page.js") to its file.
var dashboardAssets = sync.OnceValue(func() map[string]*asset { return loadAssets(dashboardFiles, "static/dashboard") })

var dashboardPage = template.Must(template.New("dashboard.html").Funcs(template.FuncMap{
	"asset": dashboardAssetURL,
}).Parse(dashboardTemplate))

// dashboardAssetURL is the versioned URL of an embedded dashboard asset.
func dashboardAssetURL(name string) (string, error) {
	a := dashboardAssets()[name]
	if a == nil {
		return "", errNoAsset(name)
	}
	return DashboardStaticPath + name + "?v=" + a.version, nil
}

type errNoAsset string

func (e errNoAsset) Error() string { return "no embedded asset " + strconv.Quote(string(e)) }

// Dashboard returns a handler that serves the dashboard page on GET and HEAD, at whatever
// path it is mounted on; its assets are served by Static. The page is the same for every
// request (it holds no token and no data): the data comes from the GraphQL endpoint, with
// the token the browser holds. It panics, like GraphiQL, on an absolute endpoint that is
// not http(s) or ws(s).
func Dashboard(opts DashboardOptions) http.Handler {
	if opts.Endpoint == "" {
		opts.Endpoint = "/graphql"
	}
	if opts.Title == "" {
		opts.Title = "Sales dashboard"
	}
	connectSrc := connectSources(GraphiQLOptions{Endpoint: opts.Endpoint, SubscriptionEndpoint: opts.SubscriptionEndpoint})
	var buf bytes.Buffer
	if err := dashboardPage.Execute(&buf, struct {
		Title  string
		Config dashboardConfig
	}{opts.Title, dashboardConfig{Endpoint: opts.Endpoint, SubscriptionEndpoint: opts.SubscriptionEndpoint}}); err != nil {
		panic("web: rendering the dashboard page: " + err.Error())
	}
	body := buf.Bytes()
	csp := dashboardContentSecurityPolicy(connectSrc)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// The page names the current asset versions: a new binary must not be hidden by a
		// cached page.
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

// dashboardContentSecurityPolicy is stricter than GraphiQL's: the page has no inline
// script or style element at all (page.js and page.css are files; page.js sets no style
// attribute), so no nonce, and it needs no fonts or images.
func dashboardContentSecurityPolicy(connectSrc string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src " + connectSrc,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}
