// Package fraud owns the fraud rules that hold an order for a staff review: velocity limits
// per account, client IP and card fingerprint over a sliding window, amount limits, and a
// hold on a large first order. Evaluate is a pure function of the rules and the signals;
// the recent-order times it counts are kept by the checkout's screening step (Slide).
package fraud

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Rule names, as they appear in an order's review reasons.
const (
	RuleOrdersPerAccount = "max_orders_per_account"
	RuleOrdersPerIP      = "max_orders_per_ip"
	RuleOrdersPerCard    = "max_orders_per_card"
	RuleOrderAmount      = "max_order_amount"
	RuleFirstOrder       = "hold_first_order_over"
)

// Rules are the configured limits. The zero value holds nothing (Enabled false); a zero
// limit turns its rule off.
type Rules struct {
	Enabled             bool
	Window              time.Duration    // the sliding window of the velocity rules
	MaxOrdersPerAccount int              // orders one account may place in Window
	MaxOrdersPerIP      int              // orders one client IP may place in Window
	MaxOrdersPerCard    int              // orders one card fingerprint may pay in Window
	MaxOrderAmount      map[string]int64 // per currency: an order total above it is held
	HoldFirstOrderOver  map[string]int64 // per currency: a first order with a total above it is held
}

// Counter names a velocity counter: one of the velocity rules and the value it counts.
type Counter struct {
	Rule  string
	Value string // user ID, IP, card fingerprint
	Limit int
}

// Counters returns the velocity counters an order with these signals moves, for the rules
// that are on and the signals that are present.
func (r Rules) Counters(s Signals) []Counter {
	if !r.Enabled || r.Window <= 0 {
		return nil
	}
	var out []Counter
	add := func(rule, value string, limit int) {
		if value != "" && limit > 0 {
			out = append(out, Counter{Rule: rule, Value: value, Limit: limit})
		}
	}
	add(RuleOrdersPerAccount, s.UserID, r.MaxOrdersPerAccount)
	add(RuleOrdersPerIP, s.IP, r.MaxOrdersPerIP)
	add(RuleOrdersPerCard, s.CardFingerprint, r.MaxOrdersPerCard)
	return out
}

// NeedsFirstOrder reports whether Evaluate will look at Signals.FirstOrder for this amount,
// so the caller finds out only when it matters.
func (r Rules) NeedsFirstOrder(amount commerce.Money) bool {
	lim, ok := r.HoldFirstOrderOver[amount.Currency]
	return r.Enabled && ok && amount.Amount > lim
}

// Signals are what the rules look at for one order.
type Signals struct {
	UserID          string // "" for a guest
	IP              string
	CardFingerprint string // optional: a hash identifying the card or gift card paying
	Amount          commerce.Money
	// FirstOrder is true when the account has no earlier order (always for a guest).
	FirstOrder bool
	// Recent is, per counter rule, how many earlier orders of the same value fall in the
	// window (not counting this one).
	Recent map[string]int
}

// Decision is the rules' verdict on an order.
type Decision struct {
	Hold    bool
	Reasons []string // the rules that fired, in a fixed order
}

// Evaluate applies the rules to one order's signals.
func Evaluate(r Rules, s Signals) Decision {
	if !r.Enabled {
		return Decision{}
	}
	var d Decision
	for _, c := range r.Counters(s) {
		if s.Recent[c.Rule] >= c.Limit {
			d.Reasons = append(d.Reasons, c.Rule)
		}
	}
	if lim, ok := r.MaxOrderAmount[s.Amount.Currency]; ok && s.Amount.Amount > lim {
		d.Reasons = append(d.Reasons, RuleOrderAmount)
	}
	if r.NeedsFirstOrder(s.Amount) && s.FirstOrder {
		d.Reasons = append(d.Reasons, RuleFirstOrder)
	}
	d.Hold = len(d.Reasons) > 0
	return d
}

// Slide counts the times (unix nanoseconds, oldest first) that fall in the window ending at
// now, and returns the times to keep with now appended: only those in the window, at most
// limit of them (the newest), since a count of limit already fires the rule. It reuses
// times' array.
func Slide(times []int64, now time.Time, window time.Duration, limit int) (recent int, keep []int64) {
	from := now.Add(-window).UnixNano()
	i := 0
	for i < len(times) && times[i] <= from {
		i++
	}
	keep = append(times[:0], times[i:]...)
	recent = len(keep)
	keep = append(keep, now.UnixNano())
	if len(keep) > limit {
		keep = keep[len(keep)-limit:]
	}
	return recent, keep
}
