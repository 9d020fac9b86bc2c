package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor/testexecutor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/chromedp/chromedp/kb"
	"github.com/vektah/gqlparser/v2/ast"
	"salesgraph/internal/browsertest"

	"salesgraph/web"
)

// browserTimeout bounds the whole browser test; it passes in a few seconds and the bound
// only matters when something hangs.
const browserTimeout = 60 * time.Second

// TestBrowserTestSkipsWithoutChromium runs the browser test in a child process whose PATH
// holds no browser: it must skip, saying why, and fail when SALESGRAPH_REQUIRE_BROWSER=1.
func TestBrowserTestSkipsWithoutChromium(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, require := range []string{"", "1"} {
		cmd := exec.Command(self, "-test.run=^TestGraphiQLInBrowser$", "-test.v")
		cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, browsertest.RequireBrowser+"=")
		}), "PATH="+t.TempDir(), browsertest.RequireBrowser+"="+require)
		out, err := cmd.CombinedOutput()
		switch {
		case require == "" && (err != nil || !strings.Contains(string(out), "--- SKIP: TestGraphiQLInBrowser") ||
			!strings.Contains(string(out), "no Chromium found")):
			t.Errorf("without a browser: %v, want a skip that says why:\n%s", err, out)
		case require == "1" && (err == nil || !strings.Contains(string(out), "--- FAIL: TestGraphiQLInBrowser") ||
			!strings.Contains(string(out), "no Chromium found")):
			t.Errorf("without a browser and with %s=1: %v, want a failure:\n%s", browsertest.RequireBrowser, err, out)
		}
	}
}

// gqlServer is gqlgen's test schema (Query.name, Subscription.name) over POST and
// graphql-transport-ws, recording what authenticated each request.
type gqlServer struct {
	exec *testexecutor.TestExecutor

	mu    sync.Mutex
	posts []recordedPost

	inits         chan transport.InitPayload // each connection_init payload
	subscriptions chan struct{}              // each subscription operation that starts
}

type recordedPost struct {
	operationName string
	authorization string
}

func newGQLServer() *gqlServer {
	return &gqlServer{
		exec:          testexecutor.New(),
		inits:         make(chan transport.InitPayload, 8),
		subscriptions: make(chan struct{}, 8),
	}
}

// notify sends v on ch unless ch is full: the test reads the first few only.
func notify[T any](ch chan<- T, v T) {
	select {
	case ch <- v:
	default:
	}
}

func (s *gqlServer) handler() http.Handler {
	h := handler.New(s.exec.Schema())
	h.AddTransport(transport.Websocket{
		// gqlgen's default (coder/websocket) implementation accepts same-origin browsers.
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			notify(s.inits, p)
			return ctx, nil, nil
		},
	})
	h.AddTransport(transport.POST{})
	h.Use(extension.Introspection{})
	h.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Subscription {
			notify(s.subscriptions, struct{}{})
		}
		return next(ctx)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var params struct {
				OperationName string `json:"operationName"`
			}
			_ = json.Unmarshal(body, &params)
			s.mu.Lock()
			s.posts = append(s.posts, recordedPost{params.OperationName, r.Header.Get("Authorization")})
			s.mu.Unlock()
			if params.OperationName == "IntrospectionQuery" {
				// The test executor's mock answers every query, introspection included, with
				// {"name": "test"}; answer for it so that GraphiQL gets a schema.
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(introspectionResult)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// introspectionResult describes the part of the test executor's schema that the test uses:
// Query.name and Subscription.name, both String!.
var introspectionResult = func() any {
	type obj = map[string]any
	stringType := obj{"kind": "NON_NULL", "name": nil, "ofType": obj{"kind": "SCALAR", "name": "String", "ofType": nil}}
	object := func(name string) obj {
		return obj{
			"kind": "OBJECT", "name": name, "description": nil, "interfaces": []any{},
			"fields": []any{obj{
				"name": "name", "description": nil, "args": []any{}, "type": stringType,
				"isDeprecated": false, "deprecationReason": nil,
			}},
			"inputFields": nil, "enumValues": nil, "possibleTypes": nil,
		}
	}
	return obj{"data": obj{"__schema": obj{
		"description":      nil,
		"queryType":        obj{"name": "Query"},
		"mutationType":     nil,
		"subscriptionType": obj{"name": "Subscription"},
		"types": []any{
			object("Query"),
			object("Subscription"),
			obj{"kind": "SCALAR", "name": "String", "description": nil, "specifiedByURL": nil},
		},
		"directives": []any{},
	}}}
}()

func (s *gqlServer) recordedPosts() []recordedPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recordedPost(nil), s.posts...)
}

// newSite serves the page, its assets and the GraphQL endpoint the way server.go mounts
// them, and records each request's URL and Referer: all a server log could hold of a
// token in the page's address.
func newSite(t *testing.T, opts web.GraphiQLOptions, gql http.Handler) (*httptest.Server, func() []string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /static/", web.Static())
	mux.Handle("GET /{$}", web.GraphiQL(opts))
	mux.Handle("/graphql", gql)
	var mu sync.Mutex
	var seen []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String()+" Referer: "+r.Referer())
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// pageProblems collects everything the page should never produce: console errors and
// warnings, uncaught exceptions, browser log errors (where CSP violations land), failed
// loads and HTTP error statuses.
type pageProblems struct {
	mu       sync.Mutex
	urls     map[network.RequestID]string
	problems []string
}

