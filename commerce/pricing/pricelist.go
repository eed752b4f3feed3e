package pricing

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// MaxListPrices bounds the variant prices of one price list.
const MaxListPrices = 10_000

// Tier is a quantity break: from MinQuantity units a line costs Amount per unit.
type Tier struct {
	MinQuantity int64 `json:"min_quantity"`
	Amount      int64 `json:"amount"`
}

// VariantPrice is one variant's price in a list: Amount per unit (minor units of the list's
// currency), an optional CompareAt ("was" price, zero = none) and quantity Tiers.
type VariantPrice struct {
	Amount    int64  `json:"amount"`
	CompareAt int64  `json:"compare_at,omitempty"`
	Tiers     []Tier `json:"tiers,omitempty"`
}

// PriceList prices variants for one currency and customer group (empty = everyone) within
// an optional window; the applicable list with the highest Priority wins (then the lower ID).
type PriceList struct {
	ID            string                  `json:"id"`
	Name          string                  `json:"name"`
	Currency      string                  `json:"currency"`
	CustomerGroup string                  `json:"customer_group"`
	Priority      int                     `json:"priority"`
	StartsAt      time.Time               `json:"starts_at,omitzero"`
	EndsAt        time.Time               `json:"ends_at,omitzero"`
	Prices        map[string]VariantPrice `json:"prices"`
	Version       int64                   `json:"version"`
	CreatedAt     time.Time               `json:"created_at"`
	UpdatedAt     time.Time               `json:"updated_at"`
}

// NormalizeGroup is how customer group names compare: trimmed and lower-cased.
func NormalizeGroup(g string) string { return strings.ToLower(strings.TrimSpace(g)) }

// ValidGroup checks a customer group name (letters, digits, '-' and '_', 1-64).
func ValidGroup(v *commerce.Validator, field, g string) {
	ok := len(g) >= 1 && len(g) <= 64 && strings.Trim(g, "abcdefghijklmnopqrstuvwxyz0123456789-_") == ""
	v.Check(ok, field, "must be 1-64 lower-case letters, digits, '-' or '_'")
}

// Normalize trims and lower-cases what compares that way, and sorts each variant's tiers.
func (l *PriceList) Normalize() {
	l.Name = strings.TrimSpace(l.Name)
	l.Currency = strings.ToUpper(strings.TrimSpace(l.Currency))
	l.CustomerGroup = NormalizeGroup(l.CustomerGroup)
	for id, p := range l.Prices {
		slices.SortStableFunc(p.Tiers, func(a, b Tier) int { return cmp.Compare(a.MinQuantity, b.MinQuantity) })
		l.Prices[id] = p
	}
}

// Validate checks a (normalized) price list's own fields.
func (l PriceList) Validate() error {
	var v commerce.Validator
	v.Text("name", l.Name, 200, true)
	v.Check(commerce.ValidCurrency(l.Currency), "currency", "must be an ISO 4217 code")
	if l.CustomerGroup != "" {
		ValidGroup(&v, "customer_group", l.CustomerGroup)
	}
	v.Check(l.StartsAt.IsZero() || l.EndsAt.IsZero() || l.EndsAt.After(l.StartsAt), "ends_at", "must be after starts_at")
	v.Check(len(l.Prices) <= MaxListPrices, "prices", fmt.Sprintf("at most %d variants", MaxListPrices))
	ids := make([]string, 0, len(l.Prices))
	for id := range l.Prices {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := l.Prices[id]
		f := "prices." + id
		v.Check(id != "" && len(id) <= 100, f, "must name a variant ID (1-100 characters)")
		v.Check(p.Amount >= 0, f+".amount", "must not be negative")
		v.Check(p.CompareAt >= 0, f+".compare_at", "must not be negative")
		v.Check(len(p.Tiers) <= 20, f+".tiers", "at most 20 tiers")
		for i, t := range p.Tiers {
			tf := fmt.Sprintf("%s.tiers[%d]", f, i)
			v.Check(t.MinQuantity >= 2 && t.MinQuantity <= MaxQuantity, tf+".min_quantity", "must be at least 2")
			v.Check(t.Amount >= 0, tf+".amount", "must not be negative")
			v.Check(i == 0 || t.MinQuantity != p.Tiers[i-1].MinQuantity, tf+".min_quantity", "must differ from the other tiers'")
		}
	}
	return v.Err()
}

// Active reports whether the list applies at now.
func (l *PriceList) Active(now time.Time) bool {
	return (l.StartsAt.IsZero() || !now.Before(l.StartsAt)) && (l.EndsAt.IsZero() || now.Before(l.EndsAt))
}

// UnitPrice is a line's resolved unit price: from a list (ListID) or the variant's own
// price (ListID empty). CompareAt is zero when there is none.
type UnitPrice struct {
	Amount    commerce.Money `json:"amount"`
	CompareAt commerce.Money `json:"compare_at"`
	ListID    string         `json:"price_list_id,omitempty"`
}

// SortLists orders lists for resolution: highest priority first, then the lower ID.
func SortLists(lists []PriceList) {
	slices.SortStableFunc(lists, func(a, b PriceList) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// Resolve returns the unit price of quantity units of variantID for a buyer in group, in
// currency, at now: the first list (lists must be in SortLists order) that is active, in
// the currency, for everyone or the buyer's group and prices the variant, at the tier of the
// largest MinQuantity not above quantity; otherwise fallback (the variant's own price, with
// compareAt when it has one).
func Resolve(lists []PriceList, group, currency string, now time.Time, variantID string, quantity int64, fallback, compareAt commerce.Money) UnitPrice {
	for i := range lists {
		l := &lists[i]
		if l.Currency != currency || (l.CustomerGroup != "" && l.CustomerGroup != group) || !l.Active(now) {
			continue
		}
		p, ok := l.Prices[variantID]
		if !ok {
			continue
		}
		amount := p.Amount
		for _, t := range p.Tiers {
			if quantity >= t.MinQuantity {
				amount = t.Amount
			}
		}
		return UnitPrice{Amount: money(amount, currency), CompareAt: money(p.CompareAt, currency), ListID: l.ID}
	}
	if compareAt.Currency == "" {
		compareAt.Currency = fallback.Currency
	}
	return UnitPrice{Amount: fallback, CompareAt: compareAt}
}
