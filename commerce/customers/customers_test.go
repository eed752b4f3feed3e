package customers

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// memStore is an in-memory Store: an update works on a copy that replaces the state only
// when fn succeeds, like the real one.
type memStore struct {
	rows   map[string]Address // userID/id → address
	events []commerce.Event
	erased []Erasure
}

func newMemStore() *memStore { return &memStore{rows: map[string]Address{}} }

type memTx struct {
	rows   map[string]Address
	events []commerce.Event
}

func (t *memTx) Addresses(userID string) ([]Address, error) {
	var out []Address
	for _, a := range t.rows {
		if a.UserID == userID {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (t *memTx) Address(userID, id string) (Address, error) {
	a, ok := t.rows[userID+"/"+id]
	if !ok {
		return Address{}, ErrAddressNotFound
	}
	return a, nil
}

func (t *memTx) PutAddress(a Address) error       { t.rows[a.UserID+"/"+a.ID] = a; return nil }
func (t *memTx) DeleteAddress(u, id string) error { delete(t.rows, u+"/"+id); return nil }
func (t *memTx) Emit(ev commerce.Event)           { t.events = append(t.events, ev) }

func (m *memStore) View(_ context.Context, fn func(Reader) error) error {
	return fn(&memTx{rows: m.rows})
}

func (m *memStore) Update(_ context.Context, fn func(Tx) error) error {
	tx := &memTx{rows: map[string]Address{}}
	for k, v := range m.rows {
		tx.rows[k] = v
	}
	if err := fn(tx); err != nil {
		return err
	}
	m.rows, m.events = tx.rows, append(m.events, tx.events...)
	return nil
}

func (m *memStore) DeleteAccount(_ context.Context, e Erasure) (Erased, error) {
	m.erased = append(m.erased, e)
	return Erased{Sessions: []string{"s1"}}, nil
}

// memAccounts is an Accounts with one account per ID.
type memAccounts struct {
	accounts map[string]Account
	password string
	revoked  []string
}

func (m *memAccounts) Account(_ context.Context, id string) (Account, error) {
	a, ok := m.accounts[id]
	if !ok {
		return Account{}, ErrCustomerNotFound
	}
	return a, nil
}

func (m *memAccounts) UpdatePreferences(ctx context.Context, id string, fn func(*Account) error) (Account, error) {
	a, err := m.Account(ctx, id)
	if err != nil {
		return a, err
	}
	if err := fn(&a); err != nil {
		return Account{}, err
	}
	a.Version++
	m.accounts[id] = a
	return a, nil
}

func (m *memAccounts) CheckPassword(_ context.Context, _, pw string) (bool, error) {
	return pw == m.password, nil
}
func (m *memAccounts) UnusablePasswordHash(context.Context) (string, error) { return "$unusable", nil }
func (m *memAccounts) Sessions(context.Context, string) ([]Session, error) {
	return []Session{{ID: "s1"}}, nil
}
func (m *memAccounts) SessionsRevoked(ids []string) { m.revoked = append(m.revoked, ids...) }

type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func newTestService() (*Service, *memStore, *memAccounts) {
	st := newMemStore()
	acc := &memAccounts{accounts: map[string]Account{"u1": {ID: "u1", Version: 1}, "u2": {ID: "u2", Version: 1},
		"admin": {ID: "admin", Staff: true, Version: 1}}, password: "secret"}
	return NewService(st, acc, &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}), st, acc
}

func input(label string) AddressInput {
	return AddressInput{Label: label, Address: commerce.Address{Name: "Ann", Line1: "1 Main St", City: "Tashkent", Country: "uz"}}
}

func fieldsOf(err error) []string {
	var out []string
	if e := commerce.AsError(err); e != nil {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestAddressValidation(t *testing.T) {
	scenarios := []struct {
		name   string
		change func(*AddressInput)
		fields []string
	}{
		{"complete", func(*AddressInput) {}, nil},
		{"label and company at their limits", func(in *AddressInput) {
			in.Label, in.Company = strings.Repeat("l", MaxLabelBytes), strings.Repeat("c", MaxCompanyBytes)
		}, nil},
		{"long label", func(in *AddressInput) { in.Label = strings.Repeat("l", MaxLabelBytes+1) }, []string{"label"}},
		{"long company", func(in *AddressInput) { in.Company = strings.Repeat("c", MaxCompanyBytes+1) }, []string{"company"}},
		{"everything missing", func(in *AddressInput) { *in = AddressInput{} }, []string{"name", "line1", "city", "country"}},
		{"unknown country", func(in *AddressInput) { in.Country = "XX" }, []string{"country"}},
		{"long city", func(in *AddressInput) { in.City = strings.Repeat("c", 101) }, []string{"city"}},
		{"bad phone", func(in *AddressInput) { in.Phone = "ring me" }, []string{"phone"}},
		{"long postal code", func(in *AddressInput) { in.PostalCode = strings.Repeat("9", 21) }, []string{"postal_code"}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			svc, st, _ := newTestService()
			in := input("Home")
			s.change(&in)
			a, err := svc.AddAddress(context.Background(), "u1", in)
			if got := fieldsOf(err); !slices.Equal(got, s.fields) {
				t.Fatalf("fields %v, want %v (err %v)", got, s.fields, err)
			}
			if s.fields != nil {
				if len(st.rows) != 0 || len(st.events) != 0 {
					t.Fatal("a refused address was stored")
				}
				return
			}
			if a.Country != "UZ" || !a.Default || a.Version != 1 {
				t.Errorf("stored %+v", a)
			}
		})
	}
}

// defaults returns the IDs of the user's default addresses.
func defaults(t *testing.T, svc *Service, userID string) []string {
	t.Helper()
	book, err := svc.Addresses(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range book {
		if a.Default {
			out = append(out, a.ID)
		}
	}
	return out
}

func TestDefaultAddressRules(t *testing.T) {
	ctx := context.Background()
	type book struct {
		svc *Service
		st  *memStore
		ids []string // addresses added, oldest first
	}
	add := func(t *testing.T, b *book, def bool) string {
		in := input("x")
		in.Default = def
		a, err := b.svc.AddAddress(ctx, "u1", in)
		if err != nil {
			t.Fatal(err)
		}
		b.ids = append(b.ids, a.ID)
		return a.ID
	}
	scenarios := []struct {
		name    string
		steps   func(t *testing.T, b *book)
		want    func(b *book) []string // the default's ID, or none
		wantErr error
	}{
		{"the first address is the default", func(t *testing.T, b *book) { add(t, b, false) },
			func(b *book) []string { return b.ids[:1] }, nil},
		{"a second address is not", func(t *testing.T, b *book) { add(t, b, false); add(t, b, false) },
			func(b *book) []string { return b.ids[:1] }, nil},
		{"a new address asked as default takes it over", func(t *testing.T, b *book) { add(t, b, false); add(t, b, true) },
			func(b *book) []string { return b.ids[1:2] }, nil},
		{"set default moves it", func(t *testing.T, b *book) {
			add(t, b, false)
			add(t, b, false)
			add(t, b, false)
			if _, err := b.svc.SetDefaultAddress(ctx, "u1", b.ids[1]); err != nil {
				t.Fatal(err)
			}
		}, func(b *book) []string { return b.ids[1:2] }, nil},
		{"setting the default again changes nothing", func(t *testing.T, b *book) {
			add(t, b, false)
			n := len(b.st.events)
			a, err := b.svc.SetDefaultAddress(ctx, "u1", b.ids[0])
			if err != nil || a.Version != 1 || len(b.st.events) != n {
				t.Fatalf("%+v %v, %d events", a, err, len(b.st.events)-n)
			}
		}, func(b *book) []string { return b.ids[:1] }, nil},
		{"deleting the default promotes the newest remaining", func(t *testing.T, b *book) {
			add(t, b, false)
			add(t, b, false)
			add(t, b, false)
			if err := b.svc.RemoveAddress(ctx, "u1", b.ids[0]); err != nil {
				t.Fatal(err)
			}
		}, func(b *book) []string { return b.ids[2:3] }, nil},
		{"deleting another address keeps the default", func(t *testing.T, b *book) {
			add(t, b, false)
			add(t, b, false)
			if err := b.svc.RemoveAddress(ctx, "u1", b.ids[1]); err != nil {
				t.Fatal(err)
			}
		}, func(b *book) []string { return b.ids[:1] }, nil},
		{"deleting the last address leaves none", func(t *testing.T, b *book) {
			add(t, b, false)
			if err := b.svc.RemoveAddress(ctx, "u1", b.ids[0]); err != nil {
				t.Fatal(err)
			}
		}, func(*book) []string { return nil }, nil},
		{"updating keeps the default flag", func(t *testing.T, b *book) {
			add(t, b, false)
			add(t, b, false)
			if _, err := b.svc.UpdateAddress(ctx, "u1", b.ids[1], input("Office")); err != nil {
				t.Fatal(err)
			}
		}, func(b *book) []string { return b.ids[:1] }, nil},
		{"another user's address is not found", func(t *testing.T, b *book) {
			add(t, b, false)
			_, err := b.svc.SetDefaultAddress(ctx, "u2", b.ids[0])
			if !errors.Is(err, ErrAddressNotFound) {
				t.Fatalf("err %v", err)
			}
			if err := b.svc.RemoveAddress(ctx, "u2", b.ids[0]); !errors.Is(err, ErrAddressNotFound) {
				t.Fatalf("err %v", err)
			}
		}, func(b *book) []string { return b.ids[:1] }, nil},
		{"a stale If-Match is refused", func(t *testing.T, b *book) {
			add(t, b, false)
			in := input("Office")
			in.IfVersion = 7
			if _, err := b.svc.UpdateAddress(ctx, "u1", b.ids[0], in); !errors.Is(err, ErrVersionMismatch) {
				t.Fatalf("err %v", err)
			}
		}, func(b *book) []string { return b.ids[:1] }, nil},
		{"the 51st address is refused", func(t *testing.T, b *book) {
			for range MaxAddresses {
				add(t, b, false)
			}
			_, err := b.svc.AddAddress(ctx, "u1", input("one too many"))
			if !errors.Is(err, ErrAddressBookFull) {
				t.Fatalf("err %v", err)
			}
		}, func(b *book) []string { return b.ids[:1] }, nil},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			svc, st, _ := newTestService()
			b := &book{svc: svc, st: st}
			s.steps(t, b)
			got, want := defaults(t, svc, "u1"), s.want(b)
			if !slices.Equal(got, want) {
				t.Errorf("defaults %v, want %v", got, want)
			}
		})
	}
}

func TestPreferences(t *testing.T) {
	scenarios := []struct {
		name   string
		in     Preferences
		want   Preferences
		fields []string
	}{
		{"empty", Preferences{}, Preferences{Channels: []string{}}, nil},
		{"everything", Preferences{Language: "uz-latn", Currency: "UZS", Channels: []string{"sms", "email"}},
			Preferences{Language: "uz-Latn", Currency: "UZS", Channels: []string{"sms", "email"}}, nil},
		{"unknown language", Preferences{Language: "xx"}, Preferences{}, []string{"language"}},
		{"lower-case currency", Preferences{Currency: "usd"}, Preferences{}, []string{"currency"}},
		{"long currency", Preferences{Currency: "USDT"}, Preferences{}, []string{"currency"}},
		{"unknown and repeated channels", Preferences{Channels: []string{"email", "fax", "email"}}, Preferences{},
			[]string{"channels[1]", "channels[2]"}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			svc, _, acc := newTestService()
			got, v, err := svc.SetPreferences(context.Background(), "u1", s.in, 0)
			if f := fieldsOf(err); !slices.Equal(f, s.fields) {
				t.Fatalf("fields %v, want %v", f, s.fields)
			}
			if s.fields != nil {
				if acc.accounts["u1"].Version != 1 {
					t.Error("refused preferences were written")
				}
				return
			}
			if got.Language != s.want.Language || got.Currency != s.want.Currency || !slices.Equal(got.Channels, s.want.Channels) || v != 2 {
				t.Errorf("got %+v v%d, want %+v", got, v, s.want)
			}
		})
	}
	svc, _, _ := newTestService()
	if _, _, err := svc.SetPreferences(context.Background(), "u1", Preferences{}, 5); !errors.Is(err, ErrVersionMismatch) {
		t.Errorf("stale If-Match: %v", err)
	}
}

func TestDeleteAccount(t *testing.T) {
	scenarios := []struct {
		name     string
		user, pw string
		err      error
	}{
		{"wrong password", "u1", "guess", ErrWrongPassword},
		{"no password", "u1", "", commerce.Invalid()},
		{"unknown user", "nobody", "secret", ErrCustomerNotFound},
		{"staff", "admin", "secret", ErrStaffNotDeletable},
		{"the owner", "u1", "secret", nil},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			svc, st, acc := newTestService()
			_, err := svc.DeleteAccount(context.Background(), s.user, s.pw)
			if s.err != nil {
				if commerce.KindOf(err) != s.err.(*commerce.Error).Kind || s.err.(*commerce.Error).Code != "validation_failed" && !errors.Is(err, s.err) {
					t.Fatalf("err %v, want %v", err, s.err)
				}
				if len(st.erased) != 0 {
					t.Fatal("erased after a refusal")
				}
				if wrong := s.err == ErrWrongPassword; wrong != (len(st.events) == 1 && st.events[0].Type == EventDeletionRefused) {
					t.Errorf("refusal events %+v", st.events)
				}
				return
			}
			if err != nil || len(st.erased) != 1 {
				t.Fatalf("err %v, erasures %d", err, len(st.erased))
			}
			e := st.erased[0]
			if e.Email != "deleted-u1@deleted.invalid" || e.PasswordHash != "$unusable" || e.OrderName == "" || e.UserID != "u1" {
				t.Errorf("erasure %+v", e)
			}
			if !slices.Equal(acc.revoked, []string{"s1"}) {
				t.Errorf("sessions told revoked: %v", acc.revoked)
			}
		})
	}
}
