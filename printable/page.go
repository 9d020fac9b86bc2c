package printable

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"salesgraph/db"
	"salesgraph/relay"
	"salesgraph/sales"
)

// What every printable document shares: its template's functions, the
// handler that authenticates, loads, renders and writes a page, and the
// reads of the order lines and products a document's lines print.

// newPage parses a printable document's template.
func newPage(name, html string) *template.Template {
	return template.Must(template.New(name).Funcs(template.FuncMap{
		"date": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.Format("2006-01-02")
		},
	}).Parse(html))
}

// pageData is a page's template data: each carries the CSP nonce of the
// page's one style element.
type pageData interface{ setNonce(string) }

// pageNonce is embedded in a page's data to carry its nonce.
type pageNonce struct{ Nonce string }

func (p *pageNonce) setNonce(n string) { p.Nonce = n }

// loadFunc gathers what a page prints of document id, as user may see it:
// errNotFound when there is no such document or the user may not see it.
type loadFunc[D pageData] func(ctx context.Context, s *db.Store, user *sales.User, id int64) (D, error)

// documentPage serves a printable document: 401 without a valid token or
// signed link (access.viewer), 404 for an ID that is not of nodeType, an
// unknown document or one the user may not see, else the page.
func documentPage[D pageData](store *db.Store, access *Access, logger *slog.Logger, nodeType string, page *template.Template, load loadFunc[D]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, byLink := access.viewer(w, r, logger)
		if user == nil {
			return
		}
		id, err := relay.Key("id", nodeType, r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		data, err := load(r.Context(), store, user, id)
		if errors.Is(err, errNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			internal(w, r, logger, err)
			return
		}
		nonce := rand.Text()
		data.setNonce(nonce)
		var body bytes.Buffer
		if err := page.Execute(&body, data); err != nil {
			internal(w, r, logger, err)
			return
		}
		writePage(w, body.Bytes(), nonce, byLink)
	})
}

var errNotFound = errors.New("not found")

func internal(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	logger.ErrorContext(r.Context(), "printable document", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// nodeTypeOf is a document type's global-ID type, as its description in
// sales gives it (the API hands out the same IDs).
func nodeTypeOf(t sales.DocumentType) string {
	d, _ := t.Describe()
	return d.NodeType
}

// linesAndProducts reads the order lines of ids and their products, by ID.
func linesAndProducts(ctx context.Context, s *db.Store, ids []int64) (map[int64]*sales.OrderLine, map[int64]*sales.Product, error) {
	olines, err := s.Orders.LinesByIDs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	byLine := map[int64]*sales.OrderLine{}
	var productIDs []int64
	for _, l := range olines {
		byLine[l.ID] = l
		productIDs = append(productIDs, l.ProductID)
	}
	products, err := s.Products.ByIDs(ctx, productIDs)
	if err != nil {
		return nil, nil, err
	}
	byProduct := map[int64]*sales.Product{}
	for _, p := range products {
		byProduct[p.ID] = p
	}
	return byLine, byProduct, nil
}