func (p *pageProblems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *pageProblems) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

func (p *pageProblems) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			msg := strings.Join(args, " ")
			// GraphiQL 4's own dialogs trip this accessibility warning of Radix.
			if strings.Contains(msg, "Missing `Description` or `aria-describedby={undefined}` for {DialogContent}") {
				return
			}
			p.add("console.%s: %s", ev.Type, msg)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		desc := d.Text
		if d.Exception != nil {
			desc += " " + d.Exception.Description
		}
		p.add("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, desc)
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError || e.Level == log.EntryLevelWarning {
			p.add("browser log %s/%s: %s (%s)", e.Source, e.Level, e.Text, e.URL)
		}
	case *network.EventRequestWillBeSent:
		p.mu.Lock()
		p.urls[ev.RequestID] = ev.Request.URL
		p.mu.Unlock()
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			p.add("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
		}
	case *network.EventLoadingFailed:
		p.mu.Lock()
		u := p.urls[ev.RequestID]
		p.mu.Unlock()
		p.add("loading %s failed: %s (blocked: %q)", u, ev.ErrorText, ev.BlockedReason)
	}
}

// cspRecorder runs before any page script (DevTools-injected scripts are exempt from the
// page's CSP) and keeps every securitypolicyviolation event.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
});`

// historyRecorder, also run before any page script, notes the history length the page
// starts with and every history.replaceState call, to show how the address bar is cleared.
const historyRecorder = `window.__historyAtStart = history.length;
window.__replaced = [];
(function (replace) {
  history.replaceState = function (state, title, url) {
    window.__replaced.push(String(url));
    return replace.apply(history, arguments);
  };
})(history.replaceState);`

// Editor access goes through the CodeMirror 5 instance that GraphiQL 4 attaches to each
// editor's .CodeMirror element.
const (
	jsQuery    = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror`
	jsResponse = `document.querySelector('.graphiql-response .CodeMirror').CodeMirror`
	// The headers editor is the editor-tools CodeMirror in JSON mode (the variables one is in
	// graphql-variables mode); page.js finds it the same way.
	jsHeaders = `[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
		.map(e => e.CodeMirror).find(cm => cm.getOption('mode')?.json === true)`
)

// browser drives one tab and fails the test with the page's problems on any error.
type browser struct {
	t        *testing.T
	ctx      context.Context
	problems *pageProblems
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\npage problems: %q", what, err, b.problems.list())
	}
}

// evaluate returns the value of the JavaScript expression in the page.
func evaluate[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v\npage problems: %q", expr, err, b.problems.list())
	}
	return v
}

