package auth

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
)

// memAdminUsers adds UserAdmin and UserEvents to memUsers and records the extra events.
type memAdminUsers struct {
	*memUsers
	events []string
}

func (m *memAdminUsers) FindUsers(ctx context.Context, f UserFilter, page commerce.Page) (commerce.List[User], error) {
	m.mu.Lock()
	var all []User
	for _, u := range m.byID {
		if f.Match(u) {
			all = append(all, u)
		}
	}
	m.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	if len(all) > page.Limit {
		all = all[:page.Limit]
	}
	return commerce.List[User]{Items: all}, nil
}

func (m *memAdminUsers) EmitEvents(_ context.Context, evs ...commerce.Event) error {
	for _, ev := range evs {
		m.events = append(m.events, ev.Type)
	}
	return nil
}

func (m *memAdminUsers) UpdateUserEmit(ctx context.Context, id string, fn func(*User) ([]commerce.Event, error)) (User, error) {
	var evs []commerce.Event
	u, err := m.UpdateUser(ctx, id, func(u *User) (err error) { evs, err = fn(u); return err })
	if err == nil {
		for _, ev := range evs {
			m.events = append(m.events, ev.Type)
		}
	}
	return u, err
}

func staffCtx(u User) context.Context {
	return commerce.WithActor(context.Background(), commerce.Actor{ID: "user:" + u.ID, UserID: u.ID, Role: string(u.Role), Staff: true})
}

