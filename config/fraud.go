package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Fraud configures fraud rules that hold orders for review. A held order is placed as usual
// but waits on the review queue (GET /api/v1/admin/fraud/reviews) and cannot move to
// PROCESSING until staff approve it.
type Fraud struct {
	Enabled             bool             `toml:"enabled" comment:"Screen every order with the rules below at checkout; false holds nothing."`
	Window              Duration         `toml:"window" comment:"The sliding window the max_orders_per_* rules count orders in."`
	MaxOrdersPerAccount int              `toml:"max_orders_per_account" comment:"Hold an order when the signed-in account already placed this many orders in the window; 0 turns the rule off."`
	MaxOrdersPerIP      int              `toml:"max_orders_per_ip" comment:"Hold an order when its client IP already placed this many orders in the window; 0 (the default) turns the rule off, since a shop counter, an office or a mobile carrier's NAT shares one address: set it for an online-only shop."`
	MaxOrdersPerCard    int              `toml:"max_orders_per_card" comment:"Hold an order when the card paying for it (a gift card at checkout) already paid this many orders in the window; 0 turns the rule off."`
	MaxOrderAmount      map[string]int64 `toml:"max_order_amount" comment:"Hold an order whose total is above this amount, per currency in minor units, e.g. USD = 500000 holds orders over 5000.00 USD; a currency not listed has no limit."`
	HoldFirstOrderOver  map[string]int64 `toml:"hold_first_order_over" comment:"Hold an account's first order (and every guest order) when its total is above this amount, per currency in minor units; a currency not listed has no limit."`
}

// defaultFraud returns the [fraud] defaults.
func defaultFraud() Fraud {
	return Fraud{Enabled: true, Window: Dur(time.Hour), MaxOrdersPerAccount: 10, MaxOrdersPerCard: 5,
		MaxOrderAmount: map[string]int64{}, HoldFirstOrderOver: map[string]int64{}}
}

// validate reports every bad [fraud] key.
func (c Fraud) validate(v *validator) {
	v.positive("fraud.window", c.Window)
	v.check(c.Window.Duration <= 31*24*time.Hour, "fraud.window", "must be at most 744h (31 days)")
	for _, l := range []struct {
		key string
		n   int
	}{{"fraud.max_orders_per_account", c.MaxOrdersPerAccount}, {"fraud.max_orders_per_ip", c.MaxOrdersPerIP}, {"fraud.max_orders_per_card", c.MaxOrdersPerCard}} {
		// A counter keeps one time per allowed order: this bounds its row.
		v.check(l.n >= 0 && l.n <= 10000, l.key, "must be between 0 (off) and 10000")
	}
	for _, m := range []struct {
		key string
		m   map[string]int64
	}{{"fraud.max_order_amount", c.MaxOrderAmount}, {"fraud.hold_first_order_over", c.HoldFirstOrderOver}} {
		curs := make([]string, 0, len(m.m))
		for cur := range m.m {
			curs = append(curs, cur)
		}
		slices.Sort(curs)
		for _, cur := range curs {
			v.check(commerce.ValidCurrency(cur), m.key, fmt.Sprintf("%q is not an ISO 4217 currency code such as USD", cur))
			v.check(m.m[cur] >= 0, m.key+"."+cur, "must not be negative (minor units)")
		}
	}
}
