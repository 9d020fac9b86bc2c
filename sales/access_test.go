package sales

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestCheckCustomerChange(t *testing.T) {
	rep := &User{ID: 7, Role: RoleSalesRep}
	other := int64(8)
	mine := &Customer{Code: "A", Name: "A", Currency: "EUR", SalesRepID: &rep.ID, CreditLimit: decimal.NewFromInt(100)}
	theirs := &Customer{Code: "B", Name: "B", Currency: "EUR", SalesRepID: &other}
	change := func(c *Customer, f func(*Customer)) *Customer { x := *c; f(&x); return &x }
	for _, tc := range []struct {
		name          string
		user          *User
		before, after *Customer
		want          Code
	}{
		{"RepEditsOwn", rep, mine, change(mine, func(c *Customer) { c.Name = "A2" }), ""},
		{"RepCannotSeeOthers", rep, theirs, change(theirs, func(c *Customer) { c.Name = "B2" }), CodeNotFound},
		{"RepCannotGiveAway", rep, mine, change(mine, func(c *Customer) { c.SalesRepID = &other }), CodeForbidden},
		{"RepCannotRaiseLimit", rep, mine, change(mine, func(c *Customer) { c.CreditLimit = decimal.NewFromInt(1e6) }), CodeForbidden},
		{"RepCannotLiftHold", rep, mine, change(mine, func(c *Customer) { c.CreditHold = !c.CreditHold }), CodeForbidden},
		{"RepCreatesWithZeroLimit", rep, nil, &Customer{SalesRepID: &rep.ID}, ""},
		{"RepCreatesWithLimit", rep, nil, &Customer{SalesRepID: &rep.ID, CreditLimit: decimal.NewFromInt(1)}, CodeForbidden},
		{"AccountantSetsLimit", &User{Role: RoleAccountant}, theirs, change(theirs, func(c *Customer) { c.CreditLimit = decimal.NewFromInt(5) }), ""},
		{"AccountantCannotRename", &User{Role: RoleAccountant}, theirs, change(theirs, func(c *Customer) { c.Name = "Z" }), CodeForbidden},
		{"ManagerDoesAll", &User{Role: RoleSalesManager}, theirs, change(theirs, func(c *Customer) { c.Name = "Z"; c.CreditHold = true }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CodeOf(tc.user.CheckCustomerChange(tc.before, tc.after)); got != tc.want {
				t.Fatalf("code %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCustomerValidate(t *testing.T) {
	ok := func() Customer {
		e := "a@b.example"
		return Customer{Code: "C-1", Name: "N", Email: &e, Currency: "EUR", PaymentTermsDays: 30, CreditLimit: decimal.RequireFromString("10.50")}
	}
	if err := func() *Customer { c := ok(); return &c }().Validate(); err != nil {
		t.Fatalf("valid customer refused: %v", err)
	}
	for _, tc := range []struct {
		name, field string
		mutate      func(*Customer)
	}{
		{"Code", "input.code", func(c *Customer) { c.Code = "-x" }},
		{"Name", "input.name", func(c *Customer) { c.Name = "" }},
		{"Currency", "input.currency", func(c *Customer) { c.Currency = "eur" }},
		{"Terms", "input.paymentTermsDays", func(c *Customer) { c.PaymentTermsDays = -1 }},
		{"LimitScale", "input.creditLimit", func(c *Customer) { c.CreditLimit = decimal.RequireFromString("0.001") }},
		{"LimitSize", "input.creditLimit", func(c *Customer) { c.CreditLimit = decimal.RequireFromString("1000000000000000") }},
		{"Country", "input.billingAddress.country", func(c *Customer) { c.BillingAddress = &Address{Line1: "x", City: "y", Country: "de"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.mutate(&c)
			e, isErr := AsError(c.Validate())
			if !isErr || e.Code != CodeValidation || e.Field != tc.field {
				t.Fatalf("got %v, want VALIDATION on %s", e, tc.field)
			}
		})
	}
}

func TestMinorUnits(t *testing.T) {
	for cur, want := range map[string]int32{"EUR": 2, "JPY": 0, "KWD": 3, "???": 2} {
		if got := MinorUnits(cur); got != want {
			t.Errorf("MinorUnits(%s) = %d, want %d", cur, got, want)
		}
	}
	if ValidCurrency("XXX") || !ValidCurrency("CHF") {
		t.Error("ValidCurrency")
	}
}
