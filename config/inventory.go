package config

import "time"

// Inventory configures stock per warehouse, reservations, low-stock alerts.
type Inventory struct {
	ReservationTTL    Duration `toml:"reservation_ttl" comment:"How long checkout holds an order's stock for its payment; an unpaid order is cancelled when it runs out. Offline payment methods (cash, manual card terminal) hold until paid, shipped or cancelled."`
	SweepInterval     Duration `toml:"sweep_interval" comment:"How often expired reservations are looked for (their orders are cancelled, the stock returns)."`
	LowStockThreshold int64    `toml:"low_stock_threshold" comment:"Default low-stock threshold of a SKU without its own: inventory.low_stock is emitted when a change takes its sellable units from at least this many to fewer; 0 turns the default off."`
}

// defaultInventory returns the [inventory] defaults.
func defaultInventory() Inventory {
	return Inventory{ReservationTTL: Dur(30 * time.Minute), SweepInterval: Dur(time.Minute)}
}

// validate reports every bad [inventory] key.
func (c Inventory) validate(v *validator) {
	v.positive("inventory.reservation_ttl", c.ReservationTTL)
	v.positive("inventory.sweep_interval", c.SweepInterval)
	v.check(c.LowStockThreshold >= 0, "inventory.low_stock_threshold", "must not be negative")
}
