package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"salesgraph/db/dbtest"
	"salesgraph/graph/gqltest"
)

// served is a running `salesgraph serve`.
type served struct {
	base   string // http://127.0.0.1:port
	addr   string // 127.0.0.1:port
	stdout string // what it printed up to its address
	stderr *gqltest.LogBuffer
	stop   func(t *testing.T) // shuts it down and waits; the test's cleanup does so too
}

// startServe runs `salesgraph serve args...` until the test ends, and
// returns once it has printed where it serves.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{stderr: &gqltest.LogBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), pw, s.stderr)
		pw.Close()
	}()
	var once sync.Once
	s.stop = func(t *testing.T) {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve returned %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("the server did not stop")
			}
		})
	}
	t.Cleanup(func() { s.stop(t) })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, pr)
	}()
	// Keep the pipe drained once the banner is read.
	defer func() {
		go func() {
			for range lines {
			}
		}()
	}()
	var out strings.Builder
	for s.base == "" {
		line, ok := <-lines
		if !ok {
			break
		}
		out.WriteString(line + "\n")
		if m := regexp.MustCompile(`(http://([^ /]+))/graphql`).FindStringSubmatch(line); m != nil {
			s.base, s.addr = m[1], m[2]
		}
	}
	if s.base == "" {
		t.Fatalf("the server never said where it serves; stdout:\n%s\nstderr:\n%s", out.String(), s.stderr.String())
	}
	// The rest of the banner follows at once.
	for more := true; more; {
		select {
		case line, ok := <-lines:
			if more = ok; ok {
				out.WriteString(line + "\n")
			}
		case <-time.After(300 * time.Millisecond):
			more = false
		}
	}
	s.stdout = out.String()
	return s
}

// getWithin GETs path on a fresh connection and fails the test unless it
// answers 200 within limit.
func (s *served) getWithin(t *testing.T, path string, limit time.Duration) {
	t.Helper()
	c := &http.Client{Timeout: limit, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	res, err := c.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v (after %v)", path, err, time.Since(start).Round(time.Millisecond))
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, res.StatusCode)
	}
}

// slowBody opens a connection that POSTs a 1 MB body to /graphql one byte
// every 100 ms, the way the attack did (one every 5 s), until the
// server closes the connection or the test ends.
func slowBody(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, err = fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	return c
}

// closedWithin reports whether the server closes c within limit (reading
// whatever it answers first).
func closedWithin(c net.Conn, limit time.Duration) (bool, time.Duration) {
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, time.Since(start)
	}
	return true, time.Since(start)
}

// TestSlowClientsAreCutOff: connections trickling a body one byte at a time
// were held open for ever, until file descriptors ran out. Now the read
// timeout closes them, the service answers throughout, websockets (hijacked
// connections) outlive the read timeout, and idle keep-alives are closed.
func TestSlowClientsAreCutOff(t *testing.T) {
	url := dbtest.URL(t)
	if _, err := runCmd(t, url, "user", "add", "--email", "ws@example.com", "--name", "WS", "--role", "VIEWER"); err != nil {
		t.Fatal(err)
	}
	tokenOut, err := runCmd(t, url, "token", "--user", "ws@example.com")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("READ_TIMEOUT", "1s")
	t.Setenv("IDLE_TIMEOUT", "1s")
	t.Setenv("MAX_CONNECTIONS", "100")
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret, "--log-format", "json")

	ws := gqltest.DialWS(t, s.base+"/graphql", map[string]any{"Authorization": "Bearer " + strings.TrimSpace(tokenOut)}, nil)
	defer ws.Close()

	var slow []net.Conn
	for range 40 {
		slow = append(slow, slowBody(t, s.addr))
	}
	// The service answers while they trickle.
	s.getWithin(t, "/readyz", time.Second)
	s.getWithin(t, "/healthz", time.Second)

	for i, c := range slow {
		if closed, after := closedWithin(c, 4*time.Second); !closed {
			t.Fatalf("slow-body connection %d still open after %v (READ_TIMEOUT=1s)", i, after.Round(time.Millisecond))
		}
	}
	s.getWithin(t, "/readyz", time.Second)

	// An idle keep-alive connection is closed after IDLE_TIMEOUT.
	idle, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", s.addr)
	res, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("keep-alive /healthz: %v", err)
	}
	res.Body.Close()
	if closed, after := closedWithin(idle, 4*time.Second); !closed {
		t.Errorf("an idle keep-alive connection is still open after %v (IDLE_TIMEOUT=1s)", after.Round(time.Millisecond))
	}

	// The websocket, opened before all this, is still served: a hijacked
	// connection is not subject to the HTTP read timeout.
	ws.Ping(t, 2*time.Second)
}

// TestConnectionCap: with MAX_CONNECTIONS slots taken, a further connection
// waits (the kernel queues it) and is served as soon as a slot frees.
func TestConnectionCap(t *testing.T) {
	url := dbtest.URL(t)
	t.Setenv("READ_TIMEOUT", "2s")
	t.Setenv("MAX_CONNECTIONS", "3")
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret, "--log-format", "json")
	s.getWithin(t, "/healthz", time.Second)

	for range 3 {
		slowBody(t, s.addr)
	}
	time.Sleep(200 * time.Millisecond) // the server has accepted them

	answered := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := c.Get(s.base + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		answered <- time.Since(start)
	}()
	select {
	case d := <-answered:
		t.Fatalf("a 4th connection was served after %v while 3 of MAX_CONNECTIONS=3 were taken", d.Round(time.Millisecond))
	case <-time.After(time.Second):
	}
	// The read timeout frees the slots; the waiting request is served then.
	select {
	case d := <-answered:
		if d > 4*time.Second {
			t.Errorf("the waiting request was served only after %v", d)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the waiting request was never served after the slow connections were cut off")
	}
	s.getWithin(t, "/readyz", time.Second)
}

