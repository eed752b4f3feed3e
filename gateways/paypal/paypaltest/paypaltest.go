// Package paypaltest runs a fake of PayPal's REST API on a loopback port for tests: OAuth2
// client-credentials tokens (Basic auth, expiring), Orders v2 create and capture, capture
// refunds, PayPal-Request-Id idempotency (the same ID answers the same object), and
// verify-webhook-signature, which says SUCCESS only for a webhook the fake itself sent,
// unmodified, to the configured webhook ID. It records every call, can be told to fail,
// answer 5xx or stall past a client's timeout, and sends webhooks as PayPal does.
package paypaltest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/gateways/internal/fakehttp"
)

// Call is one request the fake answered (Method, Path, Status and what PayPal reads).
type Call struct {
	fakehttp.Call
	Body      json.RawMessage
	RequestID string // PayPal-Request-Id
}

// Amount is PayPal money.
type Amount struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

// Order is the fake's order.
type Order struct {
	ID        string
	Status    string // PAYER_ACTION_REQUIRED, APPROVED, COMPLETED
	CustomID  string
	InvoiceID string
	Amount    Amount
	CaptureID string
}

// Capture is the fake's capture.
type Capture struct {
	ID       string
	OrderID  string
	CustomID string
	Amount   Amount
	Status   string
}

// Refund is the fake's refund.
type Refund struct {
	ID        string
	CaptureID string
	CustomID  string
	Amount    Amount
	Status    string
}

// Server is a running fake; URL is its base URL, for Config.BaseURL.
type Server struct {
	*fakehttp.Server[Call, failure]
	ClientID   string
	Secret     string
	WebhookID  string
	WebhookURL string        // where Send posts events
	TokenLife  time.Duration // lifetime of issued tokens; 1h

	mu       sync.Mutex
	seq      int
	tokens   map[string]time.Time // token -> expiry
	orders   map[string]*Order
	captures map[string]*Capture
	refunds  []*Refund
	idem     map[string]idemEntry
	sent     map[string]sentWebhook // transmission id -> what was sent
}

type idemEntry struct {
	status int
	body   []byte
}

type sentWebhook struct {
	sig  string
	body []byte // compacted
}

type failure struct {
	path   string // "" any
	status int
	issue  string
	desc   string
}

// Start starts a fake on 127.0.0.1:0 for the given app credentials and webhook ID, and
// stops it when the test ends.
func Start(t testing.TB, clientID, secret, webhookID string) *Server {
	t.Helper()
	s := &Server{ClientID: clientID, Secret: secret, WebhookID: webhookID, TokenLife: time.Hour,
		tokens: map[string]time.Time{}, orders: map[string]*Order{}, captures: map[string]*Capture{}, idem: map[string]idemEntry{}, sent: map[string]sentWebhook{}}
	s.Server = fakehttp.Start[Call, failure](t, s.serve)
	return s
}

// FailNext makes the next API call (not a token request) answer status with a PayPal error
// whose detail issue and description are given.
func (s *Server) FailNext(status int, issue, description string) {
	s.FailNextOn("", status, issue, description)
}

// FailNextOn is FailNext for the next call whose path ends with suffix (e.g. "/capture").
func (s *Server) FailNextOn(suffix string, status int, issue, description string) {
	s.QueueFailure(failure{suffix, status, issue, description})
}

// ExpireTokens makes every issued token invalid, as if PayPal revoked them.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Order returns a copy of an order.
func (s *Server) Order(id string) (Order, bool) { return fakehttp.Copy(&s.mu, s.orders, id) }

// Refunds returns the refunds made, oldest first.
func (s *Server) Refunds() []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Refund, len(s.refunds))
	for i, r := range s.refunds {
		out[i] = *r
	}
	return out
}

func (s *Server) nextID() string {
	s.seq++
	return fmt.Sprintf("FAKE%013d", s.seq)
}

func (s *Server) serve(r *http.Request) (Call, int, []byte) {
	body, _ := io.ReadAll(r.Body)
	call := Call{Call: fakehttp.Call{Method: r.Method, Path: r.URL.Path}, RequestID: r.Header.Get("PayPal-Request-Id")}
	if json.Valid(body) {
		call.Body = body
	}
	status, resp := s.answer(r, body, call)
	call.Status = status
	return call, status, resp
}

func errorBody(name, issue, desc string) []byte {
	b, _ := json.Marshal(map[string]any{"name": name, "message": desc, "debug_id": "fakedebug",
		"details": []map[string]string{{"issue": issue, "description": desc}}})
	return b
}

func jsonAnswer(status int, v any) (int, []byte) {
	b, _ := json.Marshal(v)
	return status, b
}

