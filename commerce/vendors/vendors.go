// Package vendors owns marketplace vendors: a customer's application to sell (the vendor's
// business details), its KYC documents, the review workflow PENDING → APPROVED | REJECTED
// (REJECTED → PENDING on re-submission, APPROVED ⇄ SUSPENDED) with a history of who changed
// what and why, the rule that only an approved vendor may publish products, and a vendor's
// view of the orders that hold its products (its own lines only). Storage of records is an
// adapter implementing Repository; document bytes live in a private blob store (Blobs).
package vendors

import (
	"context"
	"io"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// Statuses of a vendor.
const (
	StatusPending   = "PENDING"   // applied (or re-submitted), waiting for a reviewer
	StatusApproved  = "APPROVED"  // may publish products
	StatusRejected  = "REJECTED"  // refused with a reason; the owner may fix and re-submit
	StatusSuspended = "SUSPENDED" // approved once, blocked now; a reviewer may approve again
)

// Statuses lists every status.
var Statuses = []string{StatusPending, StatusApproved, StatusRejected, StatusSuspended}

// transitions lists the legal next statuses of each status.
var transitions = commerce.Transitions{
	StatusPending:   {StatusApproved, StatusRejected},
	StatusRejected:  {StatusPending},
	StatusApproved:  {StatusSuspended},
	StatusSuspended: {StatusApproved},
}

// CanTransition reports whether a vendor in status from may move to status to.
func CanTransition(from, to string) bool { return transitions.Allows(from, to) }

// NextStatuses returns the legal next statuses of from.
func NextStatuses(from string) []string { return transitions.Next(from) }

// ValidStatus reports whether s is a vendor status.
func ValidStatus(s string) bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Document types.
const (
	DocBusinessLicense = "business_license"
	DocTaxCertificate  = "tax_certificate"
	DocIDDocument      = "id_document"
	DocBankStatement   = "bank_statement"
	DocOther           = "other"
)

// DocumentTypes lists every document type.
var DocumentTypes = []string{DocBusinessLicense, DocTaxCertificate, DocIDDocument, DocBankStatement, DocOther}

// DocumentContentTypes are the content types a KYC document may have, sniffed from its bytes.
var DocumentContentTypes = []string{"application/pdf", "image/png", "image/jpeg"}

// Event types, on subjects um.vendors.*. Every one is a security event: the store writes
// each into the audit log in the same batch. Data is EventData.
const (
	EventRegistered    = "vendors.registered"
	EventDocumentAdded = "vendors.document_added"
	EventResubmitted   = "vendors.resubmitted"
	EventApproved      = "vendors.approved" // also SUSPENDED → APPROVED (From tells)
	EventRejected      = "vendors.rejected"
	EventSuspended     = "vendors.suspended"
)

// Vendor is a seller on the marketplace, owned by one user account.
type Vendor struct {
	ID           string     `json:"id"`
	OwnerUserID  string     `json:"owner_user_id"`
	Status       string     `json:"status"`
	Slug         string     `json:"slug"`
	Name         string     `json:"name"`       // shown to shoppers
	LegalName    string     `json:"legal_name"` // the registered business name
	TaxID        string     `json:"tax_id"`
	Country      string     `json:"country"` // ISO 3166-1 alpha-2, upper case
	ContactEmail string     `json:"contact_email"`
	Phone        string     `json:"phone,omitempty"`
	Description  string     `json:"description,omitempty"`
	StatusReason string     `json:"status_reason,omitempty"` // the reason of the last rejection or suspension
	Documents    []Document `json:"documents"`
	History      []Change   `json:"history"`
	Version      int64      `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Document is one KYC document of a vendor. BlobID names its bytes in the private blob
// store; they are served only to the vendor's owner and reviewers.
type Document struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	FileName    string    `json:"file_name,omitempty"` // as uploaded, for people only; never used as a path
	ContentType string    `json:"content_type"`        // sniffed from the bytes
	Size        int64     `json:"size"`
	BlobID      string    `json:"blob_id"` // stored; the HTTP layer never shows it
	UploadedAt  time.Time `json:"uploaded_at"`
	UploadedBy  string    `json:"uploaded_by"` // an actor ("user:<id>")
}

// Change is one entry of a vendor's status history.
type Change struct {
	From   string    `json:"from,omitempty"` // empty for the application
	To     string    `json:"to"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
}

// Public is what anyone may see of an approved vendor.
type Public struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Country     string `json:"country"`
	Description string `json:"description,omitempty"`
	Status      string `json:"status"`
}

// PublicOf returns v's public fields.
func PublicOf(v Vendor) Public {
	return Public{ID: v.ID, Slug: v.Slug, Name: v.Name, Country: v.Country, Description: v.Description, Status: v.Status}
}

