package sales

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

var (
	codeShape    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	countryShape = regexp.MustCompile(`^[A-Z]{2}$`)
	maxMoney     = decimal.New(1, 15) // 10^15: what numeric(18,…) columns hold
)

// CheckVersion refuses a version no document ever had. Versions start at 1;
// a change must name the version its caller read, so that a lost update is
// a CONFLICT rather than a silent overwrite.
func CheckVersion(version int) error {
	if version < 1 {
		return Errorf(CodeValidation, "version", "version must be the one you read (1 or more), not %d", version)
	}
	return nil
}

// CheckText checks free text: valid UTF-8 without NUL (PostgreSQL refuses
// both), at least min characters besides spaces, at most max characters.
func CheckText(p *Problems, field, value string, min, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(value))
	p.Check(utf8.ValidString(value) && !strings.ContainsRune(value, 0), field, "%s contains invalid characters", label(field))
	if min > 0 {
		p.Check(n >= min, field, "%s is required", label(field))
	}
	p.Check(utf8.RuneCountInString(value) <= max, field, "%s must be at most %d characters", label(field), max)
}

func checkCode(p *Problems, field, value string, max int) {
	CheckText(p, field, value, 1, max)
	p.Check(value == "" || codeShape.MatchString(value), field,
		"%s may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit", label(field))
}

func checkMoney(p *Problems, field string, v decimal.Decimal, scale int32) {
	p.Check(!v.IsNegative(), field, "%s must not be negative", label(field))
	p.Check(v.Abs().LessThan(maxMoney), field, "%s is too large", label(field))
	p.Check(v.Exponent() >= -scale || v.Equal(v.Truncate(scale)), field, "%s may have at most %d decimal places", label(field), scale)
}

// CheckQuantity validates a quantity: positive, at most 3 decimal places.
func CheckQuantity(p *Problems, field string, v decimal.Decimal) {
	p.Check(v.IsPositive(), field, "quantity must be greater than zero")
	p.Check(v.Abs().LessThan(maxMoney), field, "quantity is too large")
	p.Check(v.Equal(v.Truncate(3)), field, "quantity may have at most 3 decimal places")
}

func checkAddress(p *Problems, field string, a *Address) {
	if a == nil {
		return
	}
	CheckText(p, field+".line1", a.Line1, 1, 200)
	CheckText(p, field+".line2", a.Line2, 0, 200)
	CheckText(p, field+".city", a.City, 1, 100)
	CheckText(p, field+".region", a.Region, 0, 100)
	CheckText(p, field+".postalCode", a.PostalCode, 0, 20)
	p.Check(countryShape.MatchString(a.Country), field+".country", "country must be an ISO 3166 two-letter code such as DE")
}

// Validate checks a customer before it is written. Returns VALIDATION naming the field.
func (c *Customer) Validate() error {
	var p Problems
	checkCode(&p, "input.code", c.Code, 32)
	CheckText(&p, "input.name", c.Name, 1, 200)
	if c.Email != nil {
		_, err := mail.ParseAddress(*c.Email)
		p.Check(err == nil && len(*c.Email) <= 254 && !strings.ContainsAny(*c.Email, "<> "), "input.email", "email is not a valid address")
	}
	if c.Phone != nil {
		CheckText(&p, "input.phone", *c.Phone, 1, 40)
	}
	checkAddress(&p, "input.billingAddress", c.BillingAddress)
	p.Check(ValidCurrency(c.Currency), "input.currency", "currency %q is not an ISO 4217 code we trade in", c.Currency)
	p.Check(c.PaymentTermsDays >= 0 && c.PaymentTermsDays <= 365, "input.paymentTermsDays", "payment terms must be between 0 and 365 days")
	checkMoney(&p, "input.creditLimit", c.CreditLimit, MinorUnits(c.Currency))
	CheckText(&p, "input.notes", c.Notes, 0, 4000)
	return p.Err()
}

