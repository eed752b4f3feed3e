package checkout

import (
	"github.com/ultramarket/ultramarket/commerce/fraud"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// ScreenTx is what the fraud screening step reads and writes in the checkout's update.
type ScreenTx interface {
	// Velocity returns the recent order times (unix ns, oldest first) of one velocity
	// counter, nil when none. The slice is the caller's to keep and change.
	Velocity(rule, value string) ([]int64, error)
	// PutVelocity stores a velocity counter's times.
	PutVelocity(rule, value string, times []int64) error
	// HasOrders reports whether the user placed an order before this one.
	HasOrders(userID string) (bool, error)
	// HoldOrder puts the order on the fraud review queue.
	HoldOrder(orderID string) error
}

// ScreenConfig configures the fraud rules. The zero value screens nothing.
type ScreenConfig struct {
	Rules fraud.Rules
}

// screen runs the fraud rules on the numbered order and holds it for review (Order.Review)
// when one fires. Every order moves the velocity counters of its account, IP and card,
// held or not: one read and one write per counter that is on.
func (s *Service) screen(tx Tx, p *Placement) error {
	r := s.cfg.Screen.Rules
	if !r.Enabled {
		return nil
	}
	sig := fraud.Signals{UserID: p.Buyer.UserID, IP: p.Buyer.IP, CardFingerprint: cardFingerprint(p), Amount: p.Order.Total}
	counters := r.Counters(sig)
	if len(counters) > 0 {
		sig.Recent = make(map[string]int, len(counters))
	}
	for _, c := range counters {
		times, err := tx.Velocity(c.Rule, c.Value)
		if err != nil {
			return err
		}
		n, keep := fraud.Slide(times, p.Now, r.Window, c.Limit)
		sig.Recent[c.Rule] = n
		if err := tx.PutVelocity(c.Rule, c.Value, keep); err != nil {
			return err
		}
	}
	if r.NeedsFirstOrder(sig.Amount) {
		sig.FirstOrder = true // a guest has no earlier order to go by
		if sig.UserID != "" {
			had, err := tx.HasOrders(sig.UserID)
			if err != nil {
				return err
			}
			sig.FirstOrder = !had
		}
	}
	d := fraud.Evaluate(r, sig)
	if !d.Hold {
		return nil
	}
	p.Order.Review = &orders.Review{Status: orders.ReviewPending, Reasons: d.Reasons}
	return tx.HoldOrder(p.Order.ID)
}

// cardFingerprint identifies the card paying, when the checkout knows one: a gift card's
// code hash (the gateways' card fingerprints arrive after checkout).
func cardFingerprint(p *Placement) string {
	if p.Input.GiftCardCode == "" {
		return ""
	}
	return "gift_card:" + ledger.HashCode(p.Input.GiftCardCode)[:32]
}
