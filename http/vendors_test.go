package http_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/vendors"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

var kycPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// upload builds a multipart body with the given fields (name → value; "file" is sent as a
// file part named license.pdf) and returns it with its Content-Type header.
func upload(t testing.TB, fields map[string][]byte, token string) ([]byte, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range []string{"type", "file", "extra"} {
		v, ok := fields[name]
		if !ok {
			continue
		}
		var err error
		if name == "file" {
			var fw interface{ Write([]byte) (int, error) }
			fw, err = w.CreateFormFile("file", "../license.pdf")
			if err == nil {
				_, err = fw.Write(v)
			}
		} else {
			err = w.WriteField(name, string(v))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Content-Type": w.FormDataContentType()}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return buf.Bytes(), h
}

type vendorBody struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
	Documents    []struct {
		ID string `json:"id"`
	} `json:"documents"`
}

func vendorApplication(name string) map[string]any {
	return map[string]any{"name": name, "legal_name": name + " LLC", "tax_id": "301234567", "country": "UZ",
		"contact_email": "sales@example.com", "phone": "+998 71 123 45 67", "description": "Hand-made goods."}
}

// refresh signs u in again with its refresh token, so its access token carries its
// current role.
func refresh(t testing.TB, a *apptest.App, u *apptest.User) {
	t.Helper()
	r := a.Do(t, "POST", "/api/v1/auth/refresh-token", map[string]string{"refresh_token": u.Refresh}, nil)
	if r.Status != 200 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		User         struct {
			Role auth.Role `json:"role"`
		} `json:"user"`
	}
	r.JSON(t, &out)
	u.Token, u.Refresh, u.Role = out.AccessToken, out.RefreshToken, out.User.Role
}

// newVendor registers a vendor for a new customer, optionally has it approved by admin, and
// returns the user (signed in again as VENDOR) and the vendor's ID.
func newVendor(t testing.TB, a *apptest.App, admin apptest.User, name string, approve bool) (apptest.User, string) {
	t.Helper()
	u := a.NewUser(t, auth.RoleCustomer)
	r := a.Do(t, "POST", "/api/v1/vendors", vendorApplication(name), u.Bearer())
	if r.Status != 201 {
		t.Fatalf("apply: %d %s", r.Status, r.Body)
	}
	var v vendorBody
	r.JSON(t, &v)
	if approve {
		body, h := upload(t, map[string][]byte{"type": []byte("business_license"), "file": kycPDF}, u.Token)
		if r := a.Do(t, "POST", "/api/v1/vendors/"+v.ID+"/documents", body, h); r.Status != 201 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		if r := a.Do(t, "POST", "/api/v1/admin/vendors/"+v.ID+"/approve", nil, admin.Bearer()); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
	}
	refresh(t, a, &u)
	return u, v.ID
}

func vendorProductBody(sku, vendorID string) map[string]any {
	b := map[string]any{"title": "Suzani " + sku, "variants": []map[string]any{
		{"sku": sku, "price": map[string]any{"amount": 5000, "currency": "USD"}, "stock": 5}}}
	if vendorID != "" {
		b["vendor_id"] = vendorID
	}
	return b
}

