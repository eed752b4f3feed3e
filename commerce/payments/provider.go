package payments

import (
	"context"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Kind is how a payment method settles.
type Kind string

// Kinds of payment methods.
const (
	KindOffline Kind = "offline" // cash, manual card terminal: staff records the money
	KindStored  Kind = "stored"  // wallet, gift card: settled inside the store update from a ledger balance
	KindGateway Kind = "gateway" // Stripe, PayPal, Payme, Click, UzCard: settled by the gateway, confirmed by its notification
)

// Method is a payment method a shopper may choose.
type Method struct {
	ID         string   `json:"id"` // cash, manual, wallet, gift_card, stripe, paypal, payme, click, uzcard
	Name       string   `json:"name"`
	Kind       Kind     `json:"kind"`
	Currencies []string `json:"currencies,omitempty"` // empty: any
}

// Source is where stored value comes from or goes back to.
type Source struct {
	UserID       string // a wallet: the user's store credit
	GiftCardCode string // a gift card
}

// Ledger moves stored value inside the update that records the payment. The store
// implements it on the double-entry ledger; a balance never goes negative.
type Ledger interface {
	// Spend takes amount from src for the payment ref; a short balance is refused with an
	// EConflict error coded "insufficient_funds" and an unknown or inactive gift card with
	// ENotFound "gift_card_not_found".
	Spend(src Source, amount commerce.Money, ref string) error
	// Credit gives amount to dst (a refund back to a gift card, or store credit to a wallet)
	// for the payment or refund ref.
	Credit(dst Source, amount commerce.Money, ref string) error
}

// StartInput is what a gateway is told when a payment starts.
type StartInput struct {
	ReturnURL   string // where the gateway sends the shopper back after paying
	CancelURL   string // where it sends them when they give up
	Description string // shown by the gateway, e.g. "Order #42"
	Email       string
}

// Action is what the shopper does next after a gateway payment starts.
type Action struct {
	ExternalID   string // the gateway's own ID of the payment
	ClientSecret string // Stripe: the PaymentIntent's client secret
	RedirectURL  string // PayPal approve link, Payme/Click/UzCard checkout page
}

// RefundResult is a gateway's answer to a refund.
type RefundResult struct {
	ExternalID string
	Pending    bool // the gateway accepted it and will confirm later
}

// Gateway is an external payment provider, called outside any store update. Errors with
// Kind EUnavailable (timeouts, 5xx) are retryable; others are the gateway's refusal.
type Gateway interface {
	Method() Method
	// Start registers payment p with the gateway.
	Start(ctx context.Context, p Payment, in StartInput) (Action, error)
	// Refund asks the gateway to return amount of the captured payment p; refundID is ours
	// and is sent as the gateway's idempotency key where it has one.
	Refund(ctx context.Context, p Payment, amount commerce.Money, refundID string) (RefundResult, error)
}

// NotificationKind is what a gateway says happened to a payment.
type NotificationKind string

// Notification kinds.
const (
	NotifyAuthorized NotificationKind = "authorized" // held, not yet captured
	NotifyCaptured   NotificationKind = "captured"   // the money is ours
	NotifyFailed     NotificationKind = "failed"
	NotifyCancelled  NotificationKind = "cancelled" // cancelled before or after capture (Payme CancelTransaction)
	NotifyRefunded   NotificationKind = "refunded"  // Amount refunded (a gateway-side or confirmed refund)
)

// Notification is a verified message from a gateway about one of its payments.
type Notification struct {
	Provider   string // the method ID: stripe, paypal, payme, click, uzcard
	EventID    string // the gateway's ID of this message; the same ID is applied once
	PaymentID  string // ours, when the gateway echoes it back
	ExternalID string // the gateway's payment ID
	Kind       NotificationKind
	Amount     commerce.Money // must equal what the payment expects (captured: the payment's amount)
	At         time.Time
	// Gateway is adapter state to keep on the payment (e.g. Payme's create/perform times).
	Gateway map[string]string
}

// Notifier applies verified gateway notifications; *Service implements it. A notification
// already applied answers the payment as it is now; one for an unknown payment is ENotFound
// "payment_not_found"; an amount that differs from the payment's is EInvalid
// "amount_mismatch" and changes nothing.
type Notifier interface {
	Notify(ctx context.Context, n Notification) (Payment, error)
	// Payment returns a payment by our ID (adapters check amounts and states before they
	// answer a gateway's pre-check, e.g. Payme CheckPerformTransaction, Click Prepare).
	Payment(ctx context.Context, id string) (Payment, error)
}

// Webhook is a gateway's inbound endpoint: it verifies a call (signature, timestamp,
// credentials), applies it through a Notifier and answers in the gateway's own format.
type Webhook interface {
	HandleWebhook(ctx context.Context, header map[string][]string, body []byte) (status int, contentType string, response []byte)
}
