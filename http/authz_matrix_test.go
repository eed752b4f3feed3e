package http_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// The actors of the authorization matrix, in the order of authzRow.want.
const (
	anon = iota
	custA
	custB // acts on A's resources
	vend
	admin
	super
	nActors
)

var actorNames = [nActors]string{"anonymous", "customer A", "customer B", "vendor", "admin", "super admin"}

// authzReq is one concrete request of a row: the route's path with its parameters filled in.
type authzReq struct {
	path   string
	body   any
	header map[string]string
}

// authzRow is what each actor gets from one route. build makes the request for one actor,
// creating what it acts on first when the request uses it up (a deleted product, a revoked
// session); fresh asks for a new session of the actor for this request, for routes that end
// the caller's session.
type authzRow struct {
	want  [nActors]int
	build func(t *testing.T, f *authzFixture, who int) authzReq
	fresh bool
}

// authzFixture holds the actors and the resources the rows act on. A's resources are what
// B must not reach (OWASP API1, broken object-level authorization).
type authzFixture struct {
	a        *apptest.App
	users    [nActors]apptest.User
	variant  string // an active variant with plenty of stock
	product  string
	category string
	cartA    string // A's account cart, with one line
	lineA    string
	orderA   string // A's order
	addressA string // an address in A's address book
	vendorV  string // the vendor actor's own vendor (PENDING, with one KYC document)
	docV     string
	png      []byte // a small image
	roles    [nActors]auth.Role
	media    string
	seq      atomic.Int64
}

func (f *authzFixture) n() int64 { return f.seq.Add(1) }

// must sends a request as who (anonymous for anon) and fails unless it answers want;
// it decodes the answer into out when out is not nil.
func (f *authzFixture) must(t *testing.T, who int, method, path string, body any, want int, out any) {
	t.Helper()
	var h map[string]string
	if who != anon {
		h = f.users[who].Bearer()
	}
	r := f.a.Do(t, method, path, body, h)
	if r.Status != want {
		t.Fatalf("setup %s %s as %s: %d, want %d\n%s", method, path, actorNames[who], r.Status, want, r.Body)
	}
	if out != nil {
		r.JSON(t, out)
	}
}

// cart makes a cart of who (a guest cart for anon) holding one line; it returns the cart and
// line IDs.
func (f *authzFixture) cart(t *testing.T, who int) (string, string) {
	t.Helper()
	var c struct {
		ID    string `json:"id"`
		Lines []struct {
			ID string `json:"id"`
		} `json:"lines"`
	}
	f.must(t, who, "POST", "/api/v1/carts", nil, 201, &c)
	f.must(t, who, "POST", "/api/v1/carts/"+c.ID+"/items", map[string]any{"variant_id": f.variant, "quantity": 1}, 200, &c)
	return c.ID, c.Lines[0].ID
}

// order checks out a new cart of who and returns the order ID.
func (f *authzFixture) order(t *testing.T, who int) string {
	t.Helper()
	cart, _ := f.cart(t, who)
	var o struct {
		ID string `json:"id"`
	}
	f.must(t, who, "POST", "/api/v1/orders", checkoutBody(cart), 201, &o)
	return o.ID
}

var matrixAddress = map[string]any{"name": "Ann Lee", "line1": "1 Main St", "city": "Tashkent", "country": "UZ", "postal_code": "100000"}

// address adds an address to who's address book and returns its ID.
func (f *authzFixture) address(t *testing.T, who int) string {
	t.Helper()
	var a struct {
		ID string `json:"id"`
	}
	f.must(t, who, "POST", "/api/v1/auth/profile/addresses", matrixAddress, 201, &a)
	return a.ID
}