// waitFor polls the boolean expression until it is true. chromedp.Poll is no use here: it
// builds its predicate with new Function, which the page's CSP (rightly) refuses.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !evaluate[bool](b, expr) {
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting until %s\npage problems: %q", what, b.problems.list())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestGraphiQLInBrowser(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	start := time.Now()

	const (
		devToken    = "dev-token-123.abc_DEF-456"
		editedToken = "edited-token-456"
		query       = "query Name {\n  name\n}"
	)
	gql := newGQLServer()
	site, requests := newSite(t, web.GraphiQLOptions{
		DefaultQuery: query,
		Title:        "salesgraph GraphiQL test",
	}, gql.handler())

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // we run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	problems := &pageProblems{urls: map[network.RequestID]string{}}
	ctx, cancelBrowser := chromedp.NewContext(ctx, chromedp.WithListener(problems.listen))
	t.Cleanup(cancelBrowser) // runs before site.Close, so open websockets end first
	b := &browser{t: t, ctx: ctx, problems: problems}

	for _, script := range []string{cspRecorder, historyRecorder} {
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
			t.Fatalf("starting Chromium %s: %v", chromium, err)
		}
	}
	t.Logf("Chromium started in %v", time.Since(start).Round(time.Millisecond))

	// The link `go run .` prints carries the token in the fragment, which the browser never
	// sends to the server.
	b.do("loading the page",
		chromedp.Navigate(site.URL+"/#token="+devToken),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-query-editor .CodeMirror`)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
	)
	// GraphiQL fetched the schema (with the token: checked below with every POST), and the
	// documentation explorer shows it.
	b.do("opening the documentation explorer",
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)))
	b.waitFor("the documentation explorer lists the root types",
		`document.querySelector('.graphiql-doc-explorer')?.textContent.includes('Subscription') ?? false`)
	if !slices.ContainsFunc(gql.recordedPosts(), func(p recordedPost) bool { return p.operationName == "IntrospectionQuery" }) {
		t.Errorf("the schema came without an IntrospectionQuery: %+v", gql.recordedPosts())
	}

	// A dialog injects a <style> element, which needs the page's style nonce.
	b.do("opening the settings dialog",
		chromedp.Click(chromedp.CSS(`button[aria-label="Open settings dialog"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-dialog`)),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotPresent(chromedp.CSS(`.graphiql-dialog`)),
	)

	if title := evaluate[string](b, `document.title`); title != "salesgraph GraphiQL test" {
		t.Errorf("title = %q", title)
	}
	if got := evaluate[string](b, jsQuery+`.getValue()`); got != query {
		t.Errorf("query editor = %q, want the DefaultQuery %q", got, query)
	}
	gotHeaders := evaluate[string](b, `(`+jsHeaders+`)?.getValue() ?? ''`)
	var headers map[string]string
	if err := json.Unmarshal([]byte(gotHeaders), &headers); err != nil || headers["Authorization"] != "Bearer "+devToken {
		t.Errorf("headers editor = %q, want Authorization: Bearer %s (from the link's fragment)", gotHeaders, devToken)
	}
	// The token left the address bar without a new history entry, so neither Back nor a
	// bookmark nor a shared screen shows it.
	if href := evaluate[string](b, `location.href`); href != site.URL+"/" {
		t.Errorf("address bar = %q, want %q", href, site.URL+"/")
	}
	if n := evaluate[int](b, `history.length - window.__historyAtStart`); n != 0 {
		t.Errorf("clearing the address bar added %d history entries", n)
	}
	if r := evaluate[[]string](b, `window.__replaced`); len(r) == 0 || slices.ContainsFunc(r, func(u string) bool { return strings.Contains(u, devToken) }) {
		t.Errorf("history.replaceState calls = %q, want at least one, none with the token", r)
	}
	// The served page holds no token, and no request the server saw carried it in its URL
	// or Referer (the one place it belongs is the Authorization header, checked below).
	res, err := http.Get(site.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(served), devToken) {
		t.Errorf("the served HTML carries a token:\n%s", served)
	}
	for _, r := range requests() {
		if strings.Contains(r, devToken) || strings.Contains(r, "token=") {
			t.Errorf("the server saw the token in a request line or Referer: %s", r)
		}
	}

	// Start from an empty result pane, so that what appears there comes from this run.
	evaluate[bool](b, `(`+jsResponse+`.setValue(''), true)`)
	b.do("running the query", chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)))
	b.waitFor("the result pane shows the data", jsResponse+`.getValue().includes('"name": "test"')`)

	result := evaluate[string](b, jsResponse+`.getValue()`)
	var resp struct {
		Data   map[string]string `json:"data"`
		Errors []any             `json:"errors"`
	}
	if err := json.Unmarshal([]byte(result), &resp); err != nil || resp.Data["name"] != "test" || resp.Errors != nil {
		t.Errorf("result pane = %q, want {\"data\": {\"name\": \"test\"}}", result)
	}
	var sawQuery bool
	for _, p := range gql.recordedPosts() {
		if p.authorization != "Bearer "+devToken {
			t.Errorf("POST %q carried Authorization %q, want %q", p.operationName, p.authorization, "Bearer "+devToken)
		}
		sawQuery = sawQuery || p.operationName == "Name"
	}
	if !sawQuery {
		t.Errorf("the endpoint never received the Name query; it received %+v", gql.recordedPosts())
	}

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("taking a screenshot: %v", err)
	}
	shot := filepath.Join(t.TempDir(), "graphiql.png")
	if p := os.Getenv("GRAPHIQL_SCREENSHOT"); p != "" {
		shot = p // to look at it: GRAPHIQL_SCREENSHOT=/tmp/graphiql.png go test -run Browser ./web/
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))

	// A subscription goes over graphql-transport-ws, and its connection_init carries the
	// Authorization header that the headers editor holds when it starts: edit the token first.
	evaluate[bool](b, `(() => {
		`+jsHeaders+`.setValue(JSON.stringify({Authorization: 'Bearer `+editedToken+`'}, null, 2));
		`+jsQuery+`.setValue('subscription Sub {\n  name\n}');
		`+jsResponse+`.setValue('');
		return true;
	})()`)
	// GraphiQL parses the edited query after a short debounce; the tab's title shows when.
	b.waitFor("GraphiQL sees the subscription", `document.querySelector('.graphiql-tab-active')?.textContent.trim() === 'Sub'`)
	b.do("starting the subscription", chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)))
	select {
	case p := <-gql.inits:
		if got := p.Authorization(); got != "Bearer "+editedToken {
			t.Errorf("connection_init payload = %v, want Authorization: Bearer %s", p, editedToken)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no websocket connection_init arrived; page problems: %q", problems.list())
	}
	select {
	case <-gql.subscriptions:
	case <-time.After(15 * time.Second):
		t.Fatalf("the subscription never started; page problems: %q", problems.list())
	}
	gql.exec.SendNextSubscriptionMessage()
	b.waitFor("the result pane shows the subscription's event", jsResponse+`.getValue().includes('"name": "test"')`)

	if v := evaluate[[]string](b, `window.__cspViolations`); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", v)
	}
	if p := problems.list(); len(p) > 0 {
		t.Errorf("the page had problems:\n  %s", strings.Join(p, "\n  "))
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}
