package paypal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwhttp"
)

// The headers PayPal sends with a webhook, all needed to verify it.
const (
	HeaderTransmissionID   = "Paypal-Transmission-Id"
	HeaderTransmissionTime = "Paypal-Transmission-Time"
	HeaderTransmissionSig  = "Paypal-Transmission-Sig"
	HeaderCertURL          = "Paypal-Cert-Url"
	HeaderAuthAlgo         = "Paypal-Auth-Algo"
)

// event is the part of a PayPal webhook event the adapter reads.
type event struct {
	ID         string          `json:"id"`
	EventType  string          `json:"event_type"`
	CreateTime time.Time       `json:"create_time"`
	Resource   json.RawMessage `json:"resource"`
}

// refundResource is the part of PayPal's refund object the adapter reads.
type refundResource struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Amount   amount `json:"amount"`
	CustomID string `json:"custom_id"`
	Links    []link `json:"links"`
}

// HandleWebhook has PayPal verify the webhook and applies it. It answers 2xx only when the
// event was applied, had been before, or is of a type the shop does not use, so PayPal
// retries everything else: 400 a webhook PayPal does not vouch for or an amount that does
// not match, 404 an unknown payment, 409 a payment already finished, 503 a failure on our
// side or PayPal's.
func (g *Gateway) HandleWebhook(ctx context.Context, header map[string][]string, body []byte) (int, string, []byte) {
	h := http.Header(header)
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.EventType == "" {
		return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "paypal: the body is not a PayPal webhook event")
	}
	if err := g.verify(ctx, h, body); err != nil {
		if commerce.KindOf(err) == commerce.EUnavailable {
			return gwhttp.Reply(http.StatusServiceUnavailable, "gateway_unavailable", err.Error())
		}
		return gwhttp.Reply(http.StatusBadRequest, "invalid_signature", err.Error())
	}
	switch ev.EventType {
	case "CHECKOUT.ORDER.APPROVED":
		var o order
		if err := json.Unmarshal(ev.Resource, &o); err != nil || o.ID == "" || len(o.PurchaseUnits) == 0 {
			return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "paypal: the event holds no order")
		}
		return gwhttp.NotifyReply(g.approved(ctx, ev, o))
	case "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED":
		var c capture
		if err := json.Unmarshal(ev.Resource, &c); err != nil || c.ID == "" {
			return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "paypal: the event holds no capture")
		}
		if ev.EventType == "PAYMENT.CAPTURE.DENIED" {
			return gwhttp.NotifyReply(g.notifyCapture(ctx, ev.ID, payments.NotifyFailed, c, ""))
		}
		return gwhttp.NotifyReply(g.notifyCapture(ctx, "capture:"+c.ID, payments.NotifyCaptured, c, ""))
	case "PAYMENT.CAPTURE.REFUNDED":
		var r refundResource
		if err := json.Unmarshal(ev.Resource, &r); err != nil || r.ID == "" {
			return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "paypal: the event holds no refund")
		}
		return gwhttp.NotifyReply(g.refunded(ctx, r))
	}
	return gwhttp.Reply(http.StatusOK, "", "") // a type the shop does not act on
}

// verify asks PayPal whether it sent this webhook (transmission headers, our webhook ID and
// the event exactly as received).
func (g *Gateway) verify(ctx context.Context, h http.Header, body []byte) error {
	req := map[string]any{
		"auth_algo":         h.Get(HeaderAuthAlgo),
		"cert_url":          h.Get(HeaderCertURL),
		"transmission_id":   h.Get(HeaderTransmissionID),
		"transmission_sig":  h.Get(HeaderTransmissionSig),
		"transmission_time": h.Get(HeaderTransmissionTime),
		"webhook_id":        g.cfg.WebhookID,
		"webhook_event":     json.RawMessage(body),
	}
	for _, k := range []string{"auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time"} {
		if req[k] == "" {
			return errors.New("paypal: missing PayPal-" + strings.ReplaceAll(k, "_", "-") + " header")
		}
	}
	sent, err := time.Parse(time.RFC3339, h.Get(HeaderTransmissionTime))
	if err != nil {
		return errors.New("paypal: malformed transmission time")
	}
	if tol := g.cfg.Tolerance; tol > 0 {
		if age := g.cfg.Clock.Now().Sub(sent); age > tol || age < -tol {
			return errors.New("paypal: transmission time outside the tolerance (replayed or clock skew)")
		}
	}
	var res struct {
		VerificationStatus string `json:"verification_status"`
	}
	if err := g.do(ctx, http.MethodPost, "/v1/notifications/verify-webhook-signature", "", req, &res); err != nil {
		if k := commerce.KindOf(err); k == commerce.EUnavailable {
			return err
		}
		return errors.New("paypal: verification refused: " + err.Error())
	}
	if res.VerificationStatus != "SUCCESS" {
		return errors.New("paypal: PayPal did not verify the webhook (" + res.VerificationStatus + ")")
	}
	return nil
}

