// Package click is the Click adapter: a payments.Gateway that sends the shopper to the Click
// payment page and reverses payments through the Click merchant API, and the
// payments.Webhook that answers Click's SHOP API (Click calls us): Prepare (action=0) and
// Complete (action=1), form-encoded, signed with
// MD5(click_trans_id + service_id + secret_key + merchant_trans_id [+ merchant_prepare_id]
// + amount + action + sign_time). It follows the Click SHOP API and Merchant API as
// documented at docs.click.uz (error codes 0, -1..-9; the merchant API's
// "Auth: merchant_user_id:sha1(timestamp + secret_key):timestamp" header and
// DELETE payment/reversal/:service_id/:payment_id). merchant_trans_id is our payment ID;
// amounts are sums with up to two decimals (we keep tiyin).
package click

import (
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwhttp"
)

// MethodID is the payment method this adapter serves.
const MethodID = "click"

// Currency is the only currency Click settles.
const Currency = "UZS"

// Store keeps the adapter's transactions by click_trans_id; *store.GatewayState implements
// it. Get returns an error of kind ENotFound for a missing key.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte, at time.Time, aliases ...string) error
}

// Config configures the adapter.
type Config struct {
	ServiceID      string
	MerchantID     string
	MerchantUserID string
	SecretKey      string
	CheckoutURL    string // default https://my.click.uz/services/pay
	APIURL         string // merchant API, default https://api.click.uz/v2/merchant
	Timeout        time.Duration
	Notifier       payments.Notifier
	Store          Store
	HTTP           *http.Client
	Now            func() time.Time
}

// Gateway is the Click adapter.
type Gateway struct {
	cfg Config
	mu  sync.Mutex // serializes Prepare/Complete (read, notify, write back)
}

var (
	_ payments.Gateway = (*Gateway)(nil)
	_ payments.Webhook = (*Gateway)(nil)
)

// New returns a Click adapter.
func New(cfg Config) (*Gateway, error) {
	cfg.CheckoutURL = cmp.Or(cfg.CheckoutURL, "https://my.click.uz/services/pay")
	cfg.APIURL = cmp.Or(cfg.APIURL, "https://api.click.uz/v2/merchant")
	cfg.Timeout = gwhttp.Duration(cfg.Timeout, 15*time.Second)
	cfg.HTTP = cmp.Or(cfg.HTTP, &http.Client{})
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.ServiceID == "" || cfg.MerchantID == "":
		return nil, errors.New("click: service ID and merchant ID are required")
	case cfg.SecretKey == "":
		return nil, errors.New("click: secret key is required")
	case cfg.Notifier == nil || cfg.Store == nil:
		return nil, errors.New("click: a notifier and a store are required")
	}
	return &Gateway{cfg: cfg}, nil
}

// Method implements payments.Gateway.
func (g *Gateway) Method() payments.Method {
	return payments.Method{ID: MethodID, Name: "Click", Kind: payments.KindGateway, Currencies: []string{Currency}}
}

// FormatAmount writes tiyin as a Click sum ("5000.00").
func FormatAmount(tiyin int64) string { return fmt.Sprintf("%d.%02d", tiyin/100, tiyin%100) }

// ParseAmount reads a Click sum ("5000", "5000.5", "5000.00") as tiyin; more than two
// decimals or a negative sum is refused.
func ParseAmount(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || len(frac) > 2 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1<<50 {
		return 0, false
	}
	frac += strings.Repeat("0", 2-len(frac))
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

// Start implements payments.Gateway: the Click payment page with service_id, merchant_id,
// amount, transaction_param (our payment ID) and return_url.
func (g *Gateway) Start(_ context.Context, p payments.Payment, in payments.StartInput) (payments.Action, error) {
	if err := gwhttp.SettlesOnly("click", Currency, p.Amount); err != nil {
		return payments.Action{}, err
	}
	q := url.Values{}
	q.Set("service_id", g.cfg.ServiceID)
	q.Set("merchant_id", g.cfg.MerchantID)
	q.Set("amount", FormatAmount(p.Amount.Amount))
	q.Set("transaction_param", p.ID)
	if in.ReturnURL != "" {
		q.Set("return_url", in.ReturnURL)
	}
	return payments.Action{RedirectURL: g.cfg.CheckoutURL + "?" + q.Encode()}, nil
}

// Refund implements payments.Gateway with the merchant API's payment reversal, which
// returns the whole payment: a partial refund is refused. Click's payment ID
// (click_paydoc_id) is kept on the payment by Complete.
func (g *Gateway) Refund(ctx context.Context, p payments.Payment, amount commerce.Money, refundID string) (payments.RefundResult, error) {
	if amount != p.Captured {
		return payments.RefundResult{}, commerce.Errorf(commerce.EInvalid, "partial_refund_not_supported", "click: a payment reversal returns the whole captured amount (%d), not %d", p.Captured.Amount, amount.Amount)
	}
	paydoc := p.Gateway["click_paydoc_id"]
	if paydoc == "" {
		return payments.RefundResult{}, commerce.Errorf(commerce.EConflict, "gateway_payment_unknown", "click: the payment has no Click payment ID to reverse")
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	u := fmt.Sprintf("%s/payment/reversal/%s/%s", strings.TrimRight(g.cfg.APIURL, "/"), url.PathEscape(g.cfg.ServiceID), url.PathEscape(paydoc))
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return payments.RefundResult{}, err
	}
	ts := strconv.FormatInt(g.cfg.Now().Unix(), 10)
	sum := sha1.Sum([]byte(ts + g.cfg.SecretKey))
	req.Header.Set("Auth", g.cfg.MerchantUserID+":"+hex.EncodeToString(sum[:])+":"+ts)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	res, err := g.cfg.HTTP.Do(req)
	if err != nil {
		return payments.RefundResult{}, commerce.Errorf(commerce.EUnavailable, "gateway_unavailable", "click: reversal: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode >= 500 {
		return payments.RefundResult{}, commerce.Errorf(commerce.EUnavailable, "gateway_unavailable", "click: reversal answered %d", res.StatusCode)
	}
	var out struct {
		ErrorCode int    `json:"error_code"`
		ErrorNote string `json:"error_note"`
		PaymentID any    `json:"payment_id"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return payments.RefundResult{}, commerce.Errorf(commerce.EUnavailable, "gateway_unavailable", "click: reversal answered %d with no JSON", res.StatusCode)
	}
	if res.StatusCode != http.StatusOK || out.ErrorCode != 0 {
		return payments.RefundResult{}, commerce.Errorf(commerce.EConflict, "gateway_refused", "click: reversal refused (%d): %s", out.ErrorCode, out.ErrorNote)
	}
	return payments.RefundResult{ExternalID: paydoc}, nil
}
