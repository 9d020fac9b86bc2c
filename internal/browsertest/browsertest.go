// Package browsertest finds the headless browser the browser tests drive.
package browsertest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireBrowser names the variable that makes a missing browser a failure
// instead of a skip; .ci/run sets it, so CI never skips a browser test.
const RequireBrowser = "SALESGRAPH_REQUIRE_BROWSER"

// FindChromium returns the path of a Chromium or Chrome binary. Without one
// the test is skipped, so that `go test ./...` passes on a machine with Go
// and PostgreSQL only, unless SALESGRAPH_REQUIRE_BROWSER=1, which makes it fail.
func FindChromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const missing = "no Chromium found on PATH (looked for chromium, chromium-browser, google-chrome, google-chrome-stable); " +
		"install it with `apt-get install -y chromium`"
	if os.Getenv(RequireBrowser) == "1" {
		t.Fatal(missing + " (" + RequireBrowser + "=1 requires the browser test)")
	}
	t.Skip("SKIPPING the browser test: " + missing + ", or set " + RequireBrowser + "=1 to make this a failure")
	return ""
}
