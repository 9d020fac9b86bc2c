package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/graph"
	"salesgraph/graph/gqltest"
	"salesgraph/internal/browsertest"
	"salesgraph/live"
	"salesgraph/relay"
	"salesgraph/web"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var dashboardSecret = []byte("dashboard-test-secret-dashboard-test!")

// dashboardSite is a real server on the test's own database: the GraphQL handler with the
// live feed's broker, the dashboard page and its assets, mounted as server.go mounts them.
type dashboardSite struct {
	*httptest.Server
	handler *graph.Handler
	feed    *live.Broker
	token   string // the demo admin's

	blocked atomic.Bool // websocket upgrades fail with 503 (the network is "down")
	mu      sync.Mutex
	sockets []net.Conn // hijacked (websocket) connections, to cut them
	seen    []string   // each request's method, URL and Referer
}

func newDashboardSite(t *testing.T) *dashboardSite {
	t.Helper()
	ctx := context.Background()
	url := dbtest.URL(t)
	d, err := db.Open(ctx, url, db.Options{ApplicationName: "salesgraph-dashboard-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	store := db.NewStore(d)
	if _, err := demo.Load(ctx, store); err != nil {
		t.Fatalf("loading the demo company: %v", err)
	}
	token, err := auth.Issue(dashboardSecret, demo.AdminEmail, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	conn := url + "?application_name=salesgraph-dashboard-feed"
	if strings.Contains(url, "?") {
		conn = url + "&application_name=salesgraph-dashboard-feed"
	} else if !strings.Contains(url, "://") {
		conn = url + " application_name=salesgraph-dashboard-feed"
	}
	feed := live.New(store.Events, live.Options{ConnString: conn, Logger: logger, MaxReconnect: 500 * time.Millisecond})
	feedCtx, stopFeed := context.WithCancel(ctx)
	feedDone := make(chan struct{})
	go func() { defer close(feedDone); _ = feed.Run(feedCtx) }()
	authn := &graph.Authenticator{Secret: dashboardSecret, Users: store.Users, Logger: logger}
	h := graph.NewHandler(graph.HandlerConfig{Store: store, Auth: authn, Logger: logger, Feed: feed})

	s := &dashboardSite{handler: h, feed: feed, token: token}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", web.Static())
	mux.Handle("GET /dashboard", web.Dashboard(web.DashboardOptions{Title: "Salesgraph live dashboard"}))
	mux.Handle("/graphql", h)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Method+" "+r.URL.String()+" Referer: "+r.Referer())
		s.mu.Unlock()
		if s.blocked.Load() && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "network down (test)", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateHijacked {
			s.mu.Lock()
			s.sockets = append(s.sockets, c)
			s.mu.Unlock()
		}
	}
	s.Start()
	t.Cleanup(func() {
		h.Sockets.CloseAll(1001, "test over")
		stopFeed()
		<-feedDone
		s.Close()
	})
	return s
}

// cut drops every open websocket as a failed network would: no close frame.
func (s *dashboardSite) cut() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sockets {
		_ = c.Close()
	}
	n := len(s.sockets)
	s.sockets = nil
	return n
}

func (s *dashboardSite) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// post runs a GraphQL operation as the demo admin and decodes its data into out.
func (s *dashboardSite) post(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	r := gqltest.Post(t, s.URL+"/graphql", s.token, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %+v", query, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("%s: %v", r.Data, err)
	}
}

// wsFrames records the payloads the page sends over its websockets.
type wsFrames struct {
	mu   sync.Mutex
	sent []string
}

func (f *wsFrames) listen(ev any) {
	if e, ok := ev.(*network.EventWebSocketFrameSent); ok {
		f.mu.Lock()
		f.sent = append(f.sent, string(e.Response.PayloadData))
		f.mu.Unlock()
	}
}

// subscribes returns the variables of each subscribe message sent, in order.
func (f *wsFrames) subscribes() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, p := range f.sent {
		var m struct {
			Type    string
			Payload struct{ Variables map[string]any }
		}
		if json.Unmarshal([]byte(p), &m) == nil && m.Type == "subscribe" {
			out = append(out, m.Payload.Variables)
		}
	}
	return out
}

const (
	confirmedOrdersQuery = `query { orders(first: 2, filter: {status: [CONFIRMED]}) { nodes { id number version currency customer { name } } } }`
	cancelMutation       = `mutation($id: ID!, $v: Int!) { cancelOrder(id: $id, version: $v, reason: "dashboard test") { status } }`
	summaryQuery         = `query($day: Date) { dashboardSummary(day: $day) { ordersToday onHold currencies { currency backlogOrders } } }`
)

type orderRef struct {
	ID, Number, Currency string
	Version              int
	Customer             struct{ Name string }
}

