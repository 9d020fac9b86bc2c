// Package printable serves printable documents — for now the bill of
// lading — over HTTP, with the same bearer-token auth as the API or a
// short-lived signed link that a plain browser tab can open (links.go).
package printable

import (
	"context"
	_ "embed"
	"errors"
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

var bolPage = newPage("bol", bolHTML)

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
	pageNonce
}

// BillOfLading serves GET /documents/deliveries/{id}/bill-of-lading: the
// delivery's bill of lading as HTML that prints on one A4 or Letter page.
// 401 without a valid token or signed link; 404 for an unknown delivery or
// one the user may not see (a sales rep sees their own customers' only).
func BillOfLading(store *db.Store, access *Access, logger *slog.Logger) http.Handler {
	return documentPage(store, access, logger, deliveryNodeType, bolPage, load)
}

// BillOfLadingPath is where a delivery's bill of lading is served, for the
// API to hand out (signed with Links.Link).
func BillOfLadingPath(deliveryID int64) string {
	return "/documents/deliveries/" + relay.ID(deliveryNodeType, deliveryID) + "/bill-of-lading"
}

// deliveryNodeType is the global-ID type of the delivery in the URL.
var deliveryNodeType = nodeTypeOf(sales.DocDelivery)

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
	byLine, byProduct, err := linesAndProducts(ctx, s, olIDs)
	if err != nil {
		return nil, err
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