// TestServeLinkCarriesTokenInFragment: `go run .` served GraphiQL on every
// interface with a 24 h ADMIN token in the HTML of the unauthenticated page.
// Now it prints a link that carries the token in the URL fragment, which the
// browser never sends, and the served page holds no token.
func TestServeLinkCarriesTokenInFragment(t *testing.T) {
	for _, name := range []string{"DATABASE_URL", "JWT_SECRET", "ADDR", "SALESGRAPH_PGDATA"} {
		unsetenv(t, name)
	}
	parent, err := os.MkdirTemp("", "sg-serve-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil { // as root, the postgres user must reach it
		t.Fatal(err)
	}
	s := startServe(t, "--pgdata", filepath.Join(parent, "pgdata"), "--addr", "127.0.0.1:0", "--log-format", "json")

	m := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/#token=([A-Za-z0-9._-]+)`).FindStringSubmatch(s.stdout)
	if m == nil {
		t.Fatalf("no http://127.0.0.1:PORT/#token=… link in the banner:\n%s", s.stdout)
	}
	token := m[1]
	if strings.Count(s.stdout, token) != 1 {
		t.Errorf("the token is printed outside the link:\n%s", s.stdout)
	}

	res, err := http.Get(s.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "graphiql") {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if strings.Contains(string(page), token) || strings.Contains(string(page), "Bearer ey") {
		t.Errorf("the served GraphiQL page contains the admin token")
	}

	r := gqltest.Post(t, s.base+"/graphql", token, `{ me { role } }`, nil)
	if len(r.Errors) > 0 || string(r.Data) != `{"me":{"role":"ADMIN"}}` {
		t.Errorf("the link's token does not work: %s %+v", r.Data, r.Errors)
	}
	if strings.Contains(s.stderr.String(), token) {
		t.Errorf("the log contains the token:\n%s", s.stderr.String())
	}
}

// TestTricklingBodyIsCutOffAfterBodyTimeout: with READ_TIMEOUT at its
// default, a body arriving one byte at a time held its connection slot for
// the whole READ_TIMEOUT, so a few thousand such clients kept every slot and
// /readyz waited behind them. The body must now keep arriving at 1 KB/s after
// BODY_TIMEOUT, while an honest body sent in chunks still goes through and a
// request's handling is not cut off once its body is read.
func TestTricklingBodyIsCutOffAfterBodyTimeout(t *testing.T) {
	url := dbtest.URL(t)
	t.Setenv("READ_TIMEOUT", "30s")
	t.Setenv("BODY_TIMEOUT", "1s")
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret, "--log-format", "json")

	slow := slowBody(t, s.addr)
	if closed, after := closedWithin(slow, 4*time.Second); !closed {
		t.Fatalf("a body trickling at 10 bytes/s is still open after %v (BODY_TIMEOUT=1s, READ_TIMEOUT=30s)", after.Round(time.Millisecond))
	} else if after > 3*time.Second {
		t.Errorf("the trickling body was cut off only after %v", after)
	}

	// An honest body in 2 KB chunks, one a second: 2 KB/s earns its time.
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	query := `{"query":"{ __typename }","pad":"` + strings.Repeat("x", 6000) + `"}`
	fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", s.addr, len(query))
	for chunk := query; chunk != ""; {
		n := min(2048, len(chunk))
		if _, err := io.WriteString(c, chunk[:n]); err != nil {
			t.Fatalf("the server closed an honest slow body: %v", err)
		}
		chunk = chunk[n:]
		if chunk != "" {
			time.Sleep(time.Second)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to an honest body sent at 2 KB/s: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"__typename":"Query"`) {
		t.Errorf("honest slow body: HTTP %d %s", res.StatusCode, body)
	}
	s.getWithin(t, "/readyz", time.Second)
}

// TestProfilerIsOptInAndLoopbackOnly: profiles are served only when
// PPROF_ADDR is set, only on that loopback listener (never on the API's), and
// a non-loopback address is refused before anything starts.
func TestProfilerIsOptInAndLoopbackOnly(t *testing.T) {
	url := dbtest.URL(t)
	if _, err := runCmd(t, url, "serve", "--addr", "127.0.0.1:0", "--pprof-addr", "0.0.0.0:6060"); err == nil ||
		!strings.Contains(err.Error(), "PPROF_ADDR must be a loopback address") {
		t.Fatalf("a profiler on every interface: err = %v, want it refused", err)
	}

	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret, "--log-format", "json",
		"--pprof-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`"msg":"profiler listening","addr":"([^"]+)"`).FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("no profiler address in the log:\n%s", s.stderr.String())
	}
	res, err := http.Get("http://" + m[1] + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("profiler: HTTP %d %.100s", res.StatusCode, body)
	}
	res, err = http.Get(s.base + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("the API's listener serves /debug/pprof/ with HTTP %d, want 404", res.StatusCode)
	}
}
