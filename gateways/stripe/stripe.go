// Package stripe is the Stripe payment gateway adapter: it starts payments as PaymentIntents,
// refunds them through Stripe's refunds API, and verifies Stripe's signed webhooks
// (Stripe-Signature, with a timestamp tolerance) before handing what they say to a
// payments.Notifier. It speaks Stripe's HTTP API directly (form-encoded requests, JSON
// answers) with a bounded time per call; stripetest is a local fake of that API.
package stripe

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwhttp"
)

// MethodID is the payment method ID of Stripe.
const MethodID = "stripe"

// Defaults of Config's zero values.
const (
	DefaultBaseURL   = "https://api.stripe.com"
	DefaultTimeout   = 10 * time.Second
	DefaultTolerance = 5 * time.Minute
)

// Config configures the adapter. Zero values mean the defaults above.
type Config struct {
	SecretKey     string        // API key sent as a Bearer token
	WebhookSecret string        // the webhook endpoint's signing secret (whsec_...)
	BaseURL       string        // DefaultBaseURL
	Timeout       time.Duration // per API call; DefaultTimeout
	Tolerance     time.Duration // oldest accepted webhook timestamp; DefaultTolerance
	Clock         commerce.Clock
	HTTPClient    *http.Client
	Name          string   // shown to shoppers; "Card (Stripe)"
	Currencies    []string // accepted currencies; empty: any
}

// Gateway is the Stripe adapter; it implements payments.Gateway and payments.Webhook.
type Gateway struct {
	cfg      Config
	client   *gwhttp.Client
	notifier payments.Notifier
}

var (
	_ payments.Gateway = (*Gateway)(nil)
	_ payments.Webhook = (*Gateway)(nil)
)

// New returns the adapter; n applies the notifications its webhook verifies.
func New(cfg Config, n payments.Notifier) (*Gateway, error) {
	if cfg.SecretKey == "" || cfg.WebhookSecret == "" {
		return nil, fmt.Errorf("stripe: secret key and webhook secret are required")
	}
	if n == nil {
		return nil, fmt.Errorf("stripe: a notifier is required")
	}
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	cfg.Timeout = gwhttp.Duration(cfg.Timeout, DefaultTimeout)
	cfg.Tolerance = gwhttp.Duration(cfg.Tolerance, DefaultTolerance)
	cfg.Clock = commerce.OrSystemClock(cfg.Clock)
	cfg.Name = cmp.Or(cfg.Name, "Card (Stripe)")
	return &Gateway{cfg: cfg, client: gwhttp.NewClient("stripe", cfg.Timeout, cfg.HTTPClient), notifier: n}, nil
}

// Method describes Stripe as a gateway method.
func (g *Gateway) Method() payments.Method {
	return payments.Method{ID: MethodID, Name: g.cfg.Name, Kind: payments.KindGateway, Currencies: g.cfg.Currencies}
}

