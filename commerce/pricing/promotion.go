package pricing

import (
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Kind is what a promotion does.
type Kind string

// Promotion kinds.
const (
	KindPercentage   Kind = "percentage"    // Percent basis points off the targeted lines
	KindFixedAmount  Kind = "fixed_amount"  // Amount off the targeted lines, allocated across them
	KindFreeShipping Kind = "free_shipping" // the whole shipping charge
	KindBuyXGetY     Kind = "buy_x_get_y"   // per BuyX+GetY targeted units, the GetY cheapest get GetYPercent off
)

// Target selects the cart lines a promotion applies to. An empty target is the whole order;
// otherwise a line matches when its product is listed or any of its categories is.
type Target struct {
	ProductIDs  []string `json:"product_ids,omitempty"`
	CategoryIDs []string `json:"category_ids,omitempty"`
}

// Whole reports whether the target is the whole order.
func (t Target) Whole() bool { return len(t.ProductIDs) == 0 && len(t.CategoryIDs) == 0 }

// Matches reports whether a line with the given product and categories is targeted.
func (t Target) Matches(productID string, categoryIDs []string) bool {
	if t.Whole() {
		return true
	}
	for _, p := range t.ProductIDs {
		if p == productID {
			return true
		}
	}
	for _, c := range t.CategoryIDs {
		for _, lc := range categoryIDs {
			if c == lc {
				return true
			}
		}
	}
	return false
}

// Promotion is a discount rule. Code empty means automatic (applies without a coupon);
// otherwise it applies only when the cart carries the code (compared case-insensitively).
type Promotion struct {
	ID   string `json:"id"`
	Code string `json:"code,omitempty"`
	// Name is what shoppers see on the cart, the order and the invoice; without one they
	// see the code, or the kind of an automatic promotion.
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Percent is the discount in basis points (1500 = 15%) for KindPercentage.
	Percent int64 `json:"percent,omitempty"`
	// Amount is the discount for KindFixedAmount; its currency must be the cart's.
	Amount commerce.Money `json:"amount"`
	Target Target         `json:"target"`
	// MinSubtotal is the order subtotal (before discounts) the cart must reach; zero means none.
	// A non-zero minimum in another currency makes the promotion inapplicable.
	MinSubtotal commerce.Money `json:"min_subtotal"`
	// BuyX, GetY and GetYPercent (basis points, 10000 = free) define KindBuyXGetY.
	BuyX        int64 `json:"buy_x,omitempty"`
	GetY        int64 `json:"get_y,omitempty"`
	GetYPercent int64 `json:"get_y_percent,omitempty"`
	// StartsAt (inclusive) and EndsAt (exclusive) bound the validity window; zero is open.
	StartsAt time.Time `json:"starts_at,omitempty"`
	EndsAt   time.Time `json:"ends_at,omitempty"`
	// UsageLimit caps total redemptions and PerCustomerLimit redemptions per customer; zero
	// means unlimited. Current counts come from the caller (Usage).
	UsageLimit       int64 `json:"usage_limit,omitempty"`
	PerCustomerLimit int64 `json:"per_customer_limit,omitempty"`
	// Stackable promotions combine with each other; a non-stackable one only applies alone.
	Stackable bool `json:"stackable"`
	// Priority orders stackable promotions (higher first) and breaks ties between equal
	// discounts (higher wins, then the lower ID).
	Priority int `json:"priority"`
}

// Title is what shoppers see of the promotion: its name, else its code, else its kind.
func (p *Promotion) Title() string {
	switch {
	case p == nil:
		return ""
	case p.Name != "":
		return p.Name
	case p.Code != "":
		return p.Code
	}
	return string(p.Kind)
}

// NormalizeCode is how coupon codes are compared: trimmed and upper-cased.
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Validate checks a promotion's own fields (not its applicability to a cart).
func (p Promotion) Validate() error {
	var v commerce.Validator
	v.Text("id", p.ID, 100, true)
	v.Text("code", p.Code, 64, false)
	v.Check(p.Code == "" || !strings.ContainsAny(p.Code, " \t\r\n"), "code", "must not contain spaces")
	switch p.Kind {
	case KindPercentage:
		v.Check(p.Percent > 0 && p.Percent <= BasisPoints, "percent", "must be between 1 and 10000 basis points")
	case KindFixedAmount:
		v.Check(commerce.ValidCurrency(p.Amount.Currency), "amount.currency", "must be an ISO 4217 code")
		v.Check(p.Amount.Amount > 0, "amount.amount", "must be positive")
	case KindFreeShipping:
	case KindBuyXGetY:
		v.Check(p.BuyX > 0, "buy_x", "must be positive")
		v.Check(p.GetY > 0, "get_y", "must be positive")
		v.Check(p.GetYPercent > 0 && p.GetYPercent <= BasisPoints, "get_y_percent", "must be between 1 and 10000 basis points")
	default:
		v.Add("kind", "must be one of percentage, fixed_amount, free_shipping, buy_x_get_y")
	}
	v.Check(p.MinSubtotal.Amount >= 0, "min_subtotal.amount", "must not be negative")
	v.Check(p.MinSubtotal.Amount == 0 || commerce.ValidCurrency(p.MinSubtotal.Currency), "min_subtotal.currency", "must be an ISO 4217 code")
	v.Check(p.StartsAt.IsZero() || p.EndsAt.IsZero() || p.EndsAt.After(p.StartsAt), "ends_at", "must be after starts_at")
	v.Check(p.UsageLimit >= 0, "usage_limit", "must not be negative")
	v.Check(p.PerCustomerLimit >= 0, "per_customer_limit", "must not be negative")
	return v.Err()
}
