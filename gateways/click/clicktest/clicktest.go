// Package clicktest acts as Click in tests: it calls a SHOP API endpoint the way Click's
// servers do (signed, form-encoded Prepare and Complete) and serves a fake Click merchant
// API (payment reversal, checking the Auth header) on 127.0.0.1.
package clicktest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ultramarket/ultramarket/gateways/click"
	"github.com/ultramarket/ultramarket/gateways/internal/fakehttp"
)

// Client calls a SHOP API endpoint as Click.
type Client struct {
	URL       string
	ServiceID string
	SecretKey string // signs the calls
	HTTP      *http.Client
}

// Call is one Prepare or Complete.
type Call struct {
	ClickTransID    string
	PaydocID        string
	MerchantTransID string // our payment ID
	PrepareID       int64  // Complete
	Amount          string // a sum, e.g. "5000.00"
	Action          int
	Error           int    // Click's error (Complete: negative when Click could not take the money)
	SignTime        string // default "2026-11-26 10:00:00"
	BadSign         bool   // sign with another key
}

// Answer is the SHOP API's JSON answer.
type Answer struct {
	ClickTransID      string `json:"click_trans_id"`
	MerchantTransID   string `json:"merchant_trans_id"`
	MerchantPrepareID int64  `json:"merchant_prepare_id"`
	MerchantConfirmID int64  `json:"merchant_confirm_id"`
	Error             int    `json:"error"`
	ErrorNote         string `json:"error_note"`
}

// Form builds the signed form of c.
func (cl *Client) Form(c Call) url.Values {
	if c.SignTime == "" {
		c.SignTime = "2026-11-26 10:00:00"
	}
	if c.PaydocID == "" {
		c.PaydocID = "doc-" + c.ClickTransID
	}
	prep := ""
	f := url.Values{}
	if c.Action == click.ActionComplete {
		prep = strconv.FormatInt(c.PrepareID, 10)
		f.Set("merchant_prepare_id", prep)
	}
	key := cl.SecretKey
	if c.BadSign {
		key += "x"
	}
	action := strconv.Itoa(c.Action)
	f.Set("click_trans_id", c.ClickTransID)
	f.Set("service_id", cl.ServiceID)
	f.Set("click_paydoc_id", c.PaydocID)
	f.Set("merchant_trans_id", c.MerchantTransID)
	f.Set("amount", c.Amount)
	f.Set("action", action)
	f.Set("error", strconv.Itoa(c.Error))
	f.Set("error_note", "Success")
	f.Set("sign_time", c.SignTime)
	f.Set("sign_string", click.Sign(c.ClickTransID, cl.ServiceID, key, c.MerchantTransID, prep, c.Amount, action, c.SignTime))
	return f
}

// Do posts c and decodes the answer.
func (cl *Client) Do(ctx context.Context, c Call) (Answer, error) {
	return cl.Post(ctx, cl.Form(c).Encode())
}

// Post posts a raw form body and decodes the answer.
func (cl *Client) Post(ctx context.Context, body string) (Answer, error) {
	status, b, err := fakehttp.Post(ctx, cl.HTTP, cl.URL, []byte(body), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if err != nil {
		return Answer{}, err
	}
	if status != http.StatusOK {
		return Answer{}, fmt.Errorf("click SHOP API answered %d: %s", status, b)
	}
	var a Answer
	err = json.Unmarshal(b, &a)
	return a, err
}

// MerchantAPI is a fake Click merchant API serving payment reversals.
type MerchantAPI struct {
	URL            string
	MerchantUserID string
	SecretKey      string
	mu             sync.Mutex
	reversed       map[string]bool
	// Block, when set, makes every call wait until the request is cancelled (a timeout).
	Block bool
}

// NewMerchantAPI starts the fake on 127.0.0.1, closed with the test.
func NewMerchantAPI(t testing.TB, merchantUserID, secretKey string) *MerchantAPI {
	m := &MerchantAPI{MerchantUserID: merchantUserID, SecretKey: secretKey, reversed: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(srv.Close)
	m.URL = srv.URL + "/v2/merchant"
	return m
}

// Reversed reports whether Click payment paydoc was reversed.
func (m *MerchantAPI) Reversed(paydoc string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reversed[paydoc]
}

func (m *MerchantAPI) serve(w http.ResponseWriter, r *http.Request) {
	if m.Block {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	parts := strings.Split(r.Header.Get("Auth"), ":")
	if len(parts) != 3 || parts[0] != m.MerchantUserID {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"error_code": -16, "error_note": "authorization failed"})
		return
	}
	sum := sha1.Sum([]byte(parts[2] + m.SecretKey))
	if hex.EncodeToString(sum[:]) != parts[1] {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"error_code": -16, "error_note": "authorization failed"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/merchant/payment/reversal/")
	if r.Method != http.MethodDelete || !ok {
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]any{"error_code": -8, "error_note": "not found"})
		return
	}
	_, paydoc, _ := strings.Cut(rest, "/")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reversed[paydoc] {
		json.NewEncoder(w).Encode(map[string]any{"error_code": -5017, "error_note": "payment already reversed"})
		return
	}
	m.reversed[paydoc] = true
	json.NewEncoder(w).Encode(map[string]any{"error_code": 0, "error_note": "", "payment_id": paydoc})
}
