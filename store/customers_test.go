package store

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/checkout"
	"github.com/ultramarket/ultramarket/commerce/customers"
	"github.com/ultramarket/ultramarket/commerce/orders"
	"github.com/ultramarket/ultramarket/commerce/reviews"
)

// noAccounts is a customers.Accounts for tests that touch only address books.
type noAccounts struct{}

func (noAccounts) Account(context.Context, string) (customers.Account, error) {
	return customers.Account{}, customers.ErrCustomerNotFound
}
func (noAccounts) UpdatePreferences(context.Context, string, func(*customers.Account) error) (customers.Account, error) {
	return customers.Account{}, customers.ErrCustomerNotFound
}
func (noAccounts) CheckPassword(context.Context, string, string) (bool, error)   { return false, nil }
func (noAccounts) UnusablePasswordHash(context.Context) (string, error)          { return "", nil }
func (noAccounts) Sessions(context.Context, string) ([]customers.Session, error) { return nil, nil }
func (noAccounts) SessionsRevoked([]string)                                      {}

func customersTestAddress(label string) customers.AddressInput {
	return customers.AddressInput{Label: label, Address: commerce.Address{Name: "Ann Lee", Line1: "1 Main St", Line2: "Flat 2",
		City: "Tashkent", PostalCode: "100000", Country: "UZ", Phone: "+998 71 123 45 67"}}
}

