// Package paypal is the PayPal payment gateway adapter: it starts payments as Orders v2
// orders (intent CAPTURE) the shopper approves at PayPal, captures an order when PayPal's
// CHECKOUT.ORDER.APPROVED webhook arrives, refunds captures, and has every webhook verified
// by PayPal (verify-webhook-signature) before handing what it says to a payments.Notifier.
// It gets OAuth2 client-credentials tokens and keeps one until shortly before it expires.
// paypaltest is a local fake of the API.
package paypal

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwhttp"
)

// MethodID is the payment method ID of PayPal.
const MethodID = "paypal"

// Defaults of Config's zero values.
const (
	DefaultBaseURL = "https://api-m.paypal.com"
	DefaultTimeout = 10 * time.Second
)

// Config configures the adapter. Zero values mean the defaults above.
type Config struct {
	ClientID   string
	Secret     string
	WebhookID  string        // the ID PayPal gave our webhook; part of every verification
	BaseURL    string        // DefaultBaseURL
	Timeout    time.Duration // per API call; DefaultTimeout
	Tolerance  time.Duration // oldest accepted PAYPAL-TRANSMISSION-TIME; 0 does not check
	Clock      commerce.Clock
	HTTPClient *http.Client
	Name       string   // shown to shoppers; "PayPal"
	Currencies []string // accepted currencies; empty: any
}

// Gateway is the PayPal adapter; it implements payments.Gateway and payments.Webhook.
type Gateway struct {
	cfg      Config
	client   *gwhttp.Client
	notifier payments.Notifier

	mu      sync.Mutex
	token   string
	expires time.Time
}

var (
	_ payments.Gateway = (*Gateway)(nil)
	_ payments.Webhook = (*Gateway)(nil)
)

// New returns the adapter; n applies the notifications its webhook verifies.
func New(cfg Config, n payments.Notifier) (*Gateway, error) {
	if cfg.ClientID == "" || cfg.Secret == "" || cfg.WebhookID == "" {
		return nil, fmt.Errorf("paypal: client ID, secret and webhook ID are required")
	}
	if n == nil {
		return nil, fmt.Errorf("paypal: a notifier is required")
	}
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	cfg.Timeout = gwhttp.Duration(cfg.Timeout, DefaultTimeout)
	cfg.Clock = commerce.OrSystemClock(cfg.Clock)
	cfg.Name = cmp.Or(cfg.Name, "PayPal")
	return &Gateway{cfg: cfg, client: gwhttp.NewClient("paypal", cfg.Timeout, cfg.HTTPClient), notifier: n}, nil
}

// Method describes PayPal as a gateway method.
func (g *Gateway) Method() payments.Method {
	return payments.Method{ID: MethodID, Name: g.cfg.Name, Kind: payments.KindGateway, Currencies: g.cfg.Currencies}
}

// amount is PayPal's money.
type amount struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

func (a amount) money() (commerce.Money, error) { return ParseAmount(a.Value, a.CurrencyCode) }

type link struct {
	Href   string `json:"href"`
	Rel    string `json:"rel"`
	Method string `json:"method,omitempty"`
}

// capture is the part of PayPal's capture object the adapter reads.
type capture struct {
	ID                string `json:"id"`
	Status            string `json:"status"` // COMPLETED, DECLINED, PARTIALLY_REFUNDED, PENDING, REFUNDED, FAILED
	Amount            amount `json:"amount"`
	CustomID          string `json:"custom_id"`
	InvoiceID         string `json:"invoice_id"`
	SupplementaryData struct {
		RelatedIDs struct {
			OrderID string `json:"order_id"`
		} `json:"related_ids"`
	} `json:"supplementary_data"`
}

// order is the part of PayPal's order object the adapter reads.
type order struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Links         []link `json:"links"`
	PurchaseUnits []struct {
		CustomID string `json:"custom_id"`
		Amount   amount `json:"amount"`
		Payments struct {
			Captures []capture `json:"captures"`
		} `json:"payments"`
	} `json:"purchase_units"`
}

