package vendors

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// Limits of vendor input.
const (
	MaxNameLen        = 100   // characters, also LegalName
	MaxTaxIDLen       = 50    // characters
	MaxEmailLen       = 254   // bytes
	MaxPhoneLen       = 40    // bytes
	MaxDescriptionLen = 5_000 // characters
	MaxReasonLen      = 500   // characters
	MaxFileNameLen    = 200   // characters kept of an uploaded file's name
	MaxDocuments      = 20    // per vendor
	maxSlugTries      = 1_000
)

// Application is what a customer sends to become a vendor.
type Application struct {
	Name         string `json:"name"`
	LegalName    string `json:"legal_name"`
	TaxID        string `json:"tax_id"`
	Country      string `json:"country"`
	ContactEmail string `json:"contact_email"`
	Phone        string `json:"phone,omitempty"`
	Description  string `json:"description,omitempty"`
}

// Viewer is who reads a vendor: a user (empty when anonymous) and whether they may review
// vendors.
type Viewer struct {
	UserID   string
	Reviewer bool
}

// CanSeePrivate reports whether v may see every field and the documents of vendor x: its
// owner and reviewers.
func (v Viewer) CanSeePrivate(x Vendor) bool {
	return v.Reviewer || (v.UserID != "" && x.OwnerUserID == v.UserID)
}

// Service runs the vendor use cases. Each write is one Repository.Update, so its checks
// (one vendor per user, a legal transition, If-Match) and its writes are atomic.
type Service struct {
	repo    Repository
	blobs   Blobs
	clock   commerce.Clock
	slugify func(string) string
}

// NewService returns the vendor service. slugify turns a name into a URL slug (the app
// passes catalog.Slugify so vendor and product slugs look alike); a nil clock means the
// system clock.
func NewService(repo Repository, blobs Blobs, clock commerce.Clock, slugify func(string) string) *Service {
	clock = commerce.OrSystemClock(clock)
	return &Service{repo: repo, blobs: blobs, clock: clock, slugify: slugify}
}

// actorOf names who acts in ctx for histories and events.
func actorOf(ctx context.Context) string {
	if a, ok := commerce.ActorFrom(ctx); ok && a.ID != "" {
		return a.ID
	}
	return "system"
}

