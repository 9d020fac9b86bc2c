package sales

import (
	"time"

	"github.com/shopspring/decimal"
)

// Customer balance and statement (docs/domain.md, "Reports"). A customer's
// ledger, in the customer's currency, is every dated movement of what they
// owe: an issued invoice is a debit, its void a credit; an issued credit
// note a credit, its void a debit; a payment received a credit, a refund of
// it a debit; a write-off a credit. The balance is the sum of the whole
// ledger: open invoice balances (disputed included) less unallocated
// payments and unapplied credit notes. A statement is the ledger between
// two dates with the balance before (opening) and after (closing).

// StatementKind is what moved a customer's balance.
type StatementKind string

const (
	StatementInvoice        StatementKind = "INVOICE"
	StatementInvoiceVoid    StatementKind = "INVOICE_VOID"
	StatementCreditNote     StatementKind = "CREDIT_NOTE"
	StatementCreditNoteVoid StatementKind = "CREDIT_NOTE_VOID"
	StatementPayment        StatementKind = "PAYMENT"
	StatementRefund         StatementKind = "REFUND"
	StatementWriteOff       StatementKind = "WRITE_OFF"
)

// StatementKinds lists every kind, in the order lines of one day are listed.
var StatementKinds = []StatementKind{StatementInvoice, StatementCreditNote, StatementPayment, StatementRefund,
	StatementWriteOff, StatementInvoiceVoid, StatementCreditNoteVoid}

// StatementLine is one movement of a customer's balance.
type StatementLine struct {
	Date     time.Time       `db:"date"`
	Kind     StatementKind   `db:"kind"`
	DocType  DocumentType    `db:"doc_type"` // INVOICE (invoices and credit notes), PAYMENT, or "" (a write-off)
	DocID    int64           `db:"doc_id"`
	Number   string          `db:"number"`
	Debit    decimal.Decimal `db:"debit"`
	Credit   decimal.Decimal `db:"credit"`
	Balance  decimal.Decimal `db:"-"` // after the line
	Currency string          `db:"-"` // the statement's
	Sequence int64           `db:"seq"`
}

// Statement is a customer's ledger between two dates (both included).
type Statement struct {
	CustomerID     int64
	Currency       string
	From, To       time.Time
	OpeningBalance decimal.Decimal
	ClosingBalance decimal.Decimal
	Lines          []*StatementLine
}

// Statement limits: a period of at most MaxStatementDays days, and at most
// MaxStatementLines lines (a longer one is refused: ask for a shorter period).
const (
	MaxStatementDays  = 366
	MaxStatementLines = 500
)

// CheckStatementPeriod validates a statement's period.
func CheckStatementPeriod(from, to time.Time) error {
	from, to = dateOnly(from), dateOnly(to)
	if to.Before(from) {
		return Errorf(CodeValidation, "to", "to (%s) is before from (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > MaxStatementDays {
		return Errorf(CodeValidation, "to", "a statement covers at most %d days; this period has %d", MaxStatementDays, days)
	}
	return nil
}

// CheckStatementLines refuses a period with more than MaxStatementLines lines.
func CheckStatementLines(n int) error {
	if n > MaxStatementLines {
		return Errorf(CodeValidation, "to", "a statement lists at most %d lines and this period has more; ask for a shorter period", MaxStatementLines)
	}
	return nil
}

// BuildStatement puts lines (in date order) after the opening balance and
// runs the balance through them.
func BuildStatement(customerID int64, currency string, from, to time.Time, opening decimal.Decimal, lines []*StatementLine) *Statement {
	st := &Statement{CustomerID: customerID, Currency: currency, From: dateOnly(from), To: dateOnly(to), OpeningBalance: opening, Lines: lines}
	bal := opening
	for _, l := range lines {
		bal = bal.Add(l.Debit).Sub(l.Credit)
		l.Balance = bal
		l.Currency = currency
	}
	st.ClosingBalance = bal
	if st.Lines == nil {
		st.Lines = []*StatementLine{}
	}
	return st
}