// approved captures an order the shopper approved, after checking that it pays a payment
// still waiting for exactly this amount; no capture is made otherwise. A completed capture
// is applied at once (under the capture's ID, so its own PAYMENT.CAPTURE.COMPLETED webhook
// is a duplicate).
func (g *Gateway) approved(ctx context.Context, ev event, o order) error {
	pu := o.PurchaseUnits[0]
	p, err := g.notifier.Payment(ctx, pu.CustomID)
	if err != nil {
		return err
	}
	if p.ExternalID != "" && p.ExternalID != o.ID {
		return commerce.Errorf(commerce.EConflict, "order_mismatch", "paypal: order %s does not belong to payment %s", o.ID, p.ID)
	}
	got, err := pu.Amount.money()
	if err != nil || got != p.Amount {
		return commerce.Errorf(commerce.EInvalid, "amount_mismatch", "paypal: order of %s %s, payment of %s", pu.Amount.Value, pu.Amount.CurrencyCode, p.Amount)
	}
	switch p.Status {
	case payments.StatusCaptured, payments.StatusPartiallyRefunded, payments.StatusRefunded:
		return nil // captured before: this is a retry
	case payments.StatusFailed, payments.StatusCancelled:
		return commerce.Errorf(commerce.EConflict, "payment_finished", "paypal: payment %s is %s; order %s not captured", p.ID, p.Status, o.ID)
	}
	var res order
	err = g.do(ctx, http.MethodPost, "/v2/checkout/orders/"+url.PathEscape(o.ID)+"/capture", "capture-"+p.ID, struct{}{}, &res)
	if err != nil {
		ce := commerce.AsError(err)
		switch {
		case ce != nil && ce.Kind == commerce.EConflict && ce.Details["issue"] == "ORDER_ALREADY_CAPTURED":
			return nil // PAYMENT.CAPTURE.COMPLETED carries it
		case ce != nil && (ce.Kind == commerce.EConflict || ce.Kind == commerce.EInvalid):
			// PayPal refused the capture (e.g. INSTRUMENT_DECLINED): the payment failed.
			_, nerr := g.notifier.Notify(ctx, payments.Notification{Provider: MethodID, EventID: ev.ID, PaymentID: p.ID, ExternalID: o.ID,
				Kind: payments.NotifyFailed, Amount: p.Amount, At: g.cfg.Clock.Now(), Gateway: map[string]string{"failure": ce.Message}})
			return nerr
		}
		return err // unavailable: PayPal retries the webhook and the capture is idempotent
	}
	for _, u := range res.PurchaseUnits {
		for _, c := range u.Payments.Captures {
			if c.Status == "COMPLETED" {
				return g.notifyCapture(ctx, "capture:"+c.ID, payments.NotifyCaptured, c, o.ID)
			}
		}
	}
	return nil // pending: PAYMENT.CAPTURE.COMPLETED or DENIED follows
}

// notifyCapture applies what a capture says under eventID.
func (g *Gateway) notifyCapture(ctx context.Context, eventID string, kind payments.NotificationKind, c capture, orderID string) error {
	m, err := c.Amount.money()
	if err != nil {
		return commerce.Errorf(commerce.EInvalid, "invalid_event", "%v", err)
	}
	if orderID == "" {
		orderID = c.SupplementaryData.RelatedIDs.OrderID
	}
	_, err = g.notifier.Notify(ctx, payments.Notification{Provider: MethodID, EventID: eventID, PaymentID: c.CustomID, ExternalID: orderID,
		Kind: kind, Amount: m, At: g.cfg.Clock.Now(), Gateway: map[string]string{"capture_id": c.ID}})
	return err
}

// refunded applies a completed refund once (under the refund's ID). A refund made outside
// the shop carries no custom_id: its capture tells which payment it belongs to.
func (g *Gateway) refunded(ctx context.Context, r refundResource) error {
	if r.Status != "COMPLETED" {
		return nil
	}
	m, err := r.Amount.money()
	if err != nil {
		return commerce.Errorf(commerce.EInvalid, "invalid_event", "%v", err)
	}
	var captureID string
	for _, l := range r.Links {
		if l.Rel == "up" {
			if i := strings.LastIndex(l.Href, "/captures/"); i >= 0 {
				captureID = l.Href[i+len("/captures/"):]
			}
		}
	}
	paymentID, orderID := r.CustomID, ""
	if paymentID == "" && captureID != "" {
		var c capture
		if err := g.do(ctx, http.MethodGet, "/v2/payments/captures/"+url.PathEscape(captureID), "", nil, &c); err != nil {
			return err
		}
		paymentID, orderID = c.CustomID, c.SupplementaryData.RelatedIDs.OrderID
	}
	gw := map[string]string{"refund_id": r.ID}
	if captureID != "" {
		gw["capture_id"] = captureID
	}
	_, err = g.notifier.Notify(ctx, payments.Notification{Provider: MethodID, EventID: "refund:" + r.ID, PaymentID: paymentID, ExternalID: orderID,
		Kind: payments.NotifyRefunded, Amount: m, At: g.cfg.Clock.Now(), Gateway: gw})
	return err
}