func TestAdministerRules(t *testing.T) {
	ctx := context.Background()
	users := &memAdminUsers{memUsers: newMemUsers()}
	svc := NewService(users, cheapHasher(2), nil)
	ms := newMemSessions()
	tk, err := NewTokens(TokensConfig{Secret: testSecret}, ms)
	if err != nil {
		t.Fatal(err)
	}
	svc.UseTokens(tk)
	n := 0
	mk := func(role Role) User {
		n++
		u, err := svc.CreateUser(ctx, CreateUserInput{Email: string(rune('a'+n)) + "-user@example.com", Password: "violet-harbor-917", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	super1, admin1, admin2, cust := mk(RoleSuperAdmin), mk(RoleAdmin), mk(RoleAdmin), mk(RoleCustomer)
	cli := commerce.WithActor(ctx, commerce.Actor{ID: "cli", Staff: true})

	// Sign the customer in twice: a role change ends both sessions.
	for range 2 {
		if _, err := svc.Login(ctx, cust.Email, "violet-harbor-917"); err != nil {
			t.Fatal(err)
		}
	}
	scenarios := []struct {
		name   string
		run    func() (User, error)
		err    error
		events []string // extra events the store got
	}{
		{"last super admin cannot demote themself", func() (User, error) { return svc.SetRole(staffCtx(super1), super1.ID, RoleAdmin) }, ErrLastSuperAdmin, nil},
		{"last super admin cannot be demoted from the CLI", func() (User, error) { return svc.SetRole(cli, super1.ID, RoleCustomer) }, ErrLastSuperAdmin, nil},
		{"last super admin cannot be disabled", func() (User, error) { return svc.Disable(cli, super1.ID) }, ErrLastSuperAdmin, nil},
		{"nobody disables themself", func() (User, error) { return svc.Disable(staffCtx(admin1), admin1.ID) }, ErrDisableSelf, nil},
		{"an admin cannot disable another admin", func() (User, error) { return svc.Disable(staffCtx(admin1), admin2.ID) }, ErrManageStaff, nil},
		{"an admin cannot disable a super admin", func() (User, error) { return svc.Disable(staffCtx(admin1), super1.ID) }, ErrManageStaff, nil},
		{"an admin disables a customer", func() (User, error) { return svc.Disable(staffCtx(admin1), cust.ID) }, nil, []string{EventUserDisabled}},
		{"disabling again changes nothing", func() (User, error) { return svc.Disable(staffCtx(admin1), cust.ID) }, nil, nil},
		{"an admin enables a customer", func() (User, error) { return svc.Enable(staffCtx(admin1), cust.ID) }, nil, []string{EventUserEnabled}},
		{"a super admin disables an admin", func() (User, error) { return svc.Disable(staffCtx(super1), admin2.ID) }, nil, []string{EventUserDisabled}},
		{"an admin cannot enable an admin", func() (User, error) { return svc.Enable(staffCtx(admin1), admin2.ID) }, ErrManageStaff, nil},
		{"role change", func() (User, error) { return svc.SetRole(staffCtx(super1), cust.ID, RoleVendor) }, nil, []string{EventRoleChanged}},
		{"same role changes nothing", func() (User, error) { return svc.SetRole(staffCtx(super1), cust.ID, RoleVendor) }, nil, nil},
		{"unknown user", func() (User, error) { return svc.SetRole(cli, commerce.NewID(), RoleVendor) }, ErrUserNotFound, nil},
		{"a second super admin", func() (User, error) { return svc.SetRole(staffCtx(super1), admin1.ID, RoleSuperAdmin) }, nil, []string{EventRoleChanged}},
		{"now the first may step down", func() (User, error) { return svc.SetRole(staffCtx(super1), super1.ID, RoleAdmin) }, nil, []string{EventRoleChanged}},
		{"but not the second, now the last", func() (User, error) { return svc.SetRole(staffCtx(admin1), admin1.ID, RoleAdmin) }, ErrLastSuperAdmin, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			before := len(users.events)
			u, err := sc.run()
			if !errors.Is(err, sc.err) {
				t.Fatalf("err = %v, want %v", err, sc.err)
			}
			if err == nil && (u.PasswordHash != "" || u.ID == "") {
				t.Fatalf("user %+v", u)
			}
			got := users.events[before:]
			if len(got) != len(sc.events) || (len(got) > 0 && got[0] != sc.events[0]) {
				t.Fatalf("events %v, want %v", got, sc.events)
			}
		})
	}
	// The customer's two sessions were revoked when disabled, and nothing was left to revoke
	// at the role change; the disabled admin's none.
	revoked := 0
	for _, s := range ms.sessions {
		if s.UserID == cust.ID && s.Revoked && s.RevokeReason == RevokeDisabled {
			revoked++
		}
	}
	if revoked != 2 {
		t.Fatalf("customer sessions revoked on disable: %d, want 2", revoked)
	}
	// A new session ends with the next role change.
	in, err := svc.Login(ctx, cust.Email, "violet-harbor-917")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetRole(cli, cust.ID, RoleCustomer); err != nil {
		t.Fatal(err)
	}
	if s := ms.sessions[in.SessionID]; !s.Revoked || s.RevokeReason != RevokeRoleChanged {
		t.Fatalf("session after role change: %+v", s)
	}
	if _, err := tk.VerifyAccess(ctx, in.AccessToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("access token after role change: %v", err)
	}
}

func TestFindUsers(t *testing.T) {
	ctx := context.Background()
	users := &memAdminUsers{memUsers: newMemUsers()}
	svc := NewService(users, cheapHasher(2), nil)
	for _, in := range []CreateUserInput{
		{Email: "Ann@shop.example", Role: RoleAdmin}, {Email: "andy@shop.example"}, {Email: "bob@shop.example"},
	} {
		in.Password = "violet-harbor-917"
		if _, err := svc.CreateUser(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	yes := true
	scenarios := []struct {
		name string
		f    UserFilter
		want int
		err  bool
	}{
		{"all", UserFilter{}, 3, false},
		{"role, any case", UserFilter{Role: "admin"}, 1, false},
		{"e-mail prefix, any case", UserFilter{EmailPrefix: "AN"}, 2, false},
		{"disabled", UserFilter{Disabled: &yes}, 0, false},
		{"unknown role", UserFilter{Role: "ROOT"}, 0, true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			l, err := svc.FindUsers(ctx, sc.f, commerce.Page{})
			if (err != nil) != sc.err {
				t.Fatalf("err %v", err)
			}
			if len(l.Items) != sc.want {
				t.Fatalf("got %d users, want %d", len(l.Items), sc.want)
			}
		})
	}
}
