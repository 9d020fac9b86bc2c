// Package web serves GraphiQL, the in-browser GraphQL IDE, entirely from assets embedded in
// the binary: the page loads no script, style or font from anywhere but its own server.
//
// The page and its assets are two handlers. Mount them beside the GraphQL endpoint:
//
//	mux.Handle("GET /static/", web.Static()) // or "GET /static/graphiql/"
//	mux.Handle("GET /{$}", web.GraphiQL(web.GraphiQLOptions{Title: "salesgraph"}))
//	mux.Handle("/graphql", graphqlHandler)
//
// The page refers to its assets by absolute paths under [StaticPath], so Static must be
// reachable there; the page itself may be mounted at any path.
//
// A token never appears in the served page. A link such as http://127.0.0.1:8080/#token=T
// carries one in the URL fragment, which browsers do not send to the server: the page puts
// "Authorization: Bearer T" in the headers tab (replacing what the browser kept) and removes
// the fragment from the address bar with history.replaceState.
//
// Subscriptions: the page opens graphql-transport-ws sockets to the endpoint (see
// GraphiQLOptions.SubscriptionEndpoint) with connection_init payload
// {"Authorization": "Bearer <token>"}, the token being whatever the headers tab holds when the
// subscription starts. A websocket transport that checks Origin must allow the page's own
// origin (for graph/gorillaws: Options.AllowedOrigins, e.g. "http://localhost:8080").
//
// The vendored files in static/graphiql/ and how to refresh them are described in
// static/README.md.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StaticPath is the URL path under which Static serves the page's assets.
const StaticPath = "/static/graphiql/"

// TokenPlaceholder is the Authorization header the headers tab starts with when neither the
// address nor the browser's storage gives a token.
const TokenPlaceholder = "Bearer <paste a token from: go run . token --user EMAIL>"

// GraphiQLOptions configures the GraphiQL page.
type GraphiQLOptions struct {
	// Endpoint is the URL of the GraphQL HTTP endpoint, relative to the page or absolute;
	// "/graphql" if empty.
	Endpoint string
	// SubscriptionEndpoint is the graphql-transport-ws websocket URL. If empty, the browser
	// derives it from Endpoint resolved against the page's location, with http(s) turned
	// into ws(s): ws://host/graphql on a plain-HTTP page, wss://host/graphql on HTTPS.
	SubscriptionEndpoint string
	// DefaultQuery is shown in the editor on the first visit; GraphiQL's welcome text if
	// empty. Later visits restore the user's own tabs.
	DefaultQuery string
	// Title is the page title; "GraphiQL" if empty.
	Title string
}

// pageConfig is what page.js reads from the page's JSON config element.
type pageConfig struct {
	Endpoint             string `json:"endpoint"`
	SubscriptionEndpoint string `json:"subscriptionEndpoint,omitempty"`
	// Headers is the headers tab's initial text (JSON, as the user sees and edits it).
	Headers      string `json:"headers"`
	DefaultQuery string `json:"defaultQuery,omitempty"`
	// StyleNonce is this response's CSP nonce for the <style> elements that GraphiQL's
	// dialogs inject (see contentSecurityPolicy).
	StyleNonce string `json:"styleNonce"`
}

//go:embed graphiql.html
var pageTemplate string

//go:embed static/graphiql
var staticFiles embed.FS

// page is parsed once; html/template escapes every value for its context, and {{.Config}},
// inside <script type="application/json">, is JSON-encoded with <, > and & escaped.
var page = template.Must(template.New("graphiql.html").Funcs(template.FuncMap{
	"asset": assetURL,
}).Parse(pageTemplate))

