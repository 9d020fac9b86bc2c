package db

// Store gathers one store per aggregate over one pool.
type Store struct {
	*DB
	Users       *UserStore
	Customers   *CustomerStore
	Products    *ProductStore
	Warehouses  *WarehouseStore
	Stock       *StockStore
	PriceLists  *PriceListStore
	Events      *EventStore
	Quotes      *QuoteStore
	Orders      *OrderStore
	Deliveries  *DeliveryStore
	Returns     *ReturnStore
	Invoices    *InvoiceStore
	Payments    *PaymentStore
	CreditNotes *CreditNoteStore
	Reports     *ReportStore
	Disputes    *DisputeStore
}

// NewStore builds the stores on d.
func NewStore(d *DB) *Store {
	return &Store{
		DB:          d,
		Users:       &UserStore{d},
		Customers:   &CustomerStore{d},
		Products:    &ProductStore{d},
		Warehouses:  &WarehouseStore{d},
		Stock:       &StockStore{d},
		PriceLists:  &PriceListStore{d},
		Events:      &EventStore{d},
		Quotes:      &QuoteStore{d},
		Orders:      &OrderStore{db: d},
		Deliveries:  &DeliveryStore{d},
		Returns:     &ReturnStore{d},
		Invoices:    &InvoiceStore{d},
		Payments:    &PaymentStore{d},
		CreditNotes: &CreditNoteStore{d},
		Reports:     &ReportStore{d},
		Disputes:    &DisputeStore{d},
	}
}
