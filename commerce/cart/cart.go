// Package cart owns shopping carts: guest carts addressed by an unguessable ID, account
// carts that belong to a user, their lines, and totals priced from the catalog at read time
// (a cart never stores a price). Storage is an adapter implementing Store.
package cart

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Cart statuses.
const (
	StatusOpen       = "open"
	StatusCheckedOut = "checked_out" // read-only from now on; OrderID names the order
	StatusMerged     = "merged"      // a guest cart whose lines moved into an account's cart on sign-in; read-only
)

// Limits.
const (
	MaxQuantity = 999                 // units of one variant in one cart
	MaxLines    = 100                 // distinct variants in one cart
	TTL         = 30 * 24 * time.Hour // a cart untouched this long is gone (Config.TTL overrides it)
	MaxCoupons  = 10                  // coupon codes kept on one cart
	idBytes     = 16                  // 128 random bits in a cart ID
)

// Event types. Data is small: the cart's public Ref (never its ID, which is a bearer
// secret for guests), the line and the quantity.
const (
	EventCreated       = "cart.created"
	EventLineAdded     = "cart.line_added"
	EventLineUpdated   = "cart.line_updated"
	EventLineRemoved   = "cart.line_removed"
	EventCouponAdded   = "cart.coupon_added"
	EventCouponRemoved = "cart.coupon_removed"
	EventMerged        = "cart.merged"
	EventAbandoned     = "cart.abandoned" // carries the recovery token: consumers send it to the buyer, never log it
)

// Cart is a stored cart. ID is the secret a guest addresses it by; Ref is a public,
// time-ordered reference used in events and orders.
type Cart struct {
	ID       string `json:"id"`
	Ref      string `json:"ref"`
	UserID   string `json:"user_id,omitempty"` // empty for a guest cart
	Currency string `json:"currency,omitempty"`
	Lines    []Line `json:"lines"`
	Status   string `json:"status"`
	OrderID  string `json:"order_id,omitempty"`
	// Coupons are codes kept on the cart (normalized); checkout applies them with its own.
	Coupons []string `json:"coupons,omitempty"`
	// AbandonedAt is when the sweep flagged the cart abandoned; a change clears it.
	AbandonedAt time.Time `json:"abandoned_at,omitzero"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Line is one variant in a cart. Product, SKU, title and options are copied when the line is
// added so a line whose variant has since gone can still be shown; the price never is.
type Line struct {
	ID        string            `json:"id"`
	VariantID string            `json:"variant_id"`
	ProductID string            `json:"product_id"`
	SKU       string            `json:"sku"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options,omitempty"`
	Quantity  int64             `json:"quantity"`
	AddedAt   time.Time         `json:"added_at"`
}

// Quote is what the catalog says about a variant now.
type Quote struct {
	VariantID string
	ProductID string
	SKU       string
	Title     string
	Options   map[string]string
	Price     commerce.Money
	CompareAt commerce.Money // the variant's own "was" price; zero when none
	Active    bool           // the product is for sale
	Stock     int64          // units available now
}

// Item is a line priced from the catalog.
type Item struct {
	Line
	UnitPrice commerce.Money // zero when the variant is gone
	LineTotal commerce.Money
	Available bool // the variant exists, is for sale in the cart's currency and has the units
}

// Totals of a cart; only available items count.
type Totals struct {
	Subtotal  commerce.Money
	Total     commerce.Money
	ItemCount int64
}

// View is a cart priced at read time. Pricing is the shop's pricing (price lists,
// promotions, tax estimate) when a Quoter is configured; Items and Totals then carry its prices.
type View struct {
	Cart
	Items   []Item
	Totals  Totals
	Pricing *Pricing
}

// Viewer is who asks: a user (empty for a guest) and whether they are staff.
type Viewer struct {
	UserID string
	Staff  bool
}

