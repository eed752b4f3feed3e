package shipping

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Method kinds: how a method is priced.
const (
	KindFlat     = "flat"      // Amount for every order
	KindWeight   = "weight"    // Brackets by total weight in grams, optionally PerExtraKg beyond the last
	KindPrice    = "price"     // Brackets by order subtotal in minor units
	KindFreeOver = "free_over" // Amount, free when the subtotal is at least Threshold
	KindPickup   = "pickup"    // local pickup at Pickup; Amount (usually 0)
)

// Kinds lists the method kinds.
var Kinds = []string{KindFlat, KindWeight, KindPrice, KindFreeOver, KindPickup}

// Limits.
const (
	MaxZones       = 500   // zones of a shop
	MaxMethods     = 2_000 // methods of a shop
	MaxNameLen     = 100   // characters
	MaxAreas       = 300   // countries, regions or postal prefixes of a zone (each)
	MaxBrackets    = 50    // brackets of a method
	MaxPostalLen   = 20    // bytes of a postal prefix
	MaxRegionLen   = 100   // bytes of a region
	MaxDays        = 365   // estimated delivery days
	MaxPickupLen   = 500   // characters of a pickup location or address
	maxAmountMinor = 1_000_000_000_000
)

// Event types.
const (
	EventZoneCreated   = "shipping.zone_created"
	EventZoneUpdated   = "shipping.zone_updated"
	EventZoneDeleted   = "shipping.zone_deleted"
	EventMethodCreated = "shipping.method_created"
	EventMethodUpdated = "shipping.method_updated"
	EventMethodDeleted = "shipping.method_deleted"
)

// Errors.
var (
	ErrZoneNotFound    = &commerce.Error{Kind: commerce.ENotFound, Code: "shipping_zone_not_found", Message: "shipping: zone not found"}
	ErrMethodNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "shipping_method_not_found", Message: "shipping: method not found"}
	ErrVersionMismatch = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "shipping: the version has changed"}
	ErrZoneHasMethods  = &commerce.Error{Kind: commerce.EConflict, Code: "zone_has_methods", Message: "shipping: the zone still has methods; delete or move them first"}
	ErrTooMany         = &commerce.Error{Kind: commerce.EConflict, Code: "shipping_limit", Message: "shipping: too many zones or methods"}
	// ErrNotServed is a checkout or quote for an address no method serves.
	ErrNotServed = &commerce.Error{Kind: commerce.EInvalid, Code: "shipping_unavailable", Message: "shipping: no shipping method serves this address",
		Fields: []commerce.FieldError{{Field: "shipping_address.country", Message: "no shipping method serves this address"}}}
)

// Zone is an area shipped to: countries (ISO 3166-1 alpha-2; none means every country),
// narrowed by regions and postal-code prefixes when given. An address belongs to the most
// specific zone that contains it (see Table).
type Zone struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Countries      []string  `json:"countries"`
	Regions        []string  `json:"regions"`
	PostalPrefixes []string  `json:"postal_prefixes"`
	Version        int64     `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ZoneInput is a zone as an admin writes it.
type ZoneInput struct {
	Name           string   `json:"name"`
	Countries      []string `json:"countries"`
	Regions        []string `json:"regions,omitempty"`
	PostalPrefixes []string `json:"postal_prefixes,omitempty"`
}

// Bracket is one step of a weight or price table: up to UpTo (grams or minor units,
// inclusive) the method costs Amount. UpTo 0 on the last bracket means "and above".
type Bracket struct {
	UpTo   int64 `json:"up_to"`
	Amount int64 `json:"amount"`
}

// Pickup is where a local-pickup order is collected.
type Pickup struct {
	Location string `json:"location"`
	Address  string `json:"address,omitempty"`
}

// Method is a way to ship to a zone, priced in Currency (minor units).
type Method struct {
	ID       string `json:"id"`
	ZoneID   string `json:"zone_id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Currency string `json:"currency"`
	// Amount is the price of flat and pickup methods and of free_over below Threshold.
	Amount    int64 `json:"amount"`
	Threshold int64 `json:"threshold,omitempty"` // free_over: free at or above this subtotal
	// Brackets of weight and price methods, ascending by UpTo.
	Brackets []Bracket `json:"brackets,omitempty"`
	// PerExtraKg: weight methods add this per started kilogram beyond the last bracket
	// (without it, heavier orders are not served).
	PerExtraKg int64     `json:"per_extra_kg,omitempty"`
	Pickup     *Pickup   `json:"pickup,omitempty"`
	Active     bool      `json:"active"`
	MinDays    int       `json:"min_days,omitempty"` // estimated delivery, in days
	MaxDays    int       `json:"max_days,omitempty"`
	CarrierID  string    `json:"carrier_id"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// MethodInput is a method as an admin writes it. Active defaults to true; CarrierID to
// "manual".
type MethodInput struct {
	ZoneID     string    `json:"zone_id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Currency   string    `json:"currency"`
	Amount     int64     `json:"amount,omitempty"`
	Threshold  int64     `json:"threshold,omitempty"`
	Brackets   []Bracket `json:"brackets,omitempty"`
	PerExtraKg int64     `json:"per_extra_kg,omitempty"`
	Pickup     *Pickup   `json:"pickup,omitempty"`
	Active     *bool     `json:"active,omitempty"`
	MinDays    int       `json:"min_days,omitempty"`
	MaxDays    int       `json:"max_days,omitempty"`
	CarrierID  string    `json:"carrier_id,omitempty"`
}

