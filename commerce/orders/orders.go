// Package orders owns orders after they are placed: their lines, totals, shipping address,
// status machine (PENDING → CONFIRMED → PROCESSING → SHIPPED → DELIVERED → RETURNED,
// CANCELLED from the first three), history, partial fulfilments and their tracking, returns
// (RMA) and their refunds' bookkeeping, notes, invoice numbers and the guest access key.
// Placing an order is commerce/checkout's, moving money commerce/payments'; storage is an
// adapter implementing Store.
package orders

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Statuses.
const (
	StatusPending    = "PENDING"
	StatusConfirmed  = "CONFIRMED"
	StatusProcessing = "PROCESSING"
	StatusShipped    = "SHIPPED"
	StatusDelivered  = "DELIVERED"
	StatusCancelled  = "CANCELLED"
	StatusReturned   = "RETURNED"
)

// Statuses lists every status in lifecycle order.
var Statuses = []string{StatusPending, StatusConfirmed, StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled, StatusReturned}

// transitions lists the legal next statuses of each status.
var transitions = commerce.Transitions{
	StatusPending:    {StatusConfirmed, StatusCancelled},
	StatusConfirmed:  {StatusProcessing, StatusCancelled},
	StatusProcessing: {StatusShipped, StatusCancelled},
	StatusShipped:    {StatusDelivered},
	StatusDelivered:  {StatusReturned}, // only once every unit has come back (Order.AllReturned)
}

// Event types. Placed and cancelled carry LinesData; status_changed carries from/to.
const (
	EventPlaced        = "orders.placed"
	EventStatusChanged = "orders.status_changed"
	EventCancelled     = "orders.cancelled"
)

// Payment methods accepted now.
const PaymentCash = "cash"

// PaymentMethods lists the accepted payment methods.
var PaymentMethods = []string{PaymentCash}

