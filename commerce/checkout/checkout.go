// Package checkout turns a cart into an order. In one atomic update it re-prices every line
// (price lists and tiers), quotes the chosen shipping method, applies promotions and coupons,
// computes taxes, reserves the stock of every line in the warehouses, numbers the order
// (gap-free), writes it, starts its payment, screens it with the fraud rules, marks the cart
// checked out and records the Idempotency-Key receipt, so a retry after a crash finds the
// order it already placed. Each step lives in its own file (price.go, ship.go, discount.go,
// tax.go, reserve.go, pay.go, screen.go) and reads and writes through the step's part of Tx.
package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/cart"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// ReceiptTTL is how long an Idempotency-Key receipt of a checkout is kept.
const ReceiptTTL = 24 * time.Hour

// Input is what the shopper sends.
type Input struct {
	CartID           string         `json:"cart_id"`
	Email            string         `json:"email"`
	PaymentMethod    string         `json:"payment_method"`
	ShippingAddress  orders.Address `json:"shipping_address"`
	ShippingMethodID string         `json:"shipping_method_id,omitempty"` // ship.go: "" picks the cheapest method that serves the address
	Coupons          []string       `json:"coupons,omitempty"`            // discount.go: coupon codes entered by the shopper
	GiftCardCode     string         `json:"gift_card_code,omitempty"`     // pay.go: the card paying with payment_method "gift_card"
}

// Buyer is who checks out: a signed-in user (UserID, with the account's e-mail) or a guest.
type Buyer struct {
	UserID string
	Actor  string // how histories and events name the buyer ("user:<id>"); "" means "anonymous"
	IP     string // the client's address (fraud rules)
}

// Idempotency names a checkout retried under the same key: Scope is who sent it and where
// (principal, method, path), Key the client's Idempotency-Key. Empty Key means none.
type Idempotency struct {
	Scope string
	Key   string
}

// Receipt is what a checkout keeps under its Idempotency-Key, in the order's own batch.
type Receipt struct {
	RequestHash string    `json:"request_hash"`
	OrderID     string    `json:"order_id"`
	AccessKey   string    `json:"access_key"` // returned again on a retry (the order keeps only its hash)
	ExpiresAt   time.Time `json:"expires_at"`
}

// Result is a placed order and its guest access key (shown once).
type Result struct {
	Order     orders.Order
	AccessKey string
	Replayed  bool // the order was placed by an earlier request with the same Idempotency-Key
}

// Tx is one atomic checkout: reads and writes of the store adapter, decisions here. Each
// step adds what it needs through its own interface (PriceTx in price.go, and so on).
type Tx interface {
	PriceTx
	ShipTx
	DiscountTx
	TaxTx
	ReserveTx
	PayTx
	ScreenTx
	Cart(id string) (cart.Cart, error)                    // cart.ErrNotFound when missing
	Variant(variantID string) (catalog.VariantRef, error) // catalog.ErrVariantNotFound when missing; Stock is current
	NextOrderNumber() (int64, error)                      // increments the counter in this update
	Order(id string) (orders.Order, error)
	PutOrder(o orders.Order) error // a new order and its index rows
	PutCart(c cart.Cart) error
	Receipt(idem Idempotency) (Receipt, bool, error)
	PutReceipt(idem Idempotency, r Receipt) error
	Emit(ev commerce.Event)
}

// Store runs a checkout as one atomic, durable update.
type Store interface {
	Checkout(ctx context.Context, fn func(Tx) error) error
}

// Accounts tells a signed-in buyer's e-mail address.
type Accounts interface {
	Email(ctx context.Context, userID string) (string, error)
}

// Errors.
var (
	ErrEmptyCart     = &commerce.Error{Kind: commerce.EInvalid, Code: "cart_empty", Message: "checkout: the cart is empty", Fields: []commerce.FieldError{{Field: "cart_id", Message: "the cart has no lines"}}}
	ErrOutOfStock    = &commerce.Error{Kind: commerce.EConflict, Code: "out_of_stock", Message: "checkout: not enough stock"}
	ErrUnavailable   = &commerce.Error{Kind: commerce.EConflict, Code: "line_unavailable", Message: "checkout: a line's variant is no longer for sale"}
	ErrKeyReused     = &commerce.Error{Kind: commerce.EInvalid, Code: "idempotency_key_reused", Message: "checkout: this Idempotency-Key was used with a different request", Fields: []commerce.FieldError{{Field: "Idempotency-Key", Message: "was used with a different request body"}}}
	ErrCurrencyMixed = &commerce.Error{Kind: commerce.EConflict, Code: "currency_mismatch", Message: "checkout: a line is now priced in another currency than the cart"}
)

