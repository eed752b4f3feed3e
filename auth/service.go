package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ultramarket/ultramarket/commerce"
)

// MaxNameChars is the longest display name accepted.
const MaxNameChars = 200

// Service runs the identity use cases. Who may call which use case (for example that only a
// super admin creates admins) is decided by the caller's permission check, not here.
//
// Users returned by the Service never carry PasswordHash: only sign-in reads it, from Users.
type Service struct {
	users  Users
	hasher *Hasher
	clock  commerce.Clock
	tokens *Tokens // nil until UseTokens; sign-in use cases need it
	recoveryState
	dummyState
	adminMu sync.Mutex // serializes role changes and disabling, so the last SUPER_ADMIN check holds
}

// NewService returns a Service on users and hasher, which are required. A nil clock means
// commerce.SystemClock.
func NewService(users Users, hasher *Hasher, clock commerce.Clock) *Service {
	if users == nil || hasher == nil {
		panic("auth: NewService needs users and a hasher")
	}
	clock = commerce.OrSystemClock(clock)
	return &Service{users: users, hasher: hasher, clock: clock}
}

// CreateUserInput is what CreateUser needs. An empty Role means RoleCustomer.
type CreateUserInput struct {
	Email    string
	Password string
	Name     string
	Role     Role
}

// CreateUser validates every field at once (e-mail, password policy, name, role), hashes the
// password and stores the user. It returns ErrEmailTaken if the e-mail is registered in any
// case. The store emits EventUserCreated with the user.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (User, error) {
	email, name, role, err := checkNewUser(in, false)
	if err != nil {
		return User{}, err
	}
	return s.createUser(ctx, email, in.Password, name, role)
}

// checkNewUser validates every field of in at once and returns the normalized e-mail and
// name and the role (RoleCustomer when empty). requireName refuses an empty name.
func checkNewUser(in CreateUserInput, requireName bool) (email, name string, role Role, err error) {
	var v commerce.Validator
	email, msg := normalizeEmail(in.Email)
	v.Check(msg == "", "email", msg)
	pwEmail := email
	if pwEmail == "" {
		pwEmail = in.Email
	}
	msg = passwordProblem(in.Password, pwEmail)
	v.Check(msg == "", "password", msg)
	name = strings.TrimSpace(in.Name)
	msg = nameProblem(name)
	if msg == "" && requireName && name == "" {
		msg = "is required"
	}
	v.Check(msg == "", "name", msg)
	role = RoleCustomer
	if in.Role != "" {
		r, err := ParseRole(string(in.Role))
		v.Check(err == nil, "role", "must be one of "+roleList())
		role = r
	}
	return email, name, role, v.Err()
}

// createUser hashes the password and stores a user from checked input.
func (s *Service) createUser(ctx context.Context, email, password, name string, role Role) (User, error) {
	// Hashing is the expensive part: skip it when the e-mail is visibly taken. The store
	// still decides atomically.
	if _, err := s.users.UserByEmail(ctx, email); err == nil {
		return User{}, ErrEmailTaken
	} else if !errors.Is(err, ErrUserNotFound) {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	now := s.clock.Now().UTC()
	u := User{
		ID:           commerce.NewID(),
		Email:        email,
		Name:         name,
		Role:         role,
		PasswordHash: hash,
		CreatedAt:    now,
		UpdatedAt:    now,
		Version:      1,
	}
	if err := s.users.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return redact(u), nil
}

func nameProblem(name string) string {
	switch {
	case !utf8.ValidString(name):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(name) > MaxNameChars:
		return fmt.Sprintf("must be at most %d characters", MaxNameChars)
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "must not contain control characters"
	}
	return ""
}

// User returns the user with the given ID, or ErrUserNotFound.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	if !commerce.ValidID(id) {
		return User{}, ErrUserNotFound
	}
	u, err := s.users.User(ctx, id)
	return redact(u), err
}

