// Package archtest holds the tests that keep the layering as docs/domain.md
// describes it: the domain (sales) knows no storage, no GraphQL and nothing
// else of ours; storage (db) never reaches up into the GraphQL layer; and
// nothing imports the command (package main). Test files count too.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "salesgraph"

// storageAndGraphQL are the packages the domain must not import. The rule is
// on sales' own imports: shopspring/decimal, the money type, itself
// implements driver.Valuer, so "no dependency at all" could not hold.
var storageAndGraphQL = []string{
	"database/sql",
	"database/sql/driver",
	"github.com/lib/pq",
	"github.com/jmoiron/sqlx",
	"github.com/99designs/gqlgen",
	"github.com/vektah/gqlparser",
	"net/http",
}

// pkg is the part of `go list -json` the rules read.
type pkg struct {
	ImportPath     string
	Dir            string
	ForTest        string
	GoFiles        []string
	CgoFiles       []string
	TestGoFiles    []string
	XTestGoFiles   []string
	IgnoredGoFiles []string
	Deps           []string
}

// fileImport is one import line of one file of ours.
type fileImport struct {
	File string // relative to the module root
	Line int
	Path string
}

func (f fileImport) String() string { return fmt.Sprintf("%s:%d imports %q", f.File, f.Line, f.Path) }

// graph is the module's packages and the dependencies of everything they import.
type graph struct {
	root    string
	pkgs    map[string]*pkg // by import path, non-test variants only
	imports map[string][]fileImport
}

func load(t *testing.T) *graph {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	cmd := exec.Command("go", "list", "-deps", "-test", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	watchTree(t, root)
	g := &graph{root: root, pkgs: map[string]*pkg{}, imports: map[string][]fileImport{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		// Test variants ("x [x.test]") and test mains repeat what the plain
		// package lists; the files are read below, test files included.
		if p.ForTest != "" || strings.HasSuffix(p.ImportPath, ".test") {
			continue
		}
		g.pkgs[p.ImportPath] = &p
	}
	fset := token.NewFileSet()
	for path, p := range g.pkgs {
		if !ours(path) {
			continue
		}
		files := concat(p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles, p.IgnoredGoFiles)
		for _, name := range files {
			if !strings.HasSuffix(name, ".go") {
				continue
			}
			full := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, full, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", full, err)
			}
			rel, _ := filepath.Rel(root, full)
			for _, spec := range f.Imports {
				ip, _ := strconv.Unquote(spec.Path.Value)
				g.imports[path] = append(g.imports[path], fileImport{File: filepath.ToSlash(rel), Line: fset.Position(spec.Pos()).Line, Path: ip})
			}
		}
	}
	if len(g.imports) == 0 {
		t.Fatal("found no package of the module: the test would pass vacuously")
	}
	return g
}

// watchTree reads the module's directories and go.mod/go.sum in this process:
// go test caches a passing result until a file the test opened changes, and
// it cannot see what the `go list` child read, so without this a new file
// with a bad import would still pass from the cache.
func watchTree(t *testing.T, root string) {
	t.Helper()
	for _, name := range []string{"go.mod", "go.sum"} {
		if _, err := os.ReadFile(filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
			return filepath.SkipDir
		}
		return nil // WalkDir read the directory in this process: its listing is now part of the cache key
	})
	if err != nil {
		t.Fatal(err)
	}
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func ours(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

func within(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// violations lists, for every file of the packages under prefix, each import
// that is itself forbidden or (when transitive) depends on a forbidden
// package; forbidden says why a package is refused ("" when allowed).
func (g *graph) violations(prefix string, transitive bool, forbidden func(from, path string) string) []string {
	var out []string
	for from, imps := range g.imports {
		if !within(from, prefix) {
			continue
		}
		for _, imp := range imps {
			if why := forbidden(from, imp.Path); why != "" {
				out = append(out, fmt.Sprintf("%s: %s", imp, why))
				continue
			}
			p := g.pkgs[imp.Path]
			if !transitive || p == nil {
				continue // e.g. "C"; go list would have failed on anything unknown
			}
			for _, dep := range p.Deps {
				if why := forbidden(from, dep); why != "" {
					out = append(out, fmt.Sprintf("%s, which depends on %q: %s", imp, dep, why))
					break
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestSalesImportsNoStorageGraphQLOrOurPackages(t *testing.T) {
	g := load(t)
	if g.imports["salesgraph/sales"] == nil {
		t.Fatal("package salesgraph/sales not found")
	}
	bad := g.violations("salesgraph/sales", false, func(from, path string) string {
		if path == from { // sales' external tests import sales itself
			return ""
		}
		if ours(path) {
			return "the domain imports nothing else of ours"
		}
		for _, f := range storageAndGraphQL {
			if within(path, f) {
				return "the domain knows no database, driver, GraphQL or HTTP package"
			}
		}
		return ""
	})
	for _, v := range bad {
		t.Error(v)
	}
}

func TestDBNeverImportsGraph(t *testing.T) {
	g := load(t)
	if g.imports["salesgraph/db"] == nil {
		t.Fatal("package salesgraph/db not found")
	}
	bad := g.violations("salesgraph/db", true, func(from, path string) string {
		if within(path, "salesgraph/graph") {
			return "storage never imports the GraphQL layer"
		}
		return ""
	})
	for _, v := range bad {
		t.Error(v)
	}
}

func TestNothingImportsMain(t *testing.T) {
	g := load(t)
	if g.imports[module] == nil {
		t.Fatal("the main package salesgraph not found")
	}
	for from, imps := range g.imports {
		for _, imp := range imps {
			if imp.Path == module {
				t.Errorf("%s: package %s imports the command (package main)", imp, from)
			}
		}
	}
}
