package payments

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// ProcessInput asks to pay an order (POST /payments/process). Who may ask is the caller's
// business (the order's owner, its guest key holder or staff).
type ProcessInput struct {
	OrderID      string
	Method       string // "" means the order's current payment method
	ReturnURL    string // gateways: where the shopper comes back after paying
	CancelURL    string // gateways: where they come back when they give up
	GiftCardCode string // method gift_card
	Payer        string // the signed-in caller's user ID ("" for a guest)
	Staff        bool   // the caller manages payments
}

// Get returns a payment by ID.
func (s *Service) Get(ctx context.Context, id string) (Payment, error) {
	if !commerce.ValidID(id) {
		return Payment{}, ErrNotFound
	}
	return s.store.Payment(ctx, id)
}

// Payment implements Notifier.
func (s *Service) Payment(ctx context.Context, id string) (Payment, error) { return s.Get(ctx, id) }

// OrderPayments returns an order's payments, oldest first.
func (s *Service) OrderPayments(ctx context.Context, orderID string) ([]Payment, error) {
	return s.store.OrderPayments(ctx, orderID)
}

// methodError is the 422 of a method that is not enabled.
func (s *Service) methodError(field, currency string) error {
	ids := []string{}
	for _, m := range s.Methods(currency) {
		ids = append(ids, m.ID)
	}
	return commerce.Invalid(commerce.FieldError{Field: field, Message: "is not accepted; accepted: " + strings.Join(ids, ", ")})
}

// CheckMethod tells whether method is enabled for currency ("" any), with the 422 naming
// field and the accepted methods when it is not.
func (s *Service) CheckMethod(field, method, currency string) (Method, error) {
	m, ok := s.Method(method)
	if !ok || !m.Accepts(currency) {
		return Method{}, s.methodError(field, currency)
	}
	return m, nil
}

func checkURL(v *commerce.Validator, field, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	v.Check(err == nil && len(raw) <= 2000 && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "", field, "must be an absolute http(s) URL")
}

// Process pays order in.OrderID with a method: a gateway payment is started at the gateway
// (outside any store update) and its next action recorded; stored value is spent at once;
// an offline payment waits for staff. Retry-safe: an open payment of the same method is
// answered again (with its action), never started twice. Choosing another method cancels
// the open payment.
func (s *Service) Process(ctx context.Context, actor string, in ProcessInput) (Payment, error) {
	in.Method = strings.ToLower(strings.TrimSpace(in.Method))
	in.GiftCardCode = strings.TrimSpace(in.GiftCardCode)
	var v commerce.Validator
	v.Check(in.OrderID != "", "order_id", "is required")
	checkURL(&v, "return_url", in.ReturnURL)
	checkURL(&v, "cancel_url", in.CancelURL)
	if in.Method != "" {
		if _, ok := s.Method(in.Method); !ok {
			v.Add("method", "is not accepted; accepted: "+strings.Join(s.MethodIDs(), ", "))
		}
	}
	if err := v.Err(); err != nil {
		return Payment{}, err
	}
	var p Payment
	var o OrderRef
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		now := s.clock.Now()
		if o, err = tx.Order(in.OrderID); err != nil {
			return err
		}
		if o.Closed {
			return ErrOrderClosed
		}
		var cur *Payment
		if o.PaymentID != "" {
			c, err := tx.Payment(o.PaymentID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if err == nil {
				cur = &c
			}
		}
		if o.PaymentStatus != "" && o.PaymentStatus != OrderUnpaid || cur != nil && !cur.Open() && cur.Status != StatusFailed && cur.Status != StatusCancelled {
			return ErrOrderPaid
		}
		method := in.Method
		if method == "" {
			method = o.PaymentMethod
			if cur != nil {
				method = cur.Method
			}
		}
		m, err := s.CheckMethod("method", method, o.Total.Currency)
		if err != nil {
			return err
		}
		if cur != nil && cur.Open() && cur.Method == method && m.Kind != KindStored {
			p = *cur // retry: answered again
			return nil
		}
		if cur != nil && cur.Open() {
			prev := *cur
			ev, _, err := CancelOpen(cur, now, actor)
			if err != nil {
				return err
			}
			if err := tx.PutPayment(*cur, &prev); err != nil {
				return err
			}
			tx.Emit(ev)
		}
		p = NewPayment(o, method, now)
		if m.Kind == KindStored {
			src, err := storedSource(method, o.UserID, in.GiftCardCode, in.Payer == o.UserID || in.Staff, "gift_card_code")
			if err != nil {
				return err
			}
			if err := SettleStored(tx, &p, src, now); err != nil {
				return err
			}
			ev, err := p.Event(EventCaptured, actor, nil)
			if err != nil {
				return err
			}
			tx.Emit(ev)
		}
		if err := tx.PutPayment(p, nil); err != nil {
			return err
		}
		return tx.RecordOrderPayment(o.ID, p.ID, p.OrderPaymentStatus(), now, actor)
	})
	if err != nil || p.Action != nil || p.Status != StatusPending {
		return p, err
	}
	g, ok := s.gateway(p.Method)
	if !ok {
		return p, nil // offline: staff records the money
	}
	act, err := g.Start(ctx, p, StartInput{ReturnURL: in.ReturnURL, CancelURL: in.CancelURL,
		Description: "Order #" + strconv.FormatInt(p.OrderNumber, 10), Email: o.Email})
	if err != nil {
		return Payment{}, err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Payment(p.ID)
		if err != nil {
			return err
		}
		p = cur
		if cur.Action != nil || cur.Status != StatusPending {
			return nil // started by a concurrent request, or settled already
		}
		a := act
		p.Action = &a
		if p.ExternalID == "" {
			p.ExternalID = act.ExternalID
		}
		p.Version++
		p.UpdatedAt = s.clock.Now()
		return tx.PutPayment(p, &cur)
	})
	return p, err
}