// ListUsers returns one page of users in creation order.
func (s *Service) ListUsers(ctx context.Context, page commerce.Page) (commerce.List[User], error) {
	l, err := s.users.ListUsers(ctx, page.Normalize())
	if err != nil {
		return commerce.List[User]{}, err
	}
	for i := range l.Items {
		l.Items[i] = redact(l.Items[i])
	}
	return l, nil
}

// SetRole gives the user the role (parsed like ParseRole). Taking SUPER_ADMIN from the
// last enabled SUPER_ADMIN is refused (ErrLastSuperAdmin). A change emits auth.role_changed
// (old and new role) with the user and ends the user's sessions, because access tokens carry
// the role. Setting the role a user already has changes nothing.
func (s *Service) SetRole(ctx context.Context, id string, role Role) (User, error) {
	r, err := ParseRole(string(role))
	if err != nil {
		return User{}, commerce.Invalid(commerce.FieldError{Field: "role", Message: "must be one of " + roleList()})
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	cur, err := s.User(ctx, id)
	if err != nil || cur.Role == r {
		return cur, err
	}
	if cur.Role == RoleSuperAdmin && !cur.Disabled {
		if last, err := s.lastActiveSuperAdmin(ctx, id); err != nil {
			return User{}, err
		} else if last {
			return User{}, ErrLastSuperAdmin
		}
	}
	u, err := s.adminUpdate(ctx, id, func(u *User) ([]commerce.Event, error) {
		old := u.Role
		u.Role = r
		return newEvent(EventRoleChanged, u.ID, s.clock.Now(), RoleChangedData{UserID: u.ID, Email: u.Email, OldRole: old, NewRole: r})
	})
	if err != nil {
		return User{}, err
	}
	return u, s.revokeSessions(ctx, id, RevokeRoleChanged)
}

// Disable stops the user from signing in; their data stays. It emits auth.user_disabled
// with the user and revokes the user's sessions, cutting off their access tokens on this
// process (without tokens, in offline admin commands, the sessions stay but can no longer be
// refreshed). Refused: disabling oneself (ErrDisableSelf), an ADMIN or SUPER_ADMIN unless the
// actor is a SUPER_ADMIN or the operator (ErrManageStaff), the last enabled SUPER_ADMIN
// (ErrLastSuperAdmin). Disabling a disabled user changes nothing.
func (s *Service) Disable(ctx context.Context, id string) (User, error) {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	cur, err := s.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if a, ok := commerce.ActorFrom(ctx); ok && a.UserID == id {
		return User{}, ErrDisableSelf
	}
	if err := actorMayManage(ctx, cur); err != nil {
		return User{}, err
	}
	if cur.Disabled {
		return cur, nil
	}
	if cur.Role == RoleSuperAdmin {
		if last, err := s.lastActiveSuperAdmin(ctx, id); err != nil {
			return User{}, err
		} else if last {
			return User{}, ErrLastSuperAdmin
		}
	}
	u, err := s.adminUpdate(ctx, id, func(u *User) ([]commerce.Event, error) {
		u.Disabled = true
		return newEvent(EventUserDisabled, u.ID, s.clock.Now(), UserStateData{UserID: u.ID, Email: u.Email})
	})
	if err != nil {
		return User{}, err
	}
	return u, s.revokeSessions(ctx, id, RevokeDisabled)
}

// Enable lets a disabled user sign in again and emits auth.user_enabled. Like Disable, only a
// SUPER_ADMIN (or the operator) may enable an ADMIN or SUPER_ADMIN.
func (s *Service) Enable(ctx context.Context, id string) (User, error) {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	cur, err := s.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := actorMayManage(ctx, cur); err != nil {
		return User{}, err
	}
	if !cur.Disabled {
		return cur, nil
	}
	return s.adminUpdate(ctx, id, func(u *User) ([]commerce.Event, error) {
		u.Disabled = false
		return newEvent(EventUserEnabled, u.ID, s.clock.Now(), UserStateData{UserID: u.ID, Email: u.Email})
	})
}

// redact removes the secrets a User carries in the store: the password hash and the
// second factor's secret and recovery codes.
func redact(u User) User {
	u.PasswordHash = ""
	u.TOTPSecret = ""
	u.RecoveryCodes = nil
	return u
}
