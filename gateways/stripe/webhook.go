package stripe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwhttp"
)

// SignatureHeader is the header carrying Stripe's webhook signature.
const SignatureHeader = "Stripe-Signature"

// event is the part of Stripe's Event object the adapter reads.
type event struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// charge is the part of Stripe's Charge object the adapter reads.
type charge struct {
	ID            string `json:"id"`
	PaymentIntent string `json:"payment_intent"`
	Refunds       *struct {
		Data    []refund `json:"data"`
		HasMore bool     `json:"has_more"`
	} `json:"refunds"`
	PaymentMethodDetails *struct {
		Card *struct {
			Fingerprint string `json:"fingerprint"`
		} `json:"card"`
	} `json:"payment_method_details"`
}

// latestCharge returns the ID and card fingerprint of a PaymentIntent's latest_charge: read
// from the event when Stripe expanded the charge, otherwise from one GET /v1/charges/{id}
// within the adapter's timeout. A failed read only leaves the fingerprint out: it never
// holds up the capture.
func (g *Gateway) latestCharge(ctx context.Context, raw json.RawMessage) (id, fingerprint string) {
	var c charge
	if err := json.Unmarshal(raw, &id); err == nil {
		if id == "" || g.get(ctx, "/v1/charges/"+url.PathEscape(id), &c) != nil {
			return id, ""
		}
	} else if err := json.Unmarshal(raw, &c); err != nil {
		return "", ""
	} else {
		id = c.ID
	}
	if c.PaymentMethodDetails == nil || c.PaymentMethodDetails.Card == nil {
		return id, ""
	}
	return id, c.PaymentMethodDetails.Card.Fingerprint
}

// Sign returns a Stripe-Signature header value for payload signed with secret at t, the
// way Stripe signs webhooks (tests and the fake use it).
func Sign(secret string, t time.Time, payload []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, payload))
}

func mac(secret, ts string, payload []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(payload)
	return m.Sum(nil)
}

// verify checks a Stripe-Signature header against the raw body: one of its v1 signatures
// must be the HMAC-SHA256 of "<t>.<body>" with the webhook secret, and t must be within the
// tolerance of now.
func (g *Gateway) verify(header string, body []byte) (string, bool) {
	var ts string
	var sigs [][]byte
	for _, item := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return "missing or malformed " + SignatureHeader + " header", false
	}
	want := mac(g.cfg.WebhookSecret, ts, body)
	match := false
	for _, s := range sigs {
		if hmac.Equal(s, want) { // constant time
			match = true
		}
	}
	if !match {
		return "no signature matches the payload", false
	}
	age := g.cfg.Clock.Now().Sub(time.Unix(sec, 0))
	if age > g.cfg.Tolerance || age < -g.cfg.Tolerance {
		return "timestamp outside the tolerance (replayed or clock skew)", false
	}
	return "", true
}

// HandleWebhook verifies a Stripe webhook and applies it. It answers 2xx only when the event
// was applied, had been before, or is of a type the shop does not use, so Stripe retries
// everything else: 400 bad signature, old timestamp, unreadable event or amount mismatch,
// 404 unknown payment, 409 a payment already finished, 503 a failure on our side.
func (g *Gateway) HandleWebhook(ctx context.Context, header map[string][]string, body []byte) (int, string, []byte) {
	if why, ok := g.verify(http.Header(header).Get(SignatureHeader), body); !ok {
		return gwhttp.Reply(http.StatusBadRequest, "invalid_signature", "stripe: "+why)
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Type == "" {
		return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "stripe: the body is not a Stripe event")
	}
	at := time.Unix(ev.Created, 0).UTC()
	switch ev.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled":
		var pi paymentIntent
		if err := json.Unmarshal(ev.Data.Object, &pi); err != nil || pi.ID == "" {
			return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "stripe: the event holds no PaymentIntent")
		}
		n := payments.Notification{Provider: MethodID, EventID: ev.ID, PaymentID: pi.Metadata["payment_id"], ExternalID: pi.ID, At: at,
			Amount: commerce.Money{Amount: pi.Amount, Currency: strings.ToUpper(pi.Currency)}}
		switch ev.Type {
		case "payment_intent.succeeded":
			n.Kind = payments.NotifyCaptured
			n.Amount.Amount = pi.AmountReceived
			if id, fp := g.latestCharge(ctx, pi.LatestCharge); id != "" {
				n.Gateway = map[string]string{"charge_id": id}
				if fp != "" {
					n.Gateway["card_fingerprint"] = fp
				}
			}
		case "payment_intent.payment_failed":
			n.Kind = payments.NotifyFailed
			if pi.LastError != nil && pi.LastError.Message != "" {
				n.Gateway = map[string]string{"failure": pi.LastError.Message}
			}
		default:
			n.Kind = payments.NotifyCancelled
		}
		_, err := g.notifier.Notify(ctx, n)
		return gwhttp.NotifyReply(err)
	case "refund.created", "refund.updated":
		var r refund
		if err := json.Unmarshal(ev.Data.Object, &r); err != nil || r.ID == "" {
			return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "stripe: the event holds no refund")
		}
		return gwhttp.NotifyReply(g.notifyRefunds(ctx, []refund{r}))
	case "charge.refunded":
		var c charge
		if err := json.Unmarshal(ev.Data.Object, &c); err != nil || c.ID == "" {
			return gwhttp.Reply(http.StatusBadRequest, "invalid_event", "stripe: the event holds no charge")
		}
		refunds, err := g.chargeRefunds(ctx, c)
		if err != nil {
			return gwhttp.NotifyReply(err)
		}
		return gwhttp.NotifyReply(g.notifyRefunds(ctx, refunds))
	}
	return gwhttp.Reply(http.StatusOK, "", "") // a type the shop does not act on
}

// chargeRefunds are the refunds of a refunded charge: the list the event carries when it is
// complete (older API versions), otherwise read from Stripe.
func (g *Gateway) chargeRefunds(ctx context.Context, c charge) ([]refund, error) {
	if c.Refunds != nil && !c.Refunds.HasMore && len(c.Refunds.Data) > 0 {
		return c.Refunds.Data, nil
	}
	var list struct {
		Data []refund `json:"data"`
	}
	if err := g.get(ctx, "/v1/refunds?limit=100&charge="+url.QueryEscape(c.ID), &list); err != nil {
		return nil, err
	}
	for i := range list.Data {
		if list.Data[i].PaymentIntent == "" {
			list.Data[i].PaymentIntent = c.PaymentIntent
		}
	}
	return list.Data, nil
}

// notifyRefunds applies each succeeded refund once: the refund's own ID is the event ID, so
// the charge.refunded and refund.* events of one refund (and their retries) apply it once.
func (g *Gateway) notifyRefunds(ctx context.Context, refunds []refund) error {
	for _, r := range refunds {
		if r.Status != "succeeded" {
			continue // pending ones come back in refund.updated; failed ones moved no money
		}
		gw := map[string]string{"refund_id": r.ID}
		if ref := r.Metadata["refund_id"]; ref != "" {
			gw["refund_ref"] = ref
		}
		n := payments.Notification{Provider: MethodID, EventID: r.ID, PaymentID: r.Metadata["payment_id"], ExternalID: r.PaymentIntent,
			Kind: payments.NotifyRefunded, Amount: commerce.Money{Amount: r.Amount, Currency: strings.ToUpper(r.Currency)},
			At: time.Unix(r.Created, 0).UTC(), Gateway: gw}
		if _, err := g.notifier.Notify(ctx, n); err != nil {
			return err
		}
	}
	return nil
}
