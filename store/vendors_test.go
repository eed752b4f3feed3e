package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/vendors"
)

// memBlobs is a private blob store in memory.
type memBlobs map[string][]byte

func (m memBlobs) PutPrivate(_ context.Context, r io.Reader, _ []string) (string, string, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", "", 0, err
	}
	sum := sha256.Sum256(b)
	id := hex.EncodeToString(sum[:])
	m[id] = b
	return id, "application/pdf", int64(len(b)), nil
}

func (m memBlobs) OpenPrivate(_ context.Context, id string) (io.ReadSeekCloser, error) {
	b, ok := m[id]
	if !ok {
		return nil, errors.New("no such blob")
	}
	return nopCloser{bytes.NewReader(b)}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

type vendorEnv struct {
	db    *DB
	users *Users
	svc   *vendors.Service
	shop  *catalog.Service
}

func newVendorEnv(t *testing.T) vendorEnv {
	db := openMem(t, vfs.NewMem())
	clock := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return vendorEnv{db: db, users: NewUsers(db), svc: vendors.NewService(NewVendors(db), memBlobs{}, clock, catalog.Slugify),
		shop: catalog.NewService(NewCatalog(db), clock)}
}

func (e vendorEnv) user(t *testing.T, role auth.Role) string {
	t.Helper()
	u := auth.User{ID: commerce.NewID(), Role: role, CreatedAt: time.Now(), UpdatedAt: time.Now(), Version: 1}
	u.Email = "u" + strings.ToLower(u.ID) + "@example.com"
	if err := e.users.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// eventTypes returns the types of the events committed after seq.
func (e vendorEnv) eventTypes(t *testing.T, after uint64) []string {
	t.Helper()
	evs, err := e.db.Outbox(context.Background(), after, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	slices.Sort(out)
	return out
}

func application(name string) vendors.Application {
	return vendors.Application{Name: name, LegalName: name + " LLC", TaxID: "123456789", Country: "UZ", ContactEmail: "shop@example.com"}
}

func TestVendorRegistrationMakesTheOwnerAVendor(t *testing.T) {
	ctx := context.Background()
	e := newVendorEnv(t)
	owner := e.user(t, auth.RoleCustomer)
	before := e.db.LastSeq()
	v, err := e.svc.Apply(ctx, owner, application("Silk Road"))
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != vendors.StatusPending || v.Slug != "silk-road" || v.OwnerUserID != owner || v.Version != 1 || len(v.History) != 1 {
		t.Errorf("vendor %+v", v)
	}
	u, err := e.users.User(ctx, owner)
	if err != nil || u.Role != auth.RoleVendor {
		t.Errorf("owner role %s, %v; want VENDOR", u.Role, err)
	}
	if got := e.eventTypes(t, before); !slices.Equal(got, []string{auth.EventUserUpdated, vendors.EventRegistered}) {
		t.Errorf("events %v", got)
	}
	// One vendor per user: nothing is written.
	seq := e.db.LastSeq()
	if _, err := e.svc.Apply(ctx, owner, application("Another")); !errors.Is(err, vendors.ErrAlreadyVendor) {
		t.Errorf("second application: %v", err)
	}
	if e.db.LastSeq() != seq {
		t.Error("a refused application wrote events")
	}
	// Same name, another user: the next free slug. A staff applicant keeps its role.
	admin := e.user(t, auth.RoleAdmin)
	w, err := e.svc.Apply(ctx, admin, application("Silk Road"))
	if err != nil || w.Slug != "silk-road-2" {
		t.Errorf("second vendor %+v, %v", w, err)
	}
	if u, _ := e.users.User(ctx, admin); u.Role != auth.RoleAdmin {
		t.Errorf("admin applicant became %s", u.Role)
	}
	if got, err := e.svc.VendorByOwner(ctx, owner); err != nil || got.ID != v.ID {
		t.Errorf("VendorByOwner = %+v, %v", got, err)
	}
	if _, err := e.svc.Apply(ctx, commerce.NewID(), application("Ghost")); commerce.KindOf(err) != commerce.ENotFound {
		t.Errorf("application of a missing user: %v", err)
	}
}

func TestVendorReviewWorkflow(t *testing.T) {
	ctx := context.Background()
	e := newVendorEnv(t)
	owner := e.user(t, auth.RoleCustomer)
	v, err := e.svc.Apply(ctx, owner, application("Bazaar"))
	if err != nil {
		t.Fatal(err)
	}
	pending := func() []string {
		l, err := e.svc.List(ctx, vendors.StatusPending, commerce.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range l.Items {
			ids = append(ids, x.ID)
		}
		return ids
	}
	if got := pending(); !slices.Equal(got, []string{v.ID}) {
		t.Errorf("pending %v", got)
	}
	doc := vendors.DocumentUpload{Type: vendors.DocTaxCertificate, FileName: "tax.pdf", Body: strings.NewReader("%PDF-1.4 x")}
	steps := []struct {
		name   string
		do     func() (vendors.Vendor, error)
		status string // after; "" means refused with code
		code   string
	}{
		{"approve without documents", func() (vendors.Vendor, error) { return e.svc.Approve(ctx, v.ID, nil) }, "", "documents_required"},
		{"add a document as someone else", func() (vendors.Vendor, error) {
			x, _, err := e.svc.AddDocument(ctx, v.ID, commerce.NewID(), doc, nil)
			return x, err
		}, "", "vendor_not_found"},
		{"add a document", func() (vendors.Vendor, error) {
			x, _, err := e.svc.AddDocument(ctx, v.ID, owner, doc, nil)
			return x, err
		}, vendors.StatusPending, ""},
		{"suspend a pending vendor", func() (vendors.Vendor, error) { return e.svc.Suspend(ctx, v.ID, "no", nil) }, "", "illegal_transition"},
		{"reject without a reason", func() (vendors.Vendor, error) { return e.svc.Reject(ctx, v.ID, " ", nil) }, "", "validation_failed"},
		{"reject", func() (vendors.Vendor, error) { return e.svc.Reject(ctx, v.ID, "blurry scan", nil) }, vendors.StatusRejected, ""},
		{"approve a rejected vendor", func() (vendors.Vendor, error) { return e.svc.Approve(ctx, v.ID, nil) }, "", "illegal_transition"},
		{"resubmit as someone else", func() (vendors.Vendor, error) { return e.svc.Resubmit(ctx, v.ID, commerce.NewID(), nil) }, "", "vendor_not_found"},
		{"resubmit with a stale version", func() (vendors.Vendor, error) { old := int64(1); return e.svc.Resubmit(ctx, v.ID, owner, &old) }, "", "version_mismatch"},
		{"resubmit", func() (vendors.Vendor, error) { return e.svc.Resubmit(ctx, v.ID, owner, nil) }, vendors.StatusPending, ""},
		{"approve", func() (vendors.Vendor, error) { return e.svc.Approve(ctx, v.ID, nil) }, vendors.StatusApproved, ""},
		{"documents are locked once approved", func() (vendors.Vendor, error) {
			x, _, err := e.svc.AddDocument(ctx, v.ID, owner, doc, nil)
			return x, err
		}, "", "documents_locked"},
		{"approve twice", func() (vendors.Vendor, error) { return e.svc.Approve(ctx, v.ID, nil) }, "", "illegal_transition"},
		{"suspend", func() (vendors.Vendor, error) { return e.svc.Suspend(ctx, v.ID, "chargebacks", nil) }, vendors.StatusSuspended, ""},
		{"reinstate", func() (vendors.Vendor, error) { return e.svc.Approve(ctx, v.ID, nil) }, vendors.StatusApproved, ""},
	}
	for _, s := range steps {
		before := e.db.LastSeq()
		x, err := s.do()
		if s.status == "" {
			if ce := commerce.AsError(err); ce == nil || ce.Code != s.code {
				t.Fatalf("%s: %v, want %s", s.name, err, s.code)
			}
			if e.db.LastSeq() != before {
				t.Errorf("%s: refused but wrote events", s.name)
			}
			continue
		}
		if err != nil || x.Status != s.status {
			t.Fatalf("%s: %s, %v; want %s", s.name, x.Status, err, s.status)
		}
		if n := len(e.eventTypes(t, before)); n != 1 {
			t.Errorf("%s: %d events, want 1", s.name, n)
		}
	}
	got, _, err := e.svc.Vendor(ctx, v.ID, vendors.Viewer{UserID: owner})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, c := range got.History {
		trail = append(trail, c.From+">"+c.To+":"+c.Reason)
	}
	want := []string{">PENDING:", "PENDING>REJECTED:blurry scan", "REJECTED>PENDING:", "PENDING>APPROVED:",
		"APPROVED>SUSPENDED:chargebacks", "SUSPENDED>APPROVED:"}
	if !slices.Equal(trail, want) {
		t.Errorf("history %v, want %v", trail, want)
	}
	if len(got.Documents) != 1 || got.Documents[0].FileName != "tax.pdf" || got.Documents[0].BlobID == "" {
		t.Errorf("documents %+v", got.Documents)
	}
	if got := pending(); len(got) != 0 {
		t.Errorf("still pending: %v", got)
	}
	if l, _ := e.svc.List(ctx, vendors.StatusApproved, commerce.Page{}); len(l.Items) != 1 {
		t.Errorf("approved list %+v", l.Items)
	}
	if _, err := e.svc.List(ctx, "LIMBO", commerce.Page{}); commerce.KindOf(err) != commerce.EInvalid {
		t.Errorf("unknown status filter: %v", err)
	}
	// The public sees an approved vendor; a stranger does not see a pending one.
	if _, full, err := e.svc.Vendor(ctx, v.ID, vendors.Viewer{}); err != nil || full {
		t.Errorf("public read of an approved vendor: full=%v, %v", full, err)
	}
	other, _ := e.svc.Apply(ctx, e.user(t, auth.RoleCustomer), application("Hidden"))
	if _, _, err := e.svc.Vendor(ctx, other.ID, vendors.Viewer{UserID: owner}); !errors.Is(err, vendors.ErrNotFound) {
		t.Errorf("stranger read of a pending vendor: %v", err)
	}
	if _, err := e.svc.ApprovedVendorOf(ctx, other.OwnerUserID); !errors.Is(err, vendors.ErrNotApproved) {
		t.Errorf("ApprovedVendorOf a pending vendor: %v", err)
	}
}

func TestVendorListPages(t *testing.T) {
	ctx := context.Background()
	e := newVendorEnv(t)
	var want []string
	for i := 0; i < 5; i++ {
		v, err := e.svc.Apply(ctx, e.user(t, auth.RoleCustomer), application("Shop"))
		if err != nil {
			t.Fatal(err)
		}
		want = append([]string{v.ID}, want...) // newest first
	}
	for _, status := range []string{"", vendors.StatusPending} {
		var got []string
		page := commerce.Page{Limit: 2}
		for {
			l, err := e.svc.List(ctx, status, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range l.Items {
				got = append(got, v.ID)
			}
			if l.NextCursor == "" {
				break
			}
			page.Cursor = l.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("status %q: pages %v, want %v", status, got, want)
		}
	}
	if _, err := e.svc.List(ctx, "", commerce.Page{Cursor: "!!"}); !errors.Is(err, vendors.ErrInvalidCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestVendorScopedProductWrites(t *testing.T) {
	ctx := context.Background()
	e := newVendorEnv(t)
	a, b := commerce.NewID(), commerce.NewID()
	in := catalog.ProductInput{Title: "Rug", VendorID: b, Variants: []catalog.VariantInput{variant("RUG-1", 1000, nil)}}
	p, err := e.shop.CreateProduct(ctx, in, catalog.Scope{VendorID: a})
	if err != nil || p.VendorID != a {
		t.Fatalf("scoped create: vendor %q, %v; want %s", p.VendorID, err, a)
	}
	in.Variants[0].ID = p.Variants[0].ID
	if _, err := e.shop.UpdateProduct(ctx, p.ID, in, nil, catalog.Scope{VendorID: b}); !errors.Is(err, catalog.ErrProductNotFound) {
		t.Errorf("another vendor's update: %v", err)
	}
	if err := e.shop.DeleteProduct(ctx, p.ID, nil, catalog.Scope{VendorID: b}); !errors.Is(err, catalog.ErrProductNotFound) {
		t.Errorf("another vendor's delete: %v", err)
	}
	in.Title = "Silk rug"
	q, err := e.shop.UpdateProduct(ctx, p.ID, in, nil, catalog.Scope{VendorID: a})
	if err != nil || q.VendorID != a || q.Title != "Silk rug" {
		t.Errorf("own update: %+v, %v", q, err)
	}
	// Staff set or clear vendor_id as they like.
	q, err = e.shop.UpdateProduct(ctx, p.ID, in, nil)
	if err != nil || q.VendorID != b {
		t.Errorf("staff update: vendor %q, %v; want %s", q.VendorID, err, b)
	}
	ref, err := NewCatalog(e.db).Variant(ctx, p.Variants[0].ID)
	if err != nil || ref.VendorID != b {
		t.Errorf("variant ref %+v, %v", ref, err)
	}
	in.VendorID = "not-an-id"
	if _, err := e.shop.CreateProduct(ctx, in); !slices.Contains(fieldNames(err), "vendor_id") {
		t.Errorf("malformed vendor_id: %v", err)
	}
	if err := e.shop.DeleteProduct(ctx, p.ID, nil, catalog.Scope{VendorID: b}); err != nil {
		t.Errorf("owner's delete: %v", err)
	}
}

func fieldNames(err error) []string {
	var out []string
	if ce := commerce.AsError(err); ce != nil {
		for _, f := range ce.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestVendorOrdersShowOnlyOwnLines(t *testing.T) {
	ctx := context.Background()
	e := newVendorEnv(t)
	a, b := commerce.NewID(), commerce.NewID()
	usd := func(n int64) commerce.Money { return commerce.Money{Amount: n, Currency: "USD"} }
	var ids []string
	for i := 0; i < 3; i++ {
		o := orders.Order{ID: commerce.NewID(), Number: int64(i + 1), Email: "buyer@example.com", Status: orders.StatusPending,
			CreatedAt: time.Now().UTC(), Subtotal: usd(600), Total: usd(600), Lines: []orders.Line{
				{ProductID: "p1", VariantID: "v1", SKU: "A-1", Quantity: 1, UnitPrice: usd(100), LineTotal: usd(100), VendorID: a},
				{ProductID: "p2", VariantID: "v2", SKU: "B-1", Quantity: 1, UnitPrice: usd(200), LineTotal: usd(200), VendorID: b},
				{ProductID: "p3", VariantID: "v3", SKU: "A-2", Quantity: 3, UnitPrice: usd(100), LineTotal: usd(300), VendorID: a},
			}}
		if i == 2 {
			o.Lines = o.Lines[1:2] // only b's
		}
		err := NewCheckout(e.db).Checkout(ctx, func(tx checkout.Tx) error { return tx.PutOrder(o) })
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	repo := NewVendors(e.db)
	page1, err := repo.VendorOrders(ctx, a, commerce.Page{Limit: 1})
	if err != nil || len(page1.Items) != 1 || page1.NextCursor == "" {
		t.Fatalf("page 1: %+v, %v", page1, err)
	}
	page2, err := repo.VendorOrders(ctx, a, commerce.Page{Limit: 1, Cursor: page1.NextCursor})
	if err != nil || len(page2.Items) != 1 || page2.NextCursor != "" {
		t.Fatalf("page 2: %+v, %v", page2, err)
	}
	got := append(page1.Items, page2.Items...)
	if got[0].OrderID != ids[1] || got[1].OrderID != ids[0] {
		t.Errorf("a's orders %s, %s; want %s, %s (newest first)", got[0].OrderID, got[1].OrderID, ids[1], ids[0])
	}
	for _, o := range got {
		var skus []string
		for _, l := range o.Lines {
			skus = append(skus, l.SKU)
		}
		if !slices.Equal(skus, []string{"A-1", "A-2"}) || o.Subtotal != usd(400) || o.Number == 0 || o.Status != orders.StatusPending {
			t.Errorf("a's view of order %d: lines %v, subtotal %v", o.Number, skus, o.Subtotal)
		}
	}
	bs, err := repo.VendorOrders(ctx, b, commerce.Page{})
	if err != nil || len(bs.Items) != 3 {
		t.Errorf("b's orders: %d, %v", len(bs.Items), err)
	}
	if none, err := repo.VendorOrders(ctx, commerce.NewID(), commerce.Page{}); err != nil || len(none.Items) != 0 {
		t.Errorf("a vendor without orders: %+v, %v", none, err)
	}
}

// TestVendorKeyspacesVerify checks that every row a vendor and its orders write belongs to
// a keyspace Verify knows (snapshots and restores verify the store).
func TestVendorKeyspacesVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, Config{Dir: dir, DiskGuardOff: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := vendorEnv{db: db, users: NewUsers(db), svc: vendors.NewService(NewVendors(db), memBlobs{}, clock, catalog.Slugify)}
	v, err := e.svc.Apply(ctx, e.user(t, auth.RoleCustomer), application("Verified"))
	if err != nil {
		t.Fatal(err)
	}
	o := orders.Order{ID: commerce.NewID(), Number: 1, Email: "b@example.com", Status: orders.StatusPending,
		Lines: []orders.Line{{ProductID: "p", VariantID: "v", SKU: "S", Quantity: 1, VendorID: v.ID}}}
	if err := NewCheckout(db).Checkout(ctx, func(tx checkout.Tx) error { return tx.PutOrder(o) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ks := range []string{prefixVendor, prefixVendorByOwner, prefixVendorSlug, prefixVendorByStatus, prefixVendorOrder} {
		if rep.Keyspaces[ks] != 1 {
			t.Errorf("keyspace %s holds %d keys, want 1", ks, rep.Keyspaces[ks])
		}
	}
}
