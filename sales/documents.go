package sales

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Quote is a sales quotation. Revisions share a number; the live one is the
// revision nobody superseded.
type Quote struct {
	ID           int64           `db:"id"`
	Number       string          `db:"number"`
	Revision     int             `db:"revision"`
	CustomerID   int64           `db:"customer_id"`
	Currency     string          `db:"currency"`
	ValidUntil   time.Time       `db:"valid_until"`
	Status       QuoteStatus     `db:"status"`
	SupersededBy *int64          `db:"superseded_by"`
	Notes        string          `db:"notes"`
	Subtotal     decimal.Decimal `db:"subtotal"`
	TaxTotal     decimal.Decimal `db:"tax_total"`
	Total        decimal.Decimal `db:"total"`
	CreatedBy    *int64          `db:"created_by"`
	Version      int             `db:"version"`
	CreatedAt    time.Time       `db:"created_at"`
	UpdatedAt    time.Time       `db:"updated_at"`
}

// DisplayNumber is the number a customer sees: QT-2026-000123, or
// QT-2026-000123-R2 from the second revision on.
func (q *Quote) DisplayNumber() string {
	if q.Revision > 1 {
		return fmt.Sprintf("%s-R%d", q.Number, q.Revision)
	}
	return q.Number
}

// Expired reports whether the quote is past its valid-until date on day.
func (q *Quote) Expired(day time.Time) bool {
	return day.Format(time.DateOnly) > q.ValidUntil.Format(time.DateOnly)
}

// QuoteLine is one priced line of a quote.
type QuoteLine struct {
	ID                  int64            `db:"id"`
	QuoteID             int64            `db:"quote_id"`
	LineNo              int              `db:"line_no"`
	ProductID           int64            `db:"product_id"`
	Quantity            decimal.Decimal  `db:"quantity"`
	UnitPrice           decimal.Decimal  `db:"unit_price"`
	ListPrice           *decimal.Decimal `db:"list_price"` // what priceQuote said; nil when no list priced it
	PriceOverrideReason string           `db:"price_override_reason"`
	DiscountPercent     decimal.Decimal  `db:"discount_percent"`
	TaxRate             decimal.Decimal  `db:"tax_rate"`
	Subtotal            decimal.Decimal  `db:"subtotal"`
	Tax                 decimal.Decimal  `db:"tax"`
	Total               decimal.Decimal  `db:"total"`
}

// InvoicingPolicy says what an order may be invoiced for.
type InvoicingPolicy string

// Invoicing policies.
const (
	InvoiceOrdered   InvoicingPolicy = "ORDERED"
	InvoiceDelivered InvoicingPolicy = "DELIVERED"
)

// HoldReason says why an order is held (set by the credit check, with billing).
type HoldReason string

// Hold reasons.
const (
	HoldCreditLimit     HoldReason = "CREDIT_LIMIT"
	HoldOverdueInvoices HoldReason = "OVERDUE_INVOICES"
	HoldCustomerOnHold  HoldReason = "CUSTOMER_ON_HOLD"
)

// SalesOrder is a customer's order.
type SalesOrder struct {
	ID                    int64           `db:"id"`
	Number                string          `db:"number"`
	CustomerID            int64           `db:"customer_id"`
	QuoteID               *int64          `db:"quote_id"`
	WarehouseID           int64           `db:"warehouse_id"`
	OrderDate             time.Time       `db:"order_date"`
	RequestedDeliveryDate *time.Time      `db:"requested_delivery_date"`
	ShipTo                Address         `db:"ship_to"`
	Currency              string          `db:"currency"`
	PaymentTermsDays      int             `db:"payment_terms_days"`
	InvoicingPolicy       InvoicingPolicy `db:"invoicing_policy"`
	AllowBackorder        bool            `db:"allow_backorder"`
	Status                OrderStatus     `db:"status"`
	HoldReason            *HoldReason     `db:"hold_reason"`
	CustomerReference     string          `db:"customer_reference"`
	Notes                 string          `db:"notes"`
	Subtotal              decimal.Decimal `db:"subtotal"`
	TaxTotal              decimal.Decimal `db:"tax_total"`
	Total                 decimal.Decimal `db:"total"`
	CreatedBy             *int64          `db:"created_by"`
	Version               int             `db:"version"`
	CreatedAt             time.Time       `db:"created_at"`
	UpdatedAt             time.Time       `db:"updated_at"`

	// A deposit the order requires before it ships: an amount, or a
	// percentage of its total (DepositRequired); at most one is set.
	DepositAmount  *decimal.Decimal `db:"deposit_amount"`
	DepositPercent *decimal.Decimal `db:"deposit_percent"`
}

