// Package uzcardtest is a fake UzCard processing center for tests, served on 127.0.0.1: the
// merchant API of package uzcard (payment create, status, reverse, HTTP Basic auth), a
// hosted card page reduced to Pay (card, expiry and the SMS code), and callbacks to the
// merchant's URL with the callback credentials.
package uzcardtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/ultramarket/ultramarket/gateways/internal/fakehttp"
	"github.com/ultramarket/ultramarket/gateways/uzcard"
)

// OTP is the SMS code the fake sends to every card.
const OTP = "666666"

// Center is the fake processing center.
type Center struct {
	URL              string // the API base URL
	Login, Password  string
	CallbackURL      string // where callbacks go
	CallbackLogin    string
	CallbackPassword string

	mu         sync.Mutex
	txs        map[string]*uzcard.Transaction
	byExternal map[string]string
	reversals  map[string]string // refund external ID -> reversal ID
	seq        int
	block      chan struct{} // closed to release hung calls; nil when not blocking
	// Calls counts API calls by path.
	Calls map[string]int
}

// New starts a fake center, closed with the test.
func New(t testing.TB, login, password string) *Center {
	c := &Center{Login: login, Password: password, txs: map[string]*uzcard.Transaction{},
		byExternal: map[string]string{}, reversals: map[string]string{}, Calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { c.Block(false) }) // runs first: release hung calls so Close returns
	c.URL = srv.URL + "/api/v1"
	return c
}

// Block makes every API call hang until the caller gives up (a timeout) while on.
func (c *Center) Block(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case on && c.block == nil:
		c.block = make(chan struct{})
	case !on && c.block != nil:
		close(c.block)
		c.block = nil
	}
}

// Transaction returns a copy of a transaction.
func (c *Center) Transaction(id string) (uzcard.Transaction, bool) {
	return fakehttp.Copy(&c.mu, c.txs, id)
}

// SetAmount changes what the center says a transaction's amount is (a tampered or buggy
// center).
func (c *Center) SetAmount(id string, amount int64) {
	c.mu.Lock()
	c.txs[id].Amount = amount
	c.mu.Unlock()
}

func reply(w http.ResponseWriter, status int, result any, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var e any
	if code != "" {
		e = map[string]string{"code": code, "message": msg}
	}
	json.NewEncoder(w).Encode(map[string]any{"result": result, "error": e})
}

func (c *Center) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	block := c.block
	c.Calls[r.URL.Path]++
	c.mu.Unlock()
	if block != nil {
		select {
		case <-r.Context().Done():
		case <-block:
		}
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != c.Login || p != c.Password {
		reply(w, http.StatusUnauthorized, nil, "unauthorized", "bad credentials")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/payment/create":
		var in struct {
			ExternalID string `json:"external_id"`
			Amount     int64  `json:"amount"`
			Currency   string `json:"currency"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ExternalID == "" || in.Amount <= 0 || in.Currency != "860" {
			reply(w, http.StatusBadRequest, nil, "bad_request", "external_id, a positive amount and currency 860 are required")
			return
		}
		if id, ok := c.byExternal[in.ExternalID]; ok {
			reply(w, http.StatusOK, c.txs[id], "", "")
			return
		}
		c.seq++
		id := fmt.Sprintf("uzc-%d", c.seq)
		t := &uzcard.Transaction{TransactionID: id, ExternalID: in.ExternalID, Amount: in.Amount, Status: uzcard.StatusCreated,
			CheckoutURL: "https://checkout.uzcard.test/pay/" + id}
		c.txs[id], c.byExternal[in.ExternalID] = t, id
		reply(w, http.StatusOK, t, "", "")
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/payment/status":
		t, ok := c.txs[r.URL.Query().Get("transaction_id")]
		if !ok {
			reply(w, http.StatusNotFound, nil, "transaction_not_found", "no such transaction")
			return
		}
		reply(w, http.StatusOK, t, "", "")
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/payment/reverse":
		var in struct {
			TransactionID string `json:"transaction_id"`
			Amount        int64  `json:"amount"`
			ExternalID    string `json:"external_id"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		t, ok := c.txs[in.TransactionID]
		switch {
		case !ok:
			reply(w, http.StatusNotFound, nil, "transaction_not_found", "no such transaction")
		case c.reversals[in.ExternalID] != "":
			reply(w, http.StatusOK, map[string]string{"reversal_id": c.reversals[in.ExternalID], "status": "succeeded"}, "", "")
		case t.Status != uzcard.StatusConfirmed && t.Status != uzcard.StatusReversed:
			reply(w, http.StatusConflict, nil, "not_confirmed", "only a confirmed transaction can be reversed")
		case in.Amount <= 0 || t.ReversedAmount+in.Amount > t.Amount:
			reply(w, http.StatusConflict, nil, "amount_exceeds", "reversal above the transaction's amount")
		default:
			t.ReversedAmount += in.Amount
			if t.ReversedAmount == t.Amount {
				t.Status = uzcard.StatusReversed
			}
			c.seq++
			c.reversals[in.ExternalID] = "rev-" + strconv.Itoa(c.seq)
			reply(w, http.StatusOK, map[string]string{"reversal_id": c.reversals[in.ExternalID], "status": "succeeded"}, "", "")
		}
	default:
		reply(w, http.StatusNotFound, nil, "not_found", "no such endpoint")
	}
}

// Pay plays the shopper on the hosted page: a card with the SMS code otp. The right code
// confirms the transaction and sends the callback, whose HTTP status Pay returns; a wrong
// one marks it failed (and sends the callback too).
func (c *Center) Pay(ctx context.Context, transactionID, otp string) (int, error) {
	c.mu.Lock()
	t, ok := c.txs[transactionID]
	if !ok {
		c.mu.Unlock()
		return 0, fmt.Errorf("uzcardtest: no transaction %s", transactionID)
	}
	if otp == OTP {
		t.Status = uzcard.StatusConfirmed
	} else {
		t.Status = uzcard.StatusFailed
	}
	body, _ := json.Marshal(map[string]string{"transaction_id": t.TransactionID, "external_id": t.ExternalID, "status": t.Status})
	c.mu.Unlock()
	return c.Callback(ctx, body, c.CallbackLogin, c.CallbackPassword)
}

// Callback posts body to CallbackURL with the given credentials and returns the status.
func (c *Center) Callback(ctx context.Context, body []byte, login, password string) (int, error) {
	status, _, err := fakehttp.Post(ctx, nil, c.CallbackURL, body, http.Header{"Content-Type": {"application/json"},
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(login+":"+password))}})
	return status, err
}