// throwaway signs in a new account with who's role, for rows that use the caller's account
// up (deleting it); anon stays anonymous.
func (f *authzFixture) throwaway(t *testing.T, who int, req authzReq) authzReq {
	t.Helper()
	if who == anon {
		return req
	}
	n := f.n()
	email, password := fmt.Sprintf("throwaway%d@example.com", n), fmt.Sprintf("throwaway passphrase %d", n)
	if _, err := f.a.Auth.CreateUser(context.Background(), auth.CreateUserInput{Email: email, Password: password, Name: "Throwaway", Role: f.roles[who]}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	f.must(t, anon, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, 200, &out)
	req.header = apptest.Bearer(out.AccessToken)
	// A body that is only {"password": ""} asks for the new account's password.
	if body, ok := req.body.(map[string]string); ok && body["password"] == "" && len(body) == 1 {
		body["password"] = password
	}
	return req
}

// document is a multipart KYC upload of the small image.
func (f *authzFixture) document(t *testing.T) ([]byte, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("type", "business_license"); err != nil {
		t.Fatal(err)
	}
	fw, err := w.CreateFormFile("file", "license.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(f.png)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), map[string]string{"Content-Type": w.FormDataContentType()}
}

// apply registers a vendor for the account of bearer and uploads one KYC document; it returns
// the vendor and document IDs.
func (f *authzFixture) apply(t *testing.T, bearer map[string]string) (string, string) {
	t.Helper()
	n := f.n()
	r := f.a.Do(t, "POST", "/api/v1/vendors", map[string]string{"name": fmt.Sprintf("Matrix Shop %d", n), "legal_name": fmt.Sprintf("Matrix Shop %d LLC", n),
		"tax_id": fmt.Sprintf("TAX%06d", n), "country": "UZ", "contact_email": fmt.Sprintf("shop%d@example.com", n)}, bearer)
	var v struct {
		ID string `json:"id"`
	}
	if r.Status != 201 {
		t.Fatalf("setup: apply as vendor: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &v)
	body, h := f.document(t)
	for k, x := range bearer {
		h[k] = x
	}
	r = f.a.Do(t, "POST", "/api/v1/vendors/"+v.ID+"/documents", body, h)
	if r.Status != 201 {
		t.Fatalf("setup: upload a document: %d %s", r.Status, r.Body)
	}
	var d struct {
		ID string `json:"id"`
	}
	r.JSON(t, &d)
	return v.ID, d.ID
}

// newVendor makes a vendor of a new account in the given status (PENDING, APPROVED or
// REJECTED) and returns it with its owner's Authorization header.
func (f *authzFixture) newVendor(t *testing.T, status string) (string, map[string]string) {
	t.Helper()
	req := f.throwaway(t, custA, authzReq{})
	id, _ := f.apply(t, req.header)
	switch status {
	case "APPROVED":
		f.must(t, admin, "POST", "/api/v1/admin/vendors/"+id+"/approve", nil, 200, nil)
	case "REJECTED":
		f.must(t, admin, "POST", "/api/v1/admin/vendors/"+id+"/reject", map[string]string{"reason": "unreadable licence"}, 200, nil)
	}
	return id, req.header
}

func (f *authzFixture) newProduct(t *testing.T) string {
	t.Helper()
	var p struct {
		ID string `json:"id"`
	}
	n := f.n()
	stock := int64(1_000_000)
	f.must(t, admin, "POST", "/api/v1/products", map[string]any{"title": fmt.Sprintf("Matrix tea %d", n),
		"variants": []map[string]any{{"sku": fmt.Sprintf("MTX-%d", n), "price": map[string]any{"amount": 500, "currency": "USD"}, "stock": stock}}}, 201, &p)
	return p.ID
}

// newProductImage makes a product with one uploaded image and returns the image's path.
func (f *authzFixture) newProductImage(t *testing.T) string {
	t.Helper()
	path := "/api/v1/products/" + f.newProduct(t) + "/images"
	body, h := imageUpload(t, &f.users[admin], f.png)
	r := f.a.Do(t, "POST", path, body, h)
	if r.Status != 201 {
		t.Fatalf("setup: upload a product image: %d %s", r.Status, r.Body)
	}
	var img struct {
		ID string `json:"id"`
	}
	r.JSON(t, &img)
	return path + "/" + img.ID
}

func (f *authzFixture) newCategory(t *testing.T) string {
	t.Helper()
	var c struct {
		ID string `json:"id"`
	}
	f.must(t, admin, "POST", "/api/v1/categories", map[string]any{"name": fmt.Sprintf("Matrix %d", f.n())}, 201, &c)
	return c.ID
}

// newCustomer creates an account nobody is signed in to, for the admin rows to act on.
func (f *authzFixture) newCustomer(t *testing.T) string {
	t.Helper()
	u, err := f.a.Auth.CreateUser(context.Background(), auth.CreateUserInput{
		Email: fmt.Sprintf("target%d@example.com", f.n()), Password: "violet-harbor-917", Name: "Target"})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// login signs who in again through the API and returns the new pair.
func (f *authzFixture) login(t *testing.T, who int) (access, refresh, session string) {
	t.Helper()
	u := f.users[who]
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	f.must(t, anon, "POST", "/api/v1/auth/login", map[string]string{"email": u.Email, "password": u.Password}, 200, &out)
	p, err := f.a.Tokens.VerifyAccess(context.Background(), out.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	return out.AccessToken, out.RefreshToken, p.SessionID
}

func newAuthzFixture(t *testing.T) *authzFixture {
	f := &authzFixture{a: apptest.New(t)}
	f.roles = [nActors]auth.Role{"", auth.RoleCustomer, auth.RoleCustomer, auth.RoleVendor, auth.RoleAdmin, auth.RoleSuperAdmin}
	for who := custA; who < nActors; who++ {
		f.users[who] = f.a.NewUser(t, f.roles[who])
	}
	f.product = f.newProduct(t)
	var p struct {
		Variants []struct {
			ID string `json:"id"`
		} `json:"variants"`
	}
	f.must(t, anon, "GET", "/api/v1/products/"+f.product, nil, 200, &p)
	f.variant = p.Variants[0].ID
	f.category = f.newCategory(t)
	f.cartA, f.lineA = f.cart(t, custA)
	f.orderA = f.order(t, custA)
	f.addressA = f.address(t, custA)

	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	f.png = bytes.Clone(buf.Bytes())
	f.vendorV, f.docV = f.apply(t, f.users[vend].Bearer())
	m, err := f.a.Media.Put(context.Background(), &buf, "matrix")
	if err != nil {
		t.Fatal(err)
	}
	f.media = m.ID
	return f
}

// Shorthands for the want arrays.
var (
	allOK     = func(s int) [nActors]int { return [nActors]int{s, s, s, s, s, s} }
	signedIn  = func(s int) [nActors]int { return [nActors]int{401, s, s, s, s, s} }
	staffOnly = func(s int) [nActors]int { return [nActors]int{401, 403, 403, 403, s, s} }
	superOnly = func(s int) [nActors]int { return [nActors]int{401, 403, 403, 403, 403, s} }
	// ownerOrStaff is for A's resources: B and the vendor get 404 (the resource's existence
	// is not revealed), like a stranger.
	ownerOrStaff = func(s, stranger int) [nActors]int { return [nActors]int{stranger, s, stranger, stranger, s, s} }
)

// fixed returns a build that sends the same request for everyone.
func fixed(path string, body any) func(*testing.T, *authzFixture, int) authzReq {
	return func(*testing.T, *authzFixture, int) authzReq { return authzReq{path: path, body: body} }
}

// authzParts are more rows of the matrix, one function per resource file
// (authz_<resource>_test.go adds its own in an init function).
var authzParts []func() map[string]authzRow

// authzRows is the matrix: one row per route, keyed "METHOD path" as registered.
func authzRows() map[string]authzRow {
	rows := authzCoreRows()
	for _, part := range authzParts {
		for k, r := range part() {
			if _, dup := rows[k]; dup {
				panic("authorization matrix: two rows for " + k)
			}
			rows[k] = r
		}
	}
	return rows
}

// authzCoreRows are the rows of the routes before the commerce engine.
func authzCoreRows() map[string]authzRow {
	strongPassword := "violet-harbor-917"
	return map[string]authzRow{
		// System and documents: public.
		"GET /healthz":             {want: allOK(200), build: fixed("/healthz", nil)},
		"GET /readyz":              {want: allOK(200), build: fixed("/readyz", nil)},
		"GET /metrics":             {want: allOK(200), build: fixed("/metrics", nil)},
		"GET /api/v1/openapi.json": {want: allOK(200), build: fixed("/api/v1/openapi.json", nil)},
		"GET /api/v1/media/:id":    {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq { return authzReq{path: "/api/v1/media/" + f.media} }},
		"GET /api/v1/media/:id/:variant": {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/media/" + f.media + "/thumb"}
		}},

		// Sign-in: open to anyone with the right credentials; the account routes need a session.
		"POST /api/v1/auth/register": {want: allOK(202), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/auth/register", body: map[string]string{"email": fmt.Sprintf("reg%d@example.com", f.n()), "password": strongPassword, "name": "Reg"}}
		}},
		// Account recovery (http/auth_recovery.go): the mail routes answer everyone alike;
		// change-password with a weak new password shows who gets past the guard (422).
		"POST /api/v1/auth/change-password": {want: signedIn(422), build: func(_ *testing.T, f *authzFixture, who int) authzReq {
			return authzReq{path: "/api/v1/auth/change-password", body: map[string]string{"current_password": f.users[who].Password, "new_password": "short"}}
		}},
		"POST /api/v1/auth/password-reset/request": {want: allOK(202), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/auth/password-reset/request", body: map[string]string{"email": fmt.Sprintf("nobody%d@example.com", f.n())}}
		}},
		"POST /api/v1/auth/password-reset": {want: allOK(400), build: fixed("/api/v1/auth/password-reset",
			map[string]string{"token": strings.Repeat("x", 43), "new_password": strongPassword})},
		"GET /api/v1/auth/verify-email/:token":  {want: allOK(400), build: fixed("/api/v1/auth/verify-email/"+strings.Repeat("x", 43), nil)},
		"POST /api/v1/auth/verify-email/resend": {want: signedIn(202), build: fixed("/api/v1/auth/verify-email/resend", nil)},
		// Two-factor sign-in (http/auth_2fa.go): empty codes show who gets past the guard (422).
		"POST /api/v1/auth/login/2fa":          {want: allOK(422), build: fixed("/api/v1/auth/login/2fa", map[string]string{"mfa_token": "", "code": ""})},
		"POST /api/v1/auth/2fa/enroll":         {want: signedIn(200), build: fixed("/api/v1/auth/2fa/enroll", nil)},
		"POST /api/v1/auth/2fa/confirm":        {want: signedIn(422), build: fixed("/api/v1/auth/2fa/confirm", map[string]string{"code": ""})},
		"POST /api/v1/auth/2fa/disable":        {want: signedIn(422), build: fixed("/api/v1/auth/2fa/disable", map[string]string{"password": "", "code": ""})},
		"POST /api/v1/auth/2fa/recovery-codes": {want: signedIn(422), build: fixed("/api/v1/auth/2fa/recovery-codes", map[string]string{"code": ""})},
		"POST /api/v1/auth/login": {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			u := f.users[custA]
			return authzReq{path: "/api/v1/auth/login", body: map[string]string{"email": u.Email, "password": u.Password}}
		}},
		"POST /api/v1/auth/refresh-token": {want: allOK(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			_, refresh, _ := f.login(t, custA)
			return authzReq{path: "/api/v1/auth/refresh-token", body: map[string]string{"refresh_token": refresh}}
		}},
		"POST /api/v1/auth/logout":  {want: signedIn(204), fresh: true, build: fixed("/api/v1/auth/logout", nil)},
		"GET /api/v1/auth/profile":  {want: signedIn(200), build: fixed("/api/v1/auth/profile", nil)},
		"PUT /api/v1/auth/profile":  {want: signedIn(200), build: fixed("/api/v1/auth/profile", map[string]string{"name": "Renamed"})},
		"GET /api/v1/auth/sessions": {want: signedIn(200), build: fixed("/api/v1/auth/sessions", nil)},
		"DELETE /api/v1/auth/sessions/:id": {want: ownerOrStaffNot(204, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			_, _, sid := f.login(t, custA) // a session of A's, not the one asking
			return authzReq{path: "/api/v1/auth/sessions/" + sid}
		}},

		// The customer's own data (http/customers.go): /auth/profile/... is always the caller's;
		// A's address ID answers 404 to anyone else, staff included (they use /admin/customers).
		"GET /api/v1/auth/profile/addresses":  {want: signedIn(200), build: fixed("/api/v1/auth/profile/addresses", nil)},
		"POST /api/v1/auth/profile/addresses": {want: signedIn(201), build: fixed("/api/v1/auth/profile/addresses", matrixAddress)},
		"GET /api/v1/auth/profile/addresses/:id": {want: ownerOrStaffNot(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/auth/profile/addresses/" + f.addressA}
		}},
		"PUT /api/v1/auth/profile/addresses/:id": {want: ownerOrStaffNot(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/auth/profile/addresses/" + f.addressA, body: matrixAddress}
		}},
		"DELETE /api/v1/auth/profile/addresses/:id": {want: ownerOrStaffNot(204, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/auth/profile/addresses/" + f.address(t, custA)}
		}},
		"POST /api/v1/auth/profile/addresses/:id/default": {want: ownerOrStaffNot(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/auth/profile/addresses/" + f.addressA + "/default"}
		}},
		"GET /api/v1/auth/profile/preferences": {want: signedIn(200), build: fixed("/api/v1/auth/profile/preferences", nil)},
		"PUT /api/v1/auth/profile/preferences": {want: signedIn(200), build: fixed("/api/v1/auth/profile/preferences", map[string]any{"language": "en", "currency": "USD"})},
		"GET /api/v1/auth/profile/export":      {want: signedIn(200), build: fixed("/api/v1/auth/profile/export", nil)},
		// Deleting one's account: each actor deletes a new account of its own role; staff
		// accounts cannot be deleted this way.
		"DELETE /api/v1/auth/profile": {want: [nActors]int{401, 204, 204, 204, 409, 409}, build: func(t *testing.T, f *authzFixture, who int) authzReq {
			return f.throwaway(t, who, authzReq{path: "/api/v1/auth/profile", body: map[string]string{"password": ""}})
		}},
		"GET /api/v1/admin/customers/:id": {want: staffOnly(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/customers/" + f.users[custA].ID}
		}},
		"GET /api/v1/admin/audit": {want: staffOnly(200), build: fixed("/api/v1/admin/audit", nil)},

		// Vendors (http/vendors.go). The vendor actor owns vendorV; A and B are strangers to it.
		// Applying needs an account without a vendor: each actor applies from a new one.
		"POST /api/v1/vendors": {want: [nActors]int{401, 201, 201, 201, 403, 403}, build: func(t *testing.T, f *authzFixture, who int) authzReq {
			n := f.n()
			return f.throwaway(t, who, authzReq{path: "/api/v1/vendors", body: map[string]string{"name": fmt.Sprintf("Applicant %d", n),
				"legal_name": fmt.Sprintf("Applicant %d LLC", n), "tax_id": fmt.Sprintf("APP%06d", n), "country": "UZ", "contact_email": fmt.Sprintf("app%d@example.com", n)}})
		}},
		"GET /api/v1/vendor": {want: [nActors]int{401, 404, 404, 200, 403, 403}, build: fixed("/api/v1/vendor", nil)},
		"GET /api/v1/vendors/:id": {want: [nActors]int{404, 404, 404, 200, 200, 200}, build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/vendors/" + f.vendorV}
		}},
		"POST /api/v1/vendors/:id/documents": {want: [nActors]int{401, 404, 404, 201, 403, 403}, build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			body, h := f.document(t)
			return authzReq{path: "/api/v1/vendors/" + f.vendorV + "/documents", body: body, header: h}
		}},
		"GET /api/v1/vendors/:id/documents": {want: [nActors]int{401, 404, 404, 200, 200, 200}, build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/vendors/" + f.vendorV + "/documents"}
		}},
		"GET /api/v1/vendors/:id/documents/:doc": {want: [nActors]int{401, 404, 404, 200, 200, 200}, build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/vendors/" + f.vendorV + "/documents/" + f.docV}
		}},
		// Re-submitting a rejected vendor: the vendor column is the vendor's owner.
		"POST /api/v1/vendors/:id/resubmit": {want: [nActors]int{401, 404, 404, 200, 403, 403}, build: func(t *testing.T, f *authzFixture, who int) authzReq {
			id, owner := f.newVendor(t, "REJECTED")
			req := authzReq{path: "/api/v1/vendors/" + id + "/resubmit"}
			if who == vend {
				req.header = owner
			}
			return req
		}},
		"GET /api/v1/vendor/orders": {want: [nActors]int{401, 403, 403, 200, 403, 403}, build: fixed("/api/v1/vendor/orders", nil)},
		"GET /api/v1/admin/vendors": {want: staffOnly(200), build: fixed("/api/v1/admin/vendors", nil)},
		"POST /api/v1/admin/vendors/:id/approve": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			id, _ := f.newVendor(t, "PENDING")
			return authzReq{path: "/api/v1/admin/vendors/" + id + "/approve"}
		}},
		"POST /api/v1/admin/vendors/:id/reject": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			id, _ := f.newVendor(t, "PENDING")
			return authzReq{path: "/api/v1/admin/vendors/" + id + "/reject", body: map[string]string{"reason": "blurry scan"}}
		}},
		"POST /api/v1/admin/vendors/:id/suspend": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			id, _ := f.newVendor(t, "APPROVED")
			return authzReq{path: "/api/v1/admin/vendors/" + id + "/suspend", body: map[string]string{"reason": "complaints"}}
		}},

		// Administration of accounts.
		"GET /api/v1/admin/users": {want: staffOnly(200), build: fixed("/api/v1/admin/users", nil)},
		"POST /api/v1/admin/users": {want: superOnly(201), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/users", body: map[string]string{"email": fmt.Sprintf("staff%d@example.com", f.n()), "password": strongPassword, "name": "Staff", "role": "ADMIN"}}
		}},
		"GET /api/v1/admin/users/:id": {want: staffOnly(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/users/" + f.users[custA].ID}
		}},
		"PUT /api/v1/admin/users/:id/role": {want: superOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/users/" + f.newCustomer(t) + "/role", body: map[string]string{"role": "VENDOR"}}
		}},
		"POST /api/v1/admin/users/:id/disable": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/users/" + f.newCustomer(t) + "/disable"}
		}},
		"POST /api/v1/admin/users/:id/enable": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/users/" + f.newCustomer(t) + "/enable"}
		}},
		"DELETE /api/v1/admin/users/:id/2fa": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/users/" + f.newCustomer(t) + "/2fa"}
		}},

		// Trending and recommendations: anyone reads.
		"GET /api/v1/products/trending": {want: allOK(200), build: fixed("/api/v1/products/trending", nil)},
		"GET /api/v1/products/:id/recommendations": {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/products/" + f.product + "/recommendations"}
		}},

		// Catalog: anyone reads; staff write.
		"POST /api/v1/admin/imports": {want: staffOnly(202), build: func(*testing.T, *authzFixture, int) authzReq {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			fw, _ := w.CreateFormFile("file", "products.csv")
			fw.Write([]byte("Handle,Title,Variant SKU,Variant Price\nmatrix-import,Matrix,MATRIX-IMPORT-1,1.00\n"))
			w.Close()
			return authzReq{path: "/api/v1/admin/imports?dry_run=true", body: buf.Bytes(), header: map[string]string{"Content-Type": w.FormDataContentType()}}
		}},
		"GET /api/v1/admin/jobs/:id":             {want: staffOnly(404), build: fixed("/api/v1/admin/jobs/01J0000000000000000000000Z", nil)},
		"GET /api/v1/admin/exports/products.csv": {want: staffOnly(200), build: fixed("/api/v1/admin/exports/products.csv", nil)},
		"POST /api/v1/admin/products/bulk": {want: staffOnly(202), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/products/bulk", body: map[string]any{"ids": []string{f.product}, "set": map[string]any{"status": "active"}}}
		}},
		"GET /api/v1/products":                {want: allOK(200), build: fixed("/api/v1/products", nil)},
		"GET /api/v1/products/search":         {want: allOK(200), build: fixed("/api/v1/products/search?q=tea", nil)},
		"GET /api/v1/products/search/suggest": {want: allOK(200), build: fixed("/api/v1/products/search/suggest?q=te", nil)},
		"GET /api/v1/admin/search/synonyms":   {want: staffOnly(200), build: fixed("/api/v1/admin/search/synonyms", nil)},
		"PUT /api/v1/admin/search/synonyms":   {want: staffOnly(200), build: fixed("/api/v1/admin/search/synonyms", map[string]any{"synonyms": []string{"tea, chai"}})},
		"GET /api/v1/products/:id": {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/products/" + f.product}
		}},
		"POST /api/v1/products": {want: staffOnly(201), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			n := f.n()
			return authzReq{path: "/api/v1/products", body: map[string]any{"title": fmt.Sprintf("New tea %d", n),
				"variants": []map[string]any{{"sku": fmt.Sprintf("NEW-%d", n), "price": map[string]any{"amount": 100, "currency": "USD"}}}}}
		}},
		"PUT /api/v1/products/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			n := f.n()
			return authzReq{path: "/api/v1/products/" + f.newProduct(t), body: map[string]any{"title": fmt.Sprintf("Changed tea %d", n),
				"variants": []map[string]any{{"sku": fmt.Sprintf("CHG-%d", n), "price": map[string]any{"amount": 100, "currency": "USD"}}}}}
		}},
		"DELETE /api/v1/products/:id": {want: staffOnly(204), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/products/" + f.newProduct(t)}
		}},
		"POST /api/v1/products/:id/images": {want: staffOnly(201), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			body, h := imageUpload(t, nil, f.png, "alt", "matrix")
			return authzReq{path: "/api/v1/products/" + f.newProduct(t) + "/images", body: body, header: h}
		}},
		"PUT /api/v1/products/:id/images/:image_id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: f.newProductImage(t), body: map[string]any{"alt": "changed"}}
		}},
		"DELETE /api/v1/products/:id/images/:image_id": {want: staffOnly(204), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: f.newProductImage(t)}
		}},
		"GET /api/v1/categories": {want: allOK(200), build: fixed("/api/v1/categories", nil)},
		"GET /api/v1/categories/:id": {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/categories/" + f.category}
		}},
		"POST /api/v1/categories": {want: staffOnly(201), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/categories", body: map[string]any{"name": fmt.Sprintf("Cat %d", f.n())}}
		}},
		"PUT /api/v1/categories/:id": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/categories/" + f.newCategory(t), body: map[string]any{"name": fmt.Sprintf("Renamed %d", f.n())}}
		}},
		"DELETE /api/v1/categories/:id": {want: staffOnly(204), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/categories/" + f.newCategory(t)}
		}},
		"POST /api/v1/categories/:id/move": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/categories/" + f.newCategory(t) + "/move", body: map[string]any{"position": 0}}
		}},
		"GET /api/v1/products/featured": {want: allOK(200), build: fixed("/api/v1/products/featured", nil)},

		// Carts: A's account cart is A's and staff's; everyone else gets 404.
		"POST /api/v1/carts": {want: allOK(201), build: fixed("/api/v1/carts", nil)},
		"GET /api/v1/carts/:id": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/carts/" + f.cartA}
		}},
		"POST /api/v1/carts/:id/items": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/carts/" + f.cartA + "/items", body: map[string]any{"variant_id": f.variant, "quantity": 1}}
		}},
		"PUT /api/v1/carts/:id/items/:item_id": {want: ownerOrStaff(200, 404), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/carts/" + f.cartA + "/items/" + f.lineA, body: map[string]any{"quantity": 2}}
		}},
		"DELETE /api/v1/carts/:id/items/:item_id": {want: ownerOrStaff(200, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			cart, line := f.cart(t, custA)
			return authzReq{path: "/api/v1/carts/" + cart + "/items/" + line}
		}},
		// Reviews (http/reviews.go): customers and vendors write, staff moderate; A's review is
		// A's to edit, A's or staff's to delete, anyone's but A's to mark helpful.
		"POST /api/v1/products/:id/reviews": {want: [nActors]int{401, 201, 201, 201, 403, 403}, build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/products/" + f.newProduct(t) + "/reviews", body: map[string]any{"rating": 4}}
		}},
		"GET /api/v1/products/:id/reviews": {want: allOK(200), build: func(_ *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/products/" + f.product + "/reviews"}
		}},
		"GET /api/v1/reviews/:id": {want: ownerOrStaff(200, 404), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/reviews/" + f.newReview(t, false)}
		}},
		"PUT /api/v1/reviews/:id": {want: [nActors]int{401, 200, 404, 404, 403, 403}, build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/reviews/" + f.newReview(t, false), body: map[string]any{"rating": 2}}
		}},
		"DELETE /api/v1/reviews/:id": {want: [nActors]int{401, 204, 404, 404, 204, 204}, build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/reviews/" + f.newReview(t, false)}
		}},
		"POST /api/v1/reviews/:id/helpful": {want: [nActors]int{401, 403, 200, 200, 200, 200}, build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/reviews/" + f.newReview(t, true) + "/helpful"}
		}},
		"DELETE /api/v1/reviews/:id/helpful": {want: [nActors]int{401, 403, 200, 200, 200, 200}, build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/reviews/" + f.newReview(t, true) + "/helpful"}
		}},
		"GET /api/v1/admin/reviews": {want: staffOnly(200), build: fixed("/api/v1/admin/reviews", nil)},
		"POST /api/v1/admin/reviews/:id/approve": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/reviews/" + f.newReview(t, false) + "/approve"}
		}},
		"POST /api/v1/admin/reviews/:id/reject": {want: staffOnly(200), build: func(t *testing.T, f *authzFixture, _ int) authzReq {
			return authzReq{path: "/api/v1/admin/reviews/" + f.newReview(t, false) + "/reject", body: map[string]any{"reason": "spam"}}
		}},
	}
}