func (s *Server) answer(r *http.Request, body []byte, call Call) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPost && r.URL.Path == "/v1/oauth2/token" {
		id, secret, ok := r.BasicAuth()
		form, _ := url.ParseQuery(string(body))
		if !ok || id != s.ClientID || secret != s.Secret {
			b, _ := json.Marshal(map[string]string{"error": "invalid_client", "error_description": "Client Authentication failed"})
			return http.StatusUnauthorized, b
		}
		if form.Get("grant_type") != "client_credentials" {
			b, _ := json.Marshal(map[string]string{"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"})
			return http.StatusBadRequest, b
		}
		tok := "A21AAfake" + s.nextID()
		s.tokens[tok] = time.Now().Add(s.TokenLife)
		return jsonAnswer(http.StatusOK, map[string]any{"scope": "https://uri.paypal.com/services/payments/payment", "access_token": tok,
			"token_type": "Bearer", "app_id": "APP-FAKE", "expires_in": int64(s.TokenLife / time.Second), "nonce": "fake"})
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := s.tokens[tok]; !ok || time.Now().After(exp) {
		b, _ := json.Marshal(map[string]string{"error": "invalid_token", "error_description": "Token signature verification failed"})
		return http.StatusUnauthorized, b
	}
	if f, ok := s.TakeFailure(func(f failure) bool { return strings.HasSuffix(r.URL.Path, f.path) }); ok {
		return f.status, errorBody(http.StatusText(f.status), f.issue, f.desc)
	}
	if r.Method == http.MethodPost && call.RequestID != "" {
		key := r.URL.Path + " " + call.RequestID
		if e, ok := s.idem[key]; ok {
			return e.status, e.body
		}
		status, resp := s.route(r, body)
		if status < 500 {
			s.idem[key] = idemEntry{status, resp}
		}
		return status, resp
	}
	return s.route(r, body)
}

func (s *Server) route(r *http.Request, body []byte) (int, []byte) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/v2/checkout/orders":
		return s.createOrder(body)
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v2/checkout/orders/") && strings.HasSuffix(p, "/capture"):
		return s.captureOrder(strings.TrimSuffix(strings.TrimPrefix(p, "/v2/checkout/orders/"), "/capture"))
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v2/payments/captures/") && strings.HasSuffix(p, "/refund"):
		return s.refund(strings.TrimSuffix(strings.TrimPrefix(p, "/v2/payments/captures/"), "/refund"), body)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v2/payments/captures/"):
		c, ok := s.captures[strings.TrimPrefix(p, "/v2/payments/captures/")]
		if !ok {
			return http.StatusNotFound, errorBody("RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
		}
		return jsonAnswer(http.StatusOK, s.captureJSON(c))
	case r.Method == http.MethodPost && p == "/v1/notifications/verify-webhook-signature":
		return s.verify(body)
	}
	return http.StatusNotFound, errorBody("RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "no such route "+r.Method+" "+p)
}

