package config

// Inventory configures stock per warehouse, reservations, low-stock alerts.
type Inventory struct{}

// defaultInventory returns the [inventory] defaults.
func defaultInventory() Inventory { return Inventory{} }

// validate reports every bad [inventory] key.
func (c Inventory) validate(v *validator) {}
