package paypal

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// exponents are the ISO 4217 minor-unit digits of currencies that do not have 2.
var exponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// wholeOnly are currencies PayPal takes without decimals although they have minor units.
var wholeOnly = map[string]bool{"HUF": true, "TWD": true}

func exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// FormatAmount writes m as PayPal's decimal string with the currency's digits: 1234 USD is
// "12.34", 1234 JPY is "1234".
func FormatAmount(m commerce.Money) (string, error) {
	if m.Amount < 0 || !commerce.ValidCurrency(m.Currency) {
		return "", commerce.Errorf(commerce.EInvalid, "invalid_amount", "paypal: cannot send %d %s", m.Amount, m.Currency)
	}
	e := exponent(m.Currency)
	s := strconv.FormatInt(m.Amount, 10)
	if e == 0 {
		return s, nil
	}
	if len(s) <= e {
		s = strings.Repeat("0", e-len(s)+1) + s
	}
	whole, frac := s[:len(s)-e], s[len(s)-e:]
	if wholeOnly[m.Currency] {
		if strings.Trim(frac, "0") != "" {
			return "", commerce.Errorf(commerce.EInvalid, "invalid_amount", "paypal: %s amounts must be whole units", m.Currency)
		}
		return whole, nil
	}
	return whole + "." + frac, nil
}

// ParseAmount reads PayPal's decimal string in currency back into minor units.
func ParseAmount(value, currency string) (commerce.Money, error) {
	e := exponent(currency)
	whole, frac, _ := strings.Cut(value, ".")
	if len(frac) > e || whole == "" || strings.HasPrefix(whole, "-") {
		return commerce.Money{}, fmt.Errorf("paypal: %q is not a %s amount", value, currency)
	}
	frac += strings.Repeat("0", e-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return commerce.Money{}, fmt.Errorf("paypal: %q is not a %s amount", value, currency)
	}
	return commerce.Money{Amount: n, Currency: currency}, nil
}
