package shipping

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Destination is the part of an address that decides its zone.
type Destination struct {
	Country    string // ISO 3166-1 alpha-2
	Region     string
	PostalCode string
}

// Parcel is what is shipped: the order's subtotal (before discounts) in Currency and its
// total weight.
type Parcel struct {
	Currency    string
	Subtotal    int64 // minor units
	WeightGrams int64
}

// Rate is a method's price for a parcel.
type Rate struct {
	Method Method
	Amount commerce.Money
}

// Reasons a method does not serve a parcel (Price); they are shown to shoppers.
const (
	reasonInactive   = "the shipping method is not available"
	reasonTooHeavy   = "the shipping method does not take orders this heavy"
	reasonTooPricey  = "the shipping method does not take orders of this value"
	reasonNoMethod   = "unknown shipping method"
	reasonOtherZone  = "the shipping method does not serve this address"
	reasonBadWeights = "the order's weight is unknown"
)

// Price is what m charges for p in m.Currency, or a reason (shown to shoppers) why m does not
// serve p: inactive, another currency, a weight or subtotal beyond its last bracket. Every
// quote and checkout prices a method through here.
func (m Method) Price(p Parcel) (int64, string) {
	switch {
	case !m.Active:
		return 0, reasonInactive
	case m.Currency != p.Currency:
		return 0, fmt.Sprintf("the shipping method is priced in %s, not in the order's %s", m.Currency, p.Currency)
	}
	switch m.Kind {
	case KindFlat, KindPickup:
		return m.Amount, ""
	case KindFreeOver:
		if p.Subtotal >= m.Threshold {
			return 0, ""
		}
		return m.Amount, ""
	case KindWeight:
		if p.WeightGrams < 0 {
			return 0, reasonBadWeights
		}
		if a, ok := bracket(m.Brackets, p.WeightGrams); ok {
			return a, ""
		}
		if m.PerExtraKg > 0 && len(m.Brackets) > 0 {
			last := m.Brackets[len(m.Brackets)-1]
			kg := (p.WeightGrams - last.UpTo + 999) / 1000 // started kilograms beyond the last bracket
			if kg <= (maxAmountMinor-last.Amount)/m.PerExtraKg {
				return last.Amount + kg*m.PerExtraKg, ""
			}
		}
		return 0, reasonTooHeavy
	case KindPrice:
		if a, ok := bracket(m.Brackets, p.Subtotal); ok {
			return a, ""
		}
		return 0, reasonTooPricey
	}
	return 0, reasonInactive
}

// bracket finds the first bracket holding x (x ≤ UpTo; UpTo 0 on the last is open).
func bracket(bs []Bracket, x int64) (int64, bool) {
	for i, b := range bs {
		if x <= b.UpTo || (b.UpTo == 0 && i == len(bs)-1) {
			return b.Amount, true
		}
	}
	return 0, false
}

// Table is every zone and method of a shop, arranged for quoting; it is immutable, so one
// table may serve many concurrent quotes (the store caches it between writes).
type Table struct {
	zones []tableZone
}

type tableZone struct {
	Zone
	methods []Method // the zone's methods, by ID
}

// NewTable arranges zones and methods (methods of unknown zones are left out).
func NewTable(zones []Zone, methods []Method) *Table {
	t := &Table{zones: make([]tableZone, len(zones))}
	byID := make(map[string]int, len(zones))
	for i, z := range zones {
		t.zones[i] = tableZone{Zone: z}
		byID[z.ID] = i
	}
	for _, m := range methods {
		if i, ok := byID[m.ZoneID]; ok {
			t.zones[i].methods = append(t.zones[i].methods, m)
		}
	}
	sort.Slice(t.zones, func(i, j int) bool { return t.zones[i].ID < t.zones[j].ID })
	return t
}

// Empty reports whether the shop has no zone at all: then orders ship free with no method.
func (t *Table) Empty() bool { return t == nil || len(t.zones) == 0 }

