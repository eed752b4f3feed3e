package cart

import (
	"context"
	"errors"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Service runs the cart use cases. Changes are one small atomic update each (the cart, one
// quote); the returned view is priced afterwards from a snapshot, off the serialized writer.
type Service struct {
	store Store
	clock commerce.Clock
	cfg   Config
}

// NewService returns the cart service on store; a nil clock means the system clock.
func NewService(store Store, clock commerce.Clock) *Service {
	clock = commerce.OrSystemClock(clock)
	return &Service{store: store, clock: clock, cfg: Config{TTL: TTL, AbandonedAfter: 4 * time.Hour}}
}

// WithConfig sets the expiry, abandonment and pricing of carts (zero values keep the
// defaults) and returns s.
func (s *Service) WithConfig(cfg Config) *Service {
	if cfg.TTL > 0 {
		s.cfg.TTL = cfg.TTL
	}
	if cfg.AbandonedAfter > 0 {
		s.cfg.AbandonedAfter = cfg.AbandonedAfter
	}
	s.cfg.Quoter = cfg.Quoter
	return s
}

// AddItemInput is a variant and a quantity to add.
type AddItemInput struct {
	VariantID string
	Quantity  int64
}

// Create makes an empty cart: a guest cart, or v's own when v is a user.
func (s *Service) Create(ctx context.Context, v Viewer) (View, error) {
	now := s.clock.Now()
	c := Cart{
		ID: commerce.NewSecret(idBytes), Ref: commerce.NewID(), UserID: v.UserID, Lines: []Line{},
		Status: StatusOpen, Version: 1, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.cfg.TTL),
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.PutCart(c); err != nil {
			return err
		}
		return emit(tx, EventCreated, c, now, map[string]any{"cart_ref": c.Ref, "user_id": c.UserID})
	})
	if err != nil {
		return View{}, err
	}
	return Price(c, nil), nil
}

// Get returns the cart priced from the catalog now.
func (s *Service) Get(ctx context.Context, v Viewer, id string) (View, error) {
	var view View
	err := s.store.View(ctx, func(r Reader) error {
		c, err := s.load(r, v, id)
		if err != nil {
			return err
		}
		view, err = s.priceWith(r, c)
		return err
	})
	return view, err
}

// AddItem adds quantity units of a variant; a variant already in the cart gets them added to
// its line. The variant must exist and be for sale in the cart's currency, with the stock.
func (s *Service) AddItem(ctx context.Context, v Viewer, id string, in AddItemInput) (View, error) {
	var val commerce.Validator
	val.Check(in.VariantID != "", "variant_id", "is required")
	val.Check(in.Quantity >= 1 && in.Quantity <= MaxQuantity, "quantity", "must be between 1 and 999")
	if err := val.Err(); err != nil {
		return View{}, err
	}
	return s.change(ctx, v, id, func(tx Tx, c *Cart, now commerce.Clock) error {
		q, err := tx.Quote(in.VariantID)
		if errors.Is(err, ErrVariantNotFound) {
			return commerce.Invalid(commerce.FieldError{Field: "variant_id", Message: "no such variant"})
		} else if err != nil {
			return err
		}
		if !q.Active {
			return commerce.Invalid(commerce.FieldError{Field: "variant_id", Message: "is not for sale"})
		}
		if c.Currency != "" && len(c.Lines) > 0 && q.Price.Currency != c.Currency {
			return ErrCurrencyMismatch.WithDetails(map[string]any{"cart_currency": c.Currency, "variant_currency": q.Price.Currency})
		}
		at := now.Now()
		for i := range c.Lines {
			l := &c.Lines[i]
			if l.VariantID != in.VariantID {
				continue
			}
			if l.Quantity+in.Quantity > MaxQuantity {
				return commerce.Invalid(commerce.FieldError{Field: "quantity", Message: "the line would hold more than 999 units"})
			}
			if q.Stock < l.Quantity+in.Quantity {
				return outOfStock(q, l.Quantity+in.Quantity)
			}
			l.Quantity += in.Quantity
			return emit(tx, EventLineUpdated, *c, at, map[string]any{"cart_ref": c.Ref, "line_id": l.ID, "variant_id": l.VariantID, "quantity": l.Quantity})
		}
		if len(c.Lines) >= MaxLines {
			return ErrFull.WithDetails(map[string]any{"max_lines": MaxLines})
		}
		if q.Stock < in.Quantity {
			return outOfStock(q, in.Quantity)
		}
		l := Line{ID: commerce.NewID(), VariantID: q.VariantID, ProductID: q.ProductID, SKU: q.SKU, Title: q.Title,
			Options: q.Options, Quantity: in.Quantity, AddedAt: at}
		c.Lines = append(c.Lines, l)
		c.Currency = q.Price.Currency
		return emit(tx, EventLineAdded, *c, at, map[string]any{"cart_ref": c.Ref, "line_id": l.ID, "variant_id": l.VariantID, "quantity": l.Quantity})
	})
}

