package printable_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// requireBrowser makes a missing browser a failure instead of a skip, as in
// web's browser test; .ci/run sets it.
const requireBrowser = "SALESGRAPH_REQUIRE_BROWSER"

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const missing = "no Chromium found on PATH (looked for chromium, chromium-browser, google-chrome, google-chrome-stable); " +
		"install it with `apt-get install -y chromium`"
	if os.Getenv(requireBrowser) == "1" {
		t.Fatal(missing + " (" + requireBrowser + "=1 requires the browser test)")
	}
	t.Skip("SKIPPING the browser test: " + missing + ", or set " + requireBrowser + "=1 to make this a failure")
	return ""
}

// TestSignedLink_InBrowser pastes the signed link into a plain Chromium tab,
// which sends no Authorization header, and reads the bill of lading; an
// expired link shows the refusal instead.
func TestSignedLink_InBrowser(t *testing.T) {
	chromium := findChromium(t)
	s := newLinkSite(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // we run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)

	read := func(link string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(s.srv.URL+link)); err != nil {
			t.Fatalf("opening a link in Chromium %s: %v", chromium, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatalf("reading the tab: %v", err)
		}
		return text
	}
	if text := read(s.links.Link(s.pathA, s.repA.ID)); !strings.Contains(text, s.dA.BOLNumber) || !strings.Contains(text, "Hex bolt M8") {
		t.Errorf("the signed link's tab shows %q, want the bill of lading %s", text, s.dA.BOLNumber)
	}
	if text := read(s.links.Sign(s.pathA, s.repA.ID, time.Now().Add(-time.Second))); strings.Contains(text, s.dA.BOLNumber) ||
		!strings.Contains(text, "invalid or has expired") {
		t.Errorf("an expired link's tab shows %q, want the refusal", text)
	}
}
