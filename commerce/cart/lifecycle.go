package cart

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Lifecycle reads and writes the store offers besides the cart rows.
type Lifecycle interface {
	// UserCarts returns a user's carts (any status).
	UserCarts(userID string) ([]Cart, error)
	// IdleCarts returns up to limit open account carts with lines, not flagged abandoned,
	// unchanged since before, oldest first.
	IdleCarts(before time.Time, limit int) ([]Cart, error)
	PutRecovery(tokenHash, cartID string, expires time.Time) error
}

// Recoveries reads recovery tokens (a Reader of the store offers it).
type Recoveries interface {
	// Recovery returns the cart a recovery token hash opens, and until when; ok false if none.
	Recovery(tokenHash string) (cartID string, expires time.Time, ok bool, err error)
}

// ErrNotSignedIn is a merge without an account to merge into.
var ErrNotSignedIn = &commerce.Error{Kind: commerce.EUnauthorized, Code: "unauthorized", Message: "cart: sign in to merge a cart into your account"}

// recoveryBytes is the randomness of a recovery token (256 bits).
const recoveryBytes = 32

// HashToken is how recovery tokens are stored: hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AddCoupon keeps a coupon code on the cart (normalized, once). Whether it applies shows in
// the cart's pricing; checkout refuses codes that do not apply.
func (s *Service) AddCoupon(ctx context.Context, v Viewer, id, code string) (View, error) {
	code = normalizeCode(code)
	var val commerce.Validator
	val.Check(code != "" && len(code) <= 64 && !strings.ContainsAny(code, " \t\r\n"), "code", "must be 1-64 characters without spaces")
	if err := val.Err(); err != nil {
		return View{}, err
	}
	return s.change(ctx, v, id, func(tx Tx, c *Cart, now commerce.Clock) error {
		if slices.Contains(c.Coupons, code) {
			return nil
		}
		if len(c.Coupons) >= MaxCoupons {
			return commerce.Invalid(commerce.FieldError{Field: "code", Message: "a cart keeps at most 10 codes"})
		}
		c.Coupons = append(c.Coupons, code)
		return emit(tx, EventCouponAdded, *c, now.Now(), map[string]any{"cart_ref": c.Ref, "code": code})
	})
}

// RemoveCoupon drops a coupon code from the cart; a code it does not keep is not found.
func (s *Service) RemoveCoupon(ctx context.Context, v Viewer, id, code string) (View, error) {
	code = normalizeCode(code)
	return s.change(ctx, v, id, func(tx Tx, c *Cart, now commerce.Clock) error {
		i := slices.Index(c.Coupons, code)
		if i < 0 {
			return ErrCouponNotFound
		}
		c.Coupons = slices.Delete(c.Coupons, i, i+1)
		if len(c.Coupons) == 0 {
			c.Coupons = nil
		}
		return emit(tx, EventCouponRemoved, *c, now.Now(), map[string]any{"cart_ref": c.Ref, "code": code})
	})
}

// ErrCouponNotFound is a code the cart does not keep.
var ErrCouponNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "coupon_not_found", Message: "cart: the cart keeps no such code"}

func normalizeCode(c string) string { return strings.ToUpper(strings.TrimSpace(c)) }

