package sales

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestCheckStatementPeriod(t *testing.T) {
	day := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		from, to time.Time
		text     string // "" when allowed
	}{
		{"one day", day, day.Add(5 * time.Hour), ""},
		{"366 days", day, day.AddDate(0, 0, 365), ""},
		{"367 days", day, day.AddDate(0, 0, 366), "a statement covers at most 366 days; this period has 367"},
		{"backwards", day, day.AddDate(0, 0, -1), "to (2026-02-28) is before from (2026-03-01)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckStatementPeriod(c.from, c.to)
			if c.text == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantError(t, err, CodeValidation, "to", c.text)
		})
	}
}

func TestCheckStatementLines(t *testing.T) {
	if err := CheckStatementLines(MaxStatementLines); err != nil {
		t.Fatalf("%d lines refused: %v", MaxStatementLines, err)
	}
	wantError(t, CheckStatementLines(MaxStatementLines+1), CodeValidation, "to",
		"a statement lists at most 500 lines and this period has more; ask for a shorter period")
}

// TestBuildStatement: the balance runs through the lines from the opening
// one; the closing is the last line's; no lines close at the opening.
func TestBuildStatement(t *testing.T) {
	d := decimal.RequireFromString
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	lines := []*StatementLine{
		{Kind: StatementInvoice, Debit: d("119.00"), Credit: d("0")},
		{Kind: StatementPayment, Debit: d("0"), Credit: d("50.00")},
		{Kind: StatementRefund, Debit: d("5.00"), Credit: d("0")},
		{Kind: StatementWriteOff, Debit: d("0"), Credit: d("74.00")},
	}
	st := BuildStatement(7, "EUR", day, day, d("10.00"), lines)
	var got []string
	for _, l := range st.Lines {
		got = append(got, l.Balance.StringFixed(2))
		if l.Currency != "EUR" {
			t.Errorf("line %+v without the statement's currency", l)
		}
	}
	if want := "129.00 79.00 84.00 10.00"; join(got) != want || !st.ClosingBalance.Equal(d("10")) || !st.OpeningBalance.Equal(d("10")) {
		t.Fatalf("balances %s closing %s, want %s closing 10.00", join(got), st.ClosingBalance, want)
	}
	if empty := BuildStatement(7, "EUR", day, day, d("3"), nil); empty.Lines == nil || !empty.ClosingBalance.Equal(d("3")) {
		t.Fatalf("a period without lines: %+v", empty)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
