package sales

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Receivables aging (docs/domain.md, "Reports"): what customers owe, by how
// long it is past due on a day, per currency. Disputed invoices stay in what
// is owed but in a column of their own, as they are out of dunning.

// Receivable is one open amount: an invoice's balance on the report's day.
type Receivable struct {
	CustomerID int64
	Currency   string
	DueDate    time.Time
	Open       decimal.Decimal
	Disputed   bool
}

// AgingBucketEnds are the last days past due of the 1–30, 31–60 and 61–90
// buckets; anything later is over 90, anything not yet past due current.
// The SQL of the served report (db/reports.go) takes them as parameters, so
// Go and SQL bucket the same way.
var AgingBucketEnds = [3]int{30, 60, 90}

// AgingBuckets is an open amount split by days past due.
type AgingBuckets struct {
	Current    decimal.Decimal `db:"current_amount"` // not yet due
	Days1To30  decimal.Decimal `db:"days_1_30"`
	Days31To60 decimal.Decimal `db:"days_31_60"`
	Days61To90 decimal.Decimal `db:"days_61_90"`
	Over90     decimal.Decimal `db:"over_90"`
	Disputed   decimal.Decimal `db:"disputed"` // disputed invoices, whatever their age
}

// Total is every column added up: the open balance.
func (b AgingBuckets) Total() decimal.Decimal {
	return b.Current.Add(b.Days1To30).Add(b.Days31To60).Add(b.Days61To90).Add(b.Over90).Add(b.Disputed)
}

func (b *AgingBuckets) add(r Receivable, asOf time.Time) {
	switch days := daysPastDue(r.DueDate, asOf); {
	case r.Disputed:
		b.Disputed = b.Disputed.Add(r.Open)
	case days <= 0:
		b.Current = b.Current.Add(r.Open)
	case days <= AgingBucketEnds[0]:
		b.Days1To30 = b.Days1To30.Add(r.Open)
	case days <= AgingBucketEnds[1]:
		b.Days31To60 = b.Days31To60.Add(r.Open)
	case days <= AgingBucketEnds[2]:
		b.Days61To90 = b.Days61To90.Add(r.Open)
	default:
		b.Over90 = b.Over90.Add(r.Open)
	}
}

// AgingLine is one customer's (or the total's) aging in one currency.
type AgingLine struct {
	CustomerID int64  `db:"customer_id"` // 0 on a total line
	Currency   string `db:"currency"`
	AgingBuckets
	// UnappliedCredit is what the customer has to their credit in the
	// currency: payments not allocated nor refunded, and credit notes not
	// applied. Aging leaves it zero (it ages invoices only); the served
	// report reads it alongside.
	UnappliedCredit decimal.Decimal `db:"unapplied_credit"`
}

// Net is what the customer owes less what they have to their credit.
func (l AgingLine) Net() decimal.Decimal { return l.Total().Sub(l.UnappliedCredit) }

// Overdue is what is past due (disputed invoices, out of dunning, aside).
func (b AgingBuckets) Overdue() decimal.Decimal {
	return b.Days1To30.Add(b.Days31To60).Add(b.Days61To90).Add(b.Over90)
}

// AgingFilter narrows the aging's customer lines; OwnerID limits them to a
// sales rep's own customers (set from the viewer, never from input).
type AgingFilter struct {
	Currency    *string
	CustomerID  *int64
	OverdueOnly bool
	OwnerID     *int64
}

// AgingReport is the aging on a day: a line per customer and currency, and a
// total line per currency. Currencies are never added together.
type AgingReport struct {
	AsOf      time.Time
	Customers []AgingLine // by customer, then currency
	Totals    []AgingLine // by currency
}

// daysPastDue is how many whole days past due a date is on asOf: 0 on the
// due date, negative before it. Only the calendar dates count.
func daysPastDue(due, asOf time.Time) int {
	return int(dateOnly(asOf).Sub(dateOnly(due)).Hours() / 24)
}

// Aging builds the report of receivables on asOf. Amounts are added as
// they are (already rounded per currency), so each total equals the sum of
// the open balances to the cent.
func Aging(asOf time.Time, receivables []Receivable) AgingReport {
	type key struct {
		customer int64
		currency string
	}
	byCustomer := map[key]*AgingBuckets{}
	byCurrency := map[string]*AgingBuckets{}
	for _, r := range receivables {
		if !r.Open.IsPositive() {
			continue
		}
		k := key{r.CustomerID, r.Currency}
		if byCustomer[k] == nil {
			byCustomer[k] = &AgingBuckets{}
		}
		if byCurrency[r.Currency] == nil {
			byCurrency[r.Currency] = &AgingBuckets{}
		}
		byCustomer[k].add(r, asOf)
		byCurrency[r.Currency].add(r, asOf)
	}
	report := AgingReport{AsOf: asOf, Customers: []AgingLine{}, Totals: []AgingLine{}}
	for k, b := range byCustomer {
		report.Customers = append(report.Customers, AgingLine{CustomerID: k.customer, Currency: k.currency, AgingBuckets: *b})
	}
	for c, b := range byCurrency {
		report.Totals = append(report.Totals, AgingLine{Currency: c, AgingBuckets: *b})
	}
	sort.Slice(report.Customers, func(i, j int) bool {
		a, b := report.Customers[i], report.Customers[j]
		if a.CustomerID != b.CustomerID {
			return a.CustomerID < b.CustomerID
		}
		return a.Currency < b.Currency
	})
	sort.Slice(report.Totals, func(i, j int) bool { return report.Totals[i].Currency < report.Totals[j].Currency })
	return report
}
