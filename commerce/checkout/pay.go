package checkout

import (
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/payments"
)

// PayTx is what the payment step writes: the order's payment, stored value spent through the
// ledger, and the stock of an order paid at once.
type PayTx interface {
	payments.Ledger
	PutNewPayment(p payments.Payment) error // a new payment and its index rows
	CommitPaidStock(o orders.Order) error   // the order is paid: its reserved stock is sold
}

// PayConfig configures the payment step.
type PayConfig struct {
	// Payments tells the enabled methods; nil means the built-in defaults (cash, manual,
	// wallet, gift_card) without gateways.
	Payments *payments.Service
}

// builtinPayments answers for a checkout configured without a payments service.
var builtinPayments, _ = payments.New(payments.Config{})

func (s *Service) payments() *payments.Service {
	if s.cfg.Pay.Payments != nil {
		return s.cfg.Pay.Payments
	}
	return builtinPayments
}

// validatePayment checks the payment fields of in before anything is read.
func (s *Service) validatePayment(in *Input) error {
	var v commerce.Validator
	svc := s.payments()
	switch {
	case in.PaymentMethod == "":
		v.Add("payment_method", "is required; accepted: "+strings.Join(svc.MethodIDs(), ", "))
	default:
		if _, err := svc.CheckMethod("payment_method", in.PaymentMethod, ""); err != nil {
			return err
		}
		if in.PaymentMethod == payments.MethodGiftCard && (in.GiftCardCode == "" || len(in.GiftCardCode) > 64) {
			v.Add("gift_card_code", "is required with gift_card (1-64 characters)")
		}
	}
	return v.Err()
}

// pay starts the order's payment and sets PaymentID and PaymentStatus: offline methods
// (cash, manual) wait for staff and gateways for the shopper (POST /payments/process), both
// unpaid; stored value (the buyer's wallet, a gift card) is spent here through the ledger,
// so the order is paid, confirmed and its stock committed in the same update.
func (s *Service) pay(tx Tx, p *Placement) error {
	o := &p.Order
	m, err := s.payments().CheckMethod("payment_method", o.PaymentMethod, o.Total.Currency)
	if err != nil {
		return err
	}
	pm := payments.NewPayment(payments.OrderRef{ID: o.ID, Number: o.Number, UserID: o.UserID, Total: o.Total}, m.ID, p.Now)
	o.PaymentID, o.PaymentStatus = pm.ID, orders.PaymentUnpaid
	if m.Kind != payments.KindStored {
		return tx.PutNewPayment(pm)
	}
	src, err := payments.StoredSource(m.ID, p.Buyer.UserID, p.Input.GiftCardCode)
	if err != nil {
		return err
	}
	if err := payments.SettleStored(tx, &pm, src, p.Now); err != nil {
		return err
	}
	if err := tx.PutNewPayment(pm); err != nil {
		return err
	}
	actor := p.Buyer.Actor
	if actor == "" {
		actor = "anonymous"
	}
	ev, err := pm.Event(payments.EventCaptured, actor, nil)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	evs, err := o.RecordPayment(pm.ID, orders.PaymentPaid, p.Now, actor)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		tx.Emit(ev)
	}
	return tx.CommitPaidStock(*o)
}