func (s *Server) createOrder(body []byte) (int, []byte) {
	var req struct {
		Intent        string `json:"intent"`
		PurchaseUnits []struct {
			CustomID  string `json:"custom_id"`
			InvoiceID string `json:"invoice_id"`
			Amount    Amount `json:"amount"`
		} `json:"purchase_units"`
		PaymentSource *struct {
			PayPal struct {
				ExperienceContext map[string]string `json:"experience_context"`
			} `json:"paypal"`
		} `json:"payment_source"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return http.StatusBadRequest, errorBody("INVALID_REQUEST", "MALFORMED_REQUEST_JSON", err.Error())
	}
	if req.Intent != "CAPTURE" {
		return http.StatusBadRequest, errorBody("INVALID_REQUEST", "INVALID_PARAMETER_VALUE", "intent must be CAPTURE")
	}
	if len(req.PurchaseUnits) != 1 || req.PurchaseUnits[0].Amount.Value == "" || len(req.PurchaseUnits[0].Amount.CurrencyCode) != 3 {
		return http.StatusBadRequest, errorBody("INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER", "purchase_units[0].amount is required")
	}
	if v := req.PurchaseUnits[0].Amount; v.CurrencyCode == "JPY" && strings.Contains(v.Value, ".") {
		return http.StatusUnprocessableEntity, errorBody("UNPROCESSABLE_ENTITY", "DECIMALS_NOT_SUPPORTED", "Currency does not support decimals.")
	}
	pu := req.PurchaseUnits[0]
	o := &Order{ID: s.nextID(), Status: "PAYER_ACTION_REQUIRED", CustomID: pu.CustomID, InvoiceID: pu.InvoiceID, Amount: pu.Amount}
	s.orders[o.ID] = o
	rel := "approve"
	if req.PaymentSource != nil {
		rel = "payer-action"
	} else {
		o.Status = "CREATED"
	}
	return jsonAnswer(http.StatusCreated, map[string]any{"id": o.ID, "status": o.Status, "links": []map[string]string{
		{"href": s.URL + "/v2/checkout/orders/" + o.ID, "rel": "self", "method": "GET"},
		{"href": s.URL + "/checkoutnow?token=" + o.ID, "rel": rel, "method": "GET"},
	}})
}

func (s *Server) captureJSON(c *Capture) map[string]any {
	return map[string]any{"id": c.ID, "status": c.Status, "amount": c.Amount, "custom_id": c.CustomID, "final_capture": true,
		"supplementary_data": map[string]any{"related_ids": map[string]string{"order_id": c.OrderID}},
		"links":              []map[string]string{{"href": s.URL + "/v2/payments/captures/" + c.ID, "rel": "self", "method": "GET"}}}
}

func (s *Server) captureOrder(id string) (int, []byte) {
	o, ok := s.orders[id]
	if !ok {
		return http.StatusNotFound, errorBody("RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
	}
	switch o.Status {
	case "COMPLETED":
		return http.StatusUnprocessableEntity, errorBody("UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED", "Order already captured.")
	case "APPROVED":
	default:
		return http.StatusUnprocessableEntity, errorBody("UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment.")
	}
	c := &Capture{ID: s.nextID(), OrderID: o.ID, CustomID: o.CustomID, Amount: o.Amount, Status: "COMPLETED"}
	s.captures[c.ID] = c
	o.Status, o.CaptureID = "COMPLETED", c.ID
	return jsonAnswer(http.StatusCreated, map[string]any{"id": o.ID, "status": o.Status, "purchase_units": []any{map[string]any{
		"reference_id": o.CustomID, "payments": map[string]any{"captures": []any{s.captureJSON(c)}}}}})
}

func (s *Server) refund(captureID string, body []byte) (int, []byte) {
	c, ok := s.captures[captureID]
	if !ok {
		return http.StatusNotFound, errorBody("RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
	}
	var req struct {
		Amount   *Amount `json:"amount"`
		CustomID string  `json:"custom_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return http.StatusBadRequest, errorBody("INVALID_REQUEST", "MALFORMED_REQUEST_JSON", err.Error())
	}
	left := cents(c.Amount.Value)
	for _, r := range s.refunds {
		if r.CaptureID == captureID {
			left -= cents(r.Amount.Value)
		}
	}
	amt := Amount{CurrencyCode: c.Amount.CurrencyCode, Value: fmt.Sprintf("%d.%02d", left/100, left%100)}
	if req.Amount != nil {
		if req.Amount.CurrencyCode != c.Amount.CurrencyCode {
			return http.StatusUnprocessableEntity, errorBody("UNPROCESSABLE_ENTITY", "CURRENCY_MISMATCH", "Refund must be in the capture's currency.")
		}
		if cents(req.Amount.Value) > left {
			return http.StatusUnprocessableEntity, errorBody("UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")
		}
		amt = *req.Amount
	}
	ref := &Refund{ID: s.nextID(), CaptureID: captureID, CustomID: req.CustomID, Amount: amt, Status: "COMPLETED"}
	s.refunds = append(s.refunds, ref)
	return jsonAnswer(http.StatusCreated, s.refundJSON(ref))
}

func (s *Server) refundJSON(r *Refund) map[string]any {
	m := map[string]any{"id": r.ID, "status": r.Status, "amount": r.Amount, "links": []map[string]string{
		{"href": s.URL + "/v2/payments/refunds/" + r.ID, "rel": "self", "method": "GET"},
		{"href": s.URL + "/v2/payments/captures/" + r.CaptureID, "rel": "up", "method": "GET"}}}
	if r.CustomID != "" {
		m["custom_id"] = r.CustomID
	}
	return m
}

// cents reads a two-decimal amount (the fake's currencies).
func cents(v string) int64 {
	whole, frac, _ := strings.Cut(v, ".")
	frac = (frac + "00")[:2]
	var n int64
	fmt.Sscanf(whole+frac, "%d", &n)
	return n
}

