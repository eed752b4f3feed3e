package commerce

import (
	"fmt"
	"math"
)

// Money is an amount in integer minor units of a currency (cents for USD, tiyin for UZS).
// Floats never carry money.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ErrCurrencyMismatch is returned when amounts in different currencies are combined.
var ErrCurrencyMismatch = &Error{Kind: EInvalid, Code: "currency_mismatch", Message: "commerce: currencies differ"}

// ValidCurrency reports whether c looks like an ISO 4217 code (three upper-case letters).
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// Add returns m+o. Both must be in the same currency and the sum must not overflow.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, ErrCurrencyMismatch
	}
	if (o.Amount > 0 && m.Amount > math.MaxInt64-o.Amount) || (o.Amount < 0 && m.Amount < math.MinInt64-o.Amount) {
		return Money{}, Errorf(EInvalid, "amount_overflow", "commerce: amount overflows")
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// Sub returns m−o. Both must be in the same currency and the difference must not overflow.
func (m Money) Sub(o Money) (Money, error) {
	if o.Amount == math.MinInt64 {
		return Money{}, Errorf(EInvalid, "amount_overflow", "commerce: amount overflows")
	}
	return m.Add(Money{Amount: -o.Amount, Currency: o.Currency})
}

// Mul returns m times a non-negative quantity, refusing overflow.
func (m Money) Mul(q int64) (Money, error) {
	if q < 0 {
		return Money{}, Errorf(EInvalid, "negative_quantity", "commerce: negative quantity %d", q)
	}
	if q != 0 && (m.Amount > math.MaxInt64/q || m.Amount < math.MinInt64/q) {
		return Money{}, Errorf(EInvalid, "amount_overflow", "commerce: amount overflows")
	}
	return Money{Amount: m.Amount * q, Currency: m.Currency}, nil
}

func (m Money) String() string {
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, m.Currency)
}
