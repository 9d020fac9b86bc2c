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

// AgingBuckets is an open amount split by days past due.
type AgingBuckets struct {
	Current    decimal.Decimal // not yet due
	Days1To30  decimal.Decimal
	Days31To60 decimal.Decimal
	Days61To90 decimal.Decimal
	Over90     decimal.Decimal
	Disputed   decimal.Decimal // disputed invoices, whatever their age
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
	case days <= 30:
		b.Days1To30 = b.Days1To30.Add(r.Open)
	case days <= 60:
		b.Days31To60 = b.Days31To60.Add(r.Open)
	case days <= 90:
		b.Days61To90 = b.Days61To90.Add(r.Open)
	default:
		b.Over90 = b.Over90.Add(r.Open)
	}
}

// AgingLine is one customer's (or the total's) aging in one currency.
type AgingLine struct {
	CustomerID int64 // 0 on a total line
	Currency   string
	AgingBuckets
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