// Config is what the steps need to know besides the store; each step owns its part.
type Config struct {
	Price    PriceConfig
	Ship     ShipConfig
	Discount DiscountConfig
	Tax      TaxConfig
	Reserve  ReserveConfig
	Pay      PayConfig
	Screen   ScreenConfig
}

// Service runs checkout.
type Service struct {
	store    Store
	accounts Accounts
	clock    commerce.Clock
	cfg      Config
}

// NewService returns the checkout service; a nil clock means the system clock.
func NewService(store Store, accounts Accounts, clock commerce.Clock, cfg Config) *Service {
	clock = commerce.OrSystemClock(clock)
	return &Service{store: store, accounts: accounts, clock: clock, cfg: cfg}
}

// Placement is an order being placed, handed from step to step inside the update.
type Placement struct {
	Buyer Buyer
	Input Input
	Cart  cart.Cart
	Now   time.Time
	// Items are the order's variants in cart order with the units wanted and what the
	// catalog says of them now; Order.Lines[i] is Items[i] priced.
	Items []Item
	Order orders.Order
}

// Item is one variant of a placement.
type Item struct {
	Ref      catalog.VariantRef
	Quantity int64
}

// validate normalizes in and reports every bad field.
func validate(in *Input, b Buyer) error {
	in.CartID = strings.TrimSpace(in.CartID)
	in.Email = strings.TrimSpace(in.Email)
	in.PaymentMethod = strings.ToLower(strings.TrimSpace(in.PaymentMethod))
	in.ShippingAddress = in.ShippingAddress.Normalize()
	var v commerce.Validator
	v.Check(in.CartID != "", "cart_id", "is required")
	switch {
	case in.Email == "" && b.UserID == "":
		v.Add("email", "is required for a guest checkout")
	case in.Email != "":
		a, err := mail.ParseAddress(in.Email)
		v.Check(err == nil && a.Address == in.Email && len(in.Email) <= 254, "email", "must be a valid e-mail address")
	}
	in.ShippingAddress.Validate(&v, "shipping_address.")
	in.ShippingMethodID = strings.TrimSpace(in.ShippingMethodID)
	in.GiftCardCode = strings.TrimSpace(in.GiftCardCode)
	v.Check(len(in.Coupons) <= 10, "coupons", "at most 10 codes")
	for i, c := range in.Coupons {
		in.Coupons[i] = strings.TrimSpace(c)
		v.Check(in.Coupons[i] != "" && len(in.Coupons[i]) <= 64, fmt.Sprintf("coupons[%d]", i), "must be 1-64 characters")
	}
	return v.Err()
}