// EventData is the data of every vendors.* event.
type EventData struct {
	VendorID    string `json:"vendor_id"`
	OwnerUserID string `json:"owner_user_id"`
	From        string `json:"from,omitempty"`
	Status      string `json:"status"`
	Reason      string `json:"reason,omitempty"`
	DocumentID  string `json:"document_id,omitempty"`
	Version     int64  `json:"version"`
}

// OrderLine is one line of an order as its vendor sees it.
type OrderLine struct {
	ProductID string            `json:"product_id"`
	VariantID string            `json:"variant_id"`
	SKU       string            `json:"sku"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options,omitempty"`
	Quantity  int64             `json:"quantity"`
	UnitPrice commerce.Money    `json:"unit_price"`
	LineTotal commerce.Money    `json:"line_total"`
}

// Order is an order as one of its vendors sees it: the order's number, status and date and
// that vendor's lines only (no buyer, address or other vendors' lines).
type Order struct {
	OrderID   string         `json:"order_id"`
	Number    int64          `json:"number"`
	Status    string         `json:"status"`
	CreatedAt time.Time      `json:"created_at"`
	Lines     []OrderLine    `json:"lines"`
	Subtotal  commerce.Money `json:"subtotal"` // of these lines
}

// Errors.
var (
	ErrNotFound          = &commerce.Error{Kind: commerce.ENotFound, Code: "vendor_not_found", Message: "vendors: vendor not found"}
	ErrDocumentNotFound  = &commerce.Error{Kind: commerce.ENotFound, Code: "document_not_found", Message: "vendors: document not found"}
	ErrAlreadyVendor     = &commerce.Error{Kind: commerce.EConflict, Code: "vendor_exists", Message: "vendors: this account already has a vendor"}
	ErrIllegalTransition = &commerce.Error{Kind: commerce.EConflict, Code: "illegal_transition", Message: "vendors: illegal status transition"}
	ErrDocumentsLocked   = &commerce.Error{Kind: commerce.EConflict, Code: "documents_locked", Message: "vendors: documents can be added only while the vendor is PENDING or REJECTED"}
	ErrNoDocuments       = &commerce.Error{Kind: commerce.EConflict, Code: "documents_required", Message: "vendors: a vendor needs at least one document to be approved"}
	ErrTooManyDocuments  = &commerce.Error{Kind: commerce.EConflict, Code: "too_many_documents", Message: "vendors: the vendor has the most documents allowed"}
	ErrNotApproved       = &commerce.Error{Kind: commerce.EForbidden, Code: "vendor_not_approved", Message: "vendors: only an approved vendor may do this"}
	ErrVersionMismatch   = &commerce.Error{Kind: commerce.EPrecondition, Code: "version_mismatch", Message: "vendors: the vendor has changed since you read it"}
	ErrInvalidCursor     = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_cursor", Message: "vendors: the cursor is not one this list returned"}
)

// Repository stores vendors. The store adapter implements it.
type Repository interface {
	// Vendor returns a vendor by ID, or ErrNotFound.
	Vendor(ctx context.Context, id string) (Vendor, error)
	// VendorByOwner returns the vendor of a user, or ErrNotFound.
	VendorByOwner(ctx context.Context, userID string) (Vendor, error)
	// ListVendors returns a page of vendors, newest first; status "" means every status.
	ListVendors(ctx context.Context, status string, page commerce.Page) (commerce.List[Vendor], error)
	// VendorOrders returns a page of the orders holding the vendor's products, newest
	// first, each with that vendor's lines only.
	VendorOrders(ctx context.Context, vendorID string, page commerce.Page) (commerce.List[Order], error)
	// Update runs fn as one atomic write with its index rows and events.
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is one atomic vendor change.
type Tx interface {
	Vendor(id string) (Vendor, error) // or ErrNotFound
	// VendorIDByOwner and VendorIDBySlug return the vendor holding them, "" when none.
	VendorIDByOwner(userID string) (string, error)
	VendorIDBySlug(slug string) (string, error)
	// SaveVendor writes v and its index rows (owner, slug, status); prev is the stored
	// vendor it replaces, nil for a new one.
	SaveVendor(v Vendor, prev *Vendor) error
	// MakeOwnerVendor gives the user the VENDOR role when it is a CUSTOMER (staff roles are
	// kept), with the account's own event, in this same batch.
	MakeOwnerVendor(userID string) error
	Emit(ev commerce.Event)
}

// Blobs keeps document bytes private: content-addressed, never served publicly. The media
// store implements it.
type Blobs interface {
	// PutPrivate stores the bytes read from r when their sniffed content type is one of
	// allowed and their size within the store's limit; it returns the blob's ID, content
	// type and size.
	PutPrivate(ctx context.Context, r io.Reader, allowed []string) (id, contentType string, size int64, err error)
	// OpenPrivate returns a reader of the blob's bytes; the caller closes it.
	OpenPrivate(ctx context.Context, id string) (io.ReadSeekCloser, error)
}