// TestDashboardInBrowser loads /dashboard#token=… in headless Chromium against a real
// server (the demo company, the live feed's broker on the test database), waits until it
// is live, changes an order's status through the API and checks the page shows it within
// two seconds, and its figures follow. Then it cuts the page's websocket, changes another
// order while the page cannot connect, and checks the page resumes from its last cursor:
// the change appears once, from the replay.
func TestDashboardInBrowser(t *testing.T) {
	chromium := browsertest.FindChromium(t)
	start := time.Now()
	site := newDashboardSite(t)
	t.Logf("demo company and server ready in %v", time.Since(start).Round(time.Millisecond))

	var orders struct{ Orders struct{ Nodes []orderRef } }
	site.post(t, confirmedOrdersQuery, nil, &orders)
	if len(orders.Orders.Nodes) < 2 {
		t.Fatalf("the demo company has %d confirmed orders, want 2", len(orders.Orders.Nodes))
	}
	first, second := orders.Orders.Nodes[0], orders.Orders.Nodes[1]

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
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*browserTimeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	problems := &pageProblems{urls: map[network.RequestID]string{}}
	frames := &wsFrames{}
	ctx, cancelBrowser := chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		problems.listen(ev)
		frames.listen(ev)
	}))
	t.Cleanup(cancelBrowser) // before the site's cleanup: the browser's sockets end first
	b := &browser{t: t, ctx: ctx, problems: problems}
	for _, script := range []string{cspRecorder, historyRecorder} {
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
			t.Fatalf("starting Chromium %s: %v", chromium, err)
		}
	}

	b.do("loading the dashboard", chromedp.Navigate(site.URL+"/dashboard#token="+site.token))
	b.waitFor("the dashboard is live", `document.getElementById('state').dataset.state === 'live'`)
	b.waitFor("the figures are shown", `document.querySelectorAll('#figures tbody tr[data-currency]').length > 0`)
	t.Logf("live %v after start", time.Since(start).Round(time.Millisecond))
	// "Live" is the connection's acknowledgement; the subscription follows at once. Without
	// a cursor it starts from the moment the broker takes it: change nothing before that.
	for deadline := time.Now().Add(15 * time.Second); site.feed.Subscribers() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the broker has %d subscribers, want the page's one", site.feed.Subscribers())
		}
	}

	// The token left the address bar without a history entry, and lives in the tab's storage.
	if href := evaluate[string](b, `location.href`); href != site.URL+"/dashboard" {
		t.Errorf("address bar = %q, want %q", href, site.URL+"/dashboard")
	}
	if n := evaluate[int](b, `history.length - window.__historyAtStart`); n != 0 {
		t.Errorf("clearing the address bar added %d history entries", n)
	}
	if got := evaluate[string](b, `sessionStorage.getItem('salesgraph.dashboard.token') || ''`); got != site.token {
		t.Errorf("sessionStorage token = %q, want the link's", got)
	}
	if !evaluate[bool](b, `document.getElementById('signin').hidden`) {
		t.Errorf("the sign-in prompt shows although the link carried a token")
	}

	// The figures are the API's, for the browser's day.
	var sum struct {
		DashboardSummary struct {
			OrdersToday, OnHold int
			Currencies          []struct {
				Currency      string
				BacklogOrders int
			}
		}
	}
	day := evaluate[string](b, `(() => { const d = new Date(); return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0'); })()`)
	site.post(t, summaryQuery, map[string]any{"day": day}, &sum)
	backlogCell := `document.querySelector('#figures tr[data-currency="` + first.Currency + `"] td:nth-of-type(5)')?.textContent`
	var backlogBefore int
	for _, c := range sum.DashboardSummary.Currencies {
		if c.Currency == first.Currency {
			backlogBefore = c.BacklogOrders
		}
	}
	if got := evaluate[string](b, backlogCell); got != itoa(backlogBefore) {
		t.Errorf("%s backlog orders on the page = %q, want the API's %d", first.Currency, got, backlogBefore)
	}
	if got := evaluate[string](b, `document.getElementById('on-hold').textContent`); got != itoa(sum.DashboardSummary.OnHold) {
		t.Errorf("on hold on the page = %q, want the API's %d", got, sum.DashboardSummary.OnHold)
	}
	if p := problems.list(); len(p) > 0 {
		t.Fatalf("the page had problems before any change:\n  %s", strings.Join(p, "\n  "))
	}

	// A status change through the API shows within 2 seconds, newest first.
	row := func(o orderRef) string {
		return `document.querySelector('#feed li[data-order="` + o.Number + `"][data-status="CANCELLED"]')`
	}
	site.post(t, cancelMutation, map[string]any{"id": first.ID, "v": first.Version}, &struct{}{})
	changed := time.Now()
	for !evaluate[bool](b, `!!`+row(first)) {
		if time.Since(changed) > 2*time.Second {
			t.Fatalf("the page did not show %s as CANCELLED within 2s; feed: %q; problems: %q", first.Number,
				evaluate[string](b, `document.getElementById('feed').innerText`), problems.list())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the change showed %v after the mutation returned", time.Since(changed).Round(time.Millisecond))
	text := evaluate[string](b, row(first)+`.innerText`)
	for _, want := range []string{first.Number, first.Customer.Name, first.Currency, "CONFIRMED", "CANCELLED"} {
		if !strings.Contains(text, want) {
			t.Errorf("the feed row %q lacks %q", text, want)
		}
	}
	if !evaluate[bool](b, `document.querySelector('#feed li') === `+row(first)) {
		t.Errorf("the newest change is not at the top of the feed")
	}
	// The figures follow the change: one confirmed order less in the backlog.
	b.waitFor("the backlog figure follows the cancellation", backlogCell+` === '`+itoa(backlogBefore-1)+`'`)

	shot := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("taking a screenshot: %v", err)
		}
		dir := os.Getenv("ARTIFACTS_DIR")
		if dir == "" {
			dir = t.TempDir()
		} else if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(png))
	}
	shot("dashboard.png")

	// The network drops: the page's socket is cut and cannot come back until the "network"
	// does. A change made meanwhile arrives from the replay after the page's last cursor.
	lastCursor := evaluate[string](b, `sessionStorage.getItem('salesgraph.dashboard.cursor') || ''`)
	if lastCursor == "" {
		t.Fatalf("the page keeps no cursor after an event")
	}
	site.blocked.Store(true)
	if n := site.cut(); n == 0 {
		t.Fatalf("no websocket to cut")
	}
	b.waitFor("the page says it is reconnecting", `document.getElementById('state').dataset.state === 'reconnecting'`)
	site.post(t, cancelMutation, map[string]any{"id": second.ID, "v": second.Version}, &struct{}{})
	time.Sleep(300 * time.Millisecond)
	if evaluate[bool](b, `!!`+row(second)) {
		t.Fatalf("the page showed a change while its socket was down")
	}
	site.blocked.Store(false)
	b.waitFor("the page is live again", `document.getElementById('state').dataset.state === 'live'`)
	b.waitFor("the change made while away is shown", `!!`+row(second))
	if n := evaluate[int](b, `document.querySelectorAll('#feed li[data-order="`+first.Number+`"][data-status="CANCELLED"]').length`); n != 1 {
		t.Errorf("the first change is shown %d times after the resume, want once", n)
	}
	subs := frames.subscribes()
	if len(subs) < 2 || subs[0]["after"] != nil || subs[len(subs)-1]["after"] != lastCursor {
		t.Errorf("subscribe variables = %v, want none at first and after = %q on the resume", subs, lastCursor)
	}
	if !evaluate[bool](b, `document.querySelector('#feed li') === `+row(second)) {
		t.Errorf("the change made while away is not at the top of the feed")
	}

	if v := evaluate[[]string](b, `window.__cspViolations`); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", v)
	}
	// While the network was down the browser logged its failed websocket handshakes (503);
	// nothing else may go wrong.
	for _, p := range problems.list() {
		if !strings.Contains(p, "WebSocket") && !strings.Contains(p, "503") {
			t.Errorf("the page had a problem: %s", p)
		}
	}
	// The token never reached a URL or Referer the server saw (it travels in the
	// Authorization header and the websocket's connection_init only).
	for _, r := range site.requests() {
		if strings.Contains(r, site.token) || strings.Contains(r, "token=") {
			t.Errorf("the server saw the token in a request line or Referer: %s", r)
		}
	}
	shot("dashboard-resumed.png")

	// A reload keeps the tab's token. A cursor the feed refuses (here one it never sent; an
	// expired one is CURSOR_EXPIRED, handled alike) makes the page say that changes could not
	// be replayed and go on live from now, not fail silently.
	evaluate[bool](b, `(sessionStorage.setItem('salesgraph.dashboard.cursor', '`+relay.ID("OrderEvent", 1<<40)+`'), true)`)
	b.do("reloading the page", chromedp.Reload())
	b.waitFor("the refused cursor is reported", `!document.getElementById('feed-notice').hidden`)
	b.waitFor("the page is live after the refused cursor", `document.getElementById('state').dataset.state === 'live'`)
	if subs := frames.subscribes(); len(subs) < 2 || subs[len(subs)-2]["after"] != relay.ID("OrderEvent", 1<<40) || subs[len(subs)-1]["after"] != nil {
		t.Errorf("subscribe variables after the reload = %v, want the stored cursor, then none", subs)
	}

	// Forgetting the token leaves a clear prompt, the state "error", and nothing stored.
	b.do("forgetting the token", chromedp.Click(chromedp.CSS(`#signout`)))
	b.waitFor("the sign-in prompt shows", `!document.getElementById('signin').hidden && document.getElementById('main').hidden`)
	if st := evaluate[string](b, `document.getElementById('state').dataset.state + ' ' + (sessionStorage.getItem('salesgraph.dashboard.token') || 'none')`); st != "error none" {
		t.Errorf("after forgetting the token: state and stored token %q, want \"error none\"", st)
	}
	t.Logf("dashboard browser test took %v", time.Since(start).Round(time.Millisecond))
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
