package sales

import (
	"strings"
	"testing"
)

// checkErr fails t unless err is an *Error with code on field whose message
// contains each of parts; code "" wants no error.
func checkErr(t *testing.T, err error, code Code, field string, parts ...string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("want no error, got %v", err)
		}
		return
	}
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("want %s on %q, got %v", code, field, err)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("want %s on %q, got %s on %q: %s", code, field, e.Code, e.Field, e.Message)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Fatalf("message %q does not say %q", e.Message, p)
		}
	}
}

func TestPlanStockMove(t *testing.T) {
	level := StockLevel{ProductID: 7, WarehouseID: 1, OnHand: d("10"), Reserved: d("4")}
	for _, tc := range []struct {
		name                string
		onHand, reserved    string
		wantOnHand, wantRes string
		wantCode            Code
		wantParts           []string
	}{
		{name: "receipt", onHand: "5", reserved: "0", wantOnHand: "15", wantRes: "4"},
		{name: "reserve what is available", onHand: "0", reserved: "6", wantOnHand: "10", wantRes: "10"},
		{name: "ship what is reserved", onHand: "-4", reserved: "-4", wantOnHand: "6", wantRes: "0"},
		{name: "reserve more than available", onHand: "0", reserved: "6.001", wantCode: CodeInsufficientStock,
			wantParts: []string{"10 on hand, 4 reserved, 6 available", "cannot move 0 on hand and 6.001 reserved"}},
		{name: "adjust below reserved", onHand: "-7", reserved: "0", wantCode: CodeInsufficientStock},
		{name: "on hand below zero", onHand: "-11", reserved: "-4", wantCode: CodeInsufficientStock},
		{name: "release more than reserved", onHand: "0", reserved: "-5", wantCode: CodeInsufficientStock},
		{name: "past the largest quantity", onHand: "999999999999990", reserved: "0", wantCode: CodeValidation,
			wantParts: []string{"would pass the largest quantity"}},
		{name: "reserved past the largest quantity", onHand: "0", reserved: "999999999999999", wantCode: CodeValidation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after, err := PlanStockMove(level, d(tc.onHand), d(tc.reserved), "input.quantity")
			checkErr(t, err, tc.wantCode, "input.quantity", tc.wantParts...)
			if tc.wantCode != "" {
				if after != level {
					t.Fatalf("a refused move changed the level: %+v", after)
				}
				return
			}
			if !after.OnHand.Equal(d(tc.wantOnHand)) || !after.Reserved.Equal(d(tc.wantRes)) {
				t.Fatalf("after: %s on hand, %s reserved; want %s, %s", after.OnHand, after.Reserved, tc.wantOnHand, tc.wantRes)
			}
		})
	}
}

func TestReservationKind(t *testing.T) {
	if ReservationKind(d("2")) != MovementReservation || ReservationKind(d("-2")) != MovementRelease {
		t.Fatal("a positive change reserves, a negative one releases")
	}
}

func TestCheckStockChanges(t *testing.T) {
	checkErr(t, CheckStockReceipt(d("5"), "PO-1"), "", "")
	checkErr(t, CheckStockReceipt(d("0"), ""), CodeValidation, "input.quantity", "greater than zero")
	checkErr(t, CheckStockReceipt(d("1"), strings.Repeat("x", 201)), CodeValidation, "input.reference")
	reason, err := CheckStockAdjustment(d("-3"), "  broken  ")
	checkErr(t, err, "", "")
	if reason != "broken" {
		t.Fatalf("reason %q, want it trimmed", reason)
	}
	_, err = CheckStockAdjustment(d("0"), "x")
	checkErr(t, err, CodeValidation, "input.quantity", "must change the quantity")
	_, err = CheckStockAdjustment(d("-1.0001"), "x")
	checkErr(t, err, CodeValidation, "input.quantity", "3 decimal places")
	_, err = CheckStockAdjustment(d("1"), "  ")
	checkErr(t, err, CodeValidation, "input.reason", "needs a reason")
}