// apiError is PayPal's error answer (REST errors and OAuth errors).
type apiError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Details []struct {
		Issue       string `json:"issue"`
		Description string `json:"description"`
	} `json:"details"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func (e apiError) issue() string {
	if len(e.Details) > 0 {
		return e.Details[0].Issue
	}
	return e.Name
}

func (e apiError) message(status int) string {
	var parts []string
	for _, d := range e.Details {
		parts = append(parts, strings.TrimSpace(d.Issue+": "+d.Description))
	}
	switch {
	case len(parts) > 0:
		return strings.Join(parts, "; ")
	case e.Message != "":
		return e.Message
	case e.ErrorDescription != "":
		return e.ErrorDescription
	}
	return fmt.Sprintf("answered %d", status)
}

// Start creates an order for p (intent CAPTURE, our payment ID as custom_id and as the
// PayPal-Request-Id) and returns its ID and the link where the shopper approves it.
func (g *Gateway) Start(ctx context.Context, p payments.Payment, in payments.StartInput) (payments.Action, error) {
	value, err := FormatAmount(p.Amount)
	if err != nil {
		return payments.Action{}, err
	}
	if p.Amount.Amount <= 0 {
		return payments.Action{}, gwhttp.Refused(commerce.EInvalid, "invalid_amount", "paypal", "the amount must be positive")
	}
	invoice := p.ID
	if p.OrderNumber > 0 {
		invoice = fmt.Sprintf("%d-%s", p.OrderNumber, p.ID)
	}
	unit := map[string]any{"reference_id": p.ID, "custom_id": p.ID, "invoice_id": invoice,
		"amount": amount{CurrencyCode: p.Amount.Currency, Value: value}}
	if in.Description != "" {
		unit["description"] = in.Description
	}
	body := map[string]any{"intent": "CAPTURE", "purchase_units": []any{unit}}
	if in.ReturnURL != "" || in.CancelURL != "" {
		exp := map[string]string{"user_action": "PAY_NOW"}
		if in.ReturnURL != "" {
			exp["return_url"] = in.ReturnURL
		}
		if in.CancelURL != "" {
			exp["cancel_url"] = in.CancelURL
		}
		src := map[string]any{"experience_context": exp}
		if in.Email != "" {
			src["email_address"] = in.Email
		}
		body["payment_source"] = map[string]any{"paypal": src}
	}
	var o order
	if err := g.do(ctx, http.MethodPost, "/v2/checkout/orders", p.ID, body, &o); err != nil {
		return payments.Action{}, err
	}
	act := payments.Action{ExternalID: o.ID}
	for _, l := range o.Links {
		if l.Rel == "payer-action" || l.Rel == "approve" {
			act.RedirectURL = l.Href
		}
	}
	if o.ID == "" || act.RedirectURL == "" {
		return payments.Action{}, &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable", Message: "paypal: the order answer has no id or approval link"}
	}
	return act, nil
}

// Refund refunds amount of p's capture (Gateway["capture_id"], kept when the capture was
// notified) with refundID as the PayPal-Request-Id.
func (g *Gateway) Refund(ctx context.Context, p payments.Payment, amt commerce.Money, refundID string) (payments.RefundResult, error) {
	captureID := p.Gateway["capture_id"]
	if captureID == "" {
		return payments.RefundResult{}, gwhttp.Refused(commerce.EConflict, "not_captured", "paypal", "the payment has no capture to refund")
	}
	if amt.Amount <= 0 || amt.Currency != p.Amount.Currency {
		return payments.RefundResult{}, gwhttp.Refused(commerce.EInvalid, "invalid_amount", "paypal", fmt.Sprintf("cannot refund %s of a %s payment", amt, p.Amount.Currency))
	}
	value, err := FormatAmount(amt)
	if err != nil {
		return payments.RefundResult{}, err
	}
	body := map[string]any{"amount": amount{CurrencyCode: amt.Currency, Value: value}, "custom_id": p.ID, "invoice_id": refundID}
	var r struct {
		ID     string `json:"id"`
		Status string `json:"status"` // CANCELLED, FAILED, PENDING, COMPLETED
	}
	if err := g.do(ctx, http.MethodPost, "/v2/payments/captures/"+url.PathEscape(captureID)+"/refund", refundID, body, &r); err != nil {
		return payments.RefundResult{}, err
	}
	switch r.Status {
	case "FAILED", "CANCELLED":
		return payments.RefundResult{}, gwhttp.Refused(commerce.EConflict, "refund_failed", "paypal", "refund "+strings.ToLower(r.Status))
	}
	return payments.RefundResult{ExternalID: r.ID, Pending: r.Status != "COMPLETED"}, nil
}

// accessToken returns a cached OAuth2 token, or gets a new one when there is none, it is
// about to expire, or renew is set (the API refused the cached one).
func (g *Gateway) accessToken(ctx context.Context, renew bool) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Clock.Now()
	if !renew && g.token != "" && now.Before(g.expires) {
		return g.token, nil
	}
	req, err := http.NewRequest(http.MethodPost, g.cfg.BaseURL+"/v1/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(g.cfg.ClientID, g.cfg.Secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, body, err := g.client.Do(ctx, req)
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if status != http.StatusOK {
		var e apiError
		_ = json.Unmarshal(body, &e)
		return "", gwhttp.Unauthorized("paypal", e.message(status))
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", &commerce.Error{Kind: commerce.EUnavailable, Code: "gateway_unavailable", Message: "paypal: unreadable token answer"}
	}
	// Renew a minute early (or at half its life when shorter) so a call never carries an
	// expired token.
	life := time.Duration(tok.ExpiresIn) * time.Second
	margin := min(time.Minute, life/2)
	g.token, g.expires = tok.AccessToken, now.Add(life-margin)
	return g.token, nil
}

// do calls the API with a Bearer token (renewed once if the API refuses it), JSON in and
// out, and requestID as PayPal-Request-Id (its idempotency key) when set.
func (g *Gateway) do(ctx context.Context, method, path, requestID string, in, out any) error {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := g.accessToken(ctx, attempt > 0)
		if err != nil {
			return err
		}
		req, err := http.NewRequest(method, g.cfg.BaseURL+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Prefer", "return=representation")
		if requestID != "" {
			req.Header.Set("PayPal-Request-Id", requestID)
		}
		var e apiError
		status, ok, err := g.client.DoJSON(ctx, req, out, &e)
		if err != nil || ok {
			return err
		}
		if status == http.StatusUnauthorized && attempt == 0 {
			continue // the token expired or was revoked early: get a new one, once
		}
		switch status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return gwhttp.Unauthorized("paypal", e.message(status))
		case http.StatusConflict, http.StatusUnprocessableEntity:
			return &commerce.Error{Kind: commerce.EConflict, Code: "gateway_refused", Message: "paypal: " + e.message(status),
				Details: map[string]any{"issue": e.issue()}}
		}
		return &commerce.Error{Kind: commerce.EInvalid, Code: "gateway_rejected", Message: "paypal: " + e.message(status),
			Details: map[string]any{"issue": e.issue()}}
	}
}
