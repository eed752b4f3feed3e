// Package stripetest runs a fake of Stripe's API on a loopback port for tests: it creates
// PaymentIntents and refunds from form-encoded requests, serves the charges of succeeded
// PaymentIntents (with the card fingerprint a test set), checks the Bearer secret key and
// Idempotency-Key (the same key answers the same object; the same key with other
// parameters is refused, as Stripe does), records every call, can be told to fail, answer
// 5xx or stall past a client's timeout, and sends webhooks signed like Stripe's.
package stripetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/gateways/internal/fakehttp"
	"github.com/ultramarket/ultramarket/gateways/stripe"
)

// Call is one request the fake answered (Method, Path, Status and what Stripe reads).
type Call struct {
	fakehttp.Call
	Form           url.Values
	IdempotencyKey string
}

// PaymentIntent is the fake's PaymentIntent.
type PaymentIntent struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Amount         int64             `json:"amount"`
	AmountReceived int64             `json:"amount_received"`
	Currency       string            `json:"currency"`
	Status         string            `json:"status"`
	ClientSecret   string            `json:"client_secret"`
	Metadata       map[string]string `json:"metadata"`
	LatestCharge   string            `json:"latest_charge,omitempty"`
	Created        int64             `json:"created"`
}

// Refund is the fake's Refund.
type Refund struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Status        string            `json:"status"`
	PaymentIntent string            `json:"payment_intent"`
	Charge        string            `json:"charge"`
	Metadata      map[string]string `json:"metadata"`
	Created       int64             `json:"created"`
}

// Server is a running fake; URL is its base URL, for Config.BaseURL.
type Server struct {
	*fakehttp.Server[Call, failure]
	SecretKey     string
	WebhookSecret string
	WebhookURL    string // where Send posts events

	mu      sync.Mutex
	seq     int
	intents map[string]*PaymentIntent
	refunds map[string]*Refund
	cards   map[string]string // PaymentIntent ID → card fingerprint of its charge
	// chargeFail, when not 0, is the status every charge read answers.
	chargeFail int
	idem       map[string]idemEntry
	now        func() time.Time
}

type idemEntry struct {
	params string
	status int
	body   []byte
}

type failure struct {
	status  int
	errType string
	message string
}

// Start starts a fake on 127.0.0.1:0 accepting secretKey and signing webhooks with
// webhookSecret, and stops it when the test ends.
func Start(t testing.TB, secretKey, webhookSecret string) *Server {
	t.Helper()
	s := &Server{SecretKey: secretKey, WebhookSecret: webhookSecret,
		intents: map[string]*PaymentIntent{}, refunds: map[string]*Refund{}, cards: map[string]string{}, idem: map[string]idemEntry{}, now: time.Now}
	s.Server = fakehttp.Start[Call, failure](t, s.serve)
	return s
}

// FailNext makes the next call answer status with a Stripe error of errType
// ("card_error", "invalid_request_error", "api_error") and message.
func (s *Server) FailNext(status int, errType, message string) {
	s.QueueFailure(failure{status, errType, message})
}

// SetCardFingerprint sets the fingerprint of the card that pays a PaymentIntent: its charge
// reports it (payment_method_details.card.fingerprint). Without one the charge has none.
func (s *Server) SetCardFingerprint(piID, fingerprint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cards[piID] = fingerprint
}

// FailChargeReads makes every GET /v1/charges/{id} answer status with an api_error until it
// is called with 0. FailNext failures are not taken by charge reads.
func (s *Server) FailChargeReads(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chargeFail = status
}

// chargeLocked is the Charge object of a succeeded PaymentIntent.
func (s *Server) chargeLocked(pi *PaymentIntent) map[string]any {
	card := map[string]any{"brand": "visa", "last4": "4242"}
	if fp := s.cards[pi.ID]; fp != "" {
		card["fingerprint"] = fp
	}
	return map[string]any{"id": pi.LatestCharge, "object": "charge", "payment_intent": pi.ID, "amount": pi.AmountReceived,
		"currency": pi.Currency, "status": "succeeded", "payment_method_details": map[string]any{"type": "card", "card": card}}
}

// Intent returns a copy of a PaymentIntent.
func (s *Server) Intent(id string) (PaymentIntent, bool) { return fakehttp.Copy(&s.mu, s.intents, id) }

// Refunds returns the refunds made, oldest first.
func (s *Server) Refunds() []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Refund, 0, len(s.refunds))
	for _, r := range s.refunds {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_fake%06d", prefix, s.seq)
}

