package printable_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"salesgraph/internal/browsertest"
)

// TestSignedLink_InBrowser pastes the signed link into a plain Chromium tab,
// which sends no Authorization header, and reads the bill of lading; an
// expired link shows the refusal instead.
func TestSignedLink_InBrowser(t *testing.T) {
	chromium := browsertest.FindChromium(t)
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
