package http

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	stdhttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/vendors"
)

// reasonRequest is the body of reject and suspend.
type reasonRequest struct {
	Reason string `json:"reason"`
}

// vendorResponse is a vendor as its owner and reviewers see it.
type vendorResponse struct {
	ID           string             `json:"id"`
	OwnerUserID  string             `json:"owner_user_id"`
	Status       string             `json:"status"`
	Slug         string             `json:"slug"`
	Name         string             `json:"name"`
	LegalName    string             `json:"legal_name"`
	TaxID        string             `json:"tax_id"`
	Country      string             `json:"country"`
	ContactEmail string             `json:"contact_email"`
	Phone        string             `json:"phone,omitempty"`
	Description  string             `json:"description,omitempty"`
	StatusReason string             `json:"status_reason,omitempty"` // of the last rejection or suspension
	Documents    []documentResponse `json:"documents"`
	History      []vendors.Change   `json:"history"`
	NextStatuses []string           `json:"next_statuses"`
	Version      int64              `json:"version"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// documentResponse is a KYC document's record (where its bytes are stored is not shown).
type documentResponse struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	FileName    string    `json:"file_name,omitempty"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	UploadedAt  time.Time `json:"uploaded_at"`
	UploadedBy  string    `json:"uploaded_by"`
}

func documentOut(d vendors.Document) documentResponse {
	return documentResponse{ID: d.ID, Type: d.Type, FileName: d.FileName, ContentType: d.ContentType, Size: d.Size,
		UploadedAt: d.UploadedAt, UploadedBy: d.UploadedBy}
}

func documentsOut(ds []vendors.Document) []documentResponse {
	out := make([]documentResponse, len(ds))
	for i, d := range ds {
		out[i] = documentOut(d)
	}
	return out
}