// checkOneDefault fails unless the user's book has exactly one default address, or none
// when it is empty, and every row lies under the user's prefix.
func checkOneDefault(t *testing.T, db *DB, userID string) []customers.Address {
	t.Helper()
	book, err := NewCustomers(db).addressBook(userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range book {
		if a.Default {
			n++
		}
		if a.UserID != userID {
			t.Fatalf("address %s of %s stored under %s", a.ID, a.UserID, userID)
		}
	}
	if len(book) > 0 && n != 1 || len(book) == 0 && n != 0 {
		t.Fatalf("%d addresses, %d defaults", len(book), n)
	}
	return book
}

func (s *Customers) addressBook(userID string) (book []customers.Address, err error) {
	err = s.View(context.Background(), func(r customers.Reader) error { book, err = r.Addresses(userID); return err })
	return book, err
}

// TestAddressBookKeepsOneDefault runs a long random mix of every address operation on two
// users' books and checks after each that each book has exactly one default (none when
// empty) and that the other user's book never changed.
func TestAddressBookKeepsOneDefault(t *testing.T) {
	ctx := context.Background()
	db := openMem(t, vfs.NewMem())
	svc := customers.NewService(NewCustomers(db), noAccounts{}, nil)
	rnd := rand.New(rand.NewPCG(4, 2))
	u1, u2 := commerce.NewID(), commerce.NewID()
	other, err := svc.AddAddress(ctx, u2, customersTestAddress("Other"))
	must(t, err)
	ops := map[string]int{}
	for i := range 300 {
		book := checkOneDefault(t, db, u1)
		pick := func() string { return book[rnd.IntN(len(book))].ID }
		op := rnd.IntN(5)
		if len(book) == 0 {
			op = 0
		}
		switch op {
		case 0, 1:
			in := customersTestAddress("x")
			in.Default = rnd.IntN(3) == 0
			a, err := svc.AddAddress(ctx, u1, in)
			if len(book) == customers.MaxAddresses {
				if !errors.Is(err, customers.ErrAddressBookFull) {
					t.Fatalf("step %d: 51st address: %v", i, err)
				}
				ops["full"]++
				continue
			}
			must(t, err)
			if (in.Default || len(book) == 0) != a.Default {
				t.Fatalf("step %d: new address default=%v (asked %v, book of %d)", i, a.Default, in.Default, len(book))
			}
			ops["add"]++
		case 2:
			id := pick()
			must(t, svc.RemoveAddress(ctx, u1, id))
			if _, err := svc.Address(ctx, u1, id); !errors.Is(err, customers.ErrAddressNotFound) {
				t.Fatalf("step %d: deleted address still read: %v", i, err)
			}
			ops["remove"]++
		case 3:
			id := pick()
			a, err := svc.SetDefaultAddress(ctx, u1, id)
			must(t, err)
			if !a.Default || a.ID != id {
				t.Fatalf("step %d: set default answered %+v", i, a)
			}
			ops["default"]++
		case 4:
			_, err := svc.UpdateAddress(ctx, u1, pick(), customersTestAddress("edited"))
			must(t, err)
			ops["update"]++
		}
	}
	checkOneDefault(t, db, u1)
	if got := checkOneDefault(t, db, u2); len(got) != 1 || got[0] != other {
		t.Fatalf("the other user's book changed: %+v", got)
	}
	for _, op := range []string{"add", "remove", "default", "update"} {
		if ops[op] == 0 {
			t.Errorf("the random mix never ran %s: %v", op, ops)
		}
	}
}

// erasureShop is a store holding one customer with addresses, live sessions and orders, and
// a bystander with the same.
type erasureShop struct {
	*shop
	users      *Users
	custs      *Customers
	ann, bob   auth.User
	annOrders  []orders.Order
	bobOrderID string
	commits    *atomic.Int64 // updates committed so far
}

func newErasureShop(t *testing.T) *erasureShop {
	t.Helper()
	ctx := context.Background()
	var commits atomic.Int64
	db, err := Open(ctx, Config{Dir: "db", FS: vfs.NewMem(), DiskGuardOff: true, Logger: quietLogger(),
		OnCommit: func(n int, _ time.Duration) { commits.Add(int64(n)) }})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	e := &erasureShop{shop: newShop(t, db), users: NewUsers(db), custs: NewCustomers(db), commits: &commits}
	e.ann, e.bob = usersTestUser("Ann@Example.com"), usersTestUser("bob@example.com")
	e.ann.Phone, e.ann.TOTPSecret, e.ann.TOTPEnabled, e.ann.RecoveryCodes = "+1 555", "SECRET", true, []string{"h1"}
	e.ann.Preferences = auth.Preferences{Language: "en", Currency: "USD", Channels: []string{"email"}}
	must(t, e.users.CreateUser(ctx, e.ann))
	must(t, e.users.CreateUser(ctx, e.bob))
	svc := customers.NewService(e.custs, noAccounts{}, nil)
	sessions := NewSessions(db)
	v := e.product(t, 100)
	for _, u := range []auth.User{e.ann, e.bob} {
		for i := range 3 {
			_, err := svc.AddAddress(ctx, u.ID, customersTestAddress(string(rune('a'+i))))
			must(t, err)
		}
		for range 2 {
			s, first := sessionsTestSession(u.ID)
			must(t, sessions.CreateSession(ctx, s, first))
		}
		for range 2 {
			in := input(e.cartWith(t, u.ID, map[string]int64{v[0]: 2}))
			in.Email, in.ShippingAddress = u.Email, customersTestAddress("").Address
			res, err := e.checkout.PlaceOrder(ctx, checkout.Buyer{UserID: u.ID}, in, checkout.Idempotency{})
			must(t, err)
			if u.ID == e.ann.ID {
				e.annOrders = append(e.annOrders, res.Order)
			} else {
				e.bobOrderID = res.Order.ID
			}
		}
	}
	return e
}

func (e *erasureShop) erasure() customers.Erasure {
	return customers.Erasure{UserID: e.ann.ID, At: usersTestTime.Add(time.Hour), Email: customers.DeletedEmail(e.ann.ID),
		PasswordHash: "$argon2id$unusable", OrderName: "Deleted customer", OrderLine: "(removed)", RevokeReason: customers.RevokeDeleted}
}

func TestDeleteAccountErasesInOneUpdate(t *testing.T) {
	ctx := context.Background()
	e := newErasureShop(t)
	seq, commits := e.db.LastSeq(), e.commits.Load()
	r, err := e.custs.DeleteAccount(ctx, e.erasure())
	must(t, err)
	if got := e.commits.Load() - commits; got != 1 {
		t.Errorf("the erasure committed %d updates, want 1", got)
	}
	if r.Addresses != 3 || r.Orders != 2 || len(r.Sessions) != 2 {
		t.Errorf("erased %+v", r)
	}
	want := map[string]int{customers.EventAccountDeleted: 1, auth.EventSessionRevoked: 2}
	got := map[string]int{}
	for _, typ := range eventTypes(t, e.db, seq) {
		got[typ]++
	}
	if len(got) != len(want) || got[customers.EventAccountDeleted] != 1 || got[auth.EventSessionRevoked] != 2 {
		t.Errorf("events %v, want %v", got, want)
	}

	// The account: anonymized, no secrets, its old e-mail free again.
	u, err := e.users.User(ctx, e.ann.ID)
	must(t, err)
	if !u.Deleted || !u.DeletedAt.Equal(e.erasure().At) || u.Email != customers.DeletedEmail(e.ann.ID) || u.Name != "" || u.Phone != "" ||
		u.TOTPSecret != "" || u.TOTPEnabled || u.RecoveryCodes != nil || u.PasswordHash != "$argon2id$unusable" ||
		u.Preferences.Language != "" || u.Preferences.Channels != nil || u.Version != e.ann.Version+1 {
		t.Errorf("user after erasure %+v", u)
	}
	if _, err := e.users.UserByEmail(ctx, "ann@example.com"); !errors.Is(err, auth.ErrUserNotFound) {
		t.Errorf("the old e-mail still finds the account: %v", err)
	}
	if byNew, err := e.users.UserByEmail(ctx, u.Email); err != nil || byNew.ID != u.ID {
		t.Errorf("the anonymized e-mail does not find the account: %v", err)
	}
	again := usersTestUser("ann@example.com")
	must(t, e.users.CreateUser(ctx, again)) // the e-mail may register again

	// Addresses gone, sessions revoked.
	if n := countKeys(t, e.db, string(addressBookPrefix(e.ann.ID))); n != 0 {
		t.Errorf("%d address rows left", n)
	}
	sessions, err := e.custs.UserSessions(ctx, e.ann.ID)
	must(t, err)
	for _, s := range sessions {
		if !s.Revoked || s.RevokeReason != customers.RevokeDeleted {
			t.Errorf("session %s not revoked: %+v", s.ID, s)
		}
	}
	if len(sessions) != 2 {
		t.Errorf("%d sessions", len(sessions))
	}

	// Orders kept for accounting: numbers, lines and totals as they were, personal data replaced.
	for _, before := range e.annOrders {
		o, err := e.store.Order(ctx, before.ID)
		must(t, err)
		if o.Number != before.Number || o.Total != before.Total || o.Subtotal != before.Subtotal || len(o.Lines) != len(before.Lines) ||
			!slices.EqualFunc(o.Lines, before.Lines, sameLine) ||
			o.Status != before.Status || o.UserID != before.UserID {
			t.Errorf("order changed beyond its personal data:\n%+v\n%+v", before, o)
		}
		a := o.ShippingAddress
		if o.Email != u.Email || a.Name != "Deleted customer" || a.Line1 != "(removed)" || a.Line2 != "" || a.Phone != "" ||
			a.City != "Tashkent" || a.Country != "UZ" || o.Version != before.Version+1 {
			t.Errorf("order %d not anonymized: %+v", o.Number, o)
		}
		raw, err := json.Marshal(o)
		must(t, err)
		for _, pii := range []string{"Ann Lee", "1 Main St", "Flat 2", "+998", "ann@example.com", "Ann@Example.com"} {
			if strings.Contains(string(raw), pii) {
				t.Errorf("order %d still holds %q", o.Number, pii)
			}
		}
	}
	list, err := e.store.ListOrders(ctx, orders.Filter{UserID: e.ann.ID}, commerce.Page{})
	if err != nil || len(list.Items) != 2 {
		t.Errorf("the account's order list after erasure: %d %v", len(list.Items), err)
	}

	// The bystander is untouched.
	if bob, err := e.users.User(ctx, e.bob.ID); err != nil || bob.Deleted || bob.Version != e.bob.Version {
		t.Errorf("bob %+v %v", bob, err)
	}
	checkOneDefault(t, e.db, e.bob.ID)
	if n := countKeys(t, e.db, string(addressBookPrefix(e.bob.ID))); n != 3 {
		t.Errorf("bob has %d addresses", n)
	}
	if o, err := e.store.Order(ctx, e.bobOrderID); err != nil || o.Email != "bob@example.com" || o.ShippingAddress.Name != "Ann Lee" {
		t.Errorf("bob's order %+v %v", o, err)
	}
	bobSessions, _ := e.custs.UserSessions(ctx, e.bob.ID)
	for _, s := range bobSessions {
		if s.Revoked {
			t.Error("bob's session revoked")
		}
	}

	// A second erasure finds no account.
	if _, err := e.custs.DeleteAccount(ctx, e.erasure()); !errors.Is(err, customers.ErrCustomerNotFound) {
		t.Errorf("second erasure: %v", err)
	}
}

func sameLine(a, b orders.Line) bool {
	return a.VariantID == b.VariantID && a.SKU == b.SKU && a.Quantity == b.Quantity && a.UnitPrice == b.UnitPrice && a.LineTotal == b.LineTotal
}

// TestDeleteAccountFailureWritesNothing breaks the erasure at its last step (an order index
// row pointing to a missing order) and checks that nothing of the earlier steps was written.
func TestDeleteAccountFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	e := newErasureShop(t)
	must(t, e.db.Update(ctx, func(tx *Tx) error {
		tx.Set(orderByUserKey(e.ann.ID, commerce.NewID()), nil)
		return nil
	}))
	seq := e.db.LastSeq()
	if _, err := e.custs.DeleteAccount(ctx, e.erasure()); !errors.Is(err, orders.ErrNotFound) {
		t.Fatalf("err %v, want the missing order", err)
	}
	if e.db.LastSeq() != seq {
		t.Error("a failed erasure emitted events")
	}
	u, err := e.users.User(ctx, e.ann.ID)
	if err != nil || u.Deleted || u.Email != e.ann.Email || u.TOTPSecret == "" {
		t.Errorf("user changed: %+v %v", u, err)
	}
	if n := countKeys(t, e.db, string(addressBookPrefix(e.ann.ID))); n != 3 {
		t.Errorf("%d addresses left, want 3", n)
	}
	sessions, _ := e.custs.UserSessions(ctx, e.ann.ID)
	for _, s := range sessions {
		if s.Revoked {
			t.Error("a session was revoked")
		}
	}
	if o, _ := e.store.Order(ctx, e.annOrders[0].ID); o.Email != e.ann.Email {
		t.Errorf("order anonymized: %+v", o)
	}
}