func (s *Server) verify(body []byte) (int, []byte) {
	var req struct {
		AuthAlgo         string          `json:"auth_algo"`
		CertURL          string          `json:"cert_url"`
		TransmissionID   string          `json:"transmission_id"`
		TransmissionSig  string          `json:"transmission_sig"`
		TransmissionTime string          `json:"transmission_time"`
		WebhookID        string          `json:"webhook_id"`
		WebhookEvent     json.RawMessage `json:"webhook_event"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.AuthAlgo == "" || req.CertURL == "" || req.TransmissionTime == "" || len(req.WebhookEvent) == 0 {
		return http.StatusBadRequest, errorBody("VALIDATION_ERROR", "MISSING_REQUIRED_PARAMETER", "Invalid request - see details")
	}
	status := "FAILURE"
	if sent, ok := s.sent[req.TransmissionID]; ok && sent.sig == req.TransmissionSig && req.WebhookID == s.WebhookID && bytes.Equal(compact(req.WebhookEvent), sent.body) {
		status = "SUCCESS"
	}
	return jsonAnswer(http.StatusOK, map[string]string{"verification_status": status})
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil
	}
	return buf.Bytes()
}

// Approve marks an order approved by the shopper and returns its CHECKOUT.ORDER.APPROVED
// event.
func (s *Server) Approve(orderID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustOrder(orderID)
	o.Status = "APPROVED"
	return s.eventLocked("CHECKOUT.ORDER.APPROVED", "checkout-order", s.orderJSON(o))
}

func (s *Server) orderJSON(o *Order) map[string]any {
	return map[string]any{"id": o.ID, "intent": "CAPTURE", "status": o.Status, "purchase_units": []any{map[string]any{
		"reference_id": o.CustomID, "custom_id": o.CustomID, "invoice_id": o.InvoiceID, "amount": o.Amount}},
		"payer": map[string]any{"email_address": "buyer@example.com", "payer_id": "FAKEPAYER"}}
}

func (s *Server) mustOrder(id string) *Order {
	o := s.orders[id]
	if o == nil {
		panic("paypaltest: no order " + id)
	}
	return o
}

// OrderEvent returns an event about an order as it is, with the given type and the amount
// changed to amt when set (a forged or mismatched webhook).
func (s *Server) OrderEvent(typ, orderID string, amt *Amount) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := *s.mustOrder(orderID)
	if amt != nil {
		o.Amount = *amt
	}
	return s.eventLocked(typ, "checkout-order", s.orderJSON(&o))
}

// CaptureCompleted returns the PAYMENT.CAPTURE.COMPLETED event of an order's capture.
func (s *Server) CaptureCompleted(orderID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.captures[s.mustOrder(orderID).CaptureID]
	if c == nil {
		panic("paypaltest: order " + orderID + " has no capture")
	}
	return s.eventLocked("PAYMENT.CAPTURE.COMPLETED", "capture", s.captureJSON(c))
}

// RefundCompleted returns the PAYMENT.CAPTURE.REFUNDED event of a refund.
func (s *Server) RefundCompleted(refundID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.refunds {
		if r.ID == refundID {
			return s.eventLocked("PAYMENT.CAPTURE.REFUNDED", "refund", s.refundJSON(r))
		}
	}
	panic("paypaltest: no refund " + refundID)
}

// Event returns an event of type typ holding resource.
func (s *Server) Event(typ, resourceType string, resource any) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eventLocked(typ, resourceType, resource)
}

func (s *Server) eventLocked(typ, resourceType string, resource any) []byte {
	b, _ := json.MarshalIndent(map[string]any{"id": "WH-" + s.nextID(), "event_version": "1.0", "create_time": time.Now().UTC().Format(time.RFC3339),
		"resource_type": resourceType, "resource_version": "2.0", "event_type": typ, "summary": typ, "resource": resource}, "", " ")
	return b
}

// Headers are the transmission headers of one webhook delivery.
type Headers map[string]string

// Sign records event as sent by the fake and returns its transmission headers; only these
// headers with this unmodified event verify.
func (s *Server) Sign(event []byte) Headers {
	sig := make([]byte, 64)
	_, _ = rand.Read(sig)
	idb := make([]byte, 16)
	_, _ = rand.Read(idb)
	id := hex.EncodeToString(idb)
	s.mu.Lock()
	s.sent[id] = sentWebhook{sig: base64.StdEncoding.EncodeToString(sig), body: compact(event)}
	s.mu.Unlock()
	return Headers{"PAYPAL-TRANSMISSION-ID": id, "PAYPAL-TRANSMISSION-TIME": time.Now().UTC().Format(time.RFC3339),
		"PAYPAL-TRANSMISSION-SIG": base64.StdEncoding.EncodeToString(sig), "PAYPAL-CERT-URL": s.URL + "/v1/notifications/certs/CERT-FAKE",
		"PAYPAL-AUTH-ALGO": "SHA256withRSA"}
}

// Send signs event and posts it to WebhookURL as PayPal does, returning the answer.
func (s *Server) Send(event []byte) (int, []byte, error) { return s.SendWith(event, s.Sign(event)) }

// SendWith posts event with the given transmission headers (tests forge or reuse them).
func (s *Server) SendWith(event []byte, h Headers) (int, []byte, error) {
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	for k, v := range h {
		header.Set(k, v)
	}
	return fakehttp.Post(context.Background(), nil, s.WebhookURL, event, header)
}
