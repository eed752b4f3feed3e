package shipping

import (
	"context"
	"fmt"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Reader reads zones and methods from one consistent state.
type Reader interface {
	Zone(id string) (Zone, error)     // ErrZoneNotFound when missing
	Method(id string) (Method, error) // ErrMethodNotFound when missing
	Zones() ([]Zone, error)           // by ID (creation order)
	Methods() ([]Method, error)       // by ID (creation order)
}

// Tx is one atomic change of zones and methods.
type Tx interface {
	Reader
	PutZone(z Zone) error
	DeleteZone(id string) error
	PutMethod(m Method) error
	DeleteMethod(id string) error
	Emit(ev commerce.Event)
}

// Repository stores zones and methods (store.Shipping implements it).
type Repository interface {
	View(ctx context.Context, fn func(Reader) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	// Table is every zone and method, arranged for quoting; kept in memory between writes.
	Table(ctx context.Context) (*Table, error)
	// Goods tells the weight and price of variants; unknown IDs are left out.
	Goods(ctx context.Context, variantIDs []string) (map[string]Goods, error)
}

// Goods is what a quote needs of a variant.
type Goods struct {
	WeightGrams int64
	Price       commerce.Money
	Active      bool // for sale
}

// Line is a variant and a number of its units.
type Line struct {
	VariantID string `json:"variant_id"`
	Quantity  int64  `json:"quantity"`
}

// Priced is a cart's own pricing of the lines quoted: its currency and subtotal.
type Priced struct {
	Currency string
	Subtotal int64
}

// MaxQuoteLines bounds the lines of one quote.
const MaxQuoteLines = 100

// Service runs the shipping use cases: zone and method administration and rate quotes.
type Service struct {
	repo     Repository
	carriers *Carriers
	clock    commerce.Clock
}

// NewService returns the shipping service on repo with the shop's carriers. A nil clock
// means the system clock; nil carriers mean the built-in ones.
func NewService(repo Repository, carriers *Carriers, clock commerce.Clock) *Service {
	if carriers == nil {
		carriers = NewCarriers(Builtin()...)
	}
	return &Service{repo: repo, carriers: carriers, clock: commerce.OrSystemClock(clock)}
}

// Carriers returns the shop's carriers.
func (s *Service) Carriers() *Carriers { return s.carriers }

// EventData is the data of zone and method events: the entity as written (nil when deleted).
type EventData struct {
	ZoneID   string  `json:"zone_id,omitempty"`
	MethodID string  `json:"method_id,omitempty"`
	Zone     *Zone   `json:"zone,omitempty"`
	Method   *Method `json:"method,omitempty"`
}

func (s *Service) emit(tx Tx, typ, aggregate string, data EventData) error {
	ev, err := commerce.NewEvent(typ, aggregate, s.clock.Now(), data)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}

func checkVersion(current int64, version *int64) error {
	if version != nil && *version != current {
		return ErrVersionMismatch.WithDetails(map[string]any{"current_version": current})
	}
	return nil
}

// Zones lists every zone.
func (s *Service) Zones(ctx context.Context) ([]Zone, error) {
	var out []Zone
	err := s.repo.View(ctx, func(r Reader) (err error) { out, err = r.Zones(); return err })
	return out, err
}

// Zone returns a zone.
func (s *Service) Zone(ctx context.Context, id string) (Zone, error) {
	var out Zone
	err := s.repo.View(ctx, func(r Reader) (err error) { out, err = r.Zone(id); return err })
	return out, err
}

// CreateZone adds a zone.
func (s *Service) CreateZone(ctx context.Context, in ZoneInput) (Zone, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return Zone{}, err
	}
	now := s.clock.Now()
	z := Zone{ID: commerce.NewID(), Name: in.Name, Countries: in.Countries, Regions: in.Regions, PostalPrefixes: in.PostalPrefixes,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	err := s.repo.Update(ctx, func(tx Tx) error {
		zs, err := tx.Zones()
		if err != nil {
			return err
		}
		if len(zs) >= MaxZones {
			return ErrTooMany.WithDetails(map[string]any{"max_zones": MaxZones})
		}
		if err := tx.PutZone(z); err != nil {
			return err
		}
		return s.emit(tx, EventZoneCreated, z.ID, EventData{ZoneID: z.ID, Zone: &z})
	})
	return z, err
}

// UpdateZone replaces a zone's fields; version, when not nil, must be the stored one.
func (s *Service) UpdateZone(ctx context.Context, id string, in ZoneInput, version *int64) (Zone, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return Zone{}, err
	}
	var z Zone
	err := s.repo.Update(ctx, func(tx Tx) (err error) {
		if z, err = tx.Zone(id); err != nil {
			return err
		}
		if err := checkVersion(z.Version, version); err != nil {
			return err
		}
		z.Name, z.Countries, z.Regions, z.PostalPrefixes = in.Name, in.Countries, in.Regions, in.PostalPrefixes
		z.Version++
		z.UpdatedAt = s.clock.Now()
		if err := tx.PutZone(z); err != nil {
			return err
		}
		return s.emit(tx, EventZoneUpdated, z.ID, EventData{ZoneID: z.ID, Zone: &z})
	})
	return z, err
}

// DeleteZone removes a zone that has no methods left (ErrZoneHasMethods).
func (s *Service) DeleteZone(ctx context.Context, id string, version *int64) error {
	return s.repo.Update(ctx, func(tx Tx) error {
		z, err := tx.Zone(id)
		if err != nil {
			return err
		}
		if err := checkVersion(z.Version, version); err != nil {
			return err
		}
		ms, err := tx.Methods()
		if err != nil {
			return err
		}
		var ids []string
		for _, m := range ms {
			if m.ZoneID == id {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 {
			return ErrZoneHasMethods.WithDetails(map[string]any{"method_ids": ids})
		}
		if err := tx.DeleteZone(id); err != nil {
			return err
		}
		return s.emit(tx, EventZoneDeleted, id, EventData{ZoneID: id})
	})
}

// Methods lists every method, or those of one zone when zoneID is not "".
func (s *Service) Methods(ctx context.Context, zoneID string) ([]Method, error) {
	var out []Method
	err := s.repo.View(ctx, func(r Reader) error {
		if zoneID != "" {
			if _, err := r.Zone(zoneID); err != nil {
				return err
			}
		}
		ms, err := r.Methods()
		if err != nil {
			return err
		}
		out = make([]Method, 0, len(ms))
		for _, m := range ms {
			if zoneID == "" || m.ZoneID == zoneID {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Method returns a method.
func (s *Service) Method(ctx context.Context, id string) (Method, error) {
	var out Method
	err := s.repo.View(ctx, func(r Reader) (err error) { out, err = r.Method(id); return err })
	return out, err
}

// zoneExists reports a missing zone as a field error of the input.
func zoneExists(tx Reader, id string) error {
	if _, err := tx.Zone(id); err == ErrZoneNotFound {
		return commerce.Invalid(commerce.FieldError{Field: "zone_id", Message: fmt.Sprintf("zone %q does not exist", id)})
	} else if err != nil {
		return err
	}
	return nil
}

// apply sets m's fields from a validated input.
func (in MethodInput) apply(m *Method) {
	m.ZoneID, m.Name, m.Kind, m.Currency = in.ZoneID, in.Name, in.Kind, in.Currency
	m.Amount, m.Threshold, m.Brackets, m.PerExtraKg, m.Pickup = in.Amount, in.Threshold, in.Brackets, in.PerExtraKg, in.Pickup
	m.Active = in.Active == nil || *in.Active
	m.MinDays, m.MaxDays, m.CarrierID = in.MinDays, in.MaxDays, in.CarrierID
}

// CreateMethod adds a method to a zone.
func (s *Service) CreateMethod(ctx context.Context, in MethodInput) (Method, error) {
	in = in.Normalize()
	if err := in.Validate(s.carriers); err != nil {
		return Method{}, err
	}
	now := s.clock.Now()
	m := Method{ID: commerce.NewID(), Version: 1, CreatedAt: now, UpdatedAt: now}
	in.apply(&m)
	err := s.repo.Update(ctx, func(tx Tx) error {
		if err := zoneExists(tx, m.ZoneID); err != nil {
			return err
		}
		ms, err := tx.Methods()
		if err != nil {
			return err
		}
		if len(ms) >= MaxMethods {
			return ErrTooMany.WithDetails(map[string]any{"max_methods": MaxMethods})
		}
		if err := tx.PutMethod(m); err != nil {
			return err
		}
		return s.emit(tx, EventMethodCreated, m.ID, EventData{ZoneID: m.ZoneID, MethodID: m.ID, Method: &m})
	})
	return m, err
}

// UpdateMethod replaces a method's fields (it may move to another zone); version, when not
// nil, must be the stored one.
func (s *Service) UpdateMethod(ctx context.Context, id string, in MethodInput, version *int64) (Method, error) {
	in = in.Normalize()
	if err := in.Validate(s.carriers); err != nil {
		return Method{}, err
	}
	var m Method
	err := s.repo.Update(ctx, func(tx Tx) (err error) {
		if m, err = tx.Method(id); err != nil {
			return err
		}
		if err := checkVersion(m.Version, version); err != nil {
			return err
		}
		if err := zoneExists(tx, in.ZoneID); err != nil {
			return err
		}
		in.apply(&m)
		m.Version++
		m.UpdatedAt = s.clock.Now()
		if err := tx.PutMethod(m); err != nil {
			return err
		}
		return s.emit(tx, EventMethodUpdated, m.ID, EventData{ZoneID: m.ZoneID, MethodID: m.ID, Method: &m})
	})
	return m, err
}

// DeleteMethod removes a method. Orders placed with it keep their copy of it.
func (s *Service) DeleteMethod(ctx context.Context, id string, version *int64) error {
	return s.repo.Update(ctx, func(tx Tx) error {
		m, err := tx.Method(id)
		if err != nil {
			return err
		}
		if err := checkVersion(m.Version, version); err != nil {
			return err
		}
		if err := tx.DeleteMethod(id); err != nil {
			return err
		}
		return s.emit(tx, EventMethodDeleted, id, EventData{ZoneID: m.ZoneID, MethodID: id})
	})
}

// Rates quotes the methods serving d for lines, cheapest first, with the parcel they were
// priced for. priced is the cart's own currency and subtotal of the lines; without it the
// subtotal is the variants' prices (they must share one currency). Weight is the variants'
// weight_grams times the quantities.
func (s *Service) Rates(ctx context.Context, d Destination, lines []Line, priced *Priced) ([]Rate, Parcel, error) {
	d = Destination{Country: strings.ToUpper(strings.TrimSpace(d.Country)), Region: strings.TrimSpace(d.Region), PostalCode: strings.TrimSpace(d.PostalCode)}
	var v commerce.Validator
	if d.Country == "" {
		v.Add("address.country", "is required")
	} else {
		v.Check(commerce.ValidCountry(d.Country), "address.country", "must be an ISO 3166-1 alpha-2 code such as US or UZ")
	}
	v.Check(len(d.Region) <= MaxRegionLen, "address.region", "is too long")
	v.Check(len(d.PostalCode) <= MaxPostalLen, "address.postal_code", "is too long")
	v.Check(len(lines) <= MaxQuoteLines, "lines", fmt.Sprintf("at most %d lines", MaxQuoteLines))
	for i, l := range lines {
		v.Check(strings.TrimSpace(l.VariantID) != "", fmt.Sprintf("lines[%d].variant_id", i), "is required")
		v.Check(l.Quantity >= 1 && l.Quantity <= 999, fmt.Sprintf("lines[%d].quantity", i), "must be between 1 and 999")
	}
	if err := v.Err(); err != nil {
		return nil, Parcel{}, err
	}
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i] = strings.TrimSpace(l.VariantID)
	}
	goods, err := s.repo.Goods(ctx, ids)
	if err != nil {
		return nil, Parcel{}, err
	}
	var p Parcel
	if priced != nil {
		p.Currency, p.Subtotal = priced.Currency, priced.Subtotal
	}
	for i, l := range lines {
		g, ok := goods[ids[i]]
		if !ok || !g.Active {
			if priced != nil {
				continue // the cart left it out of its subtotal too
			}
			v.Add(fmt.Sprintf("lines[%d].variant_id", i), "is not for sale")
			continue
		}
		p.WeightGrams += g.WeightGrams * l.Quantity
		if priced != nil {
			continue
		}
		switch {
		case p.Currency == "":
			p.Currency = g.Price.Currency
		case p.Currency != g.Price.Currency:
			v.Add(fmt.Sprintf("lines[%d].variant_id", i), fmt.Sprintf("is priced in %s, not in %s like the first line", g.Price.Currency, p.Currency))
			continue
		}
		p.Subtotal += g.Price.Amount * l.Quantity
	}
	if err := v.Err(); err != nil {
		return nil, Parcel{}, err
	}
	t, err := s.repo.Table(ctx)
	if err != nil {
		return nil, Parcel{}, err
	}
	_, rates := t.Quote(d, p)
	if rates == nil {
		rates = []Rate{}
	}
	return rates, p, nil
}
