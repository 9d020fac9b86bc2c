package printable_test

import (
	"github.com/shopspring/decimal"

	"salesgraph/db"
)

func stockChange(product, warehouse int64, qty string) db.StockChange {
	return db.StockChange{ProductID: product, WarehouseID: warehouse, Quantity: decimal.RequireFromString(qty), Reference: "PO-1"}
}