func (s *Server) serve(r *http.Request) (Call, int, []byte) {
	_ = r.ParseForm()
	call := Call{Call: fakehttp.Call{Method: r.Method, Path: r.URL.Path}, Form: r.PostForm, IdempotencyKey: r.Header.Get("Idempotency-Key")}
	status, body := s.answer(r, call)
	call.Status = status
	return call, status, body
}

func errorBody(errType, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"type": errType, "message": message}})
	return b
}

func (s *Server) answer(r *http.Request, call Call) (int, []byte) {
	if r.Header.Get("Authorization") != "Bearer "+s.SecretKey {
		return http.StatusUnauthorized, errorBody("invalid_request_error", "Invalid API Key provided")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/charges/") {
		if s.chargeFail != 0 {
			return s.chargeFail, errorBody("api_error", "charge read failed")
		}
	} else if f, ok := s.TakeFailure(nil); ok {
		return f.status, errorBody(f.errType, f.message)
	}
	if r.Method == http.MethodPost && call.IdempotencyKey != "" {
		params := r.URL.Path + "?" + call.Form.Encode()
		if e, ok := s.idem[call.IdempotencyKey]; ok {
			if e.params != params {
				return http.StatusBadRequest, errorBody("idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.")
			}
			return e.status, e.body
		}
		status, body := s.route(r, call)
		if status < 500 {
			s.idem[call.IdempotencyKey] = idemEntry{params, status, body}
		}
		return status, body
	}
	return s.route(r, call)
}

func (s *Server) route(r *http.Request, call Call) (int, []byte) {
	f := call.Form
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents":
		amount, err := strconv.ParseInt(f.Get("amount"), 10, 64)
		cur := f.Get("currency")
		if err != nil || amount <= 0 || len(cur) != 3 || cur != strings.ToLower(cur) {
			return http.StatusBadRequest, errorBody("invalid_request_error", "Invalid amount or currency")
		}
		if f.Get("automatic_payment_methods[enabled]") != "true" {
			return http.StatusBadRequest, errorBody("invalid_request_error", "automatic_payment_methods[enabled] expected")
		}
		pi := &PaymentIntent{ID: s.nextID("pi"), Object: "payment_intent", Amount: amount, Currency: cur,
			Status: "requires_payment_method", Metadata: metadata(f), Created: s.now().Unix()}
		pi.ClientSecret = pi.ID + "_secret_fake"
		s.intents[pi.ID] = pi
		return jsonAnswer(http.StatusOK, pi)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_intents/"):
		pi, ok := s.intents[strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")]
		if !ok {
			return http.StatusNotFound, errorBody("invalid_request_error", "No such payment_intent")
		}
		return jsonAnswer(http.StatusOK, pi)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/charges/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/charges/")
		for _, pi := range s.intents {
			if id != "" && pi.LatestCharge == id {
				return jsonAnswer(http.StatusOK, s.chargeLocked(pi))
			}
		}
		return http.StatusNotFound, errorBody("invalid_request_error", "No such charge: '"+id+"'")
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		pi, ok := s.intents[f.Get("payment_intent")]
		if !ok {
			return http.StatusBadRequest, errorBody("invalid_request_error", "No such payment_intent: '"+f.Get("payment_intent")+"'")
		}
		if pi.Status != "succeeded" {
			return http.StatusBadRequest, errorBody("invalid_request_error", "This PaymentIntent does not have a successful charge to refund.")
		}
		amount := pi.AmountReceived - s.refunded(pi.ID)
		if a := f.Get("amount"); a != "" {
			n, err := strconv.ParseInt(a, 10, 64)
			if err != nil || n <= 0 {
				return http.StatusBadRequest, errorBody("invalid_request_error", "Invalid amount")
			}
			if n > amount {
				return http.StatusBadRequest, errorBody("invalid_request_error", fmt.Sprintf("Refund amount (%d) is greater than unrefunded amount on charge (%d)", n, amount))
			}
			amount = n
		}
		re := &Refund{ID: s.nextID("re"), Object: "refund", Amount: amount, Currency: pi.Currency, Status: "succeeded",
			PaymentIntent: pi.ID, Charge: pi.LatestCharge, Metadata: metadata(f), Created: s.now().Unix()}
		s.refunds[re.ID] = re
		return jsonAnswer(http.StatusOK, re)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/refunds":
		q := r.URL.Query()
		list := []*Refund{}
		for _, re := range s.refunds {
			if (q.Get("charge") == "" || re.Charge == q.Get("charge")) && (q.Get("payment_intent") == "" || re.PaymentIntent == q.Get("payment_intent")) {
				list = append(list, re)
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		return jsonAnswer(http.StatusOK, map[string]any{"object": "list", "data": list, "has_more": false})
	}
	return http.StatusNotFound, errorBody("invalid_request_error", "Unrecognized request URL ("+r.Method+": "+r.URL.Path+")")
}

func (s *Server) refunded(piID string) int64 {
	var n int64
	for _, re := range s.refunds {
		if re.PaymentIntent == piID && re.Status == "succeeded" {
			n += re.Amount
		}
	}
	return n
}

func metadata(f url.Values) map[string]string {
	m := map[string]string{}
	for k, v := range f {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") && len(v) > 0 {
			m[k[len("metadata["):len(k)-1]] = v[0]
		}
	}
	return m
}

func jsonAnswer(status int, v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		return http.StatusInternalServerError, errorBody("api_error", err.Error())
	}
	return status, b
}

