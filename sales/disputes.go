package sales

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The dispute (docs/domain.md, "Disputes"): a customer's refusal to pay all
// or some lines of an issued invoice. Opening one moves the invoice to
// DISPUTED (still owed, so still in the customer's exposure, but no longer
// dunned and taking no payments); resolving it ends it one of three ways:
// the customer pays after all (the invoice goes back to the state its paid
// amount says), a credit note (issued and applied to the invoice in the
// same transaction), or a write-off (the invoice is WRITTEN_OFF and its
// balance recorded as bad debt, with who and why). db locks the customer,
// the order, its lines, the invoice, then the dispute, and writes what
// these decide.

// The dispute's states, DisputeStatus and DisputeStatuses, are beside its
// description in disputes_types.go.

// DisputeAction is something done to a dispute.
type DisputeAction string

// Dispute actions.
const DisputeResolve DisputeAction = "RESOLVE"

var disputeMachine = machine[DisputeStatus, DisputeAction]{
	DisputeOpen: {DisputeResolve: DisputeResolved},
}

// DisputeActions lists every action.
var DisputeActions = []DisputeAction{DisputeResolve}

// NextDisputeStatus returns the state action leads to, or INVALID_TRANSITION.
func NextDisputeStatus(from DisputeStatus, action DisputeAction) (DisputeStatus, error) {
	return disputeMachine.next("dispute", from, action)
}

// DisputeReason is why the customer refuses to pay.
type DisputeReason string

// Dispute reasons (the disputes_reason_code_known CHECK holds the same list).
const (
	ReasonPrice        DisputeReason = "PRICE"
	ReasonQuantity     DisputeReason = "QUANTITY"
	ReasonDamaged      DisputeReason = "DAMAGED"
	ReasonNotDelivered DisputeReason = "NOT_DELIVERED"
	ReasonQuality      DisputeReason = "QUALITY"
	ReasonOther        DisputeReason = "OTHER"
)

// DisputeReasons lists every reason.
var DisputeReasons = []DisputeReason{ReasonPrice, ReasonQuantity, ReasonDamaged, ReasonNotDelivered, ReasonQuality, ReasonOther}

// DisputeResolution is how a dispute ended.
type DisputeResolution string

// Dispute resolutions.
const (
	ResolutionCustomerPays DisputeResolution = "CUSTOMER_PAYS"
	ResolutionCreditNote   DisputeResolution = "CREDIT_NOTE"
	ResolutionWriteOff     DisputeResolution = "WRITE_OFF"
)

// DisputeResolutions lists every resolution.
var DisputeResolutions = []DisputeResolution{ResolutionCustomerPays, ResolutionCreditNote, ResolutionWriteOff}

// Limits of a dispute's text.
const (
	// MaxDisputeNotes is the most characters a dispute's notes may have.
	MaxDisputeNotes = 2000
	// MaxResolutionNote is the most characters a resolution's note may have.
	MaxResolutionNote = 1000
)

// Dispute is a customer's refusal to pay all or some of an invoice. Its
// amount is the invoice's balance when it names no lines, else the sum of
// its lines (each priced as the invoice line).
type Dispute struct {
	ID             int64              `db:"id"`
	Number         string             `db:"number"`
	InvoiceID      int64              `db:"invoice_id"`
	CustomerID     int64              `db:"customer_id"`
	Status         DisputeStatus      `db:"status"`
	ReasonCode     DisputeReason      `db:"reason_code"`
	Notes          string             `db:"notes"`
	Currency       string             `db:"currency"`
	DisputedAmount decimal.Decimal    `db:"disputed_amount"`
	Resolution     *DisputeResolution `db:"resolution"`
	ResolutionNote *string            `db:"resolution_note"`
	CreditNoteID   *int64             `db:"credit_note_id"`
	ResolvedAt     *time.Time         `db:"resolved_at"`
	ResolvedBy     *int64             `db:"resolved_by"`
	CreatedBy      *int64             `db:"created_by"`
	Version        int                `db:"version"`
	CreatedAt      time.Time          `db:"created_at"`
	UpdatedAt      time.Time          `db:"updated_at"`
}

