// Package inventory owns stock: warehouses, each variant's level per warehouse (on hand,
// reserved, available), the movements that change them, per-SKU settings (backorder policy,
// low-stock threshold) and the reservations of orders (allocated to warehouses by priority,
// expiring unless paid offline, committed when sold, released when cancelled). The store
// keeps, in the same batch as every level change, the variant's sellable units (the sum of
// available over the warehouses) that catalog, cart and search read.
package inventory

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// DefaultWarehouse is the code of the warehouse that always exists: the catalog's "stock"
// field sets its on-hand units, and legacy stock (before warehouses) lives there.
const DefaultWarehouse = "main"

// Warehouse is a place holding stock. Allocation tries active warehouses in Priority order
// (lower first, ties by code).
type Warehouse struct {
	Code      string            `json:"code"`
	Name      string            `json:"name"`
	Address   *commerce.Address `json:"address,omitempty"`
	Priority  int               `json:"priority"`
	Active    bool              `json:"active"`
	Version   int64             `json:"version"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// DefaultWarehouseRecord is the default warehouse as it is before anyone edits it.
func DefaultWarehouseRecord() Warehouse {
	return Warehouse{Code: DefaultWarehouse, Name: "Main warehouse", Priority: 0, Active: true, Version: 1}
}

// SortWarehouses orders ws for allocation: priority, then code.
func SortWarehouses(ws []Warehouse) {
	slices.SortFunc(ws, func(a, b Warehouse) int {
		if a.Priority != b.Priority {
			return a.Priority - b.Priority
		}
		return strings.Compare(a.Code, b.Code)
	})
}

// Level is a variant's stock in one warehouse. Available (OnHand − Reserved) is what can be
// sold from it; it is negative only for a SKU that allows backorders.
type Level struct {
	VariantID string `json:"variant_id"`
	Warehouse string `json:"warehouse"`
	OnHand    int64  `json:"on_hand"`
	Reserved  int64  `json:"reserved"`
	// Stored tells the store whether the level has a row yet (it writes the warehouse's
	// index row with the first one).
	Stored bool `json:"-"`
}

// Available is what the warehouse can still promise.
func (l Level) Available() int64 { return l.OnHand - l.Reserved }

// Movement reasons. The first six are adjustments staff make; the rest are written by the
// system.
const (
	ReasonReceived        = "received"
	ReasonDamaged         = "damaged"
	ReasonLost            = "lost"
	ReasonCountCorrection = "count_correction"
	ReasonReturned        = "returned"
	ReasonOther           = "other"

	ReasonReserved    = "reserved"     // checkout reserved units for an order
	ReasonReleased    = "released"     // an order's reservation was released (cancelled or expired)
	ReasonSale        = "sale"         // reserved units left the warehouse (payment captured or shipped)
	ReasonUnsold      = "unsold"       // units committed to a cancelled order came back on hand
	ReasonTransferOut = "transfer_out" // moved to another warehouse
	ReasonTransferIn  = "transfer_in"  // moved from another warehouse
	ReasonCatalog     = "catalog"      // the product's "stock" field was set
)

// AdjustReasons are the reasons an adjustment may give.
var AdjustReasons = []string{ReasonReceived, ReasonDamaged, ReasonLost, ReasonCountCorrection, ReasonReturned, ReasonOther}

// Movement is one change of a variant's level in a warehouse.
type Movement struct {
	ID             string    `json:"id"`
	VariantID      string    `json:"variant_id"`
	Warehouse      string    `json:"warehouse"`
	Reason         string    `json:"reason"`
	Note           string    `json:"note,omitempty"`
	OnHandChange   int64     `json:"on_hand_change"`
	ReservedChange int64     `json:"reserved_change"`
	OnHand         int64     `json:"on_hand"`  // after the change
	Reserved       int64     `json:"reserved"` // after the change
	OrderID        string    `json:"order_id,omitempty"`
	TransferID     string    `json:"transfer_id,omitempty"`
	Actor          string    `json:"actor"`
	At             time.Time `json:"at"`
}

// Backorder policies.
const (
	BackorderDeny  = "deny"
	BackorderAllow = "allow"
)

// Item is a SKU's stock settings. A variant without stored settings denies backorders and
// uses the configured low-stock threshold.
type Item struct {
	VariantID string `json:"variant_id"`
	Backorder string `json:"backorder"` // deny or allow
	// BackorderLimit bounds, with allow, how far below zero the variant's available units
	// (over every warehouse) may go; nil means no bound.
	BackorderLimit *int64 `json:"backorder_limit,omitempty"`
	// LowStockThreshold overrides the configured default; nil uses it.
	LowStockThreshold *int64    `json:"low_stock_threshold,omitempty"`
	Version           int64     `json:"version"`
	UpdatedAt         time.Time `json:"updated_at,omitzero"`
}

// backorders reports whether the SKU may be promised beyond its stock down to total
// available units (over every warehouse).
func (it Item) backorders(total int64) bool {
	return it.Backorder == BackorderAllow && (it.BackorderLimit == nil || total >= -*it.BackorderLimit)
}

// threshold is the item's low-stock threshold, def when it has none.
func (it Item) threshold(def int64) int64 {
	if it.LowStockThreshold != nil {
		return *it.LowStockThreshold
	}
	return def
}

// Reservation statuses.
const (
	ReservationActive    = "active"    // holding stock (reserved)
	ReservationCommitted = "committed" // sold: the units left on-hand
	ReservationReleased  = "released"  // given back
)

// Reservation is the stock an order holds, keyed by the order.
type Reservation struct {
	OrderID       string       `json:"order_id"`
	Status        string       `json:"status"`
	Lines         []Allocation `json:"lines"`
	PaymentMethod string       `json:"payment_method,omitempty"`
	// ExpiresAt is when an active reservation runs out (its order is cancelled); nil holds
	// until the order is paid, shipped or cancelled (offline payment methods).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Allocation is the part of an order line taken from one warehouse.
type Allocation struct {
	VariantID string `json:"variant_id"`
	SKU       string `json:"sku,omitempty"`
	Warehouse string `json:"warehouse"`
	Quantity  int64  `json:"quantity"`
}

// Events.
const (
	EventLowStock         = "inventory.low_stock"
	EventAdjusted         = "inventory.adjusted"
	EventTransferred      = "inventory.transferred"
	EventWarehouseCreated = "inventory.warehouse_created"
	EventWarehouseUpdated = "inventory.warehouse_updated"
	EventItemUpdated      = "inventory.item_updated"
)

// Errors.
var (
	ErrOutOfStock         = &commerce.Error{Kind: commerce.EConflict, Code: "out_of_stock", Message: "inventory: not enough stock"}
	ErrInsufficientStock  = &commerce.Error{Kind: commerce.EConflict, Code: "insufficient_stock", Message: "inventory: the warehouse does not have the stock"}
	ErrWarehouseNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "warehouse_not_found", Message: "inventory: no such warehouse"}
	ErrVariantNotFound    = &commerce.Error{Kind: commerce.ENotFound, Code: "variant_not_found", Message: "inventory: no such variant"}
	ErrReservationMissing = &commerce.Error{Kind: commerce.ENotFound, Code: "reservation_not_found", Message: "inventory: the order holds no reservation"}
	ErrWarehouseExists    = &commerce.Error{Kind: commerce.EConflict, Code: "warehouse_exists", Message: "inventory: a warehouse with this code exists"}
	ErrWarehouseInactive  = &commerce.Error{Kind: commerce.EConflict, Code: "warehouse_inactive", Message: "inventory: the warehouse is inactive"}
	ErrWarehouseNotEmpty  = &commerce.Error{Kind: commerce.EConflict, Code: "warehouse_not_empty", Message: "inventory: the warehouse still holds stock; transfer it first"}
	ErrDefaultWarehouse   = &commerce.Error{Kind: commerce.EConflict, Code: "default_warehouse", Message: "inventory: the default warehouse cannot be deactivated"}
	ErrVersionMismatch    = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "inventory: the resource changed since it was read"}
	ErrInvalidCursor      = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "inventory: invalid cursor"}
)

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidCode reports whether s can be a warehouse code: 1-32 lower-case letters, digits, '-'
// and '_', starting with a letter or digit.
func ValidCode(s string) bool { return codePattern.MatchString(s) }