// paymentIntent is the part of Stripe's PaymentIntent object the adapter reads.
type paymentIntent struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Amount         int64             `json:"amount"`
	AmountReceived int64             `json:"amount_received"`
	Currency       string            `json:"currency"`
	Status         string            `json:"status"`
	ClientSecret   string            `json:"client_secret"`
	Metadata       map[string]string `json:"metadata"`
	// LatestCharge is the charge's ID or, when Stripe expanded it, the Charge object.
	LatestCharge json.RawMessage `json:"latest_charge"`
	LastError    *struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"last_payment_error"`
	Created int64 `json:"created"`
}

// refund is the part of Stripe's Refund object the adapter reads.
type refund struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Status        string            `json:"status"` // pending, requires_action, succeeded, failed, canceled
	PaymentIntent string            `json:"payment_intent"`
	Charge        string            `json:"charge"`
	Metadata      map[string]string `json:"metadata"`
	FailureReason string            `json:"failure_reason"`
	Created       int64             `json:"created"`
}

// apiError is Stripe's error answer.
type apiError struct {
	Error struct {
		Type        string `json:"type"`
		Code        string `json:"code"`
		DeclineCode string `json:"decline_code"`
		Message     string `json:"message"`
	} `json:"error"`
}

// Start creates a PaymentIntent for p (our payment ID as its idempotency key and metadata)
// and returns its ID and client secret for the storefront's Stripe.js.
func (g *Gateway) Start(ctx context.Context, p payments.Payment, in payments.StartInput) (payments.Action, error) {
	if p.Amount.Amount <= 0 || !commerce.ValidCurrency(p.Amount.Currency) {
		return payments.Action{}, gwhttp.Refused(commerce.EInvalid, "invalid_amount", "stripe", fmt.Sprintf("cannot charge %s", p.Amount))
	}
	form := url.Values{}
	form.Set("amount", strconv.FormatInt(p.Amount.Amount, 10))
	form.Set("currency", strings.ToLower(p.Amount.Currency))
	form.Set("automatic_payment_methods[enabled]", "true")
	form.Set("metadata[payment_id]", p.ID)
	form.Set("metadata[order_id]", p.OrderID)
	if p.OrderNumber > 0 {
		form.Set("metadata[order_number]", strconv.FormatInt(p.OrderNumber, 10))
	}
	if in.Description != "" {
		form.Set("description", in.Description)
	}
	if in.Email != "" {
		form.Set("receipt_email", in.Email)
	}
	var pi paymentIntent
	if err := g.post(ctx, "/v1/payment_intents", p.ID, form, &pi); err != nil {
		return payments.Action{}, err
	}
	if pi.ID == "" || pi.ClientSecret == "" {
		return payments.Action{}, &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable", Message: "stripe: the PaymentIntent answer has no id or client secret"}
	}
	return payments.Action{ExternalID: pi.ID, ClientSecret: pi.ClientSecret}, nil
}

// Refund refunds amount of p's PaymentIntent with refundID as the idempotency key. A refund
// Stripe has not finished yet (pending) is confirmed later by its webhook.
func (g *Gateway) Refund(ctx context.Context, p payments.Payment, amount commerce.Money, refundID string) (payments.RefundResult, error) {
	if p.ExternalID == "" {
		return payments.RefundResult{}, gwhttp.Refused(commerce.EConflict, "not_captured", "stripe", "the payment has no PaymentIntent to refund")
	}
	if amount.Amount <= 0 || amount.Currency != p.Amount.Currency {
		return payments.RefundResult{}, gwhttp.Refused(commerce.EInvalid, "invalid_amount", "stripe", fmt.Sprintf("cannot refund %s of a %s payment", amount, p.Amount.Currency))
	}
	form := url.Values{}
	form.Set("payment_intent", p.ExternalID)
	form.Set("amount", strconv.FormatInt(amount.Amount, 10))
	form.Set("metadata[payment_id]", p.ID)
	form.Set("metadata[refund_id]", refundID)
	var r refund
	if err := g.post(ctx, "/v1/refunds", refundID, form, &r); err != nil {
		return payments.RefundResult{}, err
	}
	switch r.Status {
	case "failed", "canceled":
		return payments.RefundResult{}, gwhttp.Refused(commerce.EConflict, "refund_failed", "stripe", "refund "+r.Status+": "+r.FailureReason)
	}
	return payments.RefundResult{ExternalID: r.ID, Pending: r.Status != "succeeded"}, nil
}

// post sends a form-encoded POST with an idempotency key and decodes a 2xx answer into out.
func (g *Gateway) post(ctx context.Context, path, idemKey string, form url.Values, out any) error {
	req, err := http.NewRequest(http.MethodPost, g.cfg.BaseURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	return g.call(ctx, req, out)
}

// get sends a GET and decodes a 2xx answer into out.
func (g *Gateway) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequest(http.MethodGet, g.cfg.BaseURL+path, nil)
	if err != nil {
		return err
	}
	return g.call(ctx, req, out)
}

func (g *Gateway) call(ctx context.Context, req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+g.cfg.SecretKey)
	var e apiError
	status, ok, err := g.client.DoJSON(ctx, req, out, &e)
	if err != nil || ok {
		return err
	}
	msg := e.Error.Message
	if msg == "" {
		msg = fmt.Sprintf("answered %d", status)
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gwhttp.Unauthorized("stripe", msg)
	case status == http.StatusPaymentRequired || e.Error.Type == "card_error":
		return gwhttp.Refused(commerce.EConflict, "payment_declined", "stripe", msg)
	case status == http.StatusConflict || e.Error.Type == "idempotency_error":
		return gwhttp.Refused(commerce.EConflict, "gateway_conflict", "stripe", msg)
	}
	return gwhttp.Refused(commerce.EInvalid, "gateway_rejected", "stripe", msg)
}
