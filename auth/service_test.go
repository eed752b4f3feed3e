package auth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// memUsers is an in-memory Users for service tests; the store's own tests cover the real one.
type memUsers struct {
	mu   sync.Mutex
	byID map[string]User
}

func newMemUsers() *memUsers { return &memUsers{byID: map[string]User{}} }

func (m *memUsers) CreateUser(_ context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.byID {
		if strings.EqualFold(o.Email, u.Email) {
			return ErrEmailTaken
		}
	}
	m.byID[u.ID] = u
	return nil
}

func (m *memUsers) UserByEmail(_ context.Context, email string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.byID {
		if strings.EqualFold(o.Email, email) {
			return o, nil
		}
	}
	return User{}, ErrUserNotFound
}

func (m *memUsers) User(_ context.Context, id string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return User{}, ErrUserNotFound
	}
	return u, nil
}

func (m *memUsers) ListUsers(_ context.Context, page commerce.Page) (commerce.List[User], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var l commerce.List[User]
	for _, u := range m.byID {
		l.Items = append(l.Items, u)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].ID < l.Items[j].ID })
	if len(l.Items) > page.Limit {
		l.Items = l.Items[:page.Limit]
	}
	return l, nil
}

func (m *memUsers) UpdateUser(_ context.Context, id string, fn func(*User) error) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return User{}, ErrUserNotFound
	}
	if err := fn(&u); err != nil {
		return User{}, err
	}
	u.Version++
	m.byID[id] = u
	return u, nil
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

func newTestService() (*Service, *memUsers, *fixedClock) {
	users := newMemUsers()
	clock := &fixedClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	return NewService(users, cheapHasher(2), clock), users, clock
}

func TestServiceCreateUserValidation(t *testing.T) {
	svc, users, _ := newTestService()
	scenarios := []struct {
		name   string
		in     CreateUserInput
		fields []string // reported fields, in order; nil means success
	}{
		{"everything wrong at once",
			CreateUserInput{Email: "Ann <ann@example>", Password: "short", Name: strings.Repeat("n", MaxNameChars+1), Role: "OWNER"},
			[]string{"email", "password", "name", "role"}},
		{"password contains email", CreateUserInput{Email: "maximilian@example.com", Password: "maximilian-2025"}, []string{"password"}},
		{"common password and control character in name", CreateUserInput{Email: "a@example.com", Password: "qwertyuiop", Name: "Ann\x00"}, []string{"password", "name"}},
		{"missing email and password", CreateUserInput{}, []string{"email", "password"}},
		{"ok", CreateUserInput{Email: "ann@example.com", Password: "violet-harbor-917", Name: "Ann"}, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, err := svc.CreateUser(context.Background(), sc.in)
			if sc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := commerce.AsError(err)
			if e == nil || e.Kind != commerce.EInvalid {
				t.Fatalf("err %v", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(sc.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, sc.fields, err)
			}
		})
	}
	if len(users.byID) != 1 {
		t.Fatalf("%d users stored, want only the valid one", len(users.byID))
	}
}

func TestServiceCreateUser(t *testing.T) {
	ctx := context.Background()
	svc, users, clock := newTestService()
	u, err := svc.CreateUser(ctx, CreateUserInput{Email: " Ann@Example.COM ", Password: "violet-harbor-917", Name: "  Ann Lee ", Role: "vendor"})
	if err != nil {
		t.Fatal(err)
	}
	if !commerce.ValidID(u.ID) || u.Email != "Ann@example.com" || u.Name != "Ann Lee" || u.Role != RoleVendor ||
		u.Version != 1 || !u.CreatedAt.Equal(clock.t) || !u.UpdatedAt.Equal(clock.t) || u.Disabled {
		t.Fatalf("created %+v", u)
	}
	if u.PasswordHash != "" {
		t.Fatal("service returned the password hash")
	}
	stored := users.byID[u.ID]
	if ok, _, err := svc.hasher.Verify(ctx, "violet-harbor-917", stored.PasswordHash); !ok || err != nil {
		t.Fatalf("stored hash does not verify: %v %v", ok, err)
	}

	_, err = svc.CreateUser(ctx, CreateUserInput{Email: "ann@example.com", Password: "another-pass-42"})
	if !errors.Is(err, ErrEmailTaken) {
		t.Fatalf("duplicate: %v", err)
	}

	c, err := svc.CreateUser(ctx, CreateUserInput{Email: "bo@example.com", Password: "another-pass-42"})
	if err != nil || c.Role != RoleCustomer {
		t.Fatalf("default role: %+v %v", c, err)
	}
}

func TestServiceAdminister(t *testing.T) {
	ctx := context.Background()
	svc, _, clock := newTestService()
	u, err := svc.CreateUser(ctx, CreateUserInput{Email: "ann@example.com", Password: "violet-harbor-917"})
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Hour)

	got, err := svc.SetRole(ctx, u.ID, "admin")
	if err != nil || got.Role != RoleAdmin || got.Version != 2 || !got.UpdatedAt.Equal(clock.t) || got.PasswordHash != "" {
		t.Fatalf("set role: %+v %v", got, err)
	}
	if _, err := svc.SetRole(ctx, u.ID, "OWNER"); commerce.KindOf(err) != commerce.EInvalid {
		t.Fatalf("bad role: %v", err)
	}
	if got, err = svc.Disable(ctx, u.ID); err != nil || !got.Disabled || got.Version != 3 {
		t.Fatalf("disable: %+v %v", got, err)
	}
	if got, err = svc.Enable(ctx, u.ID); err != nil || got.Disabled || got.Version != 4 {
		t.Fatalf("enable: %+v %v", got, err)
	}
	for _, id := range []string{"", "nope", commerce.NewID()} {
		if _, err := svc.Disable(ctx, id); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("disable %q: %v", id, err)
		}
		if _, err := svc.User(ctx, id); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("user %q: %v", id, err)
		}
	}
	if got, err := svc.User(ctx, u.ID); err != nil || got.Email != u.Email || got.PasswordHash != "" {
		t.Fatalf("user: %+v %v", got, err)
	}
	l, err := svc.ListUsers(ctx, commerce.Page{})
	if err != nil || len(l.Items) != 1 || l.Items[0].PasswordHash != "" {
		t.Fatalf("list: %+v %v", l, err)
	}
}