// GraphiQL returns a handler that serves the GraphiQL page for opts on GET and HEAD
// requests, at whatever path it is mounted on. The page's assets are served by Static.
// It panics if Endpoint or SubscriptionEndpoint is an absolute URL that is not http(s) or
// ws(s), since the page's Content-Security-Policy has to name its origin.
func GraphiQL(opts GraphiQLOptions) http.Handler {
	if opts.Endpoint == "" {
		opts.Endpoint = "/graphql"
	}
	if opts.Title == "" {
		opts.Title = "GraphiQL"
	}
	cfg := pageConfig{
		Endpoint:             opts.Endpoint,
		SubscriptionEndpoint: opts.SubscriptionEndpoint,
		Headers:              headersText(),
		DefaultQuery:         opts.DefaultQuery,
	}
	connectSrc := connectSources(opts)
	// Fail at startup, not on the first request, if the template cannot render.
	if _, err := renderPage(opts.Title, cfg); err != nil {
		panic("web: rendering the GraphiQL page: " + err.Error())
	}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		cfg := cfg
		cfg.StyleNonce = rand.Text()
		body, err := renderPage(opts.Title, cfg)
		if err != nil { // rendered once in GraphiQL already: cannot happen
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", contentSecurityPolicy(connectSrc, cfg.StyleNonce))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// Each response has its own nonce and names the current asset versions: never
		// reuse one.
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

// renderPage executes the page template.
func renderPage(title string, cfg pageConfig) ([]byte, error) {
	var buf bytes.Buffer
	err := page.Execute(&buf, struct {
		Title  string
		Config pageConfig
	}{title, cfg})
	return buf.Bytes(), err
}

// headersText is the headers tab's initial JSON, pretty-printed as a user would type it. It
// is plain JSON text (no HTML escaping of < and >, which the editor would show literally);
// the page template escapes it again when it embeds the config.
func headersText() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]string{"Authorization": TokenPlaceholder}); err != nil {
		panic(err) // a map[string]string always encodes
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// contentSecurityPolicy allows scripts, styles and connections to the page's own origin
// only (connectSrc adds the origins of absolute endpoints), and is the minimum with which
// GraphiQL works without a single violation:
//
//   - script-src 'self': the page has no inline script (page.js reads a JSON data block), and
//     neither GraphiQL, React nor CodeMirror 5 evaluates strings, so no 'unsafe-inline' and
//     no 'unsafe-eval'.
//   - style-src 'self' 'nonce-…': inline styles that React and CodeMirror set go through the
//     CSSOM, which CSP does not restrict; the one inline <style> element, which GraphiQL's
//     dialogs (Radix, via react-remove-scroll) inject to lock scrolling, carries the nonce
//     that page.js hands over as __webpack_nonce__. That keeps 'unsafe-inline' out.
//   - img-src and font-src 'self' data:: graphiql.min.css inlines its fonts and two
//     images as data: URLs.
//   - connect-src 'self': the HTTP endpoint and, by CSP Level 3, ws(s):// to the same host.
func contentSecurityPolicy(connectSrc, styleNonce string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'nonce-" + styleNonce + "'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + connectSrc,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// connectSources is the connect-src list for opts: 'self' plus the origins of absolute
// endpoints.
func connectSources(opts GraphiQLOptions) string {
	connect := []string{"'self'"}
	add := func(origin string) {
		if !slices.Contains(connect, origin) {
			connect = append(connect, origin)
		}
	}
	if o := absoluteOrigin("Endpoint", opts.Endpoint); o != "" {
		add(o)
		if opts.SubscriptionEndpoint == "" {
			// The browser derives the websocket URL from this endpoint.
			add(strings.Replace(o, "http", "ws", 1))
		}
	}
	if o := absoluteOrigin("SubscriptionEndpoint", opts.SubscriptionEndpoint); o != "" {
		add(o)
	}
	return strings.Join(connect, " ")
}

// cspHost matches a host[:port] that can be written into a CSP source expression as is.
var cspHost = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]+)?$`)

// absoluteOrigin returns "scheme://host[:port]" of raw if it is an absolute URL, or "" if
// it is a path. field names the option in the panic for anything else.
func absoluteOrigin(field, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("web: GraphiQLOptions.%s %q: %v", field, raw, err))
	}
	if u.Scheme == "" && u.Host == "" {
		return ""
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		panic(fmt.Sprintf("web: GraphiQLOptions.%s %q is neither a path nor an http(s) or ws(s) URL", field, raw))
	}
	if !cspHost.MatchString(u.Host) {
		panic(fmt.Sprintf("web: GraphiQLOptions.%s %q has an unusable host", field, raw))
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}

// Static returns a handler that serves the pages' embedded assets, GraphiQL's under
// StaticPath and the dashboard's under DashboardStaticPath, on GET and HEAD, and 404 for
// anything else under its mount point. The page requests each asset
// with ?v=<content hash>; such a request gets a year-long immutable Cache-Control, so a new
// binary with new assets changes the URLs. A request without the current version gets
// "no-cache" and revalidates with its ETag. Clients that accept gzip get it.
func Static() http.Handler {
	return http.HandlerFunc(serveStatic)
}

func serveStatic(w http.ResponseWriter, r *http.Request) {
	var a *asset
	if name, ok := strings.CutPrefix(r.URL.Path, StaticPath); ok {
		a = assets()[name]
	} else if name, ok := strings.CutPrefix(r.URL.Path, DashboardStaticPath); ok {
		a = dashboardAssets()[name]
	}
	if a == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := a.body, `"`+a.version+`"`
	if gz := a.gzipped(); gz != nil && acceptsGzip(r) {
		body, etag = gz, `"`+a.version+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// asset is one embedded file of static/graphiql.
type asset struct {
	body        []byte
	contentType string
	version     string // hex prefix of the body's SHA-256

	gzOnce sync.Once
	gz     []byte // nil where gzip does not pay
}

// gzipped returns the gzip encoding of a's body, computed on first use, or nil if it saves
// less than a tenth.
func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
		_, _ = zw.Write(a.body)                                  // a bytes.Buffer doesn't fail
		_ = zw.Close()
		if buf.Len() < len(a.body)*9/10 {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

// assets maps a name relative to static/graphiql (e.g. "graphiql.min.js") to its file.
var assets = sync.OnceValue(func() map[string]*asset { return loadAssets(staticFiles, "static/graphiql") })

// loadAssets maps each file under dir of files, by its name relative to dir, to its asset.
func loadAssets(files embed.FS, dir string) map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(files, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		m[strings.TrimPrefix(p, dir+"/")] = &asset{
			body:        body,
			contentType: contentType(p),
			version:     hex.EncodeToString(sum[:8]),
		}
		return nil
	})
	if err != nil {
		panic("web: reading embedded assets: " + err.Error()) // embedded: cannot fail
	}
	return m
}

// assetURL is the template's "asset" function: the versioned URL of an embedded asset. It
// fails the template (and so GraphiQL) for a name that is not embedded.
func assetURL(name string) (string, error) {
	a := assets()[name]
	if a == nil {
		return "", fmt.Errorf("no embedded asset %q", name)
	}
	return StaticPath + name + "?v=" + a.version, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default: // the licenses
		return "text/plain; charset=utf-8"
	}
}

// acceptsGzip reports whether r's Accept-Encoding lists gzip with a non-zero q.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q, found := strings.CutPrefix(strings.TrimSpace(params), "q=")
			if !found {
				return true
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
			return err == nil && f > 0
		}
	}
	return false
}