// Errors.
var (
	ErrNotFound         = &commerce.Error{Kind: commerce.ENotFound, Code: "cart_not_found", Message: "cart: not found"}
	ErrLineNotFound     = &commerce.Error{Kind: commerce.ENotFound, Code: "cart_line_not_found", Message: "cart: line not found"}
	ErrCheckedOut       = &commerce.Error{Kind: commerce.EConflict, Code: "cart_checked_out", Message: "cart: already checked out; it is read-only"}
	ErrCurrencyMismatch = &commerce.Error{Kind: commerce.EConflict, Code: "currency_mismatch", Message: "cart: a cart holds one currency"}
	ErrFull             = &commerce.Error{Kind: commerce.EConflict, Code: "cart_full", Message: "cart: too many lines"}
	ErrOutOfStock       = &commerce.Error{Kind: commerce.EConflict, Code: "out_of_stock", Message: "cart: not enough stock"}
	// ErrVariantNotFound is what a Reader's Quote returns for an unknown variant.
	ErrVariantNotFound = &commerce.Error{Kind: commerce.ENotFound, Code: "variant_not_found", Message: "cart: variant not found"}
)

// Reader reads carts and quotes from one consistent state.
type Reader interface {
	Cart(id string) (Cart, error) // ErrNotFound when missing
	Quote(variantID string) (Quote, error)
}

// Tx is one atomic cart change.
type Tx interface {
	Reader
	PutCart(c Cart) error
	Emit(ev commerce.Event)
}

// Store runs reads and atomic updates. The store adapter implements it.
type Store interface {
	View(ctx context.Context, fn func(Reader) error) error
	Update(ctx context.Context, fn func(Tx) error) error
}

// Accessible reports whether v may read and change c: anyone holding a guest cart's ID, the
// owner of an account cart, or staff.
func Accessible(c Cart, v Viewer) bool {
	return c.UserID == "" || c.UserID == v.UserID || v.Staff
}

// Price prices c's lines with quotes (by variant ID); a missing quote is a gone variant.
func Price(c Cart, quotes map[string]Quote) View {
	cur := c.Currency
	view := View{Cart: c, Items: make([]Item, 0, len(c.Lines))}
	view.Totals.Subtotal = commerce.Money{Currency: cur}
	for _, l := range c.Lines {
		it := Item{Line: l}
		if q, ok := quotes[l.VariantID]; ok {
			it.UnitPrice = q.Price
			it.SKU, it.Title, it.Options, it.ProductID = q.SKU, q.Title, q.Options, q.ProductID
			total, err := q.Price.Mul(l.Quantity)
			if err == nil {
				it.LineTotal = total
			}
			it.Available = err == nil && q.Active && q.Price.Currency == cur && q.Stock >= l.Quantity
		}
		if it.UnitPrice.Currency == "" {
			it.UnitPrice.Currency, it.LineTotal.Currency = cur, cur
		}
		if it.Available {
			if sum, err := view.Totals.Subtotal.Add(it.LineTotal); err == nil {
				view.Totals.Subtotal = sum
				view.Totals.ItemCount += l.Quantity
			} else {
				it.Available = false
			}
		}
		view.Items = append(view.Items, it)
	}
	view.Totals.Total = view.Totals.Subtotal
	return view
}

// ValidQuantity checks a line quantity.
func ValidQuantity(q int64) error {
	var v commerce.Validator
	v.Check(q >= 1 && q <= MaxQuantity, "quantity", "must be between 1 and 999")
	return v.Err()
}

// ValidID reports whether id can be a cart ID (the encoding commerce.NewSecret makes), so
// malformed IDs are refused before any read.
func ValidID(id string) bool {
	if len(id) != 22 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func outOfStock(q Quote, requested int64) error {
	return ErrOutOfStock.WithDetails(map[string]any{
		"variant_id": q.VariantID, "sku": q.SKU, "requested": requested, "available": q.Stock,
	})
}
