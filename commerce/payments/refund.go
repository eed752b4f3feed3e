package payments

import (
	"context"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// RefundInput asks to return money of a captured payment.
type RefundInput struct {
	Amount   commerce.Money // > 0; an empty currency means the payment's
	Reason   string
	To       string // ToOriginal (default) or ToStoreCredit
	ReturnID string // the order return (RMA) it pays back: a second refund with the same ReturnID is not applied
}

// lock serializes the refunds of one payment (the gateway call and its record).
func (s *Service) lock(id string) func() {
	h := fnv.New32a()
	h.Write([]byte(id))
	m := &s.locks[h.Sum32()%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// refundFor returns the refund of p that pays back returnID, if any.
func refundFor(p Payment, returnID string) bool {
	if returnID == "" {
		return false
	}
	for _, r := range p.Refunds {
		if r.ReturnID == returnID && r.Status != RefundFailed {
			return true
		}
	}
	return false
}

// checkRefund reports a refund p cannot take.
func checkRefund(p Payment, in RefundInput) error {
	left := p.Refundable()
	if in.Amount.Currency != p.Amount.Currency {
		return commerce.Invalid(commerce.FieldError{Field: "amount.currency", Message: "must be the payment's currency " + p.Amount.Currency})
	}
	if in.Amount.Amount > left.Amount {
		return (&commerce.Error{Kind: commerce.EInvalid, Code: "refund_too_large", Message: "payments: a refund larger than what was paid",
			Fields: []commerce.FieldError{{Field: "amount", Message: "is more than the refundable " + left.String()}}}).
			WithDetails(map[string]any{"refundable": left})
	}
	return nil
}

// Refund returns in.Amount of a captured payment to the original method or as store credit
// to the order owner's wallet. Stored value and store credit move inside the update that
// records the refund; a gateway is asked first (outside any update) and its refund recorded
// after, pending until its notification when the gateway says so. The order's payment
// status follows (partially_refunded, refunded). Too large a refund changes nothing.
func (s *Service) Refund(ctx context.Context, actor, paymentID string, in RefundInput) (Payment, error) {
	in.Reason, in.To, in.ReturnID = strings.TrimSpace(in.Reason), strings.ToLower(strings.TrimSpace(in.To)), strings.TrimSpace(in.ReturnID)
	if in.To == "" {
		in.To = ToOriginal
	}
	var v commerce.Validator
	v.Check(in.Amount.Amount > 0, "amount.amount", "must be positive")
	v.Check(in.Amount.Currency == "" || commerce.ValidCurrency(in.Amount.Currency), "amount.currency", "must be an ISO 4217 code")
	v.Check(in.To == ToOriginal || in.To == ToStoreCredit, "to", "must be original or store_credit")
	v.Check(len(in.Reason) <= 500, "reason", "is too long (500 characters at most)")
	v.Check(len(in.ReturnID) <= 64, "return_id", "is too long")
	if err := v.Err(); err != nil {
		return Payment{}, err
	}
	if !commerce.ValidID(paymentID) {
		return Payment{}, ErrNotFound
	}
	defer s.lock(paymentID)()
	p, err := s.store.Payment(ctx, paymentID)
	if err != nil {
		return Payment{}, err
	}
	if refundFor(p, in.ReturnID) {
		return p, nil
	}
	if in.Amount.Currency == "" {
		in.Amount.Currency = p.Amount.Currency
	}
	if err := checkRefund(p, in); err != nil {
		return Payment{}, err
	}
	if in.To == ToStoreCredit && p.UserID == "" {
		return Payment{}, commerce.Invalid(commerce.FieldError{Field: "to", Message: "a guest order cannot get store credit"})
	}
	kind, _ := s.kindOf(p.Method)
	r := Refund{ID: commerce.NewID(), Amount: in.Amount, Reason: in.Reason, To: in.To, ReturnID: in.ReturnID, Status: RefundSucceeded, Actor: actor}
	if in.To == ToOriginal && kind == KindGateway {
		g, ok := s.gateway(p.Method)
		if !ok {
			return Payment{}, ErrNotConfigured
		}
		res, err := g.Refund(ctx, p, in.Amount, r.ID)
		if err != nil {
			return Payment{}, err
		}
		r.ExternalID = res.ExternalID
		if res.Pending {
			r.Status = RefundPending
		}
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		prev, err := tx.Payment(paymentID)
		if err != nil {
			return err
		}
		p = prev
		if refundFor(p, in.ReturnID) {
			return nil
		}
		if r.ExternalID != "" {
			for _, x := range p.Refunds {
				if x.ExternalID == r.ExternalID {
					return nil // its notification came first and recorded it
				}
			}
		}
		if err := checkRefund(p, in); err != nil && r.ExternalID == "" {
			return err // a gateway refund done is recorded whatever happened meanwhile
		}
		switch {
		case in.To == ToStoreCredit:
			err = tx.Credit(Source{UserID: p.UserID}, in.Amount, r.ID)
		case kind == KindStored && p.Source != nil:
			err = tx.Credit(*p.Source, in.Amount, r.ID)
		}
		if err != nil {
			return err
		}
		return s.addRefund(tx, &p, prev, r, actor)
	})
	return p, err
}

// addRefund records refund r on p (read as prev) with the order's payment status and the
// payments.refunded event.
func (s *Service) addRefund(tx Tx, p *Payment, prev Payment, r Refund, actor string) error {
	now := s.clock.Now()
	r.At = now
	if err := s.putRefund(tx, p, prev, r, now); err != nil {
		return err
	}
	ev, err := p.Event(EventRefunded, actor, &r)
	if err != nil {
		return err
	}
	tx.Emit(ev)
	return tx.RecordOrderPayment(p.OrderID, p.ID, p.OrderPaymentStatus(), now, actor)
}

// putRefund adds refund r to p (read as prev), counting its amount as refunded, and writes
// p with its new status.
func (s *Service) putRefund(tx Tx, p *Payment, prev Payment, r Refund, now time.Time) error {
	refunded, err := p.Refunded.Add(r.Amount)
	if err != nil {
		return err
	}
	status := StatusPartiallyRefunded
	if refunded.Amount >= p.Captured.Amount {
		status = StatusRefunded
	}
	if err := p.moveTo(status, now); err != nil {
		return err
	}
	p.Refunded = refunded
	p.Refunds = append(slices.Clone(p.Refunds), r)
	return tx.PutPayment(*p, &prev)
}