// DisputeLine is a quantity of one invoice line the customer refuses to
// pay, priced as the invoice line.
type DisputeLine struct {
	ID            int64           `db:"id"`
	DisputeID     int64           `db:"dispute_id"`
	InvoiceLineID int64           `db:"invoice_line_id"`
	Quantity      decimal.Decimal `db:"quantity"`
	Amount        decimal.Decimal `db:"amount"`
}

// WriteOff is an invoice's balance given up as bad debt: who and why.
type WriteOff struct {
	ID           int64           `db:"id"`
	InvoiceID    int64           `db:"invoice_id"`
	DisputeID    *int64          `db:"dispute_id"`
	CustomerID   int64           `db:"customer_id"`
	Currency     string          `db:"currency"`
	Amount       decimal.Decimal `db:"amount"`
	Reason       string          `db:"reason"`
	WrittenOffAt time.Time       `db:"written_off_at"`
	WrittenOffBy int64           `db:"written_off_by"`
}

// DisputeFilter narrows a list of disputes; OwnerID limits it to a sales
// rep's own customers (set from the viewer, never from input).
type DisputeFilter struct {
	Statuses   []DisputeStatus
	CustomerID *int64
	InvoiceID  *int64
	OwnerID    *int64
}

// NewDispute asks to dispute an invoice: all of its balance (no lines) or
// the lines given.
type NewDispute struct {
	InvoiceID  int64
	ReasonCode DisputeReason
	Notes      string
	Lines      []DisputeLineInput
}

// DisputeLineInput is a quantity of one invoice line.
type DisputeLineInput struct {
	InvoiceLineID int64
	Quantity      decimal.Decimal
}

// CheckNewDispute validates a request before anything is read: a known
// reason, notes within MaxDisputeNotes, at most MaxLines lines, each with a
// valid quantity (VALIDATION naming the field).
func CheckNewDispute(in NewDispute) error {
	var p Problems
	p.Check(slices.Contains(DisputeReasons, in.ReasonCode), "input.reasonCode", "unknown reason code %q", in.ReasonCode)
	CheckText(&p, "input.notes", in.Notes, 0, MaxDisputeNotes)
	p.Check(len(in.Lines) <= MaxLines, "input.lines", "a dispute may name at most %d lines", MaxLines)
	for i, l := range in.Lines {
		CheckQuantity(&p, fmt.Sprintf("input.lines.%d.quantity", i), l.Quantity)
	}
	return p.Err()
}

// DisputeSnapshot is what deciding a new dispute needs.
type DisputeSnapshot struct {
	Invoice    *Invoice       // locked
	Lines      []*InvoiceLine // the invoice's lines
	OpenNumber string         // the invoice's open dispute, if any
	Disputes   int            // the invoice's disputes so far
	Input      NewDispute
}

// PlannedDisputeLine is one line of a new dispute, priced.
type PlannedDisputeLine struct {
	InvoiceLineID int64
	Quantity      decimal.Decimal
	Amount        decimal.Decimal
}

// DisputePlan is a new dispute to write, and the invoice's move to DISPUTED.
type DisputePlan struct {
	Status        DisputeStatus
	ReasonCode    DisputeReason
	Notes         string
	Currency      string
	Amount        decimal.Decimal
	Lines         []PlannedDisputeLine // in invoice line order
	InvoiceStatus InvoiceStatus
	InvoiceEvent  PlannedEvent
	Event         PlannedEvent
}

