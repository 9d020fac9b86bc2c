package sales

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestCheckCredit(t *testing.T) {
	d := decimal.RequireFromString
	exposure := func(open, uninvoiced, credit string, overdue int) CreditExposure {
		return CreditExposure{OpenInvoices: d(open), UninvoicedOrders: d(uninvoiced), UnallocatedCredit: d(credit), OldestOverdueDays: overdue}
	}
	for _, tc := range []struct {
		name      string
		limit     string
		hold      bool
		exposure  CreditExposure
		value     string
		grace     int
		want      CreditOutcome
		reason    HoldReason
		available string
		says      string
	}{
		{"nothing owed", "1000", false, exposure("0", "0", "0", 0), "400", 0, CreditApproved, "", "1000", "within the credit limit of 1000"},
		{"exactly at the limit", "1000", false, exposure("300", "300", "0", 0), "400", 0, CreditApproved, "", "400", "exposure with this order is 1000"},
		{"a cent over", "1000", false, exposure("300", "300", "0", 0), "400.01", 0, CreditHeld, HoldCreditLimit, "400", "would be 1000.01, over the credit limit of 1000 (400 available)"},
		{"unallocated credit makes room", "1000", false, exposure("300", "300", "100", 0), "500", 0, CreditApproved, "", "500", "exposure with this order is 1000"},
		{"already over: an order of no value passes", "100", false, exposure("500", "0", "0", 0), "0", 0, CreditApproved, "", "-400", ""},
		{"already over: any value is held", "100", false, exposure("500", "0", "0", 0), "0.01", 0, CreditHeld, HoldCreditLimit, "-400", "over the credit limit of 100"},
		{"zero limit", "0", false, exposure("0", "0", "0", 0), "1", 0, CreditHeld, HoldCreditLimit, "0", ""},
		{"overdue within grace", "1000", false, exposure("100", "0", "0", 10), "1", 10, CreditApproved, "", "900", ""},
		{"overdue past grace", "1000", false, exposure("100", "0", "0", 11), "1", 10, CreditHeld, HoldOverdueInvoices, "900", "11 days overdue; 10 are tolerated"},
		{"overdue outranks the limit", "10", false, exposure("100", "0", "0", 40), "50", 30, CreditHeld, HoldOverdueInvoices, "-90", ""},
		{"hold flag outranks everything", "10", true, exposure("100", "0", "0", 40), "50", 30, CreditHeld, HoldCustomerOnHold, "-90", "customer is on credit hold"},
		{"hold flag with nothing owed", "1000", true, exposure("0", "0", "0", 0), "1", 0, CreditHeld, HoldCustomerOnHold, "1000", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := CheckCredit(d(tc.limit), tc.hold, tc.exposure, d(tc.value), tc.grace)
			if c.Outcome != tc.want {
				t.Fatalf("outcome %s (%s), want %s", c.Outcome, c.Reason, tc.want)
			}
			switch {
			case tc.reason == "" && c.HoldReason != nil:
				t.Fatalf("hold reason %s on an approved check", *c.HoldReason)
			case tc.reason != "" && (c.HoldReason == nil || *c.HoldReason != tc.reason):
				t.Fatalf("hold reason %v, want %s", c.HoldReason, tc.reason)
			}
			if !c.Available().Equal(d(tc.available)) {
				t.Fatalf("available %s, want %s", c.Available(), tc.available)
			}
			if !strings.Contains(c.Reason, tc.says) || c.Reason == "" {
				t.Fatalf("reason %q, want it to say %q", c.Reason, tc.says)
			}
			// The check keeps every input it decided on.
			if !c.Limit.Equal(d(tc.limit)) || c.CreditHold != tc.hold || c.Exposure != tc.exposure || !c.OrderValue.Equal(d(tc.value)) || c.GraceDays != tc.grace {
				t.Fatalf("inputs not kept: %+v", c)
			}
		})
	}
}
