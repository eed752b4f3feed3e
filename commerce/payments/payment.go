package payments

import (
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Payment statuses.
const (
	StatusPending           = "pending"            // waiting for the shopper, the gateway or staff (cash)
	StatusAuthorized        = "authorized"         // held at the gateway, not yet captured
	StatusCaptured          = "captured"           // the money is ours
	StatusFailed            = "failed"             // the gateway refused it
	StatusCancelled         = "cancelled"          // given up before capture
	StatusPartiallyRefunded = "partially_refunded" // captured, part of it refunded
	StatusRefunded          = "refunded"           // captured, all of it refunded
)

// Payment is one attempt to pay an order with one method.
type Payment struct {
	ID          string            `json:"id"`
	OrderID     string            `json:"order_id"`
	OrderNumber int64             `json:"order_number"`
	UserID      string            `json:"user_id,omitempty"`
	Method      string            `json:"method"`
	Status      string            `json:"status"`
	Amount      commerce.Money    `json:"amount"`
	Captured    commerce.Money    `json:"captured"`
	Refunded    commerce.Money    `json:"refunded"`
	ExternalID  string            `json:"external_id,omitempty"`
	Action      *Action           `json:"action,omitempty"`  // what the shopper does next (gateways)
	Gateway     map[string]string `json:"gateway,omitempty"` // adapter state (Notification.Gateway)
	Source      *Source           `json:"-"`                 // stored value: where it came from
	Refunds     []Refund          `json:"refunds,omitempty"`
	Version     int64             `json:"version"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// Refund is money returned from a captured payment.
type Refund struct {
	ID         string         `json:"id"`
	Amount     commerce.Money `json:"amount"`
	Reason     string         `json:"reason,omitempty"`
	To         string         `json:"to"`                  // "original" or "store_credit"
	ReturnID   string         `json:"return_id,omitempty"` // the order return (RMA) it pays back
	Status     string         `json:"status"`              // pending, succeeded, failed
	ExternalID string         `json:"external_id,omitempty"`
	Actor      string         `json:"actor"`
	At         time.Time      `json:"at"`
}