// PlanDispute decides disputing an invoice. Only an ISSUED or
// PARTIALLY_PAID invoice with a balance can be disputed, once at a time
// and at most MaxDisputesPerInvoice times (INVALID_TRANSITION or
// VALIDATION on input.invoiceId). Without lines the whole balance is
// disputed; with lines each must be on the invoice, appear once and ask
// for at most its invoiced quantity (VALIDATION naming the line), each is
// priced as the invoice line, and together they may not exceed the balance
// (VALIDATION on input.lines).
func PlanDispute(s DisputeSnapshot) (DisputePlan, error) {
	inv := s.Invoice
	name := deref(inv.Number)
	if inv.Status == InvoiceDisputed {
		return DisputePlan{}, Errorf(CodeInvalidTransition, "input.invoiceId", "invoice %s is already disputed (%s): resolve that dispute first", name, s.OpenNumber)
	}
	next, err := NextInvoiceStatus(inv.Status, InvoiceDispute)
	if err != nil {
		return DisputePlan{}, Errorf(CodeInvalidTransition, "input.invoiceId", "cannot dispute invoice %s: it is %s; only an issued invoice with a balance can be disputed", name, inv.Status)
	}
	balance := inv.Balance()
	if !balance.IsPositive() {
		return DisputePlan{}, Errorf(CodeValidation, "input.invoiceId", "invoice %s has no balance to dispute", name)
	}
	if err := CheckDisputeLimit(s.Disputes); err != nil {
		return DisputePlan{}, err
	}
	if err := CheckNewDispute(s.Input); err != nil {
		return DisputePlan{}, err
	}
	plan := DisputePlan{Status: DisputeOpen, ReasonCode: s.Input.ReasonCode, Notes: strings.TrimSpace(s.Input.Notes),
		Currency: inv.Currency, Amount: balance, InvoiceStatus: next}
	if len(s.Input.Lines) > 0 {
		lines, total, err := priceLines(s.Lines, s.Input.Lines, nil, inv.Currency, "input.lines", "invoiced")
		if err != nil {
			return DisputePlan{}, err
		}
		if total.GreaterThan(balance) {
			return DisputePlan{}, Errorf(CodeValidation, "input.lines", "the lines come to %s, more than the balance of invoice %s (%s)",
				money(total, inv.Currency), name, money(balance, inv.Currency))
		}
		plan.Amount = total
		for _, l := range lines {
			plan.Lines = append(plan.Lines, PlannedDisputeLine{InvoiceLineID: l.InvoiceLineID, Quantity: l.Quantity, Amount: l.Total})
		}
	}
	from := string(inv.Status)
	plan.InvoiceEvent = PlannedEvent{Action: string(InvoiceDispute), From: &from, To: string(next),
		Reason: fmt.Sprintf("%s disputed (%s)", money(plan.Amount, inv.Currency), plan.ReasonCode)}
	plan.Event = PlannedEvent{Action: "CREATE", To: string(DisputeOpen), Reason: fmt.Sprintf("invoice %s: %s", name, plan.ReasonCode)}
	return plan, nil
}

// PlannedCreditLine is a quantity of one invoice line to credit, priced as
// the invoice line (which is priced as its order line).
type PlannedCreditLine struct {
	InvoiceLineID   int64
	OrderLineID     int64
	Quantity        decimal.Decimal
	UnitPrice       decimal.Decimal
	DiscountPercent decimal.Decimal
	TaxRate         decimal.Decimal
	Amounts
}

// priceLines prices quantities of invoice lines: each must be on the
// invoice (lines), appear once, and ask for at most its limit: the disputed
// quantity when within is given, else the invoice line's quantity. Returns
// them in invoice line order and their total; VALIDATION names the input's
// line (field.N.invoiceLineId or field.N.quantity).
func priceLines(lines []*InvoiceLine, in []DisputeLineInput, within map[int64]decimal.Decimal, currency, field, limitName string) ([]PlannedCreditLine, decimal.Decimal, error) {
	byID := make(map[int64]*InvoiceLine, len(lines))
	for _, l := range lines {
		byID[l.ID] = l
	}
	want := map[int64]decimal.Decimal{}
	for i, x := range in {
		l, ok := byID[x.InvoiceLineID]
		if ok && within != nil {
			_, ok = within[l.ID]
		}
		if !ok {
			what := "that line is not on the invoice"
			if within != nil {
				what = "that line is not disputed"
			}
			return nil, decimal.Zero, Errorf(CodeValidation, fmt.Sprintf("%s.%d.invoiceLineId", field, i), "%s", what)
		}
		if _, dup := want[l.ID]; dup {
			return nil, decimal.Zero, Errorf(CodeValidation, fmt.Sprintf("%s.%d.invoiceLineId", field, i), "each invoice line may appear once")
		}
		most := l.Quantity
		if within != nil {
			most = within[l.ID]
		}
		if !x.Quantity.IsPositive() {
			return nil, decimal.Zero, Errorf(CodeValidation, fmt.Sprintf("%s.%d.quantity", field, i), "quantity must be positive")
		}
		if x.Quantity.GreaterThan(most) {
			return nil, decimal.Zero, Errorf(CodeValidation, fmt.Sprintf("%s.%d.quantity", field, i), "more than was %s: %s of line %d", limitName, most, l.LineNo)
		}
		want[l.ID] = x.Quantity
	}
	var out []PlannedCreditLine
	total := decimal.Zero
	for _, l := range lines {
		q, ok := want[l.ID]
		if !ok {
			continue
		}
		a := LineAmounts(q, l.UnitPrice, l.DiscountPercent, l.TaxRate, currency)
		out = append(out, PlannedCreditLine{InvoiceLineID: l.ID, OrderLineID: l.OrderLineID, Quantity: q, UnitPrice: l.UnitPrice,
			DiscountPercent: l.DiscountPercent, TaxRate: l.TaxRate, Amounts: a})
		total = total.Add(a.Total)
	}
	return out, total, nil
}

