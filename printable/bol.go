// Package printable serves printable documents — for now the bill of
// lading — over HTTP, with the same bearer-token auth as the API or a
// short-lived signed link that a plain browser tab can open (links.go).
package printable

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"salesgraph/db"
	"salesgraph/relay"
	"salesgraph/sales"
)

//go:embed bol.html
var bolHTML string

var bolPage = template.Must(template.New("bol").Funcs(template.FuncMap{
	"date": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.Format("2006-01-02")
	},
}).Parse(bolHTML))

// bolLine is one printed line.
type bolLine struct {
	LineNo    int
	SKU, Name string
	Quantity  decimal.Decimal
	Unit      string
}

type bolData struct {
	Delivery  *sales.Delivery
	Order     *sales.SalesOrder
	Customer  *sales.Customer
	Warehouse *sales.Warehouse
	Lines     []bolLine
	Total     decimal.Decimal
	Printed   string
	Nonce     string // the CSP nonce of the page's one style element
}

// BillOfLading serves GET /documents/deliveries/{id}/bill-of-lading: the
// delivery's bill of lading as HTML that prints on one A4 or Letter page.
// 401 without a valid token or signed link; 404 for an unknown delivery or
// one the user may not see (a sales rep sees their own customers' only).
func BillOfLading(store *db.Store, access *Access, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, byLink := access.viewer(w, r, logger)
		if user == nil {
			return
		}
		id, err := relay.Key("id", deliveryNodeType, r.PathValue("id"))
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
		data.Nonce = rand.Text()
		var page bytes.Buffer
		if err := bolPage.Execute(&page, data); err != nil {
			internal(w, r, logger, err)
			return
		}
		writePage(w, page.Bytes(), data.Nonce, byLink)
	})
}

// BillOfLadingPath is where a delivery's bill of lading is served, for the
// API to hand out (signed with Links.Link).
func BillOfLadingPath(deliveryID int64) string {
	return "/documents/deliveries/" + relay.ID(deliveryNodeType, deliveryID) + "/bill-of-lading"
}

var errNotFound = errors.New("not found")

// deliveryNodeType is the global-ID type of the delivery in the URL, as its
// description in sales gives it (the API hands out the same IDs).
var deliveryNodeType = func() string {
	d, _ := sales.DocDelivery.Describe()
	return d.NodeType
}()

func internal(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	logger.ErrorContext(r.Context(), "printable document", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// load gathers what the page prints, with the loaders' batch reads.
func load(ctx context.Context, s *db.Store, user *sales.User, id int64) (*bolData, error) {
	ds, err := s.Deliveries.ByIDs(ctx, []int64{id})
	if err != nil || len(ds) == 0 {
		return nil, errors.Join(err, errNotFound)
	}
	d := ds[0]
	orders, err := s.Orders.ByIDs(ctx, []int64{d.OrderID})
	if err != nil || len(orders) == 0 {
		return nil, errors.Join(err, errNotFound)
	}
	customers, err := s.Customers.ByIDs(ctx, []int64{orders[0].CustomerID})
	if err != nil || len(customers) == 0 || !user.CanSeeCustomer(customers[0]) {
		return nil, errors.Join(err, errNotFound)
	}
	whs, err := s.Warehouses.ByIDs(ctx, []int64{d.WarehouseID})
	if err != nil || len(whs) == 0 {
		return nil, errors.Join(err, errNotFound)
	}
	dlines, err := s.Deliveries.LinesByDeliveryIDs(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	var olIDs []int64
	for _, l := range dlines {
		olIDs = append(olIDs, l.OrderLineID)
	}
	olines, err := s.Orders.LinesByIDs(ctx, olIDs)
	if err != nil {
		return nil, err
	}
	byLine := map[int64]*sales.OrderLine{}
	var productIDs []int64
	for _, l := range olines {
		byLine[l.ID] = l
		productIDs = append(productIDs, l.ProductID)
	}
	products, err := s.Products.ByIDs(ctx, productIDs)
	if err != nil {
		return nil, err
	}
	byProduct := map[int64]*sales.Product{}
	for _, p := range products {
		byProduct[p.ID] = p
	}
	data := &bolData{Delivery: d, Order: orders[0], Customer: customers[0], Warehouse: whs[0], Printed: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	for _, dl := range dlines {
		ol := byLine[dl.OrderLineID]
		p := byProduct[ol.ProductID]
		data.Lines = append(data.Lines, bolLine{LineNo: ol.LineNo, SKU: p.SKU, Name: p.Name, Quantity: dl.Quantity, Unit: p.UnitOfMeasure})
		data.Total = data.Total.Add(dl.Quantity)
	}
	return data, nil
}