func TestUserCarts(t *testing.T) {
	ctx := context.Background()
	s := newShop(t, openMem(t, vfs.NewMem()))
	v := s.product(t, 10)
	u1, u2 := commerce.NewID(), commerce.NewID()
	mine := s.cartWith(t, u1, map[string]int64{v[0]: 1})
	s.cartWith(t, u2, map[string]int64{v[0]: 1})
	s.cartWith(t, "", map[string]int64{v[0]: 1})
	got, err := NewCustomers(s.db).UserCarts(ctx, u1)
	if err != nil || len(got) != 1 || got[0].ID != mine || len(got[0].Lines) != 1 {
		t.Fatalf("carts %+v %v", got, err)
	}
	if got, _ := NewCustomers(s.db).UserCarts(ctx, commerce.NewID()); got == nil || len(got) != 0 {
		t.Errorf("a user without carts: %#v", got)
	}
}

// TestDeleteAccountAnonymizesReviews: the erasure keeps the user's reviews (their ratings are
// in the products' aggregates) but replaces the author's name, in the same update.
func TestDeleteAccountAnonymizesReviews(t *testing.T) {
	ctx := context.Background()
	e := newErasureShop(t)
	rs := NewReviews(e.db)
	mine := reviews.Review{ID: commerce.NewID(), ProductID: commerce.NewID(), UserID: e.ann.ID, AuthorName: "Ann L.",
		Rating: 4, Body: "good", Status: reviews.StatusApproved, Version: 1}
	other := reviews.Review{ID: commerce.NewID(), ProductID: mine.ProductID, UserID: e.bob.ID, AuthorName: "Bob B.",
		Rating: 2, Status: reviews.StatusApproved, Version: 1}
	must(t, rs.Update(ctx, func(tx reviews.Tx) error {
		if err := tx.SaveReview(mine, nil); err != nil {
			return err
		}
		return tx.SaveReview(other, nil)
	}))
	commits := e.commits.Load()
	r, err := e.custs.DeleteAccount(ctx, e.erasure())
	must(t, err)
	if got := e.commits.Load() - commits; got != 1 || r.Reviews != 1 {
		t.Errorf("the erasure committed %d updates and anonymized %d reviews, want 1 and 1", got, r.Reviews)
	}
	got, err := rs.Review(ctx, mine.ID)
	must(t, err)
	if got.AuthorName != e.erasure().OrderName || got.Rating != 4 || got.Body != "good" || got.Status != reviews.StatusApproved || got.Version != 2 {
		t.Errorf("ann's review after erasure: %+v", got)
	}
	if got, err := rs.Review(ctx, other.ID); err != nil || got.AuthorName != "Bob B." || got.Version != 1 {
		t.Errorf("bob's review: %+v %v", got, err)
	}
}