// DisputeResolutionInput is how to end a dispute: the resolution, a note
// (the reason, required for a write-off) and, for a partial credit note,
// the lines and quantities to credit.
type DisputeResolutionInput struct {
	Resolution  DisputeResolution
	Note        string
	CreditLines []DisputeLineInput
}

// ResolutionSnapshot is what deciding a dispute's resolution needs.
type ResolutionSnapshot struct {
	Dispute      *Dispute       // locked
	Lines        []*DisputeLine // the dispute's lines
	Invoice      *Invoice       // locked
	InvoiceLines []*InvoiceLine
	Input        DisputeResolutionInput
}

// PlannedWriteOff is the bad debt a write-off records.
type PlannedWriteOff struct {
	Amount decimal.Decimal
	Reason string
}

// ResolutionPlan is a dispute's end: its state and history row, the
// invoice's state and history row, and what the resolution brings: a
// credit note's lines (applied to the invoice, which then moves on by its
// paid amount), or a write-off.
type ResolutionPlan struct {
	Resolution    DisputeResolution
	Note          string
	Status        DisputeStatus
	Event         PlannedEvent
	InvoiceStatus InvoiceStatus // before any credit note is applied
	InvoiceEvent  PlannedEvent
	Credit        []PlannedCreditLine
	CreditTotals  Amounts
	WriteOff      *PlannedWriteOff
}

// ResolvedInvoiceAction is how a disputed invoice goes back to its payment
// state: by what is paid of it.
func ResolvedInvoiceAction(inv *Invoice) InvoiceAction {
	switch {
	case inv.PaidAmount.IsZero():
		return InvoiceResolveUnpaid
	case inv.PaidAmount.GreaterThanOrEqual(inv.Total):
		return InvoiceResolvePaid
	}
	return InvoiceResolvePartPaid
}