// Order is a placed order.
type Order struct {
	ID       string         `json:"id"`
	Number   int64          `json:"number"` // gap-free, from 1, in placing order
	UserID   string         `json:"user_id,omitempty"`
	Email    string         `json:"email"`
	Status   string         `json:"status"`
	Lines    []Line         `json:"lines"`
	Subtotal commerce.Money `json:"subtotal"` // sum of line totals (unit price × quantity), before discounts
	// Discounts applied by promotions and coupons (commerce/pricing), their sum in DiscountTotal.
	Discounts     []Discount     `json:"discounts,omitempty"`
	DiscountTotal commerce.Money `json:"discount_total"`
	// Shipping is the chosen shipping method and its price (zero for none or local pickup).
	Shipping      *Shipping      `json:"shipping,omitempty"`
	ShippingTotal commerce.Money `json:"shipping_total"`
	// Taxes per rate; TaxTotal is their sum. With TaxInclusive the taxes are part of the
	// prices (and of Total already); otherwise Total adds them.
	Taxes        []Tax          `json:"taxes,omitempty"`
	TaxTotal     commerce.Money `json:"tax_total"`
	TaxInclusive bool           `json:"tax_inclusive,omitempty"`
	// Total = Subtotal − DiscountTotal + ShippingTotal (+ TaxTotal when exclusive).
	Total commerce.Money `json:"total"`
	// PaymentStatus is the money side of the order (PaymentStatuses); PaymentID the current
	// payment (commerce/payments).
	PaymentStatus string `json:"payment_status,omitempty"`
	PaymentID     string `json:"payment_id,omitempty"`
	// Review is set when fraud rules held the order for a staff decision.
	Review *Review `json:"review,omitempty"`
	// ClientIP is the address the order was placed from (fraud rules, audit).
	ClientIP        string  `json:"client_ip,omitempty"`
	ShippingAddress Address `json:"shipping_address"`
	PaymentMethod   string  `json:"payment_method"`
	CartRef         string  `json:"cart_ref"`
	// Carrier and TrackingNumber are those of orders shipped before fulfilments existed;
	// shipments are Fulfilments now.
	Carrier        string `json:"carrier,omitempty"`
	TrackingNumber string `json:"tracking_number,omitempty"`
	// Fulfilments are the order's shipments, in the order they were made.
	Fulfilments []Fulfilment `json:"fulfilments,omitempty"`
	// Returns are the return requests (RMA), in the order they were made.
	Returns []Return `json:"returns,omitempty"`
	// Notes are staff notes, internal or shown to the customer; InternalNote is the one
	// staff-only free text kept on the order (PUT /orders/:id).
	Notes        []Note `json:"notes,omitempty"`
	InternalNote string `json:"internal_note,omitempty"`
	// Invoice is set once the invoice is issued (its number never changes afterwards).
	Invoice *Invoice `json:"invoice,omitempty"`
	// Deleted marks an unpaid draft its owner or staff deleted: cancelled, gone from the
	// owner's list, kept (with its number) for staff.
	Deleted       bool      `json:"deleted,omitempty"`
	DeletedAt     time.Time `json:"deleted_at,omitzero"`
	History       []Change  `json:"history"`
	AccessKeyHash string    `json:"access_key_hash"` // SHA-256 of the guest access key, hex
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Line is one variant of an order, priced when the order was placed.
type Line struct {
	ProductID string            `json:"product_id"`
	VariantID string            `json:"variant_id"`
	SKU       string            `json:"sku"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options,omitempty"`
	Quantity  int64             `json:"quantity"`
	UnitPrice commerce.Money    `json:"unit_price"`
	CompareAt *commerce.Money   `json:"compare_at,omitempty"` // the "was" price shown when the order was placed
	LineTotal commerce.Money    `json:"line_total"`
	VendorID  string            `json:"vendor_id,omitempty"` // the product's vendor when the order was placed
	// Discount is this line's share of the order's discounts; Tax the tax on the line.
	Discount    commerce.Money `json:"discount"`
	Tax         commerce.Money `json:"tax"`
	WeightGrams int64          `json:"weight_grams,omitempty"` // per unit, when the order was placed
}

// Discount is one promotion applied to an order.
type Discount struct {
	PromotionID string         `json:"promotion_id"`
	Code        string         `json:"code,omitempty"` // the coupon code, when one was entered
	Title       string         `json:"title"`
	Amount      commerce.Money `json:"amount"`
}

// Shipping is the shipping method an order ships with.
type Shipping struct {
	MethodID string         `json:"method_id"`
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`              // flat, weight, price, free_over, pickup
	Carrier  string         `json:"carrier,omitempty"` // the carrier that ships it ("manual" by default)
	Amount   commerce.Money `json:"amount"`
}

// Tax is the tax of one rate on an order.
type Tax struct {
	Name   string         `json:"name"`
	RateBP int64          `json:"rate_bp"` // basis points: 1200 = 12%
	Amount commerce.Money `json:"amount"`
}

// Review is a fraud hold: the rules that fired and the staff decision.
type Review struct {
	Status    string    `json:"status"` // pending, approved, rejected
	Reasons   []string  `json:"reasons"`
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitempty"`
}

// Payment statuses of an order.
const (
	PaymentUnpaid            = "unpaid"             // nothing received yet (cash on delivery, a gateway not yet paid)
	PaymentPaid              = "paid"               // the total is captured
	PaymentPartiallyRefunded = "partially_refunded" // paid, part of it refunded
	PaymentRefunded          = "refunded"           // every captured unit of money refunded
)

// Change is one entry of an order's history: a status change, or (Event set) another
// change such as a fulfilment or a return step, with the status the order had after it.
type Change struct {
	Status string    `json:"status"`
	Event  string    `json:"event,omitempty"` // the event type of a change that is not a status change
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Note   string    `json:"note,omitempty"`
}

// Address is a shipping address: the postal address shared with customers' address books.
type Address = commerce.Address

// ValidStatus reports whether s is a status.
func ValidStatus(s string) bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to string) bool { return transitions.Allows(from, to) }

// NextStatuses returns the legal next statuses of from.
func NextStatuses(from string) []string { return transitions.Next(from) }

// NewAccessKey returns a fresh guest access key and the hash to store.
func NewAccessKey() (key, hash string) {
	key = commerce.NewSecret(24)
	return key, HashAccessKey(key)
}

