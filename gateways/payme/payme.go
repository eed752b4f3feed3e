// Package payme is the Payme adapter: a payments.Gateway that sends the shopper to the Payme
// checkout page, and the payments.Webhook that answers Payme's merchant API (JSON-RPC 2.0
// over HTTPS, Payme calls us): CheckPerformTransaction, CreateTransaction,
// PerformTransaction, CancelTransaction, CheckTransaction and GetStatement, authorized with
// Basic "Paycom:<key>". It follows the Payme Business merchant API as documented at
// developer.help.paycom.uz (protocol of the "Merchant API" methods, error codes -31001,
// -31003, -31007, -31008, -31050..-31099, -32300..-32700; transaction states 1, 2, -1, -2;
// the 12-hour transaction timeout). Amounts are tiyin (UZS minor units), as on our payments.
//
// The adapter keeps Payme's transactions (by Payme ID, with the payment's active one as an
// alias and a create-time index for GetStatement) in a Store and applies captures and
// refunds to our payments through a payments.Notifier, idempotently per transaction.
package payme

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/payments"
	"github.com/ultramarket/ultramarket/gateways/internal/gwhttp"
)

// MethodID is the payment method this adapter serves.
const MethodID = "payme"

// Currency is the only currency Payme settles.
const Currency = "UZS"

// Timeout is how long a created transaction may wait for PerformTransaction (Payme: 12 h).
const Timeout = 43_200_000 * time.Millisecond

// Transaction states (Payme's).
const (
	StateCreated            = 1
	StatePerformed          = 2
	StateCancelled          = -1 // cancelled before it was performed
	StateCancelledPerformed = -2 // cancelled after it was performed (a refund)
)

// ReasonTimeout is the cancel reason of a transaction that outlived Timeout.
const ReasonTimeout = 4

// Store keeps the adapter's transactions; *store.GatewayState implements it. Values are
// JSON. Get and Alias return an error of kind ENotFound for a missing key.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte, at time.Time, aliases ...string) error
	Alias(ctx context.Context, alias string) (string, error)
	Range(ctx context.Context, from, to time.Time, fn func(key string, value []byte) error) error
}

// Config configures the adapter.
type Config struct {
	MerchantID  string // the cash register (kassa) ID
	Key         string // the key Payme authorizes with ("Paycom:<key>"); the test key in the sandbox
	CheckoutURL string // default https://checkout.paycom.uz
	Notifier    payments.Notifier
	Store       Store
	Now         func() time.Time // default time.Now
}

// Gateway is the Payme adapter.
type Gateway struct {
	cfg Config
	// mu serializes the merchant API: each method reads a transaction, may notify the
	// payments service and writes the transaction back.
	mu sync.Mutex
}

var (
	_ payments.Gateway = (*Gateway)(nil)
	_ payments.Webhook = (*Gateway)(nil)
)

// New returns a Payme adapter.
func New(cfg Config) (*Gateway, error) {
	cfg.CheckoutURL = cmp.Or(cfg.CheckoutURL, "https://checkout.paycom.uz")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case strings.TrimSpace(cfg.MerchantID) == "":
		return nil, errors.New("payme: merchant ID is required")
	case cfg.Key == "":
		return nil, errors.New("payme: key is required")
	case cfg.Notifier == nil || cfg.Store == nil:
		return nil, errors.New("payme: a notifier and a store are required")
	}
	if u, err := url.Parse(cfg.CheckoutURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("payme: checkout URL %q is not an absolute http(s) URL", cfg.CheckoutURL)
	}
	return &Gateway{cfg: cfg}, nil
}

// Method implements payments.Gateway.
func (g *Gateway) Method() payments.Method {
	return payments.Method{ID: MethodID, Name: "Payme", Kind: payments.KindGateway, Currencies: []string{Currency}}
}

// Start implements payments.Gateway: the checkout URL is
// <checkout_url>/<base64("m=<merchant>;ac.payment_id=<id>;a=<tiyin>;c=<return_url>")>.
// Payme then calls the merchant API; the payment is captured by PerformTransaction.
func (g *Gateway) Start(_ context.Context, p payments.Payment, in payments.StartInput) (payments.Action, error) {
	if err := gwhttp.SettlesOnly("payme", Currency, p.Amount); err != nil {
		return payments.Action{}, err
	}
	params := fmt.Sprintf("m=%s;ac.payment_id=%s;a=%d", g.cfg.MerchantID, p.ID, p.Amount.Amount)
	if in.ReturnURL != "" {
		params += ";c=" + in.ReturnURL
	}
	return payments.Action{RedirectURL: strings.TrimRight(g.cfg.CheckoutURL, "/") + "/" + base64.StdEncoding.EncodeToString([]byte(params))}, nil
}

// ErrRefundInCabinet is Refund's answer: Payme has no merchant-initiated refund in the
// merchant API; a performed payment is refunded from the Payme merchant cabinet, and Payme
// then calls CancelTransaction, which refunds the payment here.
var ErrRefundInCabinet = commerce.Errorf(commerce.EConflict, "refund_in_gateway_cabinet",
	"payme: refunds are made in the Payme merchant cabinet (Payme then cancels the transaction and the payment is refunded here)")

// Refund implements payments.Gateway; see ErrRefundInCabinet.
func (g *Gateway) Refund(context.Context, payments.Payment, commerce.Money, string) (payments.RefundResult, error) {
	return payments.RefundResult{}, ErrRefundInCabinet
}