// requestHash identifies a checkout request for its Idempotency-Key: the normalized input
// and the buyer.
func requestHash(in Input, b Buyer) string {
	raw, _ := json.Marshal(struct {
		Input
		Buyer string `json:"buyer"`
	}{in, b.UserID})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// PlaceOrder checks out the cart. With an Idempotency-Key, a request already done returns
// the same order (Replayed) and a different request under the same key is refused.
func (s *Service) PlaceOrder(ctx context.Context, b Buyer, in Input, idem Idempotency) (Result, error) {
	if err := validate(&in, b); err != nil {
		return Result{}, err
	}
	if err := s.validatePayment(&in); err != nil {
		return Result{}, err
	}
	email := in.Email
	if email == "" {
		if s.accounts == nil {
			return Result{}, commerce.Invalid(commerce.FieldError{Field: "email", Message: "is required"})
		}
		var err error
		if email, err = s.accounts.Email(ctx, b.UserID); err != nil {
			return Result{}, err
		}
	}
	hash := requestHash(in, b)
	var res Result
	err := s.store.Checkout(ctx, func(tx Tx) error {
		if idem.Key != "" {
			rec, ok, err := tx.Receipt(idem)
			if err != nil {
				return err
			}
			if ok && rec.ExpiresAt.After(s.clock.Now()) {
				if rec.RequestHash != hash {
					return ErrKeyReused
				}
				o, err := tx.Order(rec.OrderID)
				if err != nil {
					return err
				}
				res = Result{Order: o, AccessKey: rec.AccessKey, Replayed: true}
				return nil
			}
		}
		var err error
		res, err = s.place(tx, b, in, email)
		if err != nil {
			return err
		}
		if idem.Key != "" {
			return tx.PutReceipt(idem, Receipt{RequestHash: hash, OrderID: res.Order.ID, AccessKey: res.AccessKey, ExpiresAt: s.clock.Now().Add(ReceiptTTL)})
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// place is the checkout proper, inside the update.
func (s *Service) place(tx Tx, b Buyer, in Input, email string) (Result, error) {
	now := s.clock.Now()
	if !cart.ValidID(in.CartID) {
		return Result{}, cart.ErrNotFound
	}
	c, err := tx.Cart(in.CartID)
	if err != nil {
		return Result{}, err
	}
	// Yours: a guest cart to whoever holds its ID, an account cart to its owner only.
	if (c.UserID != "" && c.UserID != b.UserID) || (c.Status == cart.StatusOpen && !now.Before(c.ExpiresAt)) {
		return Result{}, cart.ErrNotFound
	}
	if c.Status != cart.StatusOpen {
		return Result{}, cart.ErrCheckedOut.WithDetails(map[string]any{"order_id": c.OrderID})
	}
	if len(c.Lines) == 0 {
		return Result{}, ErrEmptyCart
	}

	// Aggregate per variant (a cart keeps one line per variant, but do not rely on it), keep
	// the cart's line order.
	want := make(map[string]int64, len(c.Lines))
	var order []string
	for _, l := range c.Lines {
		if _, ok := want[l.VariantID]; !ok {
			order = append(order, l.VariantID)
		}
		want[l.VariantID] += l.Quantity
	}
	p := &Placement{Buyer: b, Input: in, Cart: c, Now: now, Items: make([]Item, len(order))}
	p.Order = orders.Order{
		ID: commerce.NewID(), UserID: b.UserID, Email: email, Status: orders.StatusPending,
		Lines: make([]orders.Line, 0, len(order)), ShippingAddress: in.ShippingAddress, PaymentMethod: in.PaymentMethod,
		CartRef: c.Ref, ClientIP: b.IP, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	zero := commerce.Money{Currency: c.Currency}
	p.Order.Subtotal, p.Order.DiscountTotal, p.Order.ShippingTotal, p.Order.TaxTotal = zero, zero, zero, zero
	for i, vid := range order {
		ref, err := tx.Variant(vid)
		if errors.Is(err, catalog.ErrVariantNotFound) {
			return Result{}, ErrUnavailable.WithDetails(map[string]any{"variant_id": vid})
		} else if err != nil {
			return Result{}, err
		}
		if ref.ProductStatus != catalog.StatusActive {
			return Result{}, ErrUnavailable.WithDetails(map[string]any{"variant_id": vid, "sku": ref.Variant.SKU})
		}
		p.Items[i] = Item{Ref: ref, Quantity: want[vid]}
	}
	// The steps, in this order: shipping is priced before promotions (free shipping), taxes
	// after discounts, stock is reserved once the order is known to be priceable. Nothing a
	// step writes survives a later step's error: the whole update is dropped.
	steps := []func(Tx, *Placement) error{s.price, s.ship, s.discount, s.tax, s.reserve}
	for _, step := range steps {
		if err := step(tx, p); err != nil {
			return Result{}, err
		}
	}
	o := &p.Order
	o.Total, err = o.Subtotal.Sub(o.DiscountTotal)
	if err == nil {
		o.Total, err = o.Total.Add(o.ShippingTotal)
	}
	if err == nil && !o.TaxInclusive {
		o.Total, err = o.Total.Add(o.TaxTotal)
	}
	if err != nil {
		return Result{}, err
	}
	if o.Number, err = tx.NextOrderNumber(); err != nil {
		return Result{}, err
	}
	actor := b.Actor
	if actor == "" {
		actor = "anonymous"
	}
	o.History = []orders.Change{{Status: orders.StatusPending, At: now, Actor: actor}}
	key, keyHash := orders.NewAccessKey()
	o.AccessKeyHash = keyHash
	// Payment and fraud screening see the numbered order and may change it (payment status,
	// a review hold) before it is written.
	if err := s.pay(tx, p); err != nil {
		return Result{}, err
	}
	if err := s.screen(tx, p); err != nil {
		return Result{}, err
	}
	if err := tx.PutOrder(*o); err != nil {
		return Result{}, err
	}
	c.Status, c.OrderID = cart.StatusCheckedOut, o.ID
	c.Version++
	c.UpdatedAt = now
	if err := tx.PutCart(c); err != nil {
		return Result{}, err
	}
	ev, err := commerce.NewEvent(orders.EventPlaced, o.ID, now, orders.EventDataOf(*o))
	if err != nil {
		return Result{}, err
	}
	ev.Actor = actor
	tx.Emit(ev)
	return Result{Order: *o, AccessKey: key}, nil
}