// Succeed marks a PaymentIntent paid (amount_received = amount, a charge made) and returns
// its payment_intent.succeeded event.
func (s *Server) Succeed(piID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.mustIntent(piID)
	pi.Status, pi.AmountReceived = "succeeded", pi.Amount
	if pi.LatestCharge == "" {
		pi.LatestCharge = s.nextID("ch")
	}
	return s.eventLocked("payment_intent.succeeded", pi)
}

// SucceedExpanded is Succeed with the event's latest_charge expanded into the Charge object
// (as an API answer with expand[]=latest_charge carries it).
func (s *Server) SucceedExpanded(piID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.mustIntent(piID)
	pi.Status, pi.AmountReceived = "succeeded", pi.Amount
	if pi.LatestCharge == "" {
		pi.LatestCharge = s.nextID("ch")
	}
	obj := map[string]any{}
	b, _ := json.Marshal(pi)
	_ = json.Unmarshal(b, &obj)
	obj["latest_charge"] = s.chargeLocked(pi)
	return s.eventLocked("payment_intent.succeeded", obj)
}

// Fail marks a PaymentIntent's payment failed and returns its payment_intent.payment_failed
// event.
func (s *Server) Fail(piID, message string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.mustIntent(piID)
	pi.Status = "requires_payment_method"
	obj := map[string]any{}
	b, _ := json.Marshal(pi)
	_ = json.Unmarshal(b, &obj)
	obj["last_payment_error"] = map[string]string{"message": message, "code": "card_declined"}
	return s.eventLocked("payment_intent.payment_failed", obj)
}

// Event returns a new event of type typ holding object (any JSON-encodable value).
func (s *Server) Event(typ string, object any) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eventLocked(typ, object)
}

// ChargeRefunded returns a charge.refunded event for a PaymentIntent's charge, without the
// refunds list (as newer API versions send it).
func (s *Server) ChargeRefunded(piID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.mustIntent(piID)
	return s.eventLocked("charge.refunded", map[string]any{"id": pi.LatestCharge, "object": "charge", "payment_intent": pi.ID,
		"amount": pi.AmountReceived, "amount_refunded": s.refunded(pi.ID), "currency": pi.Currency, "refunded": s.refunded(pi.ID) == pi.AmountReceived})
}

func (s *Server) mustIntent(id string) *PaymentIntent {
	pi := s.intents[id]
	if pi == nil {
		panic("stripetest: no PaymentIntent " + id)
	}
	return pi
}

func (s *Server) eventLocked(typ string, object any) []byte {
	obj, err := json.Marshal(object)
	if err != nil {
		panic(err)
	}
	ev := map[string]any{"id": s.nextID("evt"), "object": "event", "type": typ, "created": s.now().Unix(),
		"api_version": "2024-06-20", "livemode": false, "data": map[string]json.RawMessage{"object": obj}}
	b, _ := json.Marshal(ev)
	return b
}

// Send posts a signed event to WebhookURL as Stripe does and returns the answer.
func (s *Server) Send(event []byte) (int, []byte, error) {
	return s.SendSigned(event, stripe.Sign(s.WebhookSecret, time.Now(), event))
}

// SendSigned posts an event with the given Stripe-Signature header (tests forge or age it).
func (s *Server) SendSigned(event []byte, signature string) (int, []byte, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	if signature != "" {
		h.Set(stripe.SignatureHeader, signature)
	}
	return fakehttp.Post(context.Background(), nil, s.WebhookURL, event, h)
}