// OrderLine is one line of an order, reconciling its quantities.
type OrderLine struct {
	ID                int64           `db:"id"`
	OrderID           int64           `db:"order_id"`
	LineNo            int             `db:"line_no"`
	ProductID         int64           `db:"product_id"`
	QuoteLineID       *int64          `db:"quote_line_id"`
	Quantity          decimal.Decimal `db:"quantity"`
	ReservedQuantity  decimal.Decimal `db:"reserved_quantity"`
	DeliveredQuantity decimal.Decimal `db:"delivered_quantity"`
	ReturnedQuantity  decimal.Decimal `db:"returned_quantity"`
	InvoicedQuantity  decimal.Decimal `db:"invoiced_quantity"` // on invoices that are not void, drafts included
	CreditedQuantity  decimal.Decimal `db:"credited_quantity"` // on credit notes that are not void
	UnitPrice         decimal.Decimal `db:"unit_price"`
	DiscountPercent   decimal.Decimal `db:"discount_percent"`
	TaxRate           decimal.Decimal `db:"tax_rate"`
	Subtotal          decimal.Decimal `db:"subtotal"`
	Tax               decimal.Decimal `db:"tax"`
	Total             decimal.Decimal `db:"total"`
	// As on a quote line: the list price the line was priced against (nil
	// when no list priced it, or written before it was kept) and why the
	// unit price differs from it.
	ListPrice           *decimal.Decimal `db:"list_price"`
	PriceOverrideReason string           `db:"price_override_reason"`
}

// OpenQuantity is what is still to deliver: ordered less delivered.
func (l *OrderLine) OpenQuantity() decimal.Decimal { return l.Quantity.Sub(l.DeliveredQuantity) }

// Delivery is a delivery note with its bill of lading.
type Delivery struct {
	ID             int64          `db:"id"`
	Number         string         `db:"number"`
	BOLNumber      string         `db:"bol_number"`
	OrderID        int64          `db:"order_id"`
	WarehouseID    int64          `db:"warehouse_id"`
	Status         DeliveryStatus `db:"status"`
	ShipTo         Address        `db:"ship_to"`
	Carrier        string         `db:"carrier"`
	TrackingNumber string         `db:"tracking_number"`
	ShipDate       *time.Time     `db:"ship_date"`
	DeliveredDate  *time.Time     `db:"delivered_date"`
	ReceivedBy     string         `db:"received_by"`
	Notes          string         `db:"notes"`
	CreatedBy      *int64         `db:"created_by"`
	Version        int            `db:"version"`
	CreatedAt      time.Time      `db:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at"`
}

// DeliveryLine is a quantity of one order line on a delivery, with what the
// customer accepted or refused at the door once delivered.
type DeliveryLine struct {
	ID               int64            `db:"id"`
	DeliveryID       int64            `db:"delivery_id"`
	OrderLineID      int64            `db:"order_line_id"`
	Quantity         decimal.Decimal  `db:"quantity"`
	AcceptedQuantity *decimal.Decimal `db:"accepted_quantity"`
	RefusedQuantity  *decimal.Decimal `db:"refused_quantity"`
}

// Return is a customer return (RMA).
type Return struct {
	ID           int64        `db:"id"`
	Number       string       `db:"number"`
	OrderID      int64        `db:"order_id"`
	DeliveryID   *int64       `db:"delivery_id"`
	Status       ReturnStatus `db:"status"`
	Reason       string       `db:"reason"`
	WarehouseID  *int64       `db:"warehouse_id"`
	ReceivedDate *time.Time   `db:"received_date"`
	CreatedBy    *int64       `db:"created_by"`
	Version      int          `db:"version"`
	CreatedAt    time.Time    `db:"created_at"`
	UpdatedAt    time.Time    `db:"updated_at"`
}

// ReturnLine is a quantity of one order line coming back.
type ReturnLine struct {
	ID          int64           `db:"id"`
	ReturnID    int64           `db:"return_id"`
	OrderLineID int64           `db:"order_line_id"`
	Quantity    decimal.Decimal `db:"quantity"`
	Reason      string          `db:"reason"`
}

// DocumentEvent is one state change of a document: who, when, from, to, why.
type DocumentEvent struct {
	ID         int64        `db:"id"`
	DocType    DocumentType `db:"doc_type"`
	DocID      int64        `db:"doc_id"`
	Action     string       `db:"action"`
	FromStatus *string      `db:"from_status"`
	ToStatus   string       `db:"to_status"`
	Reason     string       `db:"reason"`
	ActorID    *int64       `db:"actor_id"`
	OccurredAt time.Time    `db:"occurred_at"`
}

// OrderEvent is an order status change in the live feed's outbox.
type OrderEvent struct {
	ID             int64        `db:"id"`
	OrderID        int64        `db:"order_id"`
	PreviousStatus *OrderStatus `db:"previous_status"`
	Status         OrderStatus  `db:"status"`
	Reason         string       `db:"reason"`
	ActorID        *int64       `db:"actor_id"`
	OccurredAt     time.Time    `db:"occurred_at"`
}
