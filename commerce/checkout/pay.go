package checkout

import (
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/orders"
)

// PayTx is what the payment step writes: payments (none yet).
type PayTx interface{}

// PayConfig configures the payment step.
type PayConfig struct{}

// validatePayment checks the payment fields of in before anything is read.
func (s *Service) validatePayment(in *Input) error {
	var v commerce.Validator
	switch {
	case in.PaymentMethod == "":
		v.Add("payment_method", "is required; accepted: "+strings.Join(orders.PaymentMethods, ", "))
	case in.PaymentMethod != orders.PaymentCash:
		v.Add("payment_method", "is not accepted; accepted: "+strings.Join(orders.PaymentMethods, ", "))
	}
	return v.Err()
}

// pay starts the order's payment: PaymentStatus, PaymentID.
func (s *Service) pay(_ Tx, p *Placement) error {
	p.Order.PaymentStatus = orders.PaymentUnpaid
	return nil
}