// Merge moves the lines and codes of the guest cart id into v's open account cart (the most
// recently changed one; a new one when v has none), summing quantities per variant capped at
// MaxQuantity, and closes the guest cart (StatusMerged), in one update. Returns the account cart.
func (s *Service) Merge(ctx context.Context, v Viewer, id string) (View, error) {
	if v.UserID == "" {
		return View{}, ErrNotSignedIn
	}
	var out Cart
	err := s.store.Update(ctx, func(tx Tx) error {
		g, err := s.load(tx, Viewer{UserID: v.UserID}, id)
		if err != nil {
			return err
		}
		if g.UserID != "" { // already an account cart (v's own): nothing to merge
			out = g
			return nil
		}
		if g.Status != StatusOpen {
			return ErrCheckedOut.WithDetails(map[string]any{"order_id": g.OrderID, "status": g.Status})
		}
		lc, ok := tx.(Lifecycle)
		if !ok {
			return commerce.Errorf(commerce.EInternal, "internal", "cart: the store cannot list a user's carts")
		}
		now := s.clock.Now()
		mine, err := lc.UserCarts(v.UserID)
		if err != nil {
			return err
		}
		var target *Cart
		for i := range mine {
			c := &mine[i]
			if c.Status == StatusOpen && now.Before(c.ExpiresAt) && (target == nil || c.UpdatedAt.After(target.UpdatedAt)) {
				target = c
			}
		}
		if target == nil {
			target = &Cart{ID: commerce.NewSecret(idBytes), Ref: commerce.NewID(), UserID: v.UserID, Lines: []Line{},
				Status: StatusOpen, CreatedAt: now}
		}
		if len(g.Lines) > 0 && len(target.Lines) > 0 && g.Currency != target.Currency {
			return ErrCurrencyMismatch.WithDetails(map[string]any{"cart_currency": target.Currency, "guest_cart_currency": g.Currency})
		}
		for _, l := range g.Lines {
			i := slices.IndexFunc(target.Lines, func(t Line) bool { return t.VariantID == l.VariantID })
			if i >= 0 {
				target.Lines[i].Quantity = min(target.Lines[i].Quantity+l.Quantity, MaxQuantity)
				continue
			}
			if len(target.Lines) >= MaxLines {
				return ErrFull.WithDetails(map[string]any{"max_lines": MaxLines})
			}
			target.Lines = append(target.Lines, l)
		}
		if len(target.Lines) > 0 && target.Currency == "" {
			target.Currency = g.Currency
		}
		for _, code := range g.Coupons {
			if !slices.Contains(target.Coupons, code) && len(target.Coupons) < MaxCoupons {
				target.Coupons = append(target.Coupons, code)
			}
		}
		target.Version++
		target.UpdatedAt, target.ExpiresAt, target.AbandonedAt = now, now.Add(s.cfg.TTL), time.Time{}
		moved := len(g.Lines)
		g.Status, g.Lines, g.Coupons = StatusMerged, []Line{}, nil
		g.Version++
		g.UpdatedAt = now
		if err := tx.PutCart(g); err != nil {
			return err
		}
		if err := tx.PutCart(*target); err != nil {
			return err
		}
		out = *target
		return emit(tx, EventMerged, *target, now, map[string]any{"cart_ref": target.Ref, "from_cart_ref": g.Ref, "user_id": v.UserID, "lines_moved": moved})
	})
	if err != nil {
		return View{}, err
	}
	var view View
	err = s.store.View(ctx, func(r Reader) (err error) { view, err = s.priceWith(r, out); return err })
	return view, err
}

// SweepAbandoned flags the account carts idle for AbandonedAfter at now and emits
// cart.abandoned for each, with a new recovery token (stored hashed, valid until the cart
// expires), in one update per batch of up to 200 carts. Returns how many it flagged.
func (s *Service) SweepAbandoned(ctx context.Context) (int, error) {
	total := 0
	for {
		n, seen := 0, 0
		err := s.store.Update(ctx, func(tx Tx) error {
			n, seen = 0, 0
			lc, ok := tx.(Lifecycle)
			if !ok {
				return commerce.Errorf(commerce.EInternal, "internal", "cart: the store cannot find idle carts")
			}
			now := s.clock.Now()
			cutoff := now.Add(-s.cfg.AbandonedAfter)
			idle, err := lc.IdleCarts(cutoff, 200)
			if err != nil {
				return err
			}
			seen = len(idle)
			for _, c := range idle {
				if c.Status != StatusOpen || c.UserID == "" || len(c.Lines) == 0 || !c.AbandonedAt.IsZero() || c.UpdatedAt.After(cutoff) {
					continue
				}
				if !now.Before(c.ExpiresAt) { // expired unseen (the sweep was off): only leave the idle index
					c.AbandonedAt = now
					if err := tx.PutCart(c); err != nil {
						return err
					}
					continue
				}
				token := commerce.NewSecret(recoveryBytes)
				if err := lc.PutRecovery(HashToken(token), c.ID, c.ExpiresAt); err != nil {
					return err
				}
				c.AbandonedAt = now
				c.Version++
				if err := tx.PutCart(c); err != nil {
					return err
				}
				items := make([]map[string]any, len(c.Lines))
				for i, l := range c.Lines {
					items[i] = map[string]any{"variant_id": l.VariantID, "product_id": l.ProductID, "sku": l.SKU, "title": l.Title, "quantity": l.Quantity}
				}
				if err := emit(tx, EventAbandoned, c, now, map[string]any{"cart_ref": c.Ref, "user_id": c.UserID, "items": items,
					"recovery_token": token, "expires_at": c.ExpiresAt}); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil || seen < 200 {
			return total, err
		}
	}
}

// Recover returns the cart a recovery token opens (a guest gets its ID again); an unknown
// or expired token is not found.
func (s *Service) Recover(ctx context.Context, token string) (View, error) {
	token = strings.TrimSpace(token)
	if len(token) < 20 || len(token) > 100 {
		return View{}, ErrNotFound
	}
	var view View
	err := s.store.View(ctx, func(r Reader) error {
		lc, ok := r.(Recoveries)
		if !ok {
			return ErrNotFound
		}
		id, expires, ok, err := lc.Recovery(HashToken(token))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if !ok || !now.Before(expires) {
			return ErrNotFound
		}
		c, err := r.Cart(id)
		if err != nil {
			return err
		}
		if c.Status == StatusOpen && !now.Before(c.ExpiresAt) {
			return ErrNotFound
		}
		view, err = s.priceWith(r, c)
		return err
	})
	return view, err
}
