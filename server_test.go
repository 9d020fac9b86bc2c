package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"salesgraph/db/dbtest"
	"salesgraph/graph/gqltest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testSecret = "server-test-secret-server-test-secret"

// runCmd runs a subcommand against url and returns its output.
func runCmd(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	args = append(args, "--database-url", url, "--log-format", "text")
	if args[0] == "token" { // the one command besides serve that uses the secret
		args = append(args, "--jwt-secret", testSecret)
	}
	err := run(context.Background(), args, &out, &errs)
	return out.String(), err
}

// TestServe drives the whole program: subcommands, then the server on a
// free port, then a graceful shutdown.
func TestServe(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)

	if _, err := runCmd(t, url, "user", "add", "--email", "Boss@Example.com", "--name", "The Boss", "--role", "admin"); err != nil {
		t.Fatalf("user add: %v", err)
	}
	if _, err := runCmd(t, url, "user", "add", "--email", "boss@example.com", "--name", "Again", "--role", "ADMIN"); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a duplicate user add should say so, got %v", err)
	}
	tokenOut, err := runCmd(t, url, "token", "--user", "boss@example.com", "--ttl", "1h")
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	token := strings.TrimSpace(tokenOut)
	if _, err := runCmd(t, url, "token", "--user", "nobody@example.com"); err == nil {
		t.Fatal("a token for an unknown user should be refused")
	}
	status, err := runCmd(t, url, "migrate", "status")
	if err != nil || !strings.Contains(status, "create_users") || strings.Contains(status, "pending") {
		t.Fatalf("migrate status: %v\n%s", err, status)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr gqltest.LogBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database-url", url, "--jwt-secret", testSecret,
			"--log-format", "json", "--shutdown-grace", "5s"}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if m := regexp.MustCompile(`(http://[^ ]+)/graphql`).FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("the server never said where it serves; stderr:\n%s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	get := func(path string) (int, string) {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "graphiql") {
		t.Fatalf("GraphiQL page = %d", code)
	}
	// The live dashboard is mounted, with its own strict policy and assets.
	if res, err := http.Get(base + "/dashboard"); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), `id="dashboard-config"`) ||
			!strings.HasPrefix(res.Header.Get("Content-Security-Policy"), "default-src 'none'; script-src 'self'; style-src 'self';") {
			t.Fatalf("dashboard page = %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
		}
	}
	if code, body := get("/static/dashboard/page.js"); code != 200 || !strings.Contains(body, "orderStatusChanged") {
		t.Fatalf("dashboard script = %d", code)
	}

	r := gqltest.Post(t, base+"/graphql", token, `{ me { email role } }`, nil)
	if len(r.Errors) > 0 || string(r.Data) != `{"me":{"email":"boss@example.com","role":"ADMIN"}}` {
		t.Fatalf("me: %s %+v", r.Data, r.Errors)
	}
	getQuery := func(q string) string {
		req, _ := http.NewRequest(http.MethodGet, base+"/graphql?query="+neturl.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	// extensions.cost is the query's cost (graph/cost.go): me and its role.
	if body := getQuery(`{ me { role } }`); body != `{"data":{"me":{"role":"ADMIN"}},"extensions":{"cost":2}}` {
		t.Fatalf("GET query: %s", body)
	}
	if body := getQuery(`mutation { createWarehouse(input: {code: "G", name: "G"}) { id } }`); !strings.Contains(body, "errors") || strings.Contains(body, `"createWarehouse":{`) {
		t.Fatalf("a mutation over GET must be refused: %s", body)
	}
	if !strings.Contains(stderr.String(), `"operation":"query"`) || !strings.Contains(stderr.String(), `"requestId"`) {
		t.Fatalf("no request log line with operation and request id:\n%s", stderr.String())
	}

	// A live websocket is closed with 1001 on shutdown, so clients reconnect elsewhere.
	ws := gqltest.DialWS(t, base+"/graphql", map[string]any{"Authorization": "Bearer " + token}, nil)
	cancel()
	if code := ws.CloseCode(t, 5*time.Second); code != 1001 {
		t.Fatalf("websocket closed with %d on shutdown, want 1001", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop within its grace period")
	}
}

func TestServeRefusesWithoutSecret(t *testing.T) {
	t.Parallel()
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"serve", "--database-url", "postgres://localhost/none", "--jwt-secret", ""}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Fatalf("serve with DATABASE_URL and no secret: %v", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, &out, &errs); err == nil || !strings.Contains(errs.String(), "Usage") {
		t.Fatalf("unknown command: %v / %s", err, errs.String())
	}
}
