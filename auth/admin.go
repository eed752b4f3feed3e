package auth

import (
	"context"
	"strings"
	"time"

	"github.com/ultramarket/ultramarket/commerce"
)

// UserAdmin is what the administration use cases need of the user store beyond Users. The
// store adapter implements it; the Service finds it on its Users.
type UserAdmin interface {
	// FindUsers returns one page of the users that match f, in ID (creation) order.
	FindUsers(ctx context.Context, f UserFilter, page commerce.Page) (commerce.List[User], error)
}

// UserFilter selects users in an administrator's list. Zero fields select everything.
type UserFilter struct {
	Role        Role   // only users with this role
	EmailPrefix string // only users whose e-mail starts with this, ignoring case
	Disabled    *bool  // only disabled (true) or only enabled (false) users
}

// Match reports whether u is selected by f.
func (f UserFilter) Match(u User) bool {
	return (f.Role == "" || u.Role == f.Role) &&
		(f.EmailPrefix == "" || strings.HasPrefix(strings.ToLower(u.Email), strings.ToLower(f.EmailPrefix))) &&
		(f.Disabled == nil || u.Disabled == *f.Disabled)
}

// Administration event types, on subjects um.auth.* (so every one is in the audit log).
const (
	EventRoleChanged  = "auth.role_changed"  // data: RoleChangedData
	EventUserDisabled = "auth.user_disabled" // data: UserStateData
	EventUserEnabled  = "auth.user_enabled"  // data: UserStateData
)

// RoleChangedData is the data of an EventRoleChanged event.
type RoleChangedData struct {
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	OldRole Role   `json:"old_role"`
	NewRole Role   `json:"new_role"`
}

// UserStateData is the data of EventUserDisabled and EventUserEnabled.
type UserStateData struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

// RevokeRoleChanged is why a user's sessions end when their role changes: access tokens
// carry the role, so the old ones must stop working.
const RevokeRoleChanged = "role_changed"

// Errors of the administration use cases.
var (
	ErrLastSuperAdmin = &commerce.Error{Kind: commerce.EConflict, Code: "last_super_admin",
		Message: "this is the last active SUPER_ADMIN; make another user SUPER_ADMIN first"}
	ErrManageStaff = &commerce.Error{Kind: commerce.EForbidden, Code: "staff_account",
		Message: "only a SUPER_ADMIN may disable, enable or reset the second factor of an ADMIN or SUPER_ADMIN account"}
	ErrDisableSelf = &commerce.Error{Kind: commerce.EConflict, Code: "cannot_disable_self",
		Message: "you cannot disable your own account"}
	ErrAdminUnavailable = &commerce.Error{Kind: commerce.EUnavailable, Code: "user_admin_unavailable",
		Message: "user administration is not available"}
)

// FindUsers returns one page of the users that match f, in creation order, without secrets.
func (s *Service) FindUsers(ctx context.Context, f UserFilter, page commerce.Page) (commerce.List[User], error) {
	ua, ok := s.users.(UserAdmin)
	if !ok {
		return commerce.List[User]{}, ErrAdminUnavailable
	}
	if f.Role != "" {
		r, err := ParseRole(string(f.Role))
		if err != nil {
			return commerce.List[User]{}, commerce.Invalid(commerce.FieldError{Field: "role", Message: "must be one of " + roleList()})
		}
		f.Role = r
	}
	l, err := ua.FindUsers(ctx, f, page.Normalize())
	if err != nil {
		return commerce.List[User]{}, err
	}
	for i := range l.Items {
		l.Items[i] = redact(l.Items[i])
	}
	return l, nil
}

// actorMayManage decides whether the actor in ctx may disable, enable or reset the second
// factor of target: an ADMIN account or a SUPER_ADMIN account only a SUPER_ADMIN (or the
// operator's CLI, which carries no role) may. A context without an actor is a trusted
// internal caller.
func actorMayManage(ctx context.Context, target User) error {
	a, ok := commerce.ActorFrom(ctx)
	if !ok || a.Role == "" || Role(a.Role) == RoleSuperAdmin {
		return nil
	}
	if target.Role.AtLeast(RoleAdmin) {
		return ErrManageStaff
	}
	return nil
}

// lastActiveSuperAdmin reports whether the user with the given ID is the only enabled
// SUPER_ADMIN. Callers hold adminMu, so no other role change or disabling runs meanwhile.
func (s *Service) lastActiveSuperAdmin(ctx context.Context, id string) (bool, error) {
	page := commerce.Page{Limit: commerce.MaxPageLimit}
	for {
		l, err := s.users.ListUsers(ctx, page)
		if err != nil {
			return false, err
		}
		for _, u := range l.Items {
			if u.ID != id && u.Role == RoleSuperAdmin && !u.Disabled && !u.Deleted {
				return false, nil
			}
		}
		if l.NextCursor == "" {
			return true, nil
		}
		page.Cursor = l.NextCursor
	}
}

// adminUpdate applies change to the user with the given ID and stores it with the events
// change returns, in one write (UserEvents). Stores without UserEvents (test doubles) store
// the change without the extra events.
func (s *Service) adminUpdate(ctx context.Context, id string, change func(*User) ([]commerce.Event, error)) (User, error) {
	if !commerce.ValidID(id) {
		return User{}, ErrUserNotFound
	}
	now := s.clock.Now().UTC()
	stamp := func(u *User) ([]commerce.Event, error) {
		evs, err := change(u)
		if err != nil {
			return nil, err
		}
		u.UpdatedAt = now
		return evs, nil
	}
	var u User
	var err error
	if ue, uerr := s.userEvents(); uerr == nil {
		u, err = ue.UpdateUserEmit(ctx, id, stamp)
	} else {
		u, err = s.users.UpdateUser(ctx, id, func(u *User) error { _, err := stamp(u); return err })
	}
	if err != nil {
		return User{}, err
	}
	return redact(u), nil
}

// revokeSessions ends every session of the user, cutting off their access tokens on this
// process. Without tokens (offline admin commands, whose process serves no requests) the
// sessions stay: a refresh then gets a token with the current role, or nothing for a
// disabled account.
func (s *Service) revokeSessions(ctx context.Context, id, reason string) error {
	if s.tokens == nil {
		return nil
	}
	return s.tokens.RevokeUser(ctx, id, reason)
}

func newEvent(typ, id string, at time.Time, data any) ([]commerce.Event, error) {
	ev, err := commerce.NewEvent(typ, id, at, data)
	if err != nil {
		return nil, err
	}
	return []commerce.Event{ev}, nil
}

// ResetSecondFactor is ResetTwoFactor for an administrator: it refuses an ADMIN or
// SUPER_ADMIN account unless the actor in ctx is a SUPER_ADMIN or the operator
// (ErrManageStaff).
func (s *Service) ResetSecondFactor(ctx context.Context, id string) (User, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := actorMayManage(ctx, u); err != nil {
		return User{}, err
	}
	return s.ResetTwoFactor(ctx, id)
}

// UserByRef returns the user named by ref: a user ID, or else an e-mail (any case). For
// operators, who know accounts by e-mail.
func (s *Service) UserByRef(ctx context.Context, ref string) (User, error) {
	ref = strings.TrimSpace(ref)
	if commerce.ValidID(ref) {
		return s.User(ctx, ref)
	}
	if ref == "" || !strings.Contains(ref, "@") {
		return User{}, ErrUserNotFound
	}
	u, err := s.users.UserByEmail(ctx, ref)
	return redact(u), err
}
