package sales

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func quoteDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCheckQuoteAction(t *testing.T) {
	t.Parallel()
	today := quoteDay("2026-11-28").Add(23 * time.Hour) // late in the day still counts as the 28th
	superseding := int64(9)
	for _, tc := range []struct {
		name       string
		status     QuoteStatus
		validUntil string
		superseded bool
		action     QuoteAction
		want       QuoteStatus
		code       Code
		field, msg string
	}{
		{"SendDraft", QuoteDraft, "2026-12-31", false, QuoteSend, QuoteSent, "", "", ""},
		{"SendOnLastDay", QuoteDraft, "2026-11-28", false, QuoteSend, QuoteSent, "", "", ""},
		{"SendExpiredDraft", QuoteDraft, "2026-11-27", false, QuoteSend, "", CodeInvalidTransition, "validUntil", "expired on 2026-11-27"},
		{"AcceptOnLastDay", QuoteSent, "2026-11-28", false, QuoteAccept, QuoteAccepted, "", "", ""},
		{"AcceptExpired", QuoteSent, "2026-11-27", false, QuoteAccept, "", CodeInvalidTransition, "validUntil", "expired on 2026-11-27"},
		{"ExpireTooEarly", QuoteSent, "2026-11-28", false, QuoteExpire, "", CodeValidation, "validUntil", "valid until 2026-11-28"},
		{"ExpirePast", QuoteSent, "2026-11-27", false, QuoteExpire, QuoteExpired, "", "", ""},
		{"RejectExpiredStillAllowed", QuoteSent, "2026-11-01", false, QuoteReject, QuoteRejected, "", "", ""},
		{"StateTableFirst", QuoteAccepted, "2026-11-01", false, QuoteAccept, "", CodeInvalidTransition, "status", "that is ACCEPTED"},
		{"SupersededRefusesAll", QuoteSent, "2026-12-31", true, QuoteCancel, "", CodeInvalidTransition, "status", "QT-2026-000001-R3 supersedes it"},
		{"SupersededCannotReviseAgain", QuoteSent, "2026-12-31", true, QuoteRevise, "", CodeInvalidTransition, "status", "R3 supersedes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &Quote{Number: "QT-2026-000001", Revision: 2, Status: tc.status, ValidUntil: quoteDay(tc.validUntil)}
			if tc.superseded {
				q.SupersededBy = &superseding
			}
			got, err := CheckQuoteAction(q, tc.action, today)
			if tc.code == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %s, %v; want %s", got, err, tc.want)
				}
				return
			}
			e, ok := AsError(err)
			if !ok || e.Code != tc.code || e.Field != tc.field || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("err = %v; want %s on %s containing %q", err, tc.code, tc.field, tc.msg)
			}
		})
	}
}

func TestCheckQuoteReason(t *testing.T) {
	t.Parallel()
	if _, err := CheckQuoteReason(QuoteReject, "  "); CodeOf(err) != CodeValidation {
		t.Fatalf("blank reject reason: %v", err)
	}
	if _, err := CheckQuoteReason(QuoteCancel, ""); CodeOf(err) != CodeValidation {
		t.Fatalf("blank cancel reason: %v", err)
	}
	if r, err := CheckQuoteReason(QuoteAccept, ""); err != nil || r != "" {
		t.Fatalf("accept needs no reason: %q %v", r, err)
	}
	if r, err := CheckQuoteReason(QuoteReject, " too dear "); err != nil || r != "too dear" {
		t.Fatalf("trimmed reason: %q %v", r, err)
	}
	if _, err := CheckQuoteReason(QuoteReject, strings.Repeat("x", 501)); CodeOf(err) != CodeValidation {
		t.Fatalf("long reason: %v", err)
	}
}

func TestParseQuoteNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]struct {
		base string
		rev  int
	}{
		"QT-2026-000123":       {"QT-2026-000123", 0},
		" qt-2026-000123-r2 ":  {"QT-2026-000123", 2},
		"QT-2026-000123-R0":    {"QT-2026-000123-R0", 0},
		"QT-2026-000123-R12":   {"QT-2026-000123", 12},
		"QT-2026-000123-Rx":    {"QT-2026-000123-RX", 0},
		"-R2":                  {"-R2", 0},
		"QT-2026-000123-R2-R3": {"QT-2026-000123-R2", 3},
	} {
		base, rev := ParseQuoteNumber(in)
		if base != want.base || rev != want.rev {
			t.Errorf("ParseQuoteNumber(%q) = %q, %d; want %q, %d", in, base, rev, want.base, want.rev)
		}
	}
}

func TestCheckValidUntil(t *testing.T) {
	t.Parallel()
	today := quoteDay("2026-11-28")
	for v, ok := range map[string]bool{"2026-11-27": false, "2026-11-28": true, "2027-01-01": true} {
		var p Problems
		CheckValidUntil(&p, "input.validUntil", quoteDay(v), today)
		if (p.Err() == nil) != ok {
			t.Errorf("validUntil %s: %v, want ok=%v", v, p.Err(), ok)
		}
	}
}

func TestDiffQuoteLines(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	ln := func(product int64, qty, price, discount string) *QuoteLine {
		return &QuoteLine{ProductID: product, Quantity: d(qty), UnitPrice: d(price), DiscountPercent: d(discount)}
	}
	before := []*QuoteLine{ln(1, "10", "5", "0"), ln(2, "3", "7", "0"), ln(3, "1", "1", "0"), ln(4, "2", "2", "0"), ln(5, "1", "9", "0")}
	after := []*QuoteLine{
		ln(1, "10.000", "5.00", "0"), // unchanged (numerically equal)
		ln(2, "4", "7", "0"),         // quantity
		ln(4, "2", "2", "5"),         // discount → repriced
		ln(5, "2", "8", "0"),         // both
		ln(6, "1", "1", "0"),         // added
	}
	got := DiffQuoteLines(before, after)
	want := []struct {
		kind    QuoteLineChangeKind
		product int64
	}{{QuoteLineQuantityChanged, 2}, {QuoteLineRepriced, 4}, {QuoteLineRepriced, 5}, {QuoteLineQuantityChanged, 5}, {QuoteLineAdded, 6}, {QuoteLineRemoved, 3}}
	if len(got) != len(want) {
		t.Fatalf("got %d changes %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || g.ProductID != w.product {
			t.Errorf("change %d = %s/%d, want %s/%d", i, g.Kind, g.ProductID, w.kind, w.product)
		}
		if (g.Kind == QuoteLineAdded) != (g.Before == nil) || (g.Kind == QuoteLineRemoved) != (g.After == nil) {
			t.Errorf("change %d: before/after %v/%v", i, g.Before, g.After)
		}
	}

	// A product on two lines: the n-th line before pairs with the n-th after.
	dup := DiffQuoteLines([]*QuoteLine{ln(1, "1", "5", "0"), ln(1, "2", "5", "10")}, []*QuoteLine{ln(1, "1", "5", "0")})
	if len(dup) != 1 || dup[0].Kind != QuoteLineRemoved || !dup[0].Before.Quantity.Equal(d("2")) {
		t.Fatalf("duplicate product: %+v", dup)
	}
	if got := DiffQuoteLines(nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("no lines: %#v", got)
	}
}