// ownerOrStaffNot is for a resource only its owner may act on, staff included: everyone
// else signed in gets stranger, the anonymous 401.
func ownerOrStaffNot(s, stranger int) [nActors]int {
	return [nActors]int{401, s, stranger, stranger, stranger, stranger}
}

// TestAuthorizationMatrix sends every registered route as each actor and checks the status
// (OWASP API Top 10 2023: API1 object-level, API5 function-level authorization). A route
// without a row fails the test: a new route must say who may use it.
func TestAuthorizationMatrix(t *testing.T) {
	f := newAuthzFixture(t)
	rows := authzRows()
	var missing []string
	seen := map[string]bool{}
	for _, r := range f.a.HTTP.Routes() {
		key := r.Method + " " + r.Path
		seen[key] = true
		row, ok := rows[key]
		if !ok {
			missing = append(missing, key)
			continue
		}
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			for who := anon; who < nActors; who++ {
				req := row.build(t, f, who)
				if !strings.HasPrefix(req.path, strings.SplitN(r.Path, ":", 2)[0]) {
					t.Fatalf("row builds %s for route %s", req.path, r.Path)
				}
				h := map[string]string{}
				switch {
				case who == anon:
				case row.fresh:
					access, _, _ := f.login(t, who)
					h = apptest.Bearer(access)
				default:
					h = f.users[who].Bearer()
				}
				for k, v := range req.header {
					h[k] = v
				}
				resp := f.a.Do(t, r.Method, req.path, req.body, h)
				if resp.Status != row.want[who] {
					t.Errorf("%s %s as %s: %d, want %d\n%s", r.Method, req.path, actorNames[who], resp.Status, row.want[who], resp.Body)
				}
			}
		})
	}
	var stale []string
	for key := range rows {
		if !seen[key] {
			stale = append(stale, key)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("routes without a row in the authorization matrix (add one saying who may use them):\n  %s", strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("matrix rows for routes that are not registered:\n  %s", strings.Join(stale, "\n  "))
	}
}