func vendorOut(v vendors.Vendor) vendorResponse {
	return vendorResponse{ID: v.ID, OwnerUserID: v.OwnerUserID, Status: v.Status, Slug: v.Slug, Name: v.Name, LegalName: v.LegalName,
		TaxID: v.TaxID, Country: v.Country, ContactEmail: v.ContactEmail, Phone: v.Phone, Description: v.Description,
		StatusReason: v.StatusReason, Documents: documentsOut(v.Documents), History: v.History,
		NextStatuses: vendors.NextStatuses(v.Status), Version: v.Version, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

type vendorList struct {
	Items      []vendorResponse `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

type vendorDocumentList struct {
	Items []documentResponse `json:"items"`
}

type vendorOrderList struct {
	Items      []vendors.Order `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// multipartOverhead is what a document upload's body may hold beyond the file: the
// boundaries, part headers and the type field.
const multipartOverhead = 64 << 10

const vendorAccess = " Its owner and staff with vendors:review see every field and its documents; anyone else sees an " +
	"APPROVED vendor's public fields (id, slug, name, country, description, status) and gets 404 for any other."

func (s *Server) vendorRoutes() {
	svc := func() (*vendors.Service, error) {
		if s.deps.Vendors == nil {
			return nil, unavailable("vendors")
		}
		return s.deps.Vendors, nil
	}
	var uploadLimit int64
	if s.deps.Media != nil {
		uploadLimit = s.deps.Media.MaxUploadBytes() + multipartOverhead
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/vendors", Tag: "vendors", Summary: "Apply to sell: register a vendor (PENDING)",
		Description: "A signed-in customer registers a vendor, which waits for review in status PENDING. In the same write the " +
			"account's role becomes VENDOR (the one role change not made by a SUPER_ADMIN): refresh the access token to use " +
			"the vendor routes. One vendor per account (409 vendor_exists). Emits vendors.registered (audited).",
		Perm: auth.PermVendorsApply, Request: vendors.Application{}, Response: vendorResponse{}, Status: stdhttp.StatusCreated,
		Errors: []int{stdhttp.StatusUnprocessableEntity, stdhttp.StatusConflict},
		Handler: withBody(svc, func(c echo.Context, v *vendors.Service, in vendors.Application) error {
			p, _ := principalOf(c)
			x, err := v.Apply(c.Request().Context(), p.UserID, in)
			if err != nil {
				return err
			}
			setETag(c, x.Version)
			c.Response().Header().Set(echo.HeaderLocation, "/api/v1/vendors/"+x.ID)
			return c.JSON(stdhttp.StatusCreated, vendorOut(x))
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/vendor", Tag: "vendors", Summary: "My vendor",
		Description: "The signed-in user's own vendor, with its status, reason and history; 404 when the account has none.",
		Perm:        auth.PermVendorsApply, Response: vendorResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *vendors.Service) error {
			p, _ := principalOf(c)
			x, err := v.VendorByOwner(c.Request().Context(), p.UserID)
			if err != nil {
				return err
			}
			return vendorReply(c, x)
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/vendors/:id", Tag: "vendors", Summary: "A vendor",
		Description:  "The ETag is the vendor's version." + vendorAccess,
		OptionalAuth: true, Response: vendorResponse{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *vendors.Service) error {
			x, full, err := v.Vendor(c.Request().Context(), c.Param("id"), vendorViewer(c))
			if err != nil {
				return err
			}
			if !full {
				return c.JSON(stdhttp.StatusOK, vendors.PublicOf(x))
			}
			return vendorReply(c, x)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/vendors/:id/documents", Tag: "vendors", Summary: "Upload a KYC document (multipart)",
		Description: "multipart/form-data with the fields type (business_license, tax_certificate, id_document, bank_statement or " +
			"other) and file. The file must be a PDF, PNG or JPEG, told from its bytes (the name and declared type are ignored), " +
			"at most media.max_upload bytes (413 media_too_large). It is kept as a private file: never served by /api/v1/media. " +
			"Only the vendor's owner may upload (anyone else 404), and only while the vendor is PENDING or REJECTED " +
			"(409 documents_locked). Emits vendors.document_added (audited).",
		Perm: auth.PermVendorsApply, Response: documentResponse{}, Status: stdhttp.StatusCreated, BodyLimit: uploadLimit,
		Errors: []int{stdhttp.StatusBadRequest, stdhttp.StatusUnprocessableEntity, stdhttp.StatusNotFound, stdhttp.StatusConflict,
			stdhttp.StatusRequestEntityTooLarge, stdhttp.StatusPreconditionFailed},
		Handler: withService(svc, func(c echo.Context, v *vendors.Service) error {
			version, err := ifMatchVersion(c)
			if err != nil {
				return err
			}
			up, err := readDocumentUpload(c)
			if err != nil {
				return err
			}
			p, _ := principalOf(c)
			x, doc, err := v.AddDocument(c.Request().Context(), c.Param("id"), p.UserID, up, version)
			if err != nil {
				return err
			}
			setETag(c, x.Version)
			c.Response().Header().Set(echo.HeaderLocation, "/api/v1/vendors/"+x.ID+"/documents/"+doc.ID)
			return c.JSON(stdhttp.StatusCreated, documentOut(doc))
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/vendors/:id/documents", Tag: "vendors", Summary: "A vendor's KYC documents",
		Description: "For the vendor's owner and staff with vendors:review; anyone else gets 404.",
		Auth:        true, Response: vendorDocumentList{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *vendors.Service) error {
			docs, err := v.Documents(c.Request().Context(), c.Param("id"), vendorViewer(c))
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, vendorDocumentList{Items: documentsOut(docs)})
		})})
	s.handle(Route{Method: "GET", Path: "/api/v1/vendors/:id/documents/:doc", Tag: "vendors", Summary: "Download a KYC document",
		Description: "The document's bytes as uploaded, as an attachment, never cached by shared caches. For the vendor's owner " +
			"and staff with vendors:review; anyone else gets 404.",
		Auth: true, RawResponse: "application/octet-stream", Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *vendors.Service) error {
			doc, f, err := v.OpenDocument(c.Request().Context(), c.Param("id"), c.Param("doc"), vendorViewer(c))
			if err != nil {
				return err
			}
			defer f.Close()
			h := c.Response().Header()
			h.Set(echo.HeaderContentType, doc.ContentType)
			h.Set("Cache-Control", "private, no-store")
			h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
			name := doc.FileName
			if name == "" {
				name = doc.ID
			}
			h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
			stdhttp.ServeContent(c.Response(), c.Request(), "", doc.UploadedAt, f)
			return nil
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/vendors/:id/resubmit", Tag: "vendors", Summary: "Re-submit a rejected vendor for review",
		Description: "REJECTED → PENDING, by the vendor's owner (anyone else 404), usually after uploading corrected documents; " +
			"another status is 409 illegal_transition. Emits vendors.resubmitted (audited).",
		Perm: auth.PermVendorsApply, Response: vendorResponse{},
		Errors: []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed},
		Handler: s.vendorTransition(svc, false, func(c echo.Context, v *vendors.Service, id string, _ string, ifm *int64) (vendors.Vendor, error) {
			p, _ := principalOf(c)
			return v.Resubmit(c.Request().Context(), id, p.UserID, ifm)
		})})

	s.handle(Route{Method: "GET", Path: "/api/v1/admin/vendors", Tag: "vendors", Summary: "Vendors for review, newest first",
		Query: []Param{
			{Name: "status", Type: "string", Description: "PENDING, APPROVED, REJECTED or SUSPENDED; every status when absent"},
			{Name: "limit", Type: "integer", Description: "page size, 1-100 (default 20)"},
			{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
		},
		Perm: auth.PermVendorsReview, Response: vendorList{}, Errors: []int{stdhttp.StatusUnprocessableEntity},
		Handler: withService(svc, func(c echo.Context, v *vendors.Service) error {
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			list, err := v.List(c.Request().Context(), c.QueryParam("status"), page)
			if err != nil {
				return err
			}
			out := vendorList{Items: make([]vendorResponse, len(list.Items)), NextCursor: list.NextCursor}
			for i, x := range list.Items {
				out.Items[i] = vendorOut(x)
			}
			return c.JSON(stdhttp.StatusOK, out)
		})})
	review := []int{stdhttp.StatusNotFound, stdhttp.StatusConflict, stdhttp.StatusPreconditionFailed}
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/vendors/:id/approve", Tag: "vendors", Summary: "Approve a vendor",
		Description: "PENDING (with at least one document, else 409 documents_required) or SUSPENDED → APPROVED; another status " +
			"is 409 illegal_transition. An approved vendor's owner may publish products. Emits vendors.approved (audited).",
		Perm: auth.PermVendorsReview, Response: vendorResponse{}, Errors: review,
		Handler: s.vendorTransition(svc, false, func(c echo.Context, v *vendors.Service, id string, _ string, ifm *int64) (vendors.Vendor, error) {
			return v.Approve(c.Request().Context(), id, ifm)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/vendors/:id/reject", Tag: "vendors", Summary: "Reject a vendor with a reason",
		Description: "PENDING → REJECTED; reason is required, at most 500 characters, and shown to the owner, who may upload " +
			"documents again and re-submit. Emits vendors.rejected (audited).",
		Perm: auth.PermVendorsReview, Request: reasonRequest{}, Response: vendorResponse{},
		Errors: append([]int{stdhttp.StatusUnprocessableEntity}, review...),
		Handler: s.vendorTransition(svc, true, func(c echo.Context, v *vendors.Service, id, reason string, ifm *int64) (vendors.Vendor, error) {
			return v.Reject(c.Request().Context(), id, reason, ifm)
		})})
	s.handle(Route{Method: "POST", Path: "/api/v1/admin/vendors/:id/suspend", Tag: "vendors", Summary: "Suspend an approved vendor",
		Description: "APPROVED → SUSPENDED with a reason (required, at most 500 characters): the vendor can no longer write its " +
			"products (403 vendor_not_approved) until approved again. Emits vendors.suspended (audited).",
		Perm: auth.PermVendorsReview, Request: reasonRequest{}, Response: vendorResponse{},
		Errors: append([]int{stdhttp.StatusUnprocessableEntity}, review...),
		Handler: s.vendorTransition(svc, true, func(c echo.Context, v *vendors.Service, id, reason string, ifm *int64) (vendors.Vendor, error) {
			return v.Suspend(c.Request().Context(), id, reason, ifm)
		})})

	s.handle(Route{Method: "GET", Path: "/api/v1/vendor/orders", Tag: "vendors", Summary: "Orders holding my vendor's products, newest first",
		Description: "Each order with its number, status and date and only this vendor's lines (no buyer, address or other " +
			"vendors' lines). Any status of the account's vendor (a suspended vendor still fulfils its orders); 404 when the " +
			"account has none.",
		Perm:     auth.PermOrdersVendor,
		Query:    []Param{{Name: "limit", Type: "integer", Description: "page size, 1-100 (default 20)"}, {Name: "cursor", Type: "string", Description: "next_cursor of the previous page"}},
		Response: vendorOrderList{}, Errors: []int{stdhttp.StatusNotFound},
		Handler: withService(svc, func(c echo.Context, v *vendors.Service) error {
			page, err := pageOf(c)
			if err != nil {
				return err
			}
			p, _ := principalOf(c)
			x, err := v.VendorByOwner(c.Request().Context(), p.UserID)
			if err != nil {
				return err
			}
			list, err := v.Orders(c.Request().Context(), x.ID, page)
			if err != nil {
				return err
			}
			return c.JSON(stdhttp.StatusOK, vendorOrderList{Items: list.Items, NextCursor: list.NextCursor})
		})})
}

// vendorTransition is the handler of a status change: optional If-Match, the reason body
// when withReason, the new vendor with its ETag.
func (s *Server) vendorTransition(svc func() (*vendors.Service, error), withReason bool,
	do func(c echo.Context, v *vendors.Service, id, reason string, ifMatch *int64) (vendors.Vendor, error)) echo.HandlerFunc {
	return withService(svc, func(c echo.Context, v *vendors.Service) error {
		version, err := ifMatchVersion(c)
		if err != nil {
			return err
		}
		var in reasonRequest
		if withReason {
			if err := bind(c, &in); err != nil {
				return err
			}
		}
		x, err := do(c, v, c.Param("id"), in.Reason, version)
		if err != nil {
			return err
		}
		return vendorReply(c, x)
	})
}

// vendorReply answers 200 with the whole vendor x and its ETag.
func vendorReply(c echo.Context, x vendors.Vendor) error {
	setETag(c, x.Version)
	return c.JSON(stdhttp.StatusOK, vendorOut(x))
}

// vendorViewer is who the request acts as, for vendor reads.
func vendorViewer(c echo.Context) vendors.Viewer {
	p, _ := principalOf(c)
	return vendors.Viewer{UserID: p.UserID, Reviewer: p.Can(auth.PermVendorsReview)}
}

var errMultipart = &commerce.Error{Kind: commerce.EInvalid, Code: "unsupported_media_type",
	Message: "the request body must be multipart/form-data with the fields type and file"}

// readDocumentUpload reads a multipart document upload: the type field and the file part
// (read whole; the media store bounds and sniffs it). Other fields are refused.
func readDocumentUpload(c echo.Context) (vendors.DocumentUpload, error) {
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return vendors.DocumentUpload{}, errMultipart
	}
	var up vendors.DocumentUpload
	var file []byte
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *stdhttp.MaxBytesError
			if errors.As(err, &mbe) {
				return up, err
			}
			return up, errMultipart
		}
		name := part.FormName()
		if seen[name] {
			return up, commerce.Invalid(commerce.FieldError{Field: name, Message: "is given more than once"})
		}
		seen[name] = true
		switch name {
		case "type":
			b, err := readPart(part, 64)
			if err != nil {
				return up, err
			}
			up.Type = strings.TrimSpace(string(b))
		case "file":
			up.FileName = part.FileName()
			if file, err = readPart(part, -1); err != nil {
				return up, err
			}
		default:
			return up, commerce.Invalid(commerce.FieldError{Field: name, Message: "unknown field"})
		}
	}
	var v commerce.Validator
	v.Check(seen["type"], "type", "is required")
	v.Check(seen["file"], "file", "is required")
	if err := v.Err(); err != nil {
		return up, err
	}
	up.Body = bytes.NewReader(file)
	return up, nil
}

// readPart reads a part whole, at most max bytes when max >= 0.
func readPart(p *multipart.Part, max int64) ([]byte, error) {
	r := io.Reader(p)
	if max >= 0 {
		r = io.LimitReader(p, max+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		var mbe *stdhttp.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errMultipart
	}
	if max >= 0 && int64(len(b)) > max {
		return nil, commerce.Invalid(commerce.FieldError{Field: p.FormName(), Message: "is too long"})
	}
	return b, nil
}