// ValidateAddresses checks a customer's shipping addresses; at most one may be the default.
func ValidateAddresses(field string, as []ShippingAddress) error {
	var p Problems
	defaults := 0
	p.Check(len(as) <= 100, field, "a customer may have at most 100 shipping addresses")
	for i, a := range as {
		f := field + "." + strconv.Itoa(i)
		CheckText(&p, f+".label", a.Label, 0, 100)
		checkAddress(&p, f+".address", &Address{Line1: a.Line1, Line2: a.Line2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country})
		if a.IsDefault {
			defaults++
		}
	}
	p.Check(defaults <= 1, field, "only one shipping address may be the default")
	return p.Err()
}

// Validate checks a product before it is written.
func (pr *Product) Validate() error {
	var p Problems
	checkCode(&p, "input.sku", pr.SKU, 64)
	CheckText(&p, "input.name", pr.Name, 1, 200)
	CheckText(&p, "input.description", pr.Description, 0, 4000)
	CheckText(&p, "input.unitOfMeasure", pr.UnitOfMeasure, 1, 16)
	p.Check(!pr.TaxRate.IsNegative() && pr.TaxRate.LessThanOrEqual(decimal.NewFromInt(1)), "input.taxRate", "tax rate is a fraction between 0 and 1 (0.2 is 20%%)")
	p.Check(pr.TaxRate.Equal(pr.TaxRate.Truncate(4)), "input.taxRate", "tax rate may have at most 4 decimal places")
	return p.Err()
}

// Validate checks a warehouse before it is written.
func (w *Warehouse) Validate() error {
	var p Problems
	checkCode(&p, "input.code", w.Code, 32)
	CheckText(&p, "input.name", w.Name, 1, 200)
	checkAddress(&p, "input.address", w.Address)
	return p.Err()
}

// Validate checks a user before it is written.
func (u *User) Validate() error {
	var p Problems
	_, err := mail.ParseAddress(u.Email)
	p.Check(err == nil && len(u.Email) <= 254 && !strings.ContainsAny(u.Email, "<> "), "input.email", "email is not a valid address")
	CheckText(&p, "input.name", u.Name, 1, 200)
	p.Check(u.Role.Valid(), "input.role", "unknown role %q", u.Role)
	return p.Err()
}

// Validate checks a price list before it is written.
func (l *PriceList) Validate() error {
	var p Problems
	checkCode(&p, "input.code", l.Code, 32)
	CheckText(&p, "input.name", l.Name, 1, 200)
	p.Check(ValidCurrency(l.Currency), "input.currency", "currency %q is not an ISO 4217 code we trade in", l.Currency)
	p.Check(l.ValidFrom == nil || l.ValidTo == nil || !l.ValidTo.Before(*l.ValidFrom), "input.validTo", "validTo must not be before validFrom")
	return p.Err()
}

// ValidateItem checks one price list item; field is its input path.
func ValidateItem(field string, it *PriceListItem) error {
	var p Problems
	CheckQuantity(&p, field+".minQuantity", it.MinQuantity)
	p.Check(!it.UnitPrice.IsNegative(), field+".unitPrice", "unit price must not be negative")
	p.Check(it.UnitPrice.Abs().LessThan(maxMoney), field+".unitPrice", "unit price is too large")
	p.Check(it.UnitPrice.Equal(it.UnitPrice.Truncate(4)), field+".unitPrice", "unit price may have at most 4 decimal places")
	p.Check(it.ValidFrom == nil || it.ValidTo == nil || !it.ValidTo.Before(*it.ValidFrom), field+".validTo", "validTo must not be before validFrom")
	return p.Err()
}

// label is the last part of a field path, for messages: "input.billingAddress.city" → "city".
func label(field string) string { return field[strings.LastIndex(field, ".")+1:] }

// CheckIdempotencyKey validates the key a client sends with a creating
// mutation: 1 to 255 characters. Returns VALIDATION on "idempotencyKey".
func CheckIdempotencyKey(key string) error {
	var p Problems
	p.Check(len(key) >= 1 && len(key) <= 255, "idempotencyKey", "idempotencyKey must be 1 to 255 characters")
	return p.Err()
}
