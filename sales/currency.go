package sales

import "regexp"

// minorUnits maps the ISO 4217 currencies we accept to their minor-unit
// digits, which decide how money in that currency is rounded.
var minorUnits = map[string]int32{
	"AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2,
	"CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2,
	"HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0,
	"KES": 2, "KRW": 0, "KWD": 3, "MAD": 2, "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2,
	"NZD": 2, "OMR": 3, "PEN": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2,
	"RSD": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2,
	"UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
}

var currencyShape = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCurrency reports whether code is an ISO 4217 currency we trade in.
func ValidCurrency(code string) bool {
	_, ok := minorUnits[code]
	return ok && currencyShape.MatchString(code)
}

// MinorUnits returns the number of decimal places money in currency is
// rounded to (2 for an unknown code, which validation refuses earlier).
func MinorUnits(currency string) int32 {
	if d, ok := minorUnits[currency]; ok {
		return d
	}
	return 2
}

// CurrencyCount is how many currencies we trade in: at most one aging total
// line each (ReceivablesAging.totals).
func CurrencyCount() int { return len(minorUnits) }