// Apply registers a vendor for userID in status PENDING and, in the same write, gives the
// user the VENDOR role: the one role change that is not a SUPER_ADMIN's. A user has at most
// one vendor (ErrAlreadyVendor).
func (s *Service) Apply(ctx context.Context, userID string, in Application) (Vendor, error) {
	in = normalizeApplication(in)
	if err := ValidateApplication(in); err != nil {
		return Vendor{}, err
	}
	if userID == "" {
		return Vendor{}, commerce.Errorf(commerce.EUnauthorized, "authentication_required", "vendors: applying needs a signed-in user")
	}
	now := s.clock.Now()
	actor := actorOf(ctx)
	v := Vendor{
		ID: commerce.NewID(), OwnerUserID: userID, Status: StatusPending,
		Name: in.Name, LegalName: in.LegalName, TaxID: in.TaxID, Country: in.Country, ContactEmail: in.ContactEmail,
		Phone: in.Phone, Description: in.Description, Documents: []Document{},
		History: []Change{{To: StatusPending, At: now, Actor: actor}},
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	err := s.repo.Update(ctx, func(tx Tx) error {
		if id, err := tx.VendorIDByOwner(userID); err != nil {
			return err
		} else if id != "" {
			return ErrAlreadyVendor.WithDetails(map[string]any{"vendor_id": id})
		}
		slug, err := s.freeSlug(tx, in.Name)
		if err != nil {
			return err
		}
		v.Slug = slug
		if err := tx.SaveVendor(v, nil); err != nil {
			return err
		}
		if err := tx.MakeOwnerVendor(userID); err != nil {
			return err
		}
		return emit(tx, EventRegistered, v, "", "", "", now, actor)
	})
	if err != nil {
		return Vendor{}, err
	}
	return v, nil
}

// freeSlug returns the name's slug, or slug-2, slug-3, ... whichever is free first.
func (s *Service) freeSlug(tx Tx, name string) (string, error) {
	base := ""
	if s.slugify != nil {
		base = s.slugify(name)
	}
	if base == "" {
		base = "vendor"
	}
	for n := 1; n <= maxSlugTries; n++ {
		c := base
		if n > 1 {
			c = fmt.Sprintf("%s-%d", base, n)
		}
		id, err := tx.VendorIDBySlug(c)
		if err != nil {
			return "", err
		}
		if id == "" {
			return c, nil
		}
	}
	return "", commerce.Errorf(commerce.EConflict, "slug_taken", "vendors: no free slug for %q", name)
}

// Vendor returns vendor id as v may see it: everything for its owner and reviewers, the
// Public fields of an APPROVED vendor for anyone else, and ErrNotFound otherwise (a
// pending, rejected or suspended vendor does not exist for the public).
func (s *Service) Vendor(ctx context.Context, id string, v Viewer) (Vendor, bool, error) {
	x, err := s.get(ctx, id)
	if err != nil {
		return Vendor{}, false, err
	}
	if v.CanSeePrivate(x) {
		return x, true, nil
	}
	if x.Status != StatusApproved {
		return Vendor{}, false, ErrNotFound
	}
	return x, false, nil
}

func (s *Service) get(ctx context.Context, id string) (Vendor, error) {
	if !commerce.ValidID(id) {
		return Vendor{}, ErrNotFound
	}
	return s.repo.Vendor(ctx, id)
}

// VendorByOwner returns the vendor of userID, or ErrNotFound.
func (s *Service) VendorByOwner(ctx context.Context, userID string) (Vendor, error) {
	if userID == "" {
		return Vendor{}, ErrNotFound
	}
	return s.repo.VendorByOwner(ctx, userID)
}

// Exists reports whether a vendor with the ID exists (any status).
func (s *Service) Exists(ctx context.Context, id string) (bool, error) {
	_, err := s.get(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case commerce.AsError(err) != nil && commerce.AsError(err).Code == ErrNotFound.Code:
		return false, nil
	default:
		return false, err
	}
}

// ApprovedVendorOf returns the vendor of userID when it is APPROVED; ErrNotApproved when
// the user has none or it is in another status. A vendor's catalog writes are checked with
// it.
func (s *Service) ApprovedVendorOf(ctx context.Context, userID string) (Vendor, error) {
	v, err := s.VendorByOwner(ctx, userID)
	if commerce.KindOf(err) == commerce.ENotFound {
		return Vendor{}, ErrNotApproved.WithDetails(map[string]any{"status": "NONE"})
	}
	if err != nil {
		return Vendor{}, err
	}
	if v.Status != StatusApproved {
		return Vendor{}, ErrNotApproved.WithDetails(map[string]any{"vendor_id": v.ID, "status": v.Status})
	}
	return v, nil
}

// List returns a page of vendors, newest first, optionally of one status (reviewers).
func (s *Service) List(ctx context.Context, status string, page commerce.Page) (commerce.List[Vendor], error) {
	if status != "" && !ValidStatus(status) {
		return commerce.List[Vendor]{}, commerce.Invalid(commerce.FieldError{Field: "status", Message: "must be one of " + strings.Join(Statuses, ", ")})
	}
	return s.repo.ListVendors(ctx, status, page.Normalize())
}

// Orders returns a page of the orders holding the vendor's products, each with only its
// lines. The caller has checked that the vendor is the principal's.
func (s *Service) Orders(ctx context.Context, vendorID string, page commerce.Page) (commerce.List[Order], error) {
	return s.repo.VendorOrders(ctx, vendorID, page.Normalize())
}

// DocumentUpload is one KYC document as uploaded.
type DocumentUpload struct {
	Type     string
	FileName string
	Body     io.Reader
}

// AddDocument stores a KYC document of vendor id for its owner (userID): the bytes go to
// the private blob store (PDF, PNG or JPEG, sniffed; within the upload limit), the record
// onto the vendor. Documents may be added only while the vendor is PENDING or REJECTED.
// Anyone but the owner gets ErrNotFound.
func (s *Service) AddDocument(ctx context.Context, id, userID string, up DocumentUpload, ifMatch *int64) (Vendor, Document, error) {
	var v commerce.Validator
	v.Check(contains(DocumentTypes, up.Type), "type", "must be one of "+strings.Join(DocumentTypes, ", "))
	up.FileName = cleanFileName(up.FileName)
	if err := v.Err(); err != nil {
		return Vendor{}, Document{}, err
	}
	// Check ownership and status before reading the upload, and again in the write.
	cur, err := s.get(ctx, id)
	if err != nil {
		return Vendor{}, Document{}, err
	}
	if cur.OwnerUserID != userID {
		return Vendor{}, Document{}, ErrNotFound
	}
	if err := documentsOpen(cur); err != nil {
		return Vendor{}, Document{}, err
	}
	if len(cur.Documents) >= MaxDocuments {
		return Vendor{}, Document{}, ErrTooManyDocuments.WithDetails(map[string]any{"max": MaxDocuments})
	}
	if up.Body == nil {
		return Vendor{}, Document{}, commerce.Invalid(commerce.FieldError{Field: "file", Message: "is required"})
	}
	blobID, ct, size, err := s.blobs.PutPrivate(ctx, up.Body, DocumentContentTypes)
	if err != nil {
		return Vendor{}, Document{}, err
	}
	// A write that fails below leaves the blob unreferenced: content-addressed blobs may be
	// shared, so none is deleted here.
	now := s.clock.Now()
	actor := actorOf(ctx)
	doc := Document{ID: commerce.NewID(), Type: up.Type, FileName: up.FileName, ContentType: ct, Size: size,
		BlobID: blobID, UploadedAt: now, UploadedBy: actor}
	var out Vendor
	err = s.repo.Update(ctx, func(tx Tx) error {
		old, err := tx.Vendor(id)
		if err != nil {
			return err
		}
		if old.OwnerUserID != userID {
			return ErrNotFound
		}
		if ifMatch != nil && *ifMatch != old.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": old.Version})
		}
		if err := documentsOpen(old); err != nil {
			return err
		}
		if len(old.Documents) >= MaxDocuments {
			return ErrTooManyDocuments.WithDetails(map[string]any{"max": MaxDocuments})
		}
		out = old
		out.Documents = append(append([]Document{}, old.Documents...), doc)
		out.Version, out.UpdatedAt = old.Version+1, now
		if err := tx.SaveVendor(out, &old); err != nil {
			return err
		}
		return emit(tx, EventDocumentAdded, out, "", "", doc.ID, now, actor)
	})
	if err != nil {
		return Vendor{}, Document{}, err
	}
	return out, doc, nil
}

