package sales

import (
	"time"

	"github.com/shopspring/decimal"
)

// The filters below are what list queries may narrow by. A nil field does not filter.

// UserFilter narrows the user list.
type UserFilter struct {
	Role   *Role
	Active *bool
	Search *string
}

// CustomerFilter narrows the customer list. OwnerID scopes a sales rep to
// their own customers; it is set from the viewer, never from input.
type CustomerFilter struct {
	Search      *string
	Archived    *bool
	Currency    *string
	CreditHold  *bool
	SalesRepID  *int64
	PriceListID *int64
	Code        *string
	OwnerID     *int64
}

// ProductFilter narrows the product list.
type ProductFilter struct {
	Search *string
	Active *bool
	SKU    *string
}

// WarehouseFilter narrows the warehouse list.
type WarehouseFilter struct {
	Active *bool
}

// StockLevelFilter narrows the stock level list.
type StockLevelFilter struct {
	ProductID       *int64
	WarehouseID     *int64
	AvailableAtMost *decimal.Decimal
}

// StockMovementFilter narrows the stock ledger.
type StockMovementFilter struct {
	ProductID   *int64
	WarehouseID *int64
	Kind        *StockMovementKind
	From, To    *time.Time
}

// PriceListFilter narrows the price list list.
type PriceListFilter struct {
	Currency  *string
	IsDefault *bool
	ValidOn   *time.Time
}
