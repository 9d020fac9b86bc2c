package sales

import (
	"time"

	"github.com/shopspring/decimal"
)

// The inputs of document mutations, as the domain sees them (graph/ decodes
// GraphQL input into these; db/ validates and writes them).

// LineInput is a requested document line. A nil UnitPrice takes the price
// the customer's price lists give (ChoosePrice); a different price needs a reason.
type LineInput struct {
	ProductID           int64
	Quantity            decimal.Decimal
	UnitPrice           *decimal.Decimal
	PriceOverrideReason string
	DiscountPercent     decimal.Decimal
}

// NewQuote is a quote to create.
type NewQuote struct {
	CustomerID int64
	ValidUntil time.Time
	Notes      string
	Lines      []LineInput
}

// QuoteChange edits a draft quote or starts a revision; nil fields stay as they are,
// and non-nil Lines replace all lines.
type QuoteChange struct {
	ValidUntil *time.Time
	Notes      *string
	Lines      []LineInput
}

// OrderTerms are an order's delivery and invoicing terms.
type OrderTerms struct {
	WarehouseID           int64
	OrderDate             *time.Time // default today
	RequestedDeliveryDate *time.Time
	ShipToAddressID       *int64   // one of the customer's addresses
	ShipTo                *Address // else this; else the customer's default address
	InvoicingPolicy       *InvoicingPolicy
	AllowBackorder        bool
	CustomerReference     string
	Notes                 string
	DepositAmount         *decimal.Decimal // a deposit required before shipping (CheckDeposit)
	DepositPercent        *decimal.Decimal // or a percentage of the total
}

// NewOrder is an order to create.
type NewOrder struct {
	CustomerID int64
	Terms      OrderTerms
	Lines      []LineInput
}

// OrderChange edits a draft order; nil fields stay as they are, non-nil Lines replace all lines.
type OrderChange struct {
	WarehouseID              *int64
	RequestedDeliveryDate    *time.Time
	SetRequestedDeliveryDate bool // true: RequestedDeliveryDate is set, possibly to nil (cleared)
	ShipToAddressID          *int64
	ShipTo                   *Address
	InvoicingPolicy          *InvoicingPolicy
	AllowBackorder           *bool
	CustomerReference        *string
	Notes                    *string
	Lines                    []LineInput
	SetDeposit               bool // true: DepositAmount and DepositPercent replace the order's (nil clears)
	DepositAmount            *decimal.Decimal
	DepositPercent           *decimal.Decimal
}

// DeliveryLineInput is a quantity of an order line to deliver.
type DeliveryLineInput struct {
	OrderLineID int64
	Quantity    decimal.Decimal
}

// NewDelivery is a delivery to create; no Lines means everything deliverable.
type NewDelivery struct {
	OrderID        int64
	Lines          []DeliveryLineInput
	Carrier        string
	TrackingNumber string
	ShipTo         *Address
	Notes          string
}

// DeliveryChange edits a draft delivery; nil fields stay as they are.
type DeliveryChange struct {
	Carrier        *string
	TrackingNumber *string
	ShipTo         *Address
	Notes          *string
}

// ReceiptLine is what the customer accepted and refused of one delivery line.
type ReceiptLine struct {
	DeliveryLineID int64
	Accepted       decimal.Decimal
	Refused        decimal.Decimal
}

// DeliveryReceipt is a proof of delivery; lines not listed were accepted in full.
type DeliveryReceipt struct {
	DeliveredDate *time.Time
	ReceivedBy    string
	Lines         []ReceiptLine
	RefusalReason string
}

// ReturnLineInput is a quantity of an order line coming back.
type ReturnLineInput struct {
	OrderLineID int64
	Quantity    decimal.Decimal
	Reason      string
}

// NewReturn is a return request to create.
type NewReturn struct {
	OrderID    int64
	DeliveryID *int64
	Reason     string
	Lines      []ReturnLineInput
}

// QuoteFilter narrows the quote list. LatestOnly defaults to true in the API.
type QuoteFilter struct {
	Statuses   []QuoteStatus
	CustomerID *int64
	SalesRepID *int64
	Number     *string
	From, To   *time.Time
	LatestOnly bool
	OwnerID    *int64 // a sales rep's scope: their customers only
}

// OrderFilter narrows the order list.
type OrderFilter struct {
	Statuses    []OrderStatus
	CustomerID  *int64
	SalesRepID  *int64
	QuoteID     *int64
	WarehouseID *int64
	Number      *string
	From, To    *time.Time
	OwnerID     *int64
}

// DeliveryFilter narrows the delivery list.
type DeliveryFilter struct {
	Statuses    []DeliveryStatus
	OrderID     *int64
	CustomerID  *int64
	SalesRepID  *int64
	WarehouseID *int64
	Number      *string
	From, To    *time.Time
	OwnerID     *int64
}

// ReturnFilter narrows the return list.
type ReturnFilter struct {
	Statuses   []ReturnStatus
	OrderID    *int64
	CustomerID *int64
	SalesRepID *int64
	Number     *string
	From, To   *time.Time
	OwnerID    *int64
}
