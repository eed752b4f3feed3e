package checkout

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce/inventory"
)

// ReserveTx is what the reservation step reads and writes: the inventory's levels,
// settings and reservations inside the checkout's update.
type ReserveTx interface {
	Inventory() inventory.Tx
}

// DefaultReservationTTL is ReserveConfig.TTL's default.
const DefaultReservationTTL = 30 * time.Minute

// ReserveConfig configures the reservation step.
type ReserveConfig struct {
	// TTL is how long an order's reservation holds its stock for payment; 0 means
	// DefaultReservationTTL.
	TTL time.Duration
	// Expires tells whether an order paid with the method runs out after TTL; nil means every
	// method does. Offline methods (cash, a manual card terminal) hold until paid, shipped or
	// cancelled.
	Expires func(paymentMethod string) bool
}

// reserve allocates every line to warehouses and reserves its units (inventory.Reserve),
// refusing the whole order with ErrOutOfStock when a line lacks stock and its SKU does not
// allow backorders.
func (s *Service) reserve(tx Tx, p *Placement) error {
	req := inventory.ReserveRequest{OrderID: p.Order.ID, PaymentMethod: p.Input.PaymentMethod, Now: p.Now,
		Actor: p.Buyer.Actor, Lines: make([]inventory.Want, len(p.Items))}
	for i, it := range p.Items {
		req.Lines[i] = inventory.Want{VariantID: it.Ref.Variant.ID, SKU: it.Ref.Variant.SKU, Quantity: it.Quantity}
	}
	if cfg := s.cfg.Reserve; cfg.Expires == nil || cfg.Expires(p.Input.PaymentMethod) {
		ttl := cfg.TTL
		if ttl <= 0 {
			ttl = DefaultReservationTTL
		}
		exp := p.Now.Add(ttl)
		req.ExpiresAt = &exp
	}
	_, err := inventory.Reserve(tx.Inventory(), req)
	return err
}
