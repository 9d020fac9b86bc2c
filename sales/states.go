package sales

// The document state machines of DESIGN.md ("States"). Each is a table from
// (state, action) to the next state; anything not in the table is
// INVALID_TRANSITION naming the current state. Conditions that depend on
// more than the state (nothing delivered yet, stock available, the quote
// still valid) are checked by the caller before it asks for the transition.

// machine maps a state and an action to the next state.
type machine[S ~string, A ~string] map[S]map[A]S

// next returns the state that action leads to from from, or INVALID_TRANSITION.
func (m machine[S, A]) next(doc string, from S, action A) (S, error) {
	if to, ok := m[from][action]; ok {
		return to, nil
	}
	return from, &Error{Code: CodeInvalidTransition, Field: "status",
		Message: "cannot " + humanAction(string(action)) + " a " + doc + " that is " + string(from)}
}

func humanAction(a string) string {
	out := []byte(a)
	for i, c := range out {
		if c == '_' {
			out[i] = ' '
		} else if c >= 'A' && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return string(out)
}

// QuoteStatus is where a quote stands.
type QuoteStatus string

// Quote states.
const (
	QuoteDraft     QuoteStatus = "DRAFT"
	QuoteSent      QuoteStatus = "SENT"
	QuoteAccepted  QuoteStatus = "ACCEPTED"
	QuoteRejected  QuoteStatus = "REJECTED"
	QuoteExpired   QuoteStatus = "EXPIRED"
	QuoteCancelled QuoteStatus = "CANCELLED"
)

// QuoteAction is something done to a quote.
type QuoteAction string

// Quote actions. Edit changes lines and terms; Revise makes a new revision
// of a sent quote (the new one starts as a draft); Convert turns an accepted
// quote into its order.
const (
	QuoteEdit    QuoteAction = "EDIT"
	QuoteSend    QuoteAction = "SEND"
	QuoteAccept  QuoteAction = "ACCEPT"
	QuoteReject  QuoteAction = "REJECT"
	QuoteExpire  QuoteAction = "EXPIRE"
	QuoteCancel  QuoteAction = "CANCEL"
	QuoteRevise  QuoteAction = "REVISE"
	QuoteConvert QuoteAction = "CONVERT"
)

var quoteMachine = machine[QuoteStatus, QuoteAction]{
	QuoteDraft:    {QuoteEdit: QuoteDraft, QuoteSend: QuoteSent, QuoteCancel: QuoteCancelled},
	QuoteSent:     {QuoteAccept: QuoteAccepted, QuoteReject: QuoteRejected, QuoteExpire: QuoteExpired, QuoteCancel: QuoteCancelled, QuoteRevise: QuoteSent},
	QuoteAccepted: {QuoteConvert: QuoteAccepted},
}

// QuoteStatuses lists every quote state; QuoteActions every action (for tests and docs).
var (
	QuoteStatuses = []QuoteStatus{QuoteDraft, QuoteSent, QuoteAccepted, QuoteRejected, QuoteExpired, QuoteCancelled}
	QuoteActions  = []QuoteAction{QuoteEdit, QuoteSend, QuoteAccept, QuoteReject, QuoteExpire, QuoteCancel, QuoteRevise, QuoteConvert}
)

var quoteDocument = describe(DocumentDescription{
	Type: DocQuote, Name: "quote", Table: "quotes", Series: "QT",
	NodeType: "Quote", States: names(QuoteStatuses),
	Children: []ChildType{{Table: "quote_lines", NodeType: "QuoteLine"}},
})

// NextQuoteStatus returns the state action leads to, or INVALID_TRANSITION.
// Revise leaves the old revision SENT (and superseded); the new revision is a DRAFT.
func NextQuoteStatus(from QuoteStatus, action QuoteAction) (QuoteStatus, error) {
	return quoteMachine.next("quote", from, action)
}

// OrderStatus is where a sales order stands.
type OrderStatus string

// Order states. ON_HOLD and COMPLETED are reached through billing (credit
// check, invoicing); the table already knows them.
const (
	OrderDraft              OrderStatus = "DRAFT"
	OrderConfirmed          OrderStatus = "CONFIRMED"
	OrderOnHold             OrderStatus = "ON_HOLD"
	OrderPartiallyDelivered OrderStatus = "PARTIALLY_DELIVERED"
	OrderDelivered          OrderStatus = "DELIVERED"
	OrderCompleted          OrderStatus = "COMPLETED"
	OrderClosed             OrderStatus = "CLOSED"
	OrderCancelled          OrderStatus = "CANCELLED"
)

// OrderAction is something done to an order.
type OrderAction string

// Order actions. DeliverPart and DeliverAll follow a shipment.
const (
	OrderEdit        OrderAction = "EDIT"
	OrderConfirm     OrderAction = "CONFIRM"
	OrderHold        OrderAction = "HOLD"
	OrderRelease     OrderAction = "RELEASE"
	OrderDeliverPart OrderAction = "DELIVER_PART"
	OrderDeliverAll  OrderAction = "DELIVER_ALL"
	OrderComplete    OrderAction = "COMPLETE"
	OrderClose       OrderAction = "CLOSE"
	OrderCancel      OrderAction = "CANCEL"
)

var orderMachine = machine[OrderStatus, OrderAction]{
	OrderDraft:              {OrderEdit: OrderDraft, OrderConfirm: OrderConfirmed, OrderHold: OrderOnHold, OrderCancel: OrderCancelled},
	OrderOnHold:             {OrderRelease: OrderConfirmed, OrderCancel: OrderCancelled},
	OrderConfirmed:          {OrderDeliverPart: OrderPartiallyDelivered, OrderDeliverAll: OrderDelivered, OrderCancel: OrderCancelled},
	OrderPartiallyDelivered: {OrderDeliverPart: OrderPartiallyDelivered, OrderDeliverAll: OrderDelivered, OrderClose: OrderClosed},
	OrderDelivered:          {OrderComplete: OrderCompleted},
}

// OrderStatuses and OrderActions list every state and action.
var (
	OrderStatuses = []OrderStatus{OrderDraft, OrderConfirmed, OrderOnHold, OrderPartiallyDelivered, OrderDelivered, OrderCompleted, OrderClosed, OrderCancelled}
	OrderActions  = []OrderAction{OrderEdit, OrderConfirm, OrderHold, OrderRelease, OrderDeliverPart, OrderDeliverAll, OrderComplete, OrderClose, OrderCancel}
)

var orderDocument = describe(DocumentDescription{
	Type: DocOrder, Name: "sales order", Table: "sales_orders", Series: "SO",
	NodeType: "SalesOrder", States: names(OrderStatuses),
	Children: []ChildType{{Table: "order_lines", NodeType: "OrderLine"}},
})

// NextOrderStatus returns the state action leads to, or INVALID_TRANSITION.
// Cancelling is allowed only while nothing is delivered: the states after a
// shipment have no CANCEL.
func NextOrderStatus(from OrderStatus, action OrderAction) (OrderStatus, error) {
	return orderMachine.next("sales order", from, action)
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery states.
const (
	DeliveryDraft     DeliveryStatus = "DRAFT"
	DeliveryShipped   DeliveryStatus = "SHIPPED"
	DeliveryDelivered DeliveryStatus = "DELIVERED"
	DeliveryCancelled DeliveryStatus = "CANCELLED"
)

// DeliveryAction is something done to a delivery.
type DeliveryAction string

// Delivery actions.
const (
	DeliveryEdit           DeliveryAction = "EDIT"
	DeliveryShip           DeliveryAction = "SHIP"
	DeliveryConfirmReceipt DeliveryAction = "CONFIRM_RECEIPT"
	DeliveryCancel         DeliveryAction = "CANCEL"
)

var deliveryMachine = machine[DeliveryStatus, DeliveryAction]{
	DeliveryDraft:   {DeliveryEdit: DeliveryDraft, DeliveryShip: DeliveryShipped, DeliveryCancel: DeliveryCancelled},
	DeliveryShipped: {DeliveryConfirmReceipt: DeliveryDelivered},
}

// DeliveryStatuses and DeliveryActions list every state and action.
var (
	DeliveryStatuses = []DeliveryStatus{DeliveryDraft, DeliveryShipped, DeliveryDelivered, DeliveryCancelled}
	DeliveryActions  = []DeliveryAction{DeliveryEdit, DeliveryShip, DeliveryConfirmReceipt, DeliveryCancel}
)

var deliveryDocument = describe(DocumentDescription{
	Type: DocDelivery, Name: "delivery", Table: "deliveries", Series: "DN",
	OtherNumbers: []NumberSeries{SeriesBillOfLading},
	NodeType:     "Delivery", States: names(DeliveryStatuses),
	Children: []ChildType{{Table: "delivery_lines", NodeType: "DeliveryLine"}},
})

// NextDeliveryStatus returns the state action leads to, or INVALID_TRANSITION.
func NextDeliveryStatus(from DeliveryStatus, action DeliveryAction) (DeliveryStatus, error) {
	return deliveryMachine.next("delivery", from, action)
}

// ReturnStatus is where a customer return (RMA) stands.
type ReturnStatus string

// Return states. CREDITED is reached through billing (the credit note).
const (
	ReturnRequested ReturnStatus = "REQUESTED"
	ReturnApproved  ReturnStatus = "APPROVED"
	ReturnReceived  ReturnStatus = "RECEIVED"
	ReturnCredited  ReturnStatus = "CREDITED"
	ReturnRejected  ReturnStatus = "REJECTED"
)

// ReturnAction is something done to a return.
type ReturnAction string

// Return actions.
const (
	ReturnApprove ReturnAction = "APPROVE"
	ReturnReject  ReturnAction = "REJECT"
	ReturnReceive ReturnAction = "RECEIVE"
	ReturnCredit  ReturnAction = "CREDIT"
)

var returnMachine = machine[ReturnStatus, ReturnAction]{
	ReturnRequested: {ReturnApprove: ReturnApproved, ReturnReject: ReturnRejected},
	ReturnApproved:  {ReturnReceive: ReturnReceived},
	ReturnReceived:  {ReturnCredit: ReturnCredited},
}

// ReturnStatuses and ReturnActions list every state and action.
var (
	ReturnStatuses = []ReturnStatus{ReturnRequested, ReturnApproved, ReturnReceived, ReturnCredited, ReturnRejected}
	ReturnActions  = []ReturnAction{ReturnApprove, ReturnReject, ReturnReceive, ReturnCredit}
)

var returnDocument = describe(DocumentDescription{
	Type: DocReturn, Name: "return", Table: "returns", Series: "RMA",
	NodeType: "Return", States: names(ReturnStatuses),
	Children: []ChildType{{Table: "return_lines", NodeType: "ReturnLine"}},
})

// NextReturnStatus returns the state action leads to, or INVALID_TRANSITION.
func NextReturnStatus(from ReturnStatus, action ReturnAction) (ReturnStatus, error) {
	return returnMachine.next("return", from, action)
}