// PlanDisputeResolution decides ending an open dispute (INVALID_TRANSITION
// otherwise). CUSTOMER_PAYS sends the invoice back to its payment state;
// CREDIT_NOTE does too, then credits the disputed lines in full (no
// creditLines) or the lines and quantities given, at most what is disputed
// (VALIDATION on input.creditLines); WRITE_OFF writes the invoice off with
// its balance, for a reason (VALIDATION on input.note). Only a credit note
// takes creditLines.
func PlanDisputeResolution(s ResolutionSnapshot) (ResolutionPlan, error) {
	d, inv, in := s.Dispute, s.Invoice, s.Input
	next, err := NextDisputeStatus(d.Status, DisputeResolve)
	if err != nil {
		return ResolutionPlan{}, err
	}
	var p Problems
	p.Check(slices.Contains(DisputeResolutions, in.Resolution), "input.resolution", "unknown resolution %q", in.Resolution)
	CheckText(&p, "input.note", in.Note, 0, MaxResolutionNote)
	p.Check(in.Resolution == ResolutionCreditNote || len(in.CreditLines) == 0, "input.creditLines", "only a credit note resolution takes creditLines")
	if err := p.Err(); err != nil {
		return ResolutionPlan{}, err
	}
	note := strings.TrimSpace(in.Note)
	plan := ResolutionPlan{Resolution: in.Resolution, Note: note, Status: next}
	from := string(inv.Status)
	name := deref(inv.Number)
	switch in.Resolution {
	case ResolutionWriteOff:
		if note == "" {
			return ResolutionPlan{}, Errorf(CodeValidation, "input.note", "say why invoice %s is written off", name)
		}
		to, err := NextInvoiceStatus(inv.Status, InvoiceWriteOff)
		if err != nil {
			return ResolutionPlan{}, err
		}
		plan.InvoiceStatus = to
		plan.InvoiceEvent = PlannedEvent{Action: string(InvoiceWriteOff), From: &from, To: string(to),
			Reason: fmt.Sprintf("dispute %s: %s written off: %s", d.Number, money(inv.Balance(), inv.Currency), note)}
		plan.WriteOff = &PlannedWriteOff{Amount: inv.Balance(), Reason: note}
	default:
		action := ResolvedInvoiceAction(inv)
		to, err := NextInvoiceStatus(inv.Status, action)
		if err != nil {
			return ResolutionPlan{}, err
		}
		plan.InvoiceStatus = to
		plan.InvoiceEvent = PlannedEvent{Action: string(action), From: &from, To: string(to),
			Reason: fmt.Sprintf("dispute %s resolved: %s", d.Number, humanAction(string(in.Resolution)))}
		if in.Resolution == ResolutionCreditNote {
			if plan.Credit, plan.CreditTotals, err = planCredit(s); err != nil {
				return ResolutionPlan{}, err
			}
		}
	}
	reason := humanAction(string(in.Resolution))
	if note != "" {
		reason += ": " + note
	}
	plan.Event = PlannedEvent{Action: string(DisputeResolve), From: new(string(d.Status)), To: string(next), Reason: reason}
	return plan, nil
}

// planCredit is a credit-note resolution's lines: those given, within the
// disputed lines' quantities (or the invoice's, for a dispute of the whole
// balance), at most the disputed amount; without lines, what is disputed in
// full. A dispute of the whole balance of a part-paid invoice names no
// quantities, so its credit must name them.
func planCredit(s ResolutionSnapshot) ([]PlannedCreditLine, Amounts, error) {
	d, inv := s.Dispute, s.Invoice
	var within map[int64]decimal.Decimal
	if len(s.Lines) > 0 {
		within = make(map[int64]decimal.Decimal, len(s.Lines))
		for _, l := range s.Lines {
			within[l.InvoiceLineID] = l.Quantity
		}
	}
	asked := s.Input.CreditLines
	if len(asked) == 0 {
		switch {
		case within != nil:
			for _, l := range s.Lines {
				asked = append(asked, DisputeLineInput{InvoiceLineID: l.InvoiceLineID, Quantity: l.Quantity})
			}
		case inv.PaidAmount.IsZero():
			for _, l := range s.InvoiceLines {
				asked = append(asked, DisputeLineInput{InvoiceLineID: l.ID, Quantity: l.Quantity})
			}
		default:
			return nil, Amounts{}, Errorf(CodeValidation, "input.creditLines",
				"invoice %s is part paid and disputed as a whole: name the lines and quantities to credit", deref(inv.Number))
		}
	}
	lines, total, err := priceLines(s.InvoiceLines, asked, within, inv.Currency, "input.creditLines", "disputed")
	if err != nil {
		return nil, Amounts{}, err
	}
	if total.GreaterThan(d.DisputedAmount) {
		return nil, Amounts{}, Errorf(CodeValidation, "input.creditLines", "the credit comes to %s, more than the %s disputed",
			money(total, inv.Currency), money(d.DisputedAmount, inv.Currency))
	}
	amounts := make([]Amounts, len(lines))
	for i, l := range lines {
		amounts[i] = l.Amounts
	}
	return lines, DocumentAmounts(amounts), nil
}

// money words an amount for a message: at the currency's decimals, with its code.
func money(amount decimal.Decimal, currency string) string {
	return amount.StringFixed(MinorUnits(currency)) + " " + currency
}

// CheckDisputeLimit refuses a dispute of an invoice that already has
// MaxDisputesPerInvoice of them (Invoice.disputes).
func CheckDisputeLimit(existing int) error {
	if existing >= MaxDisputesPerInvoice {
		return Errorf(CodeValidation, "input.invoiceId", "an invoice may be disputed at most %d times, and this one has been %d times",
			MaxDisputesPerInvoice, existing)
	}
	return nil
}
