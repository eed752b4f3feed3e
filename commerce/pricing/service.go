package pricing

import (
	"context"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// The managed records: what staff create and change through the Service. Storage is an
// adapter implementing Store; the arithmetic above stays pure.

// PromotionRecord is a stored promotion: the Promotion the evaluation uses, its name, its
// version (ETag) and times.
type PromotionRecord struct {
	Promotion
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TaxZone is a stored tax zone.
type TaxZone struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Zone
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PromotionUsage is how often a promotion was redeemed: in total and by customer (kept for
// promotions with a per-customer limit).
type PromotionUsage struct {
	PromotionID      string          `json:"promotion_id"`
	Total            int64           `json:"total"`
	UsageLimit       int64           `json:"usage_limit"`
	PerCustomerLimit int64           `json:"per_customer_limit"`
	Customers        []CustomerUsage `json:"customers"`
}

// CustomerUsage is one customer's redemptions ("user:<id>" or "email:<address>").
type CustomerUsage struct {
	Customer string `json:"customer"`
	Count    int64  `json:"count"`
}

// CustomerKey names a buyer for per-customer limits: the account, else the e-mail address.
func CustomerKey(userID, email string) string {
	if userID != "" {
		return "user:" + userID
	}
	return "email:" + strings.ToLower(strings.TrimSpace(email))
}

// Events.
const (
	EventPriceListSaved    = "pricing.price_list_saved"
	EventPriceListDeleted  = "pricing.price_list_deleted"
	EventPromotionSaved    = "pricing.promotion_saved"
	EventPromotionDeleted  = "pricing.promotion_deleted"
	EventTaxZoneSaved      = "pricing.tax_zone_saved"
	EventTaxZoneDeleted    = "pricing.tax_zone_deleted"
	EventCustomerGroupSet  = "pricing.customer_group_set"
	EventPromotionRedeemed = "pricing.promotion_redeemed"
)

// Errors.
var (
	ErrPriceListNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "price_list_not_found", Message: "pricing: price list not found"}
	ErrPromotionNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "promotion_not_found", Message: "pricing: promotion not found"}
	ErrTaxZoneNotFound   = &commerce.Error{Kind: commerce.ENotFound, Code: "tax_zone_not_found", Message: "pricing: tax zone not found"}
	ErrCodeTaken         = &commerce.Error{Kind: commerce.EConflict, Code: "coupon_code_taken", Message: "pricing: another promotion has this code"}
	ErrZoneTaken         = &commerce.Error{Kind: commerce.EConflict, Code: "tax_zone_taken", Message: "pricing: another tax zone covers this country and region"}
	ErrVersionMismatch   = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "pricing: changed since you read it (If-Match is stale)"}
	ErrUserNotFound      = &commerce.Error{Kind: commerce.ENotFound, Code: "user_not_found", Message: "pricing: no such user"}
)

// Reader reads the managed records from one consistent state.
type Reader interface {
	PriceList(id string) (PriceList, error)                     // ErrPriceListNotFound
	PriceLists(page commerce.Page) ([]PriceList, string, error) // by ID; next cursor
	Promotion(id string) (PromotionRecord, error)               // ErrPromotionNotFound
	Promotions(page commerce.Page) ([]PromotionRecord, string, error)
	PromotionByCode(code string) (string, bool, error) // normalized code -> promotion ID
	Usage(promotionID string, page commerce.Page) (PromotionUsage, string, error)
	TaxZone(id string) (TaxZone, error) // ErrTaxZoneNotFound
	TaxZones() ([]TaxZone, error)
	UserExists(userID string) (bool, error)
	Group(userID string) (string, error) // "" when none
}

// Tx is one atomic change of the managed records.
type Tx interface {
	Reader
	PutPriceList(l PriceList) error
	DeletePriceList(id string) error
	PutPromotion(p PromotionRecord, oldCode string) error // moves the code row from oldCode
	DeletePromotion(p PromotionRecord) error
	PutTaxZone(z TaxZone) error
	DeleteTaxZone(id string) error
	SetGroup(userID, group string) error // "" removes it
	Emit(ev commerce.Event)
}

// Store runs reads and atomic updates of the managed records.
type Store interface {
	View(ctx context.Context, fn func(Reader) error) error
	Update(ctx context.Context, fn func(Tx) error) error
}

// Service manages price lists, promotions, tax zones and customer groups.
type Service struct {
	store Store
	clock commerce.Clock
}

// NewService returns the pricing service; a nil clock means the system clock.
func NewService(store Store, clock commerce.Clock) *Service {
	clock = commerce.OrSystemClock(clock)
	return &Service{store: store, clock: clock}
}

// version is a stored record's version, for current.
func (l PriceList) version() int64       { return l.Version }
func (p PromotionRecord) version() int64 { return p.Version }
func (z TaxZone) version() int64         { return z.Version }

