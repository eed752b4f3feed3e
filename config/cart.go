package config

import "time"

// Cart configures carts: expiry and abandoned-cart detection.
type Cart struct {
	TTL            Duration `toml:"ttl" comment:"A cart untouched this long expires (404); every change starts it again."`
	AbandonedAfter Duration `toml:"abandoned_after" comment:"An open account cart with lines and no change for this long is flagged abandoned once and cart.abandoned is emitted with a recovery token."`
	SweepInterval  Duration `toml:"sweep_interval" comment:"How often carts are looked at for abandonment."`
}

// defaultCart returns the [cart] defaults.
func defaultCart() Cart {
	return Cart{TTL: Dur(30 * 24 * time.Hour), AbandonedAfter: Dur(4 * time.Hour), SweepInterval: Dur(5 * time.Minute)}
}

// validate reports every bad [cart] key.
func (c Cart) validate(v *validator) {
	v.positive("cart.ttl", c.TTL)
	v.positive("cart.abandoned_after", c.AbandonedAfter)
	v.positive("cart.sweep_interval", c.SweepInterval)
	v.check(c.AbandonedAfter.Duration < c.TTL.Duration, "cart.abandoned_after", "must be shorter than cart.ttl")
}