// HashAccessKey is the stored form of an access key.
func HashAccessKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyMatches reports, in constant time, whether key opens o.
func (o Order) KeyMatches(key string) bool {
	if key == "" || o.AccessKeyHash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(HashAccessKey(key)), []byte(o.AccessKeyHash)) == 1
}

// LineData is how a line appears in placed and cancelled events.
type LineData struct {
	ProductID string         `json:"product_id"`
	VariantID string         `json:"variant_id"`
	SKU       string         `json:"sku"`
	Quantity  int64          `json:"quantity"`
	UnitPrice commerce.Money `json:"unit_price"`
	VendorID  string         `json:"vendor_id,omitempty"`
}

// EventData is the data of placed and cancelled events.
type EventData struct {
	OrderID string         `json:"order_id"`
	Number  int64          `json:"number"`
	UserID  string         `json:"user_id,omitempty"`
	Status  string         `json:"status"`
	Total   commerce.Money `json:"total"`
	Lines   []LineData     `json:"lines"`
}

// EventDataOf returns o's event data.
func EventDataOf(o Order) EventData {
	d := EventData{OrderID: o.ID, Number: o.Number, UserID: o.UserID, Status: o.Status, Total: o.Total, Lines: make([]LineData, len(o.Lines))}
	for i, l := range o.Lines {
		d.Lines[i] = LineData{ProductID: l.ProductID, VariantID: l.VariantID, SKU: l.SKU, Quantity: l.Quantity, UnitPrice: l.UnitPrice, VendorID: l.VendorID}
	}
	return d
}

// Errors.
var (
	ErrNotFound          = &commerce.Error{Kind: commerce.ENotFound, Code: "order_not_found", Message: "orders: order not found"}
	ErrIllegalTransition = &commerce.Error{Kind: commerce.EConflict, Code: "illegal_transition", Message: "orders: illegal status transition"}
	ErrVersionMismatch   = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "orders: the order has changed since you read it"}
)

// Viewer is who reads an order: a user (empty for a guest), staff, or the holder of a key.
type Viewer struct {
	UserID string
	Staff  bool
	Key    string
}

// CanSee reports whether v may read o.
func (o Order) CanSee(v Viewer) bool {
	if o.Deleted && !v.Staff {
		return false
	}
	return v.Staff || (v.UserID != "" && o.UserID == v.UserID) || o.KeyMatches(v.Key)
}

// Filter narrows an order list.
type Filter struct {
	UserID string // only this user's orders; "" means every order (staff)
	Status string // only orders in this status; "" means any
}

// Tx is one atomic order change.
type Tx interface {
	Order(id string) (Order, error) // ErrNotFound when missing
	// PutOrder writes o and its index rows; prev is the stored order it replaces.
	PutOrder(o, prev Order) error
	// ReleaseStock gives back the stock the order holds: an open reservation is released,
	// stock already committed goes back to the warehouses it came from.
	ReleaseStock(o Order, reason string) error
	// ReleasePromotions gives back the redemptions of the order's promotions and coupons: a
	// cancelled order did not use them up.
	ReleasePromotions(o Order) error
	// Restock returns n units of one of the order's variants to stock (a received return).
	Restock(o Order, variantID string, n int64, reason string) error
	// CommitStock makes the stock the order still holds sold (its units are shipping); it
	// may be called for every fulfilment of the order, committing what is left to commit.
	CommitStock(o Order) error
	// NextInvoiceNumber takes the next invoice number of year (gap-free from 1) for the
	// order orderID, inside the update that issues the invoice.
	NextInvoiceNumber(year int, orderID string) (int64, error)
	Emit(ev commerce.Event)
}

// Store reads orders and runs atomic order changes. The store adapter implements it.
type Store interface {
	Order(ctx context.Context, id string) (Order, error)
	// ListOrders returns a page of orders matching f, newest first.
	ListOrders(ctx context.Context, f Filter, page commerce.Page) (commerce.List[Order], error)
	Update(ctx context.Context, fn func(Tx) error) error
}
