package sales

import (
	"time"

	"github.com/shopspring/decimal"
)

// Role is what a user may do (DESIGN.md, "Auth").
type Role string

// The roles. VIEWER is read-only (leadership, analysts).
const (
	RoleAdmin        Role = "ADMIN"
	RoleSalesManager Role = "SALES_MANAGER"
	RoleSalesRep     Role = "SALES_REP"
	RoleWarehouse    Role = "WAREHOUSE"
	RoleAccountant   Role = "ACCOUNTANT"
	RoleViewer       Role = "VIEWER"
)

// Roles lists every role, in the order the schema declares them.
var Roles = []Role{RoleAdmin, RoleSalesManager, RoleSalesRep, RoleWarehouse, RoleAccountant, RoleViewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// User is a person who signs in; the role is read from the database on every request.
type User struct {
	ID        int64     `db:"id"`
	Email     string    `db:"email"`
	Name      string    `db:"name"`
	Role      Role      `db:"role"`
	Active    bool      `db:"active"`
	Version   int       `db:"version"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// Address is a postal address. The billing address is kept on the customer,
// shipping addresses apart (ShippingAddress); how they are stored is db's
// business (db/address.go).
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
}

// Customer is a company we sell to, with its credit terms.
type Customer struct {
	ID               int64           `db:"id"`
	Code             string          `db:"code"`
	Name             string          `db:"name"`
	Email            *string         `db:"email"`
	Phone            *string         `db:"phone"`
	BillingAddress   *Address        `db:"billing_address"`
	Currency         string          `db:"currency"`
	PaymentTermsDays int             `db:"payment_terms_days"`
	CreditLimit      decimal.Decimal `db:"credit_limit"`
	CreditHold       bool            `db:"credit_hold"`
	PriceListID      *int64          `db:"price_list_id"`
	SalesRepID       *int64          `db:"sales_rep_id"`
	Notes            string          `db:"notes"`
	Archived         bool            `db:"archived"`
	Version          int             `db:"version"`
	CreatedAt        time.Time       `db:"created_at"`
	UpdatedAt        time.Time       `db:"updated_at"`
}

// ShippingAddress is one of a customer's ship-to addresses.
type ShippingAddress struct {
	ID         int64  `db:"id"`
	CustomerID int64  `db:"customer_id"`
	Label      string `db:"label"`
	Line1      string `db:"line1"`
	Line2      string `db:"line2"`
	City       string `db:"city"`
	Region     string `db:"region"`
	PostalCode string `db:"postal_code"`
	Country    string `db:"country"`
	IsDefault  bool   `db:"is_default"`
}

// Product is something we sell, counted in its unit of measure.
type Product struct {
	ID            int64           `db:"id"`
	SKU           string          `db:"sku"`
	Name          string          `db:"name"`
	Description   string          `db:"description"`
	UnitOfMeasure string          `db:"unit_of_measure"`
	TaxRate       decimal.Decimal `db:"tax_rate"` // a fraction: 0.2 is 20 %
	Active        bool            `db:"active"`
	Version       int             `db:"version"`
	CreatedAt     time.Time       `db:"created_at"`
	UpdatedAt     time.Time       `db:"updated_at"`
}

// Warehouse is a place that holds stock.
type Warehouse struct {
	ID        int64     `db:"id"`
	Code      string    `db:"code"`
	Name      string    `db:"name"`
	Address   *Address  `db:"address"`
	Active    bool      `db:"active"`
	CreatedAt time.Time `db:"created_at"`
}

// StockLevel is the stock of one product in one warehouse. Available is
// derived (on hand − reserved), never stored.
type StockLevel struct {
	ProductID   int64           `db:"product_id"`
	WarehouseID int64           `db:"warehouse_id"`
	OnHand      decimal.Decimal `db:"on_hand"`
	Reserved    decimal.Decimal `db:"reserved"`
	UpdatedAt   time.Time       `db:"updated_at"`
}

// Available is what can still be promised: on hand less reserved.
func (s *StockLevel) Available() decimal.Decimal { return s.OnHand.Sub(s.Reserved) }

// StockMovementKind says why stock moved.
type StockMovementKind string

// The movement kinds. Reservations and releases change only what is
// reserved; receipts, adjustments, shipments and returns change on hand.
const (
	MovementReceipt     StockMovementKind = "RECEIPT"
	MovementAdjustment  StockMovementKind = "ADJUSTMENT"
	MovementReservation StockMovementKind = "RESERVATION"
	MovementRelease     StockMovementKind = "RELEASE"
	MovementShipment    StockMovementKind = "SHIPMENT"
	MovementReturn      StockMovementKind = "RETURN"
)

// StockMovement is one row of the stock ledger: every change to on-hand or reserved stock.
type StockMovement struct {
	ID             int64             `db:"id"`
	ProductID      int64             `db:"product_id"`
	WarehouseID    int64             `db:"warehouse_id"`
	Kind           StockMovementKind `db:"kind"`
	Quantity       decimal.Decimal   `db:"quantity"` // change to on hand, signed: + in, − out
	OnHandAfter    decimal.Decimal   `db:"on_hand_after"`
	ReservedChange decimal.Decimal   `db:"reserved_change"`
	ReservedAfter  decimal.Decimal   `db:"reserved_after"`
	OrderID        *int64            `db:"order_id"`
	Reason         string            `db:"reason"`
	Reference      string            `db:"reference"`
	ActorID        *int64            `db:"actor_id"`
	OccurredAt     time.Time         `db:"occurred_at"`
}

// PriceList is a set of prices in one currency, valid between two dates.
// The default list of a currency prices customers that have no list of their own.
type PriceList struct {
	ID        int64      `db:"id"`
	Code      string     `db:"code"`
	Name      string     `db:"name"`
	Currency  string     `db:"currency"`
	ValidFrom *time.Time `db:"valid_from"`
	ValidTo   *time.Time `db:"valid_to"`
	IsDefault bool       `db:"is_default"`
	Version   int        `db:"version"`
	CreatedAt time.Time  `db:"created_at"`
}

// PriceListItem is one price: for a product from a minimum quantity on
// (quantity breaks), optionally within dates of its own.
type PriceListItem struct {
	ID          int64           `db:"id"`
	PriceListID int64           `db:"price_list_id"`
	ProductID   int64           `db:"product_id"`
	MinQuantity decimal.Decimal `db:"min_quantity"`
	UnitPrice   decimal.Decimal `db:"unit_price"`
	ValidFrom   *time.Time      `db:"valid_from"`
	ValidTo     *time.Time      `db:"valid_to"`
}