func TestVendorAPI(t *testing.T) {
	a := apptest.New(t)
	ann := a.NewUser(t, auth.RoleCustomer)
	bob := a.NewUser(t, auth.RoleCustomer)
	admin := a.NewUser(t, auth.RoleAdmin)
	carl, carlVendor := newVendor(t, a, admin, "Carl Carpets", true)
	dave, _ := newVendor(t, a, admin, "Dave Dyes", false)
	none := map[string]int{}
	sum := sha256.Sum256(kycPDF)
	blobID := hex.EncodeToString(sum[:])

	var v vendorBody
	var docID, productID, variantID string
	url := func() string { return "/api/v1/vendors/" + v.ID }
	pdf, pdfHeaders := upload(t, map[string][]byte{"type": []byte("tax_certificate"), "file": kycPDF}, ann.Token)
	html, htmlHeaders := upload(t, map[string][]byte{"type": []byte("other"), "file": []byte("<html><script>alert(1)</script>")}, ann.Token)
	noType, noTypeHeaders := upload(t, map[string][]byte{"file": kycPDF}, ann.Token)
	extra, extraHeaders := upload(t, map[string][]byte{"type": []byte("other"), "file": kycPDF, "extra": []byte("x")}, ann.Token)
	badType, badTypeHeaders := upload(t, map[string][]byte{"type": []byte("selfie"), "file": kycPDF}, ann.Token)
	bobPDF, bobPDFHeaders := upload(t, map[string][]byte{"type": []byte("other"), "file": kycPDF}, bob.Token)

	apptest.Run(t, a, []apptest.Scenario{
		{Name: "anonymous cannot apply", Method: "POST", URL: "/api/v1/vendors", Body: vendorApplication("Ann Arts"),
			ExpectedStatus: 401, ExpectedEvents: none},
		{Name: "staff cannot apply", Method: "POST", URL: "/api/v1/vendors", Body: vendorApplication("Ann Arts"), Headers: admin.Bearer(),
			ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "an application missing its fields", Method: "POST", URL: "/api/v1/vendors", Headers: ann.Bearer(),
			Body: map[string]any{"name": "Ann Arts", "country": "XX", "contact_email": "nope"}, ExpectedStatus: 422, ExpectedEvents: none,
			ExpectedContent: []string{`"field":"legal_name"`, `"field":"tax_id"`, `"field":"country"`, `"field":"contact_email"`}},
		{Name: "an application naming its status", Method: "POST", URL: "/api/v1/vendors", Headers: ann.Bearer(),
			Body: with(vendorApplication("Ann Arts"), "status", "APPROVED"), ExpectedStatus: 422, ExpectedEvents: none,
			ExpectedContent: []string{`"field":"status"`, "unknown field"}},
		{Name: "apply", Method: "POST", URL: "/api/v1/vendors", Body: vendorApplication("Ann Arts"), Headers: ann.Bearer(),
			ExpectedStatus: 201, ExpectedEvents: map[string]int{vendors.EventRegistered: 1, auth.EventUserUpdated: 1},
			ExpectedContent: []string{`"status":"PENDING"`, `"slug":"ann-arts"`, `"owner_user_id":"` + ann.ID, `"next_statuses":["APPROVED","REJECTED"]`},
			ExpectedHeaders: map[string]string{"ETag": `"1"`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				r.JSON(t, &v)
				refresh(t, a, &ann)
				if ann.Role != auth.RoleVendor {
					t.Fatalf("ann's role after applying: %s", ann.Role)
				}
			}},
		{Name: "one vendor per account", Method: "POST", URL: "/api/v1/vendors", Body: vendorApplication("Ann Again"), Headers: ann.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"vendor_exists"`}, ExpectedEvents: none},
		{Name: "the owner reads the vendor", Method: "GET", URL: "/api/v1/vendor", Headers: ann.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{`"tax_id":"301234567"`}},
	})
	// The URLs below need the vendor's ID.
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "another customer does not see a pending vendor", Method: "GET", URL: url(), Headers: bob.Bearer(), ExpectedStatus: 404},
		{Name: "nor does the public", Method: "GET", URL: url(), ExpectedStatus: 404},
		{Name: "a reviewer sees it all", Method: "GET", URL: url(), Headers: admin.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"legal_name":"Ann Arts LLC"`, `"contact_email":"sales@example.com"`}},
		{Name: "upload an HTML page as a PDF", Method: "POST", URL: url() + "/documents", Body: html, Headers: htmlHeaders,
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"unsupported_media_type"`}, ExpectedEvents: none},
		{Name: "upload without a type", Method: "POST", URL: url() + "/documents", Body: noType, Headers: noTypeHeaders,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"type"`}, ExpectedEvents: none},
		{Name: "upload with an unknown type", Method: "POST", URL: url() + "/documents", Body: badType, Headers: badTypeHeaders,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"type"`}, ExpectedEvents: none},
		{Name: "upload with an unknown field", Method: "POST", URL: url() + "/documents", Body: extra, Headers: extraHeaders,
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"extra"`}, ExpectedEvents: none},
		{Name: "upload JSON", Method: "POST", URL: url() + "/documents", Body: map[string]string{"type": "other"}, Headers: ann.Bearer(),
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"unsupported_media_type"`}, ExpectedEvents: none},
		{Name: "another customer uploads to it", Method: "POST", URL: url() + "/documents", Body: bobPDF, Headers: bobPDFHeaders,
			ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "upload a PDF", Method: "POST", URL: url() + "/documents", Body: pdf, Headers: pdfHeaders,
			ExpectedStatus: 201, ExpectedEvents: map[string]int{vendors.EventDocumentAdded: 1},
			ExpectedContent:    []string{`"type":"tax_certificate"`, `"content_type":"application/pdf"`, `"file_name":"license.pdf"`},
			NotExpectedContent: []string{"blob", blobID},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var d struct{ ID string }
				r.JSON(t, &d)
				docID = d.ID
			}},
	})
	docURL := url() + "/documents/" + docID
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "the owner lists the documents", Method: "GET", URL: url() + "/documents", Headers: ann.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{docID}, NotExpectedContent: []string{blobID}},
		{Name: "a reviewer lists them", Method: "GET", URL: url() + "/documents", Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedContent: []string{docID}},
		{Name: "another customer cannot", Method: "GET", URL: url() + "/documents", Headers: bob.Bearer(), ExpectedStatus: 404},
		{Name: "another vendor cannot", Method: "GET", URL: url() + "/documents", Headers: carl.Bearer(), ExpectedStatus: 404},
		{Name: "anonymous cannot", Method: "GET", URL: url() + "/documents", ExpectedStatus: 401},
		{Name: "the owner downloads it", Method: "GET", URL: docURL, Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedHeaders: map[string]string{"Content-Type": "application/pdf", "Cache-Control": "private, no-store",
				"Content-Disposition": `attachment; filename=license.pdf`},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				if !bytes.Equal(r.Body, kycPDF) {
					t.Errorf("downloaded %q", r.Body)
				}
			}},
		{Name: "a reviewer downloads it", Method: "GET", URL: docURL, Headers: admin.Bearer(), ExpectedStatus: 200},
		{Name: "another customer cannot download it", Method: "GET", URL: docURL, Headers: bob.Bearer(), ExpectedStatus: 404},
		{Name: "an unknown document", Method: "GET", URL: url() + "/documents/" + commerce.NewID(), Headers: ann.Bearer(), ExpectedStatus: 404},
		{Name: "the private file is not public media", Method: "GET", URL: "/api/v1/media/" + blobID, ExpectedStatus: 404},
		{Name: "nor a variant of it", Method: "GET", URL: "/api/v1/media/" + blobID + "/thumb", ExpectedStatus: 404},
		{Name: "a pending vendor cannot publish", Method: "POST", URL: "/api/v1/products", Body: vendorProductBody("ANN-1", ""), Headers: ann.Bearer(),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"vendor_not_approved"`}, ExpectedEvents: none},
		{Name: "a customer cannot review", Method: "GET", URL: "/api/v1/admin/vendors?status=PENDING", Headers: bob.Bearer(), ExpectedStatus: 403},
		{Name: "a vendor cannot approve itself", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/approve", Headers: ann.Bearer(), ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "pending vendors for review", Method: "GET", URL: "/api/v1/admin/vendors?status=PENDING", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedContent: []string{v.ID}, NotExpectedContent: []string{carlVendor}},
		{Name: "an unknown status filter", Method: "GET", URL: "/api/v1/admin/vendors?status=LIMBO", Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"status"`}},
		{Name: "reject without a reason", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/reject", Body: map[string]string{"reason": " "},
			Headers: admin.Bearer(), ExpectedStatus: 422, ExpectedContent: []string{`"field":"reason"`}, ExpectedEvents: none},
		{Name: "reject with a reason too long", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/reject",
			Body: map[string]string{"reason": strings.Repeat("r", 501)}, Headers: admin.Bearer(), ExpectedStatus: 422,
			ExpectedContent: []string{`"field":"reason"`}, ExpectedEvents: none},
		{Name: "reject with a stale If-Match", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/reject", Body: map[string]string{"reason": "x"},
			Headers: map[string]string{"Authorization": "Bearer " + admin.Token, "If-Match": `"1"`}, ExpectedStatus: 412, ExpectedEvents: none},
		{Name: "reject", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/reject", Body: map[string]string{"reason": "The tax certificate is expired"},
			Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedEvents: map[string]int{vendors.EventRejected: 1},
			ExpectedContent: []string{`"status":"REJECTED"`, `"status_reason":"The tax certificate is expired"`, `"actor":"user:` + admin.ID}},
		{Name: "approve a rejected vendor", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/approve", Headers: admin.Bearer(),
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"illegal_transition"`}, ExpectedEvents: none},
		{Name: "the owner sees the reason", Method: "GET", URL: url(), Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{"The tax certificate is expired"}},
		{Name: "a rejected vendor may add documents", Method: "POST", URL: url() + "/documents", Body: pdf, Headers: pdfHeaders,
			ExpectedStatus: 201, ExpectedEvents: map[string]int{vendors.EventDocumentAdded: 1}},
		{Name: "someone else cannot re-submit it", Method: "POST", URL: url() + "/resubmit", Headers: bob.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "re-submit", Method: "POST", URL: url() + "/resubmit", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedEvents: map[string]int{vendors.EventResubmitted: 1}, ExpectedContent: []string{`"status":"PENDING"`}},
		{Name: "re-submit twice", Method: "POST", URL: url() + "/resubmit", Headers: ann.Bearer(), ExpectedStatus: 409, ExpectedEvents: none},
		{Name: "approve", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/approve", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: map[string]int{vendors.EventApproved: 1}, ExpectedContent: []string{`"status":"APPROVED"`}},
		{Name: "the public sees an approved vendor's public fields", Method: "GET", URL: url(), ExpectedStatus: 200,
			ExpectedContent:    []string{`"name":"Ann Arts"`, `"status":"APPROVED"`},
			NotExpectedContent: []string{"tax_id", "owner_user_id", "legal_name", "contact_email", "documents", "history"}},
		{Name: "documents are locked once approved", Method: "POST", URL: url() + "/documents", Body: pdf, Headers: pdfHeaders,
			ExpectedStatus: 409, ExpectedContent: []string{`"code":"documents_locked"`}, ExpectedEvents: none},
		{Name: "the vendor creates a product naming another vendor", Method: "POST", URL: "/api/v1/products",
			Body: vendorProductBody("ANN-1", carlVendor), Headers: ann.Bearer(), ExpectedStatus: 201,
			ExpectedEvents:  map[string]int{catalog.EventProductCreated: 1},
			ExpectedContent: []string{`"vendor_id":"` + v.ID + `"`}, NotExpectedContent: []string{carlVendor},
			After: func(t testing.TB, a *apptest.App, r *apptest.Response) {
				var p struct {
					ID       string `json:"id"`
					Variants []struct {
						ID string `json:"id"`
					} `json:"variants"`
				}
				r.JSON(t, &p)
				productID, variantID = p.ID, p.Variants[0].ID
			}},
	})
	prodURL := "/api/v1/products/" + productID
	update := vendorProductBody("ANN-1", carlVendor)
	update["variants"].([]map[string]any)[0]["id"] = variantID
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "the product shows its vendor", Method: "GET", URL: prodURL, ExpectedStatus: 200, ExpectedContent: []string{`"vendor_id":"` + v.ID + `"`}},
		{Name: "another vendor cannot change it", Method: "PUT", URL: prodURL, Body: update, Headers: carl.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "another vendor cannot delete it", Method: "DELETE", URL: prodURL, Headers: carl.Bearer(), ExpectedStatus: 404, ExpectedEvents: none},
		{Name: "a pending vendor cannot change it", Method: "PUT", URL: prodURL, Body: update, Headers: dave.Bearer(),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"vendor_not_approved"`}, ExpectedEvents: none},
		{Name: "a customer cannot write products", Method: "POST", URL: "/api/v1/products", Body: vendorProductBody("BOB-1", ""), Headers: bob.Bearer(),
			ExpectedStatus: 403, ExpectedEvents: none},
		{Name: "the owner changes it and cannot move it to another vendor", Method: "PUT", URL: prodURL, Body: update, Headers: ann.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: map[string]int{catalog.EventProductUpdated: 1},
			ExpectedContent: []string{`"vendor_id":"` + v.ID + `"`}, NotExpectedContent: []string{carlVendor}},
		{Name: "staff name a vendor that does not exist", Method: "POST", URL: "/api/v1/products", Body: vendorProductBody("ADM-1", commerce.NewID()),
			Headers: admin.Bearer(), ExpectedStatus: 422, ExpectedContent: []string{`"field":"vendor_id"`}, ExpectedEvents: none},
		{Name: "staff file a product under a vendor", Method: "POST", URL: "/api/v1/products", Body: vendorProductBody("CARL-1", carlVendor),
			Headers: admin.Bearer(), ExpectedStatus: 201, ExpectedContent: []string{`"vendor_id":"` + carlVendor + `"`},
			ExpectedEvents: map[string]int{catalog.EventProductCreated: 1}},
		{Name: "a customer has no vendor orders", Method: "GET", URL: "/api/v1/vendor/orders", Headers: bob.Bearer(), ExpectedStatus: 403},
	})

	// A guest buys from the vendor and the shop; the vendor sees only its own lines.
	shopVariants := seedProduct(t, a, catalog.StatusActive, "USD", 5)
	cartID := newCart(t, a, nil)
	addItem(t, a, cartID, variantID, 2, nil)
	addItem(t, a, cartID, shopVariants[0], 1, nil)
	apptest.Run(t, a, []apptest.Scenario{
		{Name: "check out", Method: "POST", URL: "/api/v1/orders", Body: checkoutBody(cartID), ExpectedStatus: 201,
			ExpectedEvents: map[string]int{orders.EventPlaced: 1}, ExpectedContent: []string{`"vendor_id":"` + v.ID + `"`}},
		{Name: "the vendor's orders", Method: "GET", URL: "/api/v1/vendor/orders", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent:    []string{`"sku":"ANN-1"`, `"quantity":2`, `"status":"PENDING"`, `"number":`, `"subtotal":{"amount":10000,"currency":"USD"}`},
			NotExpectedContent: []string{"guest@example.com", "TEA-", "shipping_address", "Tashkent"}},
		{Name: "another vendor has none", Method: "GET", URL: "/api/v1/vendor/orders", Headers: carl.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"items":[]`}},
		{Name: "suspend without a reason", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/suspend", Body: map[string]string{}, Headers: admin.Bearer(),
			ExpectedStatus: 422, ExpectedContent: []string{`"field":"reason"`}, ExpectedEvents: none},
		{Name: "suspend", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/suspend", Body: map[string]string{"reason": "counterfeits"},
			Headers: admin.Bearer(), ExpectedStatus: 200, ExpectedEvents: map[string]int{vendors.EventSuspended: 1}},
		{Name: "a suspended vendor cannot write products", Method: "DELETE", URL: prodURL, Headers: ann.Bearer(),
			ExpectedStatus: 403, ExpectedContent: []string{`"code":"vendor_not_approved"`}, ExpectedEvents: none},
		{Name: "nor is it public", Method: "GET", URL: url(), ExpectedStatus: 404},
		{Name: "a suspended vendor still sees its orders", Method: "GET", URL: "/api/v1/vendor/orders", Headers: ann.Bearer(), ExpectedStatus: 200,
			ExpectedContent: []string{`"sku":"ANN-1"`}},
		{Name: "reinstate", Method: "POST", URL: "/api/v1/admin/vendors/" + v.ID + "/approve", Headers: admin.Bearer(),
			ExpectedStatus: 200, ExpectedEvents: map[string]int{vendors.EventApproved: 1}},
		{Name: "the owner deletes its product", Method: "DELETE", URL: prodURL, Headers: ann.Bearer(),
			ExpectedStatus: 204, ExpectedEvents: map[string]int{catalog.EventProductDeleted: 1}},
	})
}

func TestVendorDocumentUploadLimit(t *testing.T) {
	a := apptest.New(t, func(c *config.Config) { c.Media.MaxUpload = 2 * config.MiB })
	ann := a.NewUser(t, auth.RoleCustomer)
	r := a.Do(t, "POST", "/api/v1/vendors", vendorApplication("Big Files"), ann.Bearer())
	var v vendorBody
	r.JSON(t, &v)
	// Over the server's 1 MiB body limit but within media.max_upload: accepted.
	big := append(append([]byte{}, kycPDF...), bytes.Repeat([]byte("0"), 1500<<10)...)
	body, h := upload(t, map[string][]byte{"type": []byte("bank_statement"), "file": big}, ann.Token)
	if r := a.Do(t, "POST", "/api/v1/vendors/"+v.ID+"/documents", body, h); r.Status != 201 {
		t.Fatalf("1.5 MiB document: %d %s", r.Status, r.Body)
	}
	// Over media.max_upload: 413.
	huge := append(append([]byte{}, kycPDF...), bytes.Repeat([]byte("0"), 2<<20)...)
	body, h = upload(t, map[string][]byte{"type": []byte("bank_statement"), "file": huge}, ann.Token)
	if r := a.Do(t, "POST", "/api/v1/vendors/"+v.ID+"/documents", body, h); r.Status != 413 {
		t.Fatalf("2 MiB document: %d %s", r.Status, r.Body)
	}
	// Other routes keep the server's limit.
	if r := a.Do(t, "POST", "/api/v1/vendors", string(bytes.Repeat([]byte(" "), 1500<<10))+"{}", ann.Bearer()); r.Status != 413 {
		t.Errorf("1.5 MiB JSON body: %d", r.Status)
	}
}