// normalizeList trims, upper-cases (when upper), drops empties and duplicates, keeping order.
func normalizeList(in []string, upper bool) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if upper {
			s = strings.ToUpper(s)
		}
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// normalizePostal is how postal codes and prefixes compare: upper case, no spaces or dashes.
func normalizePostal(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// Normalize trims the input and upper-cases codes.
func (in ZoneInput) Normalize() ZoneInput {
	in.Name = strings.TrimSpace(in.Name)
	in.Countries = normalizeList(in.Countries, true)
	in.Regions = normalizeList(in.Regions, true)
	ps := make([]string, len(in.PostalPrefixes))
	for i, p := range in.PostalPrefixes {
		ps[i] = normalizePostal(p)
	}
	in.PostalPrefixes = normalizeList(ps, true)
	return in
}

// Validate reports every bad field of a normalized zone.
func (in ZoneInput) Validate() error {
	var v commerce.Validator
	v.Text("name", in.Name, MaxNameLen, true)
	v.Check(len(in.Countries) <= MaxAreas, "countries", fmt.Sprintf("at most %d countries", MaxAreas))
	for i, c := range in.Countries {
		v.Check(commerce.ValidCountry(c), fmt.Sprintf("countries[%d]", i), fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code", c))
	}
	v.Check(len(in.Regions) <= MaxAreas, "regions", fmt.Sprintf("at most %d regions", MaxAreas))
	v.Check(len(in.Regions) == 0 || len(in.Countries) > 0, "regions", "need the zone's countries")
	for i, r := range in.Regions {
		v.Check(len(r) <= MaxRegionLen, fmt.Sprintf("regions[%d]", i), "is too long")
	}
	v.Check(len(in.PostalPrefixes) <= MaxAreas, "postal_prefixes", fmt.Sprintf("at most %d prefixes", MaxAreas))
	v.Check(len(in.PostalPrefixes) == 0 || len(in.Countries) > 0, "postal_prefixes", "need the zone's countries")
	for i, p := range in.PostalPrefixes {
		v.Check(len(p) <= MaxPostalLen, fmt.Sprintf("postal_prefixes[%d]", i), "is too long")
	}
	return v.Err()
}

// Normalize trims the input, upper-cases the currency and lower-cases the kind and carrier.
func (in MethodInput) Normalize() MethodInput {
	in.ZoneID = strings.TrimSpace(in.ZoneID)
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.ToLower(strings.TrimSpace(in.Kind))
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	in.CarrierID = strings.ToLower(strings.TrimSpace(in.CarrierID))
	if in.CarrierID == "" {
		in.CarrierID = ManualID
	}
	if in.Pickup != nil {
		p := Pickup{Location: strings.TrimSpace(in.Pickup.Location), Address: strings.TrimSpace(in.Pickup.Address)}
		in.Pickup = &p
	}
	return in
}

// Validate reports every bad field of a normalized method; carriers are the shop's.
func (in MethodInput) Validate(carriers *Carriers) error {
	var v commerce.Validator
	v.Check(in.ZoneID != "", "zone_id", "is required")
	v.Text("name", in.Name, MaxNameLen, true)
	v.Check(slices.Contains(Kinds, in.Kind), "kind", "must be one of "+strings.Join(Kinds, ", "))
	v.Check(commerce.ValidCurrency(in.Currency), "currency", "must be an ISO 4217 code such as USD")
	amount := func(field string, n int64) {
		v.Check(n >= 0, field, "must not be negative")
		v.Check(n <= maxAmountMinor, field, "is too large")
	}
	amount("amount", in.Amount)
	amount("threshold", in.Threshold)
	amount("per_extra_kg", in.PerExtraKg)
	usesBrackets := in.Kind == KindWeight || in.Kind == KindPrice
	switch {
	case usesBrackets:
		v.Check(len(in.Brackets) > 0, "brackets", "needs at least one bracket")
		v.Check(in.Amount == 0, "amount", "is not used by "+in.Kind+" methods: price them with brackets")
	case len(in.Brackets) > 0:
		v.Add("brackets", "are used only by weight and price methods")
	}
	v.Check(len(in.Brackets) <= MaxBrackets, "brackets", fmt.Sprintf("at most %d brackets", MaxBrackets))
	for i, b := range in.Brackets {
		f := fmt.Sprintf("brackets[%d]", i)
		amount(f+".amount", b.Amount)
		last := i == len(in.Brackets)-1
		switch {
		case b.UpTo < 0:
			v.Add(f+".up_to", "must not be negative")
		case b.UpTo == 0 && !last:
			v.Add(f+".up_to", "0 (no upper bound) is allowed only on the last bracket")
		case i > 0 && b.UpTo != 0 && b.UpTo <= in.Brackets[i-1].UpTo:
			v.Add(f+".up_to", fmt.Sprintf("must be above the previous bracket's %d: brackets are sorted and must not overlap", in.Brackets[i-1].UpTo))
		}
	}
	if in.PerExtraKg > 0 {
		v.Check(in.Kind == KindWeight, "per_extra_kg", "is used only by weight methods")
		v.Check(len(in.Brackets) == 0 || in.Brackets[len(in.Brackets)-1].UpTo != 0, "per_extra_kg", "cannot follow an open last bracket (up_to 0)")
	}
	if in.Kind == KindFreeOver {
		v.Check(in.Threshold > 0, "threshold", "must be positive for free_over methods")
	} else {
		v.Check(in.Threshold == 0, "threshold", "is used only by free_over methods")
	}
	if in.Kind == KindPickup {
		v.Check(in.Pickup != nil, "pickup.location", "is required for pickup methods")
		if in.Pickup != nil {
			v.Text("pickup.location", in.Pickup.Location, MaxPickupLen, true)
			v.Text("pickup.address", in.Pickup.Address, MaxPickupLen, false)
		}
	} else {
		v.Check(in.Pickup == nil, "pickup", "is used only by pickup methods")
	}
	v.Check(in.MinDays >= 0 && in.MinDays <= MaxDays, "min_days", fmt.Sprintf("must be 0..%d", MaxDays))
	v.Check(in.MaxDays >= 0 && in.MaxDays <= MaxDays, "max_days", fmt.Sprintf("must be 0..%d", MaxDays))
	v.Check(in.MaxDays == 0 || in.MaxDays >= in.MinDays, "max_days", "must not be below min_days")
	if _, ok := carriers.Get(in.CarrierID); !ok {
		ids := make([]string, 0)
		for _, c := range carriers.List() {
			ids = append(ids, c.ID())
		}
		v.Add("carrier_id", fmt.Sprintf("carrier %q does not exist (known: %s)", in.CarrierID, strings.Join(ids, ", ")))
	}
	return v.Err()
}