// UpdateItem sets a line's quantity.
func (s *Service) UpdateItem(ctx context.Context, v Viewer, id, lineID string, quantity int64) (View, error) {
	if err := ValidQuantity(quantity); err != nil {
		return View{}, err
	}
	return s.change(ctx, v, id, func(tx Tx, c *Cart, now commerce.Clock) error {
		i := lineIndex(*c, lineID)
		if i < 0 {
			return ErrLineNotFound
		}
		l := &c.Lines[i]
		if quantity > l.Quantity { // more units need the stock; fewer never do
			q, err := tx.Quote(l.VariantID)
			if errors.Is(err, ErrVariantNotFound) {
				return ErrOutOfStock.WithDetails(map[string]any{"variant_id": l.VariantID, "sku": l.SKU, "requested": quantity, "available": 0})
			} else if err != nil {
				return err
			}
			if q.Stock < quantity {
				return outOfStock(q, quantity)
			}
		}
		l.Quantity = quantity
		return emit(tx, EventLineUpdated, *c, now.Now(), map[string]any{"cart_ref": c.Ref, "line_id": l.ID, "variant_id": l.VariantID, "quantity": l.Quantity})
	})
}

// RemoveItem deletes a line.
func (s *Service) RemoveItem(ctx context.Context, v Viewer, id, lineID string) (View, error) {
	return s.change(ctx, v, id, func(tx Tx, c *Cart, now commerce.Clock) error {
		i := lineIndex(*c, lineID)
		if i < 0 {
			return ErrLineNotFound
		}
		l := c.Lines[i]
		c.Lines = append(c.Lines[:i:i], c.Lines[i+1:]...)
		if len(c.Lines) == 0 {
			c.Currency = ""
		}
		return emit(tx, EventLineRemoved, *c, now.Now(), map[string]any{"cart_ref": c.Ref, "line_id": l.ID, "variant_id": l.VariantID})
	})
}

// change loads an open cart v may change, applies fn and writes it back with a new version
// and expiry, in one update; then prices the result.
func (s *Service) change(ctx context.Context, v Viewer, id string, fn func(Tx, *Cart, commerce.Clock) error) (View, error) {
	var out Cart
	err := s.store.Update(ctx, func(tx Tx) error {
		c, err := s.load(tx, v, id)
		if err != nil {
			return err
		}
		if c.Status != StatusOpen {
			return ErrCheckedOut.WithDetails(map[string]any{"order_id": c.OrderID})
		}
		if err := fn(tx, &c, s.clock); err != nil {
			return err
		}
		now := s.clock.Now()
		c.Version++
		c.UpdatedAt, c.ExpiresAt = now, now.Add(s.cfg.TTL)
		c.AbandonedAt = time.Time{} // activity: the cart may be abandoned again later
		out = c
		return tx.PutCart(c)
	})
	if err != nil {
		return View{}, err
	}
	var view View
	err = s.store.View(ctx, func(r Reader) (err error) { view, err = s.priceWith(r, out); return err })
	return view, err
}

// load reads a cart v may see: missing, expired and other users' carts are all not found.
func (s *Service) load(r Reader, v Viewer, id string) (Cart, error) {
	if !ValidID(id) {
		return Cart{}, ErrNotFound
	}
	c, err := r.Cart(id)
	if err != nil {
		return Cart{}, err
	}
	if !Accessible(c, v) || (c.Status == StatusOpen && !s.clock.Now().Before(c.ExpiresAt)) {
		return Cart{}, ErrNotFound
	}
	return c, nil
}

// priceWith quotes every line of c through r and prices it, with the shop's pricing when
// a Quoter is configured.
func (s *Service) priceWith(r Reader, c Cart) (View, error) {
	quotes := make(map[string]Quote, len(c.Lines))
	for _, l := range c.Lines {
		q, err := r.Quote(l.VariantID)
		if errors.Is(err, ErrVariantNotFound) {
			continue
		} else if err != nil {
			return View{}, err
		}
		quotes[l.VariantID] = q
	}
	return s.viewOf(r, Price(c, quotes))
}

// viewOf adds the shop's pricing to a view priced from the catalog (r nil: an empty cart).
func (s *Service) viewOf(r Reader, v View) (View, error) {
	if s.cfg.Quoter == nil || r == nil || len(v.Items) == 0 {
		return v, nil
	}
	p, err := s.cfg.Quoter.Quote(r, v.Cart, v.Items)
	if err != nil {
		return View{}, err
	}
	applyPricing(&v, p)
	return v, nil
}

func lineIndex(c Cart, lineID string) int {
	for i, l := range c.Lines {
		if l.ID == lineID {
			return i
		}
	}
	return -1
}

// emit appends a cart event; its aggregate is the cart's public Ref.
func emit(tx Tx, typ string, c Cart, at time.Time, data map[string]any) error {
	ev, err := commerce.NewEvent(typ, c.Ref, at, data)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return nil
}
