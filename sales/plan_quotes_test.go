package sales

import (
	"strings"
	"testing"
	"time"
)

func TestPlanQuoteConversion(t *testing.T) {
	next := int64(8)
	today := *day("2026-06-10")
	for _, tc := range []struct {
		name  string
		quote Quote
		code  Code
		field string
		parts []string
	}{
		{"accepted and valid", Quote{Number: "QT-1", Revision: 1, Status: QuoteAccepted, ValidUntil: *day("2026-06-10")}, "", "", nil},
		{"not accepted", Quote{Number: "QT-1", Revision: 1, Status: QuoteSent, ValidUntil: *day("2026-07-01")},
			CodeInvalidTransition, "status", []string{"cannot convert a quote that is SENT"}},
		{"superseded", Quote{Number: "QT-1", Revision: 2, Status: QuoteAccepted, SupersededBy: &next, ValidUntil: *day("2026-07-01")},
			CodeInvalidTransition, "id", []string{"quote QT-1-R2 was revised; convert the latest revision"}},
		{"expired", Quote{Number: "QT-1", Revision: 1, Status: QuoteAccepted, ValidUntil: *day("2026-06-09")},
			CodeInvalidTransition, "id", []string{"quote QT-1 expired on 2026-06-09"}},
		{"state is checked before the revision", Quote{Number: "QT-1", Revision: 1, Status: QuoteDraft, SupersededBy: &next, ValidUntil: *day("2026-06-09")},
			CodeInvalidTransition, "status", nil},
	} {
		t.Run(tc.name, func(t *testing.T) { checkErr(t, PlanQuoteConversion(&tc.quote, today), tc.code, tc.field, tc.parts...) })
	}
}

func TestConvertedLines(t *testing.T) {
	list := d("10")
	lines, total := ConvertedLines([]*QuoteLine{
		{ID: 5, LineNo: 2, ProductID: 1, Quantity: d("2"), UnitPrice: d("8"), ListPrice: &list, PriceOverrideReason: "deal",
			DiscountPercent: d("0"), TaxRate: d("0.2"), Subtotal: d("16"), Tax: d("3.2"), Total: d("19.2")},
		{ID: 6, LineNo: 4, ProductID: 2, Quantity: d("1"), UnitPrice: d("5"), Subtotal: d("5"), Tax: d("1"), Total: d("6")},
	})
	if len(lines) != 2 || lines[0].LineNo != 1 || lines[1].LineNo != 2 {
		t.Fatalf("lines are renumbered from 1: %+v", lines)
	}
	if !lines[0].UnitPrice.Equal(d("8")) || lines[0].OverrideReason != "deal" || lines[0].ListPrice == nil || !lines[0].ListPrice.Equal(list) {
		t.Fatalf("the quote's price, list price and reason are kept: %+v", lines[0])
	}
	if !total.Total.Equal(d("25.2")) || !total.Subtotal.Equal(d("21")) {
		t.Fatalf("total %+v", total)
	}
}

func TestCheckQuoteCurrency(t *testing.T) {
	checkErr(t, CheckQuoteCurrency(&Quote{Currency: "EUR"}, &Customer{Code: "C1", Currency: "EUR"}), "", "")
	checkErr(t, CheckQuoteCurrency(&Quote{Currency: "EUR"}, &Customer{Code: "C1", Currency: "USD"}), CodeValidation, "input.lines",
		"customer C1 now trades in USD, not EUR")
}