// storedSource is where a stored-value payment is spent from: the order owner's wallet (a
// signed-in owner or staff only) or the gift card of code.
func storedSource(method, ownerID, code string, mayUseWallet bool, codeField string) (Source, error) {
	switch method {
	case MethodWallet:
		if ownerID == "" || !mayUseWallet {
			return Source{}, commerce.Invalid(commerce.FieldError{Field: "method", Message: "wallet pays only orders of the signed-in customer"})
		}
		return Source{UserID: ownerID}, nil
	case MethodGiftCard:
		if code == "" || len(code) > 64 {
			return Source{}, commerce.Invalid(commerce.FieldError{Field: codeField, Message: "is required with gift_card (1-64 characters)"})
		}
		return Source{GiftCardCode: code}, nil
	}
	return Source{}, commerce.Invalid(commerce.FieldError{Field: "method", Message: "is not a stored-value method"})
}

// StoredSource is storedSource for checkout: the buyer (signed in or not) and the gift card
// code of the checkout request.
func StoredSource(method, buyerID, code string) (Source, error) {
	return storedSource(method, buyerID, code, buyerID != "", "gift_card_code")
}

// Capture records offline money received by staff (cash, manual): the payment is captured,
// its order paid and confirmed and its stock committed. Capturing a captured payment
// answers it again.
func (s *Service) Capture(ctx context.Context, actor, id string) (Payment, error) {
	if !commerce.ValidID(id) {
		return Payment{}, ErrNotFound
	}
	var p Payment
	err := s.store.Update(ctx, func(tx Tx) error {
		prev, err := tx.Payment(id)
		if err != nil {
			return err
		}
		p = prev
		if k, _ := s.kindOf(p.Method); k != KindOffline {
			return ErrCaptureNotOffline
		}
		if p.Status == StatusCaptured {
			return nil
		}
		o, err := tx.Order(p.OrderID)
		if err != nil {
			return err
		}
		if o.Closed {
			return ErrOrderClosed
		}
		now := s.clock.Now()
		if err := p.moveTo(StatusCaptured, now); err != nil {
			return err
		}
		p.Captured = p.Amount
		if err := tx.PutPayment(p, &prev); err != nil {
			return err
		}
		ev, err := p.Event(EventCaptured, actor, nil)
		if err != nil {
			return err
		}
		tx.Emit(ev)
		return tx.RecordOrderPayment(p.OrderID, p.ID, p.OrderPaymentStatus(), now, actor)
	})
	return p, err
}

// kindOf tells a method's kind, enabled or not (a payment outlives configuration changes).
func (s *Service) kindOf(method string) (Kind, bool) {
	if k, ok := s.MethodKind(method); ok {
		return k, true
	}
	for _, m := range builtins {
		if m.ID == method {
			return m.Kind, true
		}
	}
	for _, id := range GatewayIDs {
		if id == method {
			return KindGateway, true
		}
	}
	return "", false
}