// current reads the stored record id for a replace or delete guarded by ifMatch (0 = none):
// a stale ifMatch is ErrVersionMismatch with the current version.
func current[T interface{ version() int64 }](get func(id string) (T, error), id string, ifMatch int64) (T, error) {
	old, err := get(id)
	if err != nil {
		return old, err
	}
	if v := old.version(); ifMatch != 0 && ifMatch != v {
		return old, ErrVersionMismatch.WithDetails(map[string]any{"current_version": v})
	}
	return old, nil
}

// addFields adds the field errors of err (a Validate's *commerce.Error) to v; any other
// error is returned.
func addFields(v *commerce.Validator, err error) error {
	if e, ok := err.(*commerce.Error); ok {
		for _, f := range e.Fields {
			v.Add(f.Field, f.Message)
		}
		return nil
	}
	return err
}

func emit(tx Tx, typ, aggregate string, at time.Time, data any) error {
	ev, err := commerce.NewEvent(typ, aggregate, at, data)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}

// ---- price lists

// PriceList returns one price list.
func (s *Service) PriceList(ctx context.Context, id string) (l PriceList, err error) {
	err = s.store.View(ctx, func(r Reader) error { l, err = r.PriceList(id); return err })
	return l, err
}

// PriceLists returns a page of price lists by ID.
func (s *Service) PriceLists(ctx context.Context, page commerce.Page) (commerce.List[PriceList], error) {
	out := commerce.List[PriceList]{Items: []PriceList{}}
	err := s.store.View(ctx, func(r Reader) (err error) {
		out.Items, out.NextCursor, err = r.PriceLists(page.Normalize())
		return err
	})
	return out, err
}

// SavePriceList creates (id "") or replaces a price list; ifMatch (0 = none) guards a replace.
func (s *Service) SavePriceList(ctx context.Context, id string, in PriceList, ifMatch int64) (PriceList, error) {
	in.Normalize()
	if in.Prices == nil {
		in.Prices = map[string]VariantPrice{}
	}
	if err := in.Validate(); err != nil {
		return PriceList{}, err
	}
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx Tx) error {
		if id == "" {
			in.ID, in.Version, in.CreatedAt = commerce.NewID(), 1, now
		} else {
			old, err := current(tx.PriceList, id, ifMatch)
			if err != nil {
				return err
			}
			in.ID, in.Version, in.CreatedAt = id, old.Version+1, old.CreatedAt
		}
		in.UpdatedAt = now
		if err := tx.PutPriceList(in); err != nil {
			return err
		}
		return emit(tx, EventPriceListSaved, in.ID, now, map[string]any{"id": in.ID, "name": in.Name, "currency": in.Currency,
			"customer_group": in.CustomerGroup, "priority": in.Priority, "variants": len(in.Prices), "version": in.Version})
	})
	return in, err
}

// DeletePriceList deletes a price list.
func (s *Service) DeletePriceList(ctx context.Context, id string, ifMatch int64) error {
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := current(tx.PriceList, id, ifMatch); err != nil {
			return err
		}
		if err := tx.DeletePriceList(id); err != nil {
			return err
		}
		return emit(tx, EventPriceListDeleted, id, now, map[string]any{"id": id})
	})
}

// ---- promotions

// PromotionInput is what staff send for a promotion (the ID is the route's).
type PromotionInput struct {
	Promotion
}

// Promotion returns one promotion.
func (s *Service) Promotion(ctx context.Context, id string) (p PromotionRecord, err error) {
	err = s.store.View(ctx, func(r Reader) error { p, err = r.Promotion(id); return err })
	return p, err
}

// Promotions returns a page of promotions by ID.
func (s *Service) Promotions(ctx context.Context, page commerce.Page) (commerce.List[PromotionRecord], error) {
	out := commerce.List[PromotionRecord]{Items: []PromotionRecord{}}
	err := s.store.View(ctx, func(r Reader) (err error) {
		out.Items, out.NextCursor, err = r.Promotions(page.Normalize())
		return err
	})
	return out, err
}

// SavePromotion creates (id "") or replaces a promotion. Codes are unique (normalized).
func (s *Service) SavePromotion(ctx context.Context, id string, in PromotionInput, ifMatch int64) (PromotionRecord, error) {
	rec := PromotionRecord{Promotion: in.Promotion}
	rec.Name = strings.TrimSpace(rec.Name)
	rec.Code = NormalizeCode(rec.Code)
	rec.ID = "-" // validated below with the real ID
	var v commerce.Validator
	v.Text("name", rec.Name, 200, false)
	if err := addFields(&v, rec.Promotion.Validate()); err != nil {
		return PromotionRecord{}, err
	}
	if err := v.Err(); err != nil {
		return PromotionRecord{}, err
	}
	if rec.Kind != KindFixedAmount {
		rec.Amount = commerce.Money{}
	}
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx Tx) error {
		oldCode := ""
		if id == "" {
			rec.ID, rec.Version, rec.CreatedAt = commerce.NewID(), 1, now
		} else {
			old, err := current(tx.Promotion, id, ifMatch)
			if err != nil {
				return err
			}
			rec.ID, rec.Version, rec.CreatedAt, oldCode = id, old.Version+1, old.CreatedAt, old.Code
		}
		if rec.Code != "" {
			owner, ok, err := tx.PromotionByCode(rec.Code)
			if err != nil {
				return err
			}
			if ok && owner != rec.ID {
				return ErrCodeTaken.WithDetails(map[string]any{"code": rec.Code, "promotion_id": owner})
			}
		}
		rec.UpdatedAt = now
		if err := tx.PutPromotion(rec, oldCode); err != nil {
			return err
		}
		return emit(tx, EventPromotionSaved, rec.ID, now, rec)
	})
	return rec, err
}