func TestPlanQuoteAction(t *testing.T) {
	today := *day("2026-06-10")
	active, archived := &Customer{Code: "C1"}, &Customer{Code: "C1", Archived: true}
	next := int64(9)
	for _, tc := range []struct {
		name     string
		quote    Quote
		customer *Customer
		action   QuoteAction
		want     QuoteStatus
		code     Code
		field    string
		parts    []string
	}{
		{"send a draft", Quote{Number: "QT-1", Status: QuoteDraft, ValidUntil: *day("2026-07-01")}, active, QuoteSend, QuoteSent, "", "", nil},
		{"accept a sent quote", Quote{Number: "QT-1", Status: QuoteSent, ValidUntil: *day("2026-07-01")}, active, QuoteAccept, QuoteAccepted, "", "", nil},
		{"send for an archived customer", Quote{Number: "QT-1", Status: QuoteDraft, ValidUntil: *day("2026-07-01")}, archived, QuoteSend, "",
			CodeValidation, "id", []string{"customer C1 is archived"}},
		{"accept for an archived customer", Quote{Number: "QT-1", Status: QuoteSent, ValidUntil: *day("2026-07-01")}, archived, QuoteAccept, "", CodeValidation, "id", nil},
		{"edit for an archived customer", Quote{Number: "QT-1", Status: QuoteDraft, ValidUntil: *day("2026-07-01")}, archived, QuoteEdit, "", CodeValidation, "id", nil},
		{"revise for an archived customer", Quote{Number: "QT-1", Status: QuoteSent, ValidUntil: *day("2026-07-01")}, archived, QuoteRevise, "", CodeValidation, "id", nil},
		{"cancel for an archived customer", Quote{Number: "QT-1", Status: QuoteSent, ValidUntil: *day("2026-07-01")}, archived, QuoteCancel, QuoteCancelled, "", "", nil},
		{"reject for an archived customer", Quote{Number: "QT-1", Status: QuoteSent, ValidUntil: *day("2026-07-01")}, archived, QuoteReject, QuoteRejected, "", "", nil},
		{"the state table comes first", Quote{Number: "QT-1", Status: QuoteAccepted, ValidUntil: *day("2026-07-01")}, archived, QuoteSend, "",
			CodeInvalidTransition, "status", []string{"cannot send a quote that is ACCEPTED"}},
		{"a superseded revision refuses", Quote{Number: "QT-1", Revision: 1, Status: QuoteSent, SupersededBy: &next, ValidUntil: *day("2026-07-01")}, active, QuoteAccept, "",
			CodeInvalidTransition, "status", []string{"QT-1-R2 supersedes it"}},
		{"accept past validUntil", Quote{Number: "QT-1", Status: QuoteSent, ValidUntil: *day("2026-06-09")}, active, QuoteAccept, "",
			CodeInvalidTransition, "validUntil", []string{"expired on 2026-06-09"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to, err := PlanQuoteAction(&tc.quote, tc.customer, tc.action, today)
			checkErr(t, err, tc.code, tc.field, tc.parts...)
			if tc.code == "" && to != tc.want {
				t.Fatalf("leads to %s, want %s", to, tc.want)
			}
		})
	}
}

func TestQuoteTerms(t *testing.T) {
	today := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)
	yesterday, nextYear := today.AddDate(0, 0, -1), today.AddDate(1, 0, 0)
	long := strings.Repeat("n", 4001)
	for _, tc := range []struct {
		name      string
		in        NewQuote
		wantField string
	}{
		{"today is still valid", NewQuote{ValidUntil: today, Notes: " call first "}, ""},
		{"yesterday", NewQuote{ValidUntil: yesterday}, "input.validUntil"},
		{"year 3000", NewQuote{ValidUntil: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}, "input.validUntil"},
		{"notes too long", NewQuote{ValidUntil: nextYear, Notes: long}, "input.notes"},
	} {
		t.Run("new/"+tc.name, func(t *testing.T) {
			got, err := CheckNewQuote(tc.in, today)
			checkField(t, err, tc.wantField)
			if err == nil && got.Notes != strings.TrimSpace(tc.in.Notes) {
				t.Fatalf("notes %q, want them trimmed", got.Notes)
			}
		})
	}
	// An edit revalidates the date even when it does not change it: a quote
	// past its date must be given a new one.
	stale := Quote{ValidUntil: yesterday, Notes: "old"}
	notes := "  new notes "
	checkField(t, ApplyQuoteTerms(&stale, QuoteChange{Notes: &notes}, today), "input.validUntil")
	q := Quote{ValidUntil: yesterday}
	if err := ApplyQuoteTerms(&q, QuoteChange{ValidUntil: &nextYear, Notes: &notes}, today); err != nil {
		t.Fatal(err)
	}
	if !q.ValidUntil.Equal(nextYear) || q.Notes != "new notes" {
		t.Fatalf("applied %v %q; want %v and the notes trimmed", q.ValidUntil, q.Notes, nextYear)
	}
	checkField(t, CheckIdempotencyKey(""), "idempotencyKey")
	checkField(t, CheckIdempotencyKey(strings.Repeat("k", 256)), "idempotencyKey")
	checkField(t, CheckIdempotencyKey(strings.Repeat("k", 255)), "")
}

// checkField fails unless err is VALIDATION on want, or nil when want is "".
func checkField(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	e, ok := AsError(err)
	if !ok || e.Code != CodeValidation || e.Field != want {
		t.Fatalf("got %v; want VALIDATION on %s", err, want)
	}
}
