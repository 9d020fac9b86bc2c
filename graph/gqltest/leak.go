package gqltest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// leakWait is how long Main lets goroutines finish their teardown: the server side of a
// socket unwinds on its own goroutine after the client has seen the close.
const leakWait = 5 * time.Second

// leakMarkers name the frames of goroutines that belong to a websocket: this package's
// reader, gqlgen's websocket transport, our adapter and gorilla itself.
var leakMarkers = []string{
	"salesgraph/graph/gqltest.",
	"salesgraph/graph/gorillaws.",
	"github.com/99designs/gqlgen/graphql/handler/transport.",
	"github.com/gorilla/websocket.",
}

// Main runs the package's tests, as a TestMain does, and then fails the run if goroutines of
// the websocket stack are still alive after a short grace period, printing their stacks.
// Use it as: func TestMain(m *testing.M) { gqltest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaks := leakedGoroutines(leakWait); len(leaks) > 0 {
			fmt.Fprintf(os.Stderr, "gqltest: %d websocket goroutines still running after the tests:\n\n%s\n",
				len(leaks), strings.Join(leaks, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines returns the stacks of websocket goroutines still running after wait.
func leakedGoroutines(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		var leaks []string
		buf := make([]byte, 4<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			for _, marker := range leakMarkers {
				if strings.Contains(g, marker) && !strings.Contains(g, "gqltest.leakedGoroutines") {
					leaks = append(leaks, g)
					break
				}
			}
		}
		if len(leaks) == 0 || time.Now().After(deadline) {
			return leaks
		}
		time.Sleep(10 * time.Millisecond)
	}
}
