package pricing

import (
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// MaxTaxRate bounds a tax rate: 100000 basis points = 1000%.
const MaxTaxRate = 100_000

// Zone is a tax zone: a country (ISO 3166-1 alpha-2) and optionally a region within it, with
// its rate in basis points (1200 = 12%) and whether shelf prices there include the tax.
type Zone struct {
	Country   string `json:"country"`
	Region    string `json:"region,omitempty"`
	Rate      int64  `json:"rate"`
	Inclusive bool   `json:"inclusive"`
}

// Validate checks a zone's fields.
func (z Zone) Validate() error {
	var v commerce.Validator
	v.Check(len(z.Country) == 2 && strings.ToUpper(z.Country) == z.Country && strings.Trim(z.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "", "country", "must be an ISO 3166-1 alpha-2 code")
	v.Text("region", z.Region, 100, false)
	v.Check(z.Rate >= 0 && z.Rate <= MaxTaxRate, "rate", "must be between 0 and 100000 basis points")
	return v.Err()
}

// FindZone returns the zone for an address: the zone for the exact country and region if
// there is one, else the country-wide zone (empty Region). Country codes compare upper-case
// and regions case-insensitively.
func FindZone(zones []Zone, country, region string) (Zone, bool) {
	country = strings.ToUpper(strings.TrimSpace(country))
	region = strings.TrimSpace(region)
	var whole *Zone
	for i := range zones {
		z := &zones[i]
		if z.Country != country {
			continue
		}
		if z.Region == "" {
			if whole == nil {
				whole = z
			}
			continue
		}
		if region != "" && strings.EqualFold(z.Region, region) {
			return *z, true
		}
	}
	if whole != nil {
		return *whole, true
	}
	return Zone{}, false
}

// TaxFor returns the tax on amount at rate basis points. Exclusive: amount is net and the
// tax is amount×rate/10000 rounded half-even. Inclusive: amount is gross, the net is
// amount×10000/(10000+rate) rounded half-even and the tax is amount − net, so net + tax
// equals amount exactly (12% VAT in 11,200 is 1,200).
func TaxFor(amount commerce.Money, rate int64, inclusive bool) (commerce.Money, error) {
	var v commerce.Validator
	v.Check(amount.Amount >= 0, "amount", "must not be negative")
	v.Check(commerce.ValidCurrency(amount.Currency), "currency", "must be an ISO 4217 code")
	v.Check(rate >= 0 && rate <= MaxTaxRate, "rate", "must be between 0 and 100000 basis points")
	if err := v.Err(); err != nil {
		return commerce.Money{}, err
	}
	if inclusive {
		net := mulDivHalfEven(amount.Amount, BasisPoints, BasisPoints+rate)
		return money(amount.Amount-net, amount.Currency), nil
	}
	tax, ok := mulDivHalfEvenAny(amount.Amount, rate, BasisPoints)
	if !ok {
		return commerce.Money{}, commerce.Errorf(commerce.EInvalid, "amount_overflow", "pricing: tax on %d overflows", amount.Amount)
	}
	return money(tax, amount.Currency), nil
}

// Tax is the tax on a priced cart: per line (index-aligned with Result.Lines), on shipping,
// and the total. With inclusive pricing the amounts are contained in the prices; otherwise
// they are added to them.
type Tax struct {
	Inclusive bool             `json:"inclusive"`
	Rate      int64            `json:"rate"`
	Lines     []commerce.Money `json:"lines"`
	Shipping  commerce.Money   `json:"shipping"`
	Total     commerce.Money   `json:"total"`
}

// TaxResult computes the tax of a priced cart in zone z: each line's discounted total and the
// discounted shipping (when taxShipping) are taxed separately with TaxFor, and Total is their
// exact sum (per-line rounding, so an invoice's lines add up to its total).
func TaxResult(res Result, z Zone, taxShipping bool) (Tax, error) {
	t := Tax{Inclusive: z.Inclusive, Rate: z.Rate, Lines: make([]commerce.Money, len(res.Lines)), Shipping: money(0, res.Currency)}
	total := money(0, res.Currency)
	for i, l := range res.Lines {
		lt, err := TaxFor(l.Total, z.Rate, z.Inclusive)
		if err != nil {
			return Tax{}, err
		}
		t.Lines[i] = lt
		if total, err = total.Add(lt); err != nil {
			return Tax{}, err
		}
	}
	if taxShipping {
		st, err := TaxFor(money(res.Shipping.Amount-res.ShippingDiscount.Amount, res.Currency), z.Rate, z.Inclusive)
		if err != nil {
			return Tax{}, err
		}
		t.Shipping = st
		if total, err = total.Add(st); err != nil {
			return Tax{}, err
		}
	}
	t.Total = total
	return t, nil
}
