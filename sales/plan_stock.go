package sales

import (
	"strings"

	"github.com/shopspring/decimal"
)

// The stock rules (docs/domain.md, "Master data"): stock never goes
// negative, nothing is reserved that is not on hand, and no level passes what
// its numeric(18,3) columns hold. db locks the level and asks PlanStockMove.

// maxStockQuantity is one past what the numeric(18,3) stock columns hold; a
// sum past it would fail in the database as a bare overflow.
var maxStockQuantity = decimal.New(1, 15)

// PlanStockMove decides whether a stock level may change by onHand (signed)
// and reserved (signed), and returns the level after it. field names the
// input an error points at. Returns VALIDATION when a column would pass the
// largest quantity it holds, INSUFFICIENT_STOCK when on hand would fall below
// zero or below what is reserved, or reserved below zero.
func PlanStockMove(level StockLevel, onHand, reserved decimal.Decimal, field string) (StockLevel, error) {
	after := level
	after.OnHand, after.Reserved = level.OnHand.Add(onHand), level.Reserved.Add(reserved)
	if !after.OnHand.LessThan(maxStockQuantity) || !after.Reserved.LessThan(maxStockQuantity) {
		return level, Errorf(CodeValidation, field,
			"%s on hand and %s reserved: moving %s would pass the largest quantity a stock level holds", level.OnHand, level.Reserved, onHand)
	}
	if after.Reserved.IsNegative() || after.OnHand.LessThan(after.Reserved) {
		return level, Errorf(CodeInsufficientStock, field,
			"%s on hand, %s reserved, %s available: cannot move %s on hand and %s reserved",
			level.OnHand, level.Reserved, level.Available(), onHand, reserved)
	}
	return after, nil
}

// ReservationKind is the ledger kind of a change to what is reserved:
// RESERVATION when it grows, RELEASE when it shrinks.
func ReservationKind(change decimal.Decimal) StockMovementKind {
	if change.IsNegative() {
		return MovementRelease
	}
	return MovementReservation
}

// CheckStockReceipt validates goods booked in: a positive quantity and a
// reference of at most 200 characters. Returns VALIDATION.
func CheckStockReceipt(quantity decimal.Decimal, reference string) error {
	var p Problems
	CheckQuantity(&p, "input.quantity", quantity)
	p.Check(len(reference) <= 200, "input.reference", "reference must be at most 200 characters")
	return p.Err()
}

// CheckStockAdjustment validates a correction of on-hand stock: a signed,
// non-zero quantity and a reason, which it returns trimmed. Returns VALIDATION.
func CheckStockAdjustment(quantity decimal.Decimal, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	var p Problems
	p.Check(!quantity.IsZero(), "input.quantity", "an adjustment must change the quantity")
	if !quantity.IsZero() {
		CheckQuantity(&p, "input.quantity", quantity.Abs())
	}
	p.Check(reason != "", "input.reason", "an adjustment needs a reason")
	p.Check(len(reason) <= 500, "input.reason", "reason must be at most 500 characters")
	return reason, p.Err()
}