// specificity ranks how closely zone z contains d (normalized by Match): -1 when it does not. A matching postal
// prefix beats a region, a region beats a country, a country beats a zone of every
// country; a longer postal prefix beats a shorter one.
func (z Zone) specificity(d Destination) int {
	rank := 0
	if len(z.Countries) > 0 {
		if !contains(z.Countries, d.Country) {
			return -1
		}
		rank = 1
	}
	if len(z.Regions) > 0 {
		r := d.Region
		if r == "" || !(contains(z.Regions, r) || containsISO(z.Regions, d.Country, r)) {
			return -1
		}
		rank = 2
	}
	if len(z.PostalPrefixes) > 0 {
		pc := d.PostalCode
		best := 0
		for _, p := range z.PostalPrefixes {
			if strings.HasPrefix(pc, p) && len(p) > best {
				best = len(p)
			}
		}
		if best == 0 {
			return -1
		}
		rank = 3 + best
	}
	return rank
}

// containsISO reports whether list holds the ISO 3166-2 code country-region.
func containsISO(list []string, country, region string) bool {
	for _, x := range list {
		if len(x) == len(country)+1+len(region) && x[len(country)] == '-' && x[:len(country)] == country && x[len(country)+1:] == region {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Match returns the most specific zone containing d and its methods (ties go to the older
// zone: IDs are time-ordered).
func (t *Table) Match(d Destination) (Zone, []Method, bool) {
	if t == nil {
		return Zone{}, nil, false
	}
	d.Country = strings.ToUpper(strings.TrimSpace(d.Country))
	d.Region = strings.ToUpper(strings.TrimSpace(d.Region))
	d.PostalCode = normalizePostal(d.PostalCode)
	best, rank := -1, -1
	for i := range t.zones {
		if r := t.zones[i].specificity(d); r > rank {
			best, rank = i, r
		}
	}
	if best < 0 {
		return Zone{}, nil, false
	}
	return t.zones[best].Zone, t.zones[best].methods, true
}

// Quote returns the methods of d's zone that serve p with their prices, cheapest first
// (then by name and ID), and the zone; none when no zone contains d or none serves p.
func (t *Table) Quote(d Destination, p Parcel) (Zone, []Rate) {
	z, ms, ok := t.Match(d)
	if !ok {
		return Zone{}, nil
	}
	var rates []Rate
	for _, m := range ms {
		if a, reason := m.Price(p); reason == "" {
			rates = append(rates, Rate{Method: m, Amount: commerce.Money{Amount: a, Currency: m.Currency}})
		}
	}
	slices.SortFunc(rates, func(a, b Rate) int {
		if c := cmp.Compare(a.Amount.Amount, b.Amount.Amount); c != 0 {
			return c
		}
		if c := strings.Compare(a.Method.Name, b.Method.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Method.ID, b.Method.ID)
	})
	return z, rates
}

// Choose prices the method methodID for p shipped to d; "" picks the cheapest method that
// serves them (ordered like Quote). The error is ErrNotServed when nothing serves d, or a
// field error on shipping_method_id naming why the chosen method does not. It allocates
// nothing on success: it runs in every checkout.
func (t *Table) Choose(methodID string, d Destination, p Parcel) (Rate, error) {
	_, ms, _ := t.Match(d)
	var best *Method
	var amount int64
	reason := reasonNoMethod
	for i := range ms {
		m := &ms[i]
		if methodID != "" && m.ID != methodID {
			continue
		}
		a, why := m.Price(p)
		if why != "" {
			reason = why
			continue
		}
		if best == nil || a < amount || (a == amount && (m.Name < best.Name || (m.Name == best.Name && m.ID < best.ID))) {
			best, amount = m, a
		}
	}
	if best != nil {
		return Rate{Method: *best, Amount: commerce.Money{Amount: amount, Currency: best.Currency}}, nil
	}
	if methodID == "" {
		return Rate{}, ErrNotServed
	}
	if reason == reasonNoMethod && t.has(methodID) {
		reason = reasonOtherZone
	}
	return Rate{}, commerce.Invalid(commerce.FieldError{Field: "shipping_method_id", Message: reason}).WithDetails(map[string]any{"shipping_method_id": methodID})
}

func (t *Table) has(methodID string) bool {
	for _, z := range t.zones {
		for _, m := range z.methods {
			if m.ID == methodID {
				return true
			}
		}
	}
	return false
}