func documentsOpen(v Vendor) error {
	if v.Status != StatusPending && v.Status != StatusRejected {
		return ErrDocumentsLocked.WithDetails(map[string]any{"status": v.Status})
	}
	return nil
}

// Documents returns vendor id's documents for its owner or a reviewer; anyone else gets
// ErrNotFound.
func (s *Service) Documents(ctx context.Context, id string, v Viewer) ([]Document, error) {
	x, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !v.CanSeePrivate(x) {
		return nil, ErrNotFound
	}
	return x.Documents, nil
}

// OpenDocument returns one document of vendor id and its bytes, for its owner or a
// reviewer; anyone else gets ErrNotFound. The caller closes the reader.
func (s *Service) OpenDocument(ctx context.Context, id, docID string, v Viewer) (Document, io.ReadSeekCloser, error) {
	docs, err := s.Documents(ctx, id, v)
	if err != nil {
		return Document{}, nil, err
	}
	for _, d := range docs {
		if d.ID == docID {
			r, err := s.blobs.OpenPrivate(ctx, d.BlobID)
			if err != nil {
				return Document{}, nil, err
			}
			return d, r, nil
		}
	}
	return Document{}, nil, ErrDocumentNotFound
}

// Resubmit moves the owner's REJECTED vendor back to PENDING for another review.
func (s *Service) Resubmit(ctx context.Context, id, userID string, ifMatch *int64) (Vendor, error) {
	return s.transition(ctx, id, StatusPending, "", ifMatch, func(v Vendor) error {
		if v.OwnerUserID != userID {
			return ErrNotFound
		}
		return nil
	})
}

// Approve moves a PENDING vendor with at least one document, or a SUSPENDED one, to
// APPROVED (a reviewer).
func (s *Service) Approve(ctx context.Context, id string, ifMatch *int64) (Vendor, error) {
	return s.transition(ctx, id, StatusApproved, "", ifMatch, func(v Vendor) error {
		if v.Status == StatusPending && len(v.Documents) == 0 {
			return ErrNoDocuments
		}
		return nil
	})
}

// Reject moves a PENDING vendor to REJECTED with a reason (required, at most MaxReasonLen
// characters), which the owner sees.
func (s *Service) Reject(ctx context.Context, id, reason string, ifMatch *int64) (Vendor, error) {
	reason = strings.TrimSpace(reason)
	if err := validateReason(reason); err != nil {
		return Vendor{}, err
	}
	return s.transition(ctx, id, StatusRejected, reason, ifMatch, nil)
}

// Suspend moves an APPROVED vendor to SUSPENDED with a reason: its products can no longer
// be written by it until a reviewer approves it again.
func (s *Service) Suspend(ctx context.Context, id, reason string, ifMatch *int64) (Vendor, error) {
	reason = strings.TrimSpace(reason)
	if err := validateReason(reason); err != nil {
		return Vendor{}, err
	}
	return s.transition(ctx, id, StatusSuspended, reason, ifMatch, nil)
}

