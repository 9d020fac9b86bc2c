package sales

import (
	"fmt"
	"strings"
	"testing"
)

// Each test lists, independently of the machine, every transition DESIGN.md
// allows; every other (state, action) pair must be INVALID_TRANSITION naming
// the current state.

func checkMachine[S ~string, A ~string](t *testing.T, states []S, actions []A, allowed map[string]S, next func(S, A) (S, error)) {
	t.Helper()
	for _, s := range states {
		for _, a := range actions {
			t.Run(fmt.Sprintf("%s/%s", s, a), func(t *testing.T) {
				got, err := next(s, a)
				want, ok := allowed[string(s)+" "+string(a)]
				if ok {
					if err != nil || got != want {
						t.Fatalf("%s + %s = %s, %v; want %s", s, a, got, err, want)
					}
					return
				}
				e, isErr := AsError(err)
				if !isErr || e.Code != CodeInvalidTransition || !strings.Contains(e.Message, string(s)) {
					t.Fatalf("%s + %s = %s, %v; want INVALID_TRANSITION naming %s", s, a, got, err, s)
				}
				if got != s {
					t.Fatalf("a refused transition moved %s to %s", s, got)
				}
			})
		}
	}
}

func TestQuoteStates(t *testing.T) {
	checkMachine(t, QuoteStatuses, QuoteActions, map[string]QuoteStatus{
		"DRAFT EDIT": QuoteDraft, "DRAFT SEND": QuoteSent, "DRAFT CANCEL": QuoteCancelled,
		"SENT ACCEPT": QuoteAccepted, "SENT REJECT": QuoteRejected, "SENT EXPIRE": QuoteExpired,
		"SENT CANCEL": QuoteCancelled, "SENT REVISE": QuoteSent,
		"ACCEPTED CONVERT": QuoteAccepted,
	}, NextQuoteStatus)
}

func TestOrderStates(t *testing.T) {
	checkMachine(t, OrderStatuses, OrderActions, map[string]OrderStatus{
		"DRAFT EDIT": OrderDraft, "DRAFT CONFIRM": OrderConfirmed, "DRAFT HOLD": OrderOnHold, "DRAFT CANCEL": OrderCancelled,
		"ON_HOLD RELEASE": OrderConfirmed, "ON_HOLD CANCEL": OrderCancelled,
		"CONFIRMED DELIVER_PART": OrderPartiallyDelivered, "CONFIRMED DELIVER_ALL": OrderDelivered, "CONFIRMED CANCEL": OrderCancelled,
		"PARTIALLY_DELIVERED DELIVER_PART": OrderPartiallyDelivered, "PARTIALLY_DELIVERED DELIVER_ALL": OrderDelivered,
		"PARTIALLY_DELIVERED CLOSE": OrderClosed,
		"DELIVERED COMPLETE":        OrderCompleted,
	}, NextOrderStatus)
}

func TestDeliveryStates(t *testing.T) {
	checkMachine(t, DeliveryStatuses, DeliveryActions, map[string]DeliveryStatus{
		"DRAFT EDIT": DeliveryDraft, "DRAFT SHIP": DeliveryShipped, "DRAFT CANCEL": DeliveryCancelled,
		"SHIPPED CONFIRM_RECEIPT": DeliveryDelivered,
	}, NextDeliveryStatus)
}

func TestReturnStates(t *testing.T) {
	checkMachine(t, ReturnStatuses, ReturnActions, map[string]ReturnStatus{
		"REQUESTED APPROVE": ReturnApproved, "REQUESTED REJECT": ReturnRejected,
		"APPROVED RECEIVE": ReturnReceived, "RECEIVED CREDIT": ReturnCredited,
	}, NextReturnStatus)
}