// DeletePromotion deletes a promotion (its usage counters stay, for the record).
func (s *Service) DeletePromotion(ctx context.Context, id string, ifMatch int64) error {
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx Tx) error {
		old, err := current(tx.Promotion, id, ifMatch)
		if err != nil {
			return err
		}
		if err := tx.DeletePromotion(old); err != nil {
			return err
		}
		return emit(tx, EventPromotionDeleted, id, now, map[string]any{"id": id, "code": old.Code})
	})
}

// Usage returns a promotion's redemption counts, customers a page at a time.
func (s *Service) Usage(ctx context.Context, id string, page commerce.Page) (PromotionUsage, string, error) {
	var u PromotionUsage
	var next string
	err := s.store.View(ctx, func(r Reader) error {
		if _, err := r.Promotion(id); err != nil {
			return err
		}
		var err error
		u, next, err = r.Usage(id, page.Normalize())
		return err
	})
	return u, next, err
}

// ---- tax zones

// TaxZone returns one tax zone.
func (s *Service) TaxZone(ctx context.Context, id string) (z TaxZone, err error) {
	err = s.store.View(ctx, func(r Reader) error { z, err = r.TaxZone(id); return err })
	return z, err
}

// TaxZones returns every tax zone.
func (s *Service) TaxZones(ctx context.Context) (zs []TaxZone, err error) {
	err = s.store.View(ctx, func(r Reader) error { zs, err = r.TaxZones(); return err })
	return zs, err
}

// SaveTaxZone creates (id "") or replaces a tax zone; one zone per country and region.
func (s *Service) SaveTaxZone(ctx context.Context, id string, in TaxZone, ifMatch int64) (TaxZone, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Region = strings.TrimSpace(in.Region)
	var v commerce.Validator
	v.Text("name", in.Name, 200, false)
	if err := addFields(&v, in.Zone.Validate()); err != nil {
		return TaxZone{}, err
	}
	if err := v.Err(); err != nil {
		return TaxZone{}, err
	}
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx Tx) error {
		if id == "" {
			in.ID, in.Version, in.CreatedAt = commerce.NewID(), 1, now
		} else {
			old, err := current(tx.TaxZone, id, ifMatch)
			if err != nil {
				return err
			}
			in.ID, in.Version, in.CreatedAt = id, old.Version+1, old.CreatedAt
		}
		zones, err := tx.TaxZones()
		if err != nil {
			return err
		}
		for _, z := range zones {
			if z.ID != in.ID && z.Country == in.Country && strings.EqualFold(z.Region, in.Region) {
				return ErrZoneTaken.WithDetails(map[string]any{"tax_zone_id": z.ID})
			}
		}
		in.UpdatedAt = now
		if err := tx.PutTaxZone(in); err != nil {
			return err
		}
		return emit(tx, EventTaxZoneSaved, in.ID, now, in)
	})
	return in, err
}

// DeleteTaxZone deletes a tax zone.
func (s *Service) DeleteTaxZone(ctx context.Context, id string, ifMatch int64) error {
	now := s.clock.Now()
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := current(tx.TaxZone, id, ifMatch); err != nil {
			return err
		}
		if err := tx.DeleteTaxZone(id); err != nil {
			return err
		}
		return emit(tx, EventTaxZoneDeleted, id, now, map[string]any{"id": id})
	})
}

// ---- customer groups

// SetGroup puts a user in a customer group ("" takes them out of any).
func (s *Service) SetGroup(ctx context.Context, userID, group string) (string, error) {
	group = NormalizeGroup(group)
	if group != "" {
		var v commerce.Validator
		ValidGroup(&v, "customer_group", group)
		if err := v.Err(); err != nil {
			return "", err
		}
	}
	now := s.clock.Now()
	err := s.store.Update(ctx, func(tx Tx) error {
		ok, err := tx.UserExists(userID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUserNotFound
		}
		if err := tx.SetGroup(userID, group); err != nil {
			return err
		}
		return emit(tx, EventCustomerGroupSet, userID, now, map[string]any{"user_id": userID, "customer_group": group})
	})
	return group, err
}

// Group returns a user's customer group ("" = none).
func (s *Service) Group(ctx context.Context, userID string) (g string, err error) {
	err = s.store.View(ctx, func(r Reader) error {
		ok, err := r.UserExists(userID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUserNotFound
		}
		g, err = r.Group(userID)
		return err
	})
	return g, err
}
