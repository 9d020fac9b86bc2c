package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"salesgraph/auth"
	"salesgraph/db"
	"salesgraph/db/dbtest"
	"salesgraph/demo"
	"salesgraph/graph"
)

// The README and docs/ are the product's documentation: a newcomer follows
// them from a clone, so what they say must be true of this repository.

// TestReadme_LinksStayInsideTheRepository fails on a link to a file a
// clone does not have (such as a design file beside the repository).
func TestReadme_LinksStayInsideTheRepository(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	checked := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path := filepath.Clean(filepath.Join(filepath.Dir(f), target))
			if strings.HasPrefix(path, "..") {
				t.Errorf("%s links to %s, outside the repository: a clone does not have it", f, target)
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
			}
		}
	}
	if checked == 0 {
		t.Error("found no relative links: README.md should link the docs/ pages")
	}
}

// TestReadme_GoVersionIsGoMods checks that the README asks for the Go
// version go.mod needs, not an older one that fails to build.
func TestReadme_GoVersionIsGoMods(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	readme, _ := os.ReadFile("README.md")
	for _, v := range regexp.MustCompile(`Go (\d+\.\d+(?:\.\d+)?)`).FindAllSubmatch(readme, -1) {
		if string(v[1]) != string(m[1]) {
			t.Errorf("the README asks for Go %s; go.mod needs %s", v[1], m[1])
		}
	}
	if !bytes.Contains(readme, []byte("Go "+string(m[1]))) {
		t.Errorf("the README does not say which Go it needs (go.mod: %s)", m[1])
	}
}

// TestReadme_ExistingPostgreSQLCreatesTheDatabase: the steps for a server of
// your own must create the database before anything connects to it.
func TestReadme_ExistingPostgreSQLCreatesTheDatabase(t *testing.T) {
	t.Parallel()
	readme, _ := os.ReadFile("README.md")
	section := string(readme)
	i := strings.Index(section, "### Against an existing PostgreSQL")
	if i < 0 {
		t.Fatal("the README has no section on running against an existing PostgreSQL")
	}
	section = section[i:]
	if j := strings.Index(section[4:], "\n#"); j > 0 {
		section = section[:j+4]
	}
	create := strings.Index(section, "createdb")
	migrate := strings.Index(section, "migrate up")
	if create < 0 || migrate < 0 || create > migrate {
		t.Errorf("the section must create the database (createdb) before `migrate up`:\n%s", section)
	}
}

// TestReadme_FirstQueriesRunOnTheDemoCompany runs the README's GraphQL
// blocks, in order, as the demo admin: the first as it is, and each later one
// with its variables taken from what the earlier ones returned (the README
// tells the reader to copy them). None may fail.
func TestReadme_FirstQueriesRunOnTheDemoCompany(t *testing.T) {
	t.Parallel()
	readme, _ := os.ReadFile("README.md")
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 2 {
		t.Fatalf("want a first query and a follow-up in the README, found %d graphql blocks", len(blocks))
	}

	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.URL(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	store := db.NewStore(d)
	if _, err := demo.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	secret := []byte(testSecret)
	logger := slog.New(slog.DiscardHandler)
	h := graph.NewHandler(graph.HandlerConfig{Store: store, Logger: logger,
		Auth: &graph.Authenticator{Secret: secret, Users: store.Users, Logger: logger}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	token, err := auth.Issue(secret, demo.AdminEmail, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	seen := map[string]any{} // every id-like value returned so far, by field name
	for i, b := range blocks {
		query := b[1]
		if strings.Contains(query, "<") {
			t.Errorf("block %d has a placeholder for the reader to fill in; use variables:\n%s", i+1, query)
			continue
		}
		vars := map[string]any{}
		for _, v := range regexp.MustCompile(`\$(\w+)\s*:`).FindAllStringSubmatch(query, -1) {
			val, ok := seen[v[1]]
			if !ok {
				t.Fatalf("block %d needs $%s, which no earlier block selects (known: %v)", i+1, v[1], keys(seen))
			}
			vars[v[1]] = val
		}
		data := postQuery(t, srv.URL, token, query, vars)
		collectIDs(data, "", seen)
	}
}

func postQuery(t *testing.T, url, token, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   map[string]any    `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, e := range out.Errors {
		t.Errorf("the README's query fails: %s\n%s", e, query)
	}
	if len(out.Data) == 0 {
		t.Fatalf("the README's query returned no data:\n%s", query)
	}
	return out.Data
}

// collectIDs records the first id under each parent field, named the way the
// README's variables name them: customers.nodes[0].id → customerId.
func collectIDs(v any, parent string, seen map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if k == "id" && parent != "" {
				name := strings.TrimSuffix(parent, "s") + "Id"
				if _, ok := seen[name]; !ok {
					seen[name] = child
				}
				continue
			}
			next := parent
			if k != "nodes" && k != "edges" && k != "node" {
				next = k
			}
			collectIDs(child, next, seen)
		}
	case []any:
		for _, child := range x {
			collectIDs(child, parent, seen)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
