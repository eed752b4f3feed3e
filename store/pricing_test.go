package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/pricing"
)

func mustPromo(t testing.TB, svc *pricing.Service, in pricing.PromotionInput) pricing.PromotionRecord {
	t.Helper()
	rec, err := svc.SavePromotion(context.Background(), "", in, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestCheckoutPricing: a price list tier, an automatic promotion and an inclusive tax zone
// all show in the order, and the cache follows a promotion's change at once.
func TestCheckoutPricing(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	svc := pricing.NewService(NewPricing(db), nil)
	v := s.product(t, 100) // price 1000 USD
	if _, err := svc.SavePriceList(ctx, "", pricing.PriceList{Name: "base", Currency: "USD",
		Prices: map[string]pricing.VariantPrice{v[0]: {Amount: 900, CompareAt: 1200,
			Tiers: []pricing.Tier{{MinQuantity: 3, Amount: 800}}}}}, 0); err != nil {
		t.Fatal(err)
	}
	promo := mustPromo(t, svc, pricing.PromotionInput{Promotion: pricing.Promotion{Name: "Spring sale", Kind: pricing.KindPercentage, Percent: 1000}})
	if _, err := svc.SaveTaxZone(ctx, "", pricing.TaxZone{Zone: pricing.Zone{Country: "UZ", Rate: 1200, Inclusive: true}}, 0); err != nil {
		t.Fatal(err)
	}
	s.checkout = checkout.NewService(NewCheckout(db), nil, nil, checkout.Config{Tax: checkout.TaxConfig{TaxShipping: true}})
	res, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(s.cartWith(t, "", map[string]int64{v[0]: 3})), checkout.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Order
	// 3 × 800 = 2400; 10% off = 240; tax inclusive 12% of 2160 = 2160 − 1929 (1928.57) = 231.
	if o.Lines[0].UnitPrice.Amount != 800 || o.Subtotal.Amount != 2400 || o.DiscountTotal.Amount != 240 || o.Lines[0].Discount.Amount != 240 {
		t.Fatalf("priced %+v", o)
	}
	if ca := o.Lines[0].CompareAt; ca == nil || ca.Amount != 1200 {
		t.Fatalf("compare-at on the order line: %v, want the list's 1200", ca)
	}
	if !o.TaxInclusive || o.TaxTotal.Amount != 231 || o.Lines[0].Tax.Amount != 231 || o.Total.Amount != 2160 {
		t.Fatalf("taxed: inclusive %v tax %v total %v", o.TaxInclusive, o.TaxTotal, o.Total)
	}
	if len(o.Discounts) != 1 || o.Discounts[0].PromotionID != promo.ID || o.Discounts[0].Title != "Spring sale" {
		t.Fatalf("discounts %+v", o.Discounts)
	}
	// The promotion ends: the next checkout (same cached book until the epoch moves) has none.
	in := pricing.PromotionInput{Promotion: promo.Promotion}
	in.EndsAt = time.Now().Add(-time.Minute)
	in.StartsAt = in.EndsAt.Add(-time.Hour)
	if _, err := svc.SavePromotion(ctx, promo.ID, in, promo.Version); err != nil {
		t.Fatal(err)
	}
	res, err = s.checkout.PlaceOrder(ctx, checkout.Buyer{}, input(s.cartWith(t, "", map[string]int64{v[0]: 1})), checkout.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.DiscountTotal.Amount != 0 || res.Order.Lines[0].UnitPrice.Amount != 900 {
		t.Fatalf("after the change: %+v", res.Order)
	}
	u, _, err := svc.Usage(ctx, promo.ID, commerce.Page{})
	if err != nil || u.Total != 1 {
		t.Fatalf("usage %+v %v", u, err)
	}
}

// TestCouponLimitUnderConcurrency: 40 buyers check out at once with a coupon limited to 10
// uses: exactly 10 orders carry it, the others are refused with 422 on coupons[0] and
// nothing of theirs is written.
func TestCouponLimitUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	svc := pricing.NewService(NewPricing(db), nil)
	v := s.product(t, 1000)
	promo := mustPromo(t, svc, pricing.PromotionInput{Promotion: pricing.Promotion{Code: "ten", Kind: pricing.KindFixedAmount,
		Amount: commerce.Money{Amount: 100, Currency: "USD"}, UsageLimit: 10}})
	const buyers = 40
	carts := make([]string, buyers)
	for i := range carts {
		carts[i] = s.cartWith(t, "", map[string]int64{v[0]: 1})
	}
	var mu sync.Mutex
	ok, refused := 0, 0
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			in := input(carts[i])
			in.Email = fmt.Sprintf("b%d@example.com", i)
			in.Coupons = []string{"TEN"}
			_, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{})
			mu.Lock()
			defer mu.Unlock()
			var e *commerce.Error
			switch {
			case err == nil:
				ok++
			case errors.As(err, &e) && e.Code == "coupon_not_applicable" && len(e.Fields) == 1 && e.Fields[0].Field == "coupons[0]":
				refused++
			default:
				t.Errorf("checkout: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 10 || refused != buyers-10 {
		t.Fatalf("%d orders, %d refused", ok, refused)
	}
	if got := s.stock(t, v[0]); got != 1000-10 {
		t.Fatalf("stock %d: a refused checkout moved stock", got)
	}
	u, _, err := svc.Usage(ctx, promo.ID, commerce.Page{})
	if err != nil || u.Total != 10 {
		t.Fatalf("usage %+v %v", u, err)
	}
	if n := countKeys(t, db, prefixOrder); n != 10 {
		t.Fatalf("%d orders stored", n)
	}
}

// TestCouponPerCustomerLimit: a per-customer limit of 1 refuses the same buyer's second use.
func TestCouponPerCustomerLimit(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	svc := pricing.NewService(NewPricing(db), nil)
	v := s.product(t, 10)
	mustPromo(t, svc, pricing.PromotionInput{Promotion: pricing.Promotion{Code: "once", Kind: pricing.KindPercentage, Percent: 500, PerCustomerLimit: 1}})
	for i, want := range []string{"", "customer_limit"} {
		in := input(s.cartWith(t, "", map[string]int64{v[0]: 1}))
		in.Coupons = []string{"once"}
		_, err := s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{})
		var e *commerce.Error
		if want == "" && err != nil || want != "" && (!errors.As(err, &e) || e.Details["reasons"].(map[string]string)["coupons[0]"] != want) {
			t.Fatalf("checkout %d: %v", i, err)
		}
	}
}

type cartClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *cartClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *cartClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCartMergeAndAbandoned(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	clock := &cartClock{t: time.Now().UTC()}
	carts := cart.NewService(NewCarts(db), clock).WithConfig(cart.Config{TTL: 48 * time.Hour, AbandonedAfter: time.Hour})
	v := s.product(t, 5000, 5000)
	user := cart.Viewer{UserID: "u1"}
	mine, _ := carts.Create(ctx, user)
	if _, err := carts.AddItem(ctx, user, mine.ID, cart.AddItemInput{VariantID: v[0], Quantity: 990}); err != nil {
		t.Fatal(err)
	}
	guest, _ := carts.Create(ctx, cart.Viewer{})
	carts.AddItem(ctx, cart.Viewer{}, guest.ID, cart.AddItemInput{VariantID: v[0], Quantity: 20})
	carts.AddItem(ctx, cart.Viewer{}, guest.ID, cart.AddItemInput{VariantID: v[1], Quantity: 2})
	carts.AddCoupon(ctx, cart.Viewer{}, guest.ID, "save")
	merged, err := carts.Merge(ctx, user, guest.ID)
	if err != nil {
		t.Fatal(err)
	}
	if merged.ID != mine.ID || len(merged.Lines) != 2 || merged.Lines[0].Quantity != cart.MaxQuantity || merged.Lines[1].Quantity != 2 || len(merged.Coupons) != 1 {
		t.Fatalf("merged %+v", merged.Cart)
	}
	if _, err := carts.AddItem(ctx, cart.Viewer{}, guest.ID, cart.AddItemInput{VariantID: v[0], Quantity: 1}); !errors.Is(err, cart.ErrCheckedOut) {
		t.Fatalf("guest cart after merge: %v", err)
	}
	if _, err := carts.Merge(ctx, cart.Viewer{}, guest.ID); !errors.Is(err, cart.ErrNotSignedIn) {
		t.Fatalf("anonymous merge: %v", err)
	}

	// Idle for less than an hour: nothing; past it: flagged once, with an event and a token.
	if n, err := carts.SweepAbandoned(ctx); err != nil || n != 0 {
		t.Fatalf("early sweep: %d %v", n, err)
	}
	events0 := countKeys(t, db, prefixOutbox)
	clock.add(61 * time.Minute)
	if n, err := carts.SweepAbandoned(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if n, _ := carts.SweepAbandoned(ctx); n != 0 {
		t.Fatalf("flagged twice")
	}
	var token string
	err = db.View(ctx, func(r *Reader) error {
		return r.Scan([]byte(prefixOutbox), PrefixEnd([]byte(prefixOutbox)), func(_, v []byte) error {
			var ev commerce.Event
			if err := decode(v, &ev); err != nil {
				return err
			}
			if ev.Type == cart.EventAbandoned {
				var d struct {
					Token  string `json:"recovery_token"`
					UserID string `json:"user_id"`
				}
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					return err
				}
				token = d.Token
			}
			return nil
		})
	})
	if err != nil || token == "" || countKeys(t, db, prefixOutbox) != events0+1 {
		t.Fatalf("no cart.abandoned event: %v", err)
	}
	got, err := carts.Recover(ctx, token)
	if err != nil || got.ID != mine.ID {
		t.Fatalf("recover: %+v %v", got.Cart, err)
	}
	if _, err := carts.Recover(ctx, token+"x"); !errors.Is(err, cart.ErrNotFound) {
		t.Fatalf("bad token: %v", err)
	}
	// A change clears the flag; idle again, flagged again.
	if _, err := carts.UpdateItem(ctx, user, mine.ID, merged.Lines[1].ID, 3); err != nil {
		t.Fatal(err)
	}
	clock.add(2 * time.Hour)
	if n, _ := carts.SweepAbandoned(ctx); n != 1 {
		t.Fatalf("not flagged again after a change")
	}
	// The token expires with the cart.
	clock.add(49 * time.Hour)
	if _, err := carts.Recover(ctx, token); !errors.Is(err, cart.ErrNotFound) {
		t.Fatalf("expired token: %v", err)
	}
}

// TestCancelledOrderGivesBackCoupon: a cancelled order did not use its coupon up — its
// redemption (total and the customer's) is given back in the cancellation's update.
func TestCancelledOrderGivesBackCoupon(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	s := newShop(t, db)
	svc := pricing.NewService(NewPricing(db), nil)
	v := s.product(t, 10)
	promo := mustPromo(t, svc, pricing.PromotionInput{Promotion: pricing.Promotion{Code: "once", Kind: pricing.KindPercentage, Percent: 500,
		UsageLimit: 1, PerCustomerLimit: 1}})
	place := func() (checkout.Result, error) {
		in := input(s.cartWith(t, "", map[string]int64{v[0]: 1}))
		in.Coupons = []string{"once"}
		return s.checkout.PlaceOrder(ctx, checkout.Buyer{}, in, checkout.Idempotency{})
	}
	first, err := place()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := place(); err == nil {
		t.Fatal("a second use of a limit-1 coupon was accepted")
	}
	if _, err := s.orders.SetStatus(ctx, "admin:test", first.Order.ID, orders.StatusInput{Status: orders.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	usage, _, err := svc.Usage(ctx, promo.ID, commerce.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if usage.Total != 0 {
		t.Fatalf("usage after the cancellation: %d, want 0", usage.Total)
	}
	if _, err := place(); err != nil {
		t.Fatalf("the coupon given back by the cancellation cannot be used again: %v", err)
	}
}