func validateReason(reason string) error {
	var v commerce.Validator
	v.Text("reason", reason, MaxReasonLen, true)
	return v.Err()
}

var eventOf = map[string]string{
	StatusPending: EventResubmitted, StatusApproved: EventApproved, StatusRejected: EventRejected, StatusSuspended: EventSuspended,
}

// transition moves vendor id to status to inside one write, after check (which may refuse).
func (s *Service) transition(ctx context.Context, id, to, reason string, ifMatch *int64, check func(Vendor) error) (Vendor, error) {
	if !commerce.ValidID(id) {
		return Vendor{}, ErrNotFound
	}
	now := s.clock.Now()
	actor := actorOf(ctx)
	var out Vendor
	err := s.repo.Update(ctx, func(tx Tx) error {
		old, err := tx.Vendor(id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(old); err != nil {
				return err
			}
		}
		if ifMatch != nil && *ifMatch != old.Version {
			return ErrVersionMismatch.WithDetails(map[string]any{"version": old.Version})
		}
		if !CanTransition(old.Status, to) {
			return ErrIllegalTransition.WithDetails(map[string]any{"from": old.Status, "to": to})
		}
		out = old
		out.Status, out.StatusReason = to, reason
		out.History = append(append([]Change{}, old.History...), Change{From: old.Status, To: to, At: now, Actor: actor, Reason: reason})
		out.Version, out.UpdatedAt = old.Version+1, now
		if err := tx.SaveVendor(out, &old); err != nil {
			return err
		}
		return emit(tx, eventOf[to], out, old.Status, reason, "", now, actor)
	})
	if err != nil {
		return Vendor{}, err
	}
	return out, nil
}

func emit(tx Tx, typ string, v Vendor, from, reason, docID string, at time.Time, actor string) error {
	ev, err := commerce.NewEvent(typ, v.ID, at, EventData{VendorID: v.ID, OwnerUserID: v.OwnerUserID, From: from,
		Status: v.Status, Reason: reason, DocumentID: docID, Version: v.Version})
	if err != nil {
		return err
	}
	ev.Actor = actor
	tx.Emit(ev)
	return nil
}

// normalizeApplication trims what people type by accident.
func normalizeApplication(in Application) Application {
	t := strings.TrimSpace
	return Application{Name: t(in.Name), LegalName: t(in.LegalName), TaxID: t(in.TaxID), Country: strings.ToUpper(t(in.Country)),
		ContactEmail: t(in.ContactEmail), Phone: t(in.Phone), Description: strings.TrimSpace(in.Description)}
}

// ValidateApplication reports every bad field of a normalized application.
func ValidateApplication(in Application) error {
	var v commerce.Validator
	v.Text("name", in.Name, MaxNameLen, true)
	v.Text("legal_name", in.LegalName, MaxNameLen, true)
	v.Text("description", in.Description, MaxDescriptionLen, false)
	taxChar := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -./", r) }
	switch {
	case in.TaxID == "":
		v.Add("tax_id", "is required")
	case utf8.RuneCountInString(in.TaxID) > MaxTaxIDLen || strings.IndexFunc(in.TaxID, func(r rune) bool { return !taxChar(r) }) >= 0:
		v.Add("tax_id", fmt.Sprintf("must be at most %d characters: letters, digits, spaces and - . /", MaxTaxIDLen))
	}
	switch {
	case in.Country == "":
		v.Add("country", "is required")
	case !commerce.ValidCountry(in.Country):
		v.Add("country", "must be an ISO 3166-1 alpha-2 code such as US or UZ")
	}
	switch {
	case in.ContactEmail == "":
		v.Add("contact_email", "is required")
	case len(in.ContactEmail) > MaxEmailLen || !validEmail(in.ContactEmail):
		v.Add("contact_email", "must be an e-mail address such as sales@example.com")
	}
	if in.Phone != "" {
		ok := len(in.Phone) <= MaxPhoneLen && strings.IndexFunc(in.Phone, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0
		for _, c := range in.Phone {
			if !(c >= '0' && c <= '9' || strings.ContainsRune("+-() .", c)) {
				ok = false
			}
		}
		v.Check(ok, "phone", fmt.Sprintf("must be at most %d characters: digits, spaces and + - ( ) .", MaxPhoneLen))
	}
	return v.Err()
}

// validEmail accepts a bare address (no display name) with a dotted domain.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// cleanFileName keeps an uploaded file's base name for display: printable characters only,
// no directories, at most MaxFileNameLen characters.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if utf8.RuneCountInString(name) > MaxFileNameLen {
		name = string([]rune(name)[:MaxFileNameLen])
	}
	return strings.TrimSpace(name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
