package auth

import (
	"strings"

	"github.com/ultramarket/ultramarket/commerce"
)

// Role is what a user is allowed to do, from least to most privileged.
type Role string

// Roles.
const (
	RoleCustomer   Role = "CUSTOMER"    // shops: carts, orders, reviews of their own
	RoleVendor     Role = "VENDOR"      // manages the products and orders of their own vendor
	RoleAdmin      Role = "ADMIN"       // runs the shop: catalog, orders, customers
	RoleSuperAdmin Role = "SUPER_ADMIN" // also manages admins, settings and backups
)

// roles lists every role from least to most privileged.
var roles = []Role{RoleCustomer, RoleVendor, RoleAdmin, RoleSuperAdmin}

// Roles returns every role, from least to most privileged.
func Roles() []Role { return append([]Role(nil), roles...) }

// Valid reports whether r is one of the defined roles (exact, upper-case spelling).
func (r Role) Valid() bool { return r.rank() >= 0 }

// rank is the role's position in roles, or -1 for an unknown role.
func (r Role) rank() int {
	for i, x := range roles {
		if x == r {
			return i
		}
	}
	return -1
}

func (r Role) String() string { return string(r) }

// ErrInvalidRole is returned (with the offending input in the message) for an unknown role.
var ErrInvalidRole = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_role", Message: "auth: invalid role"}

// ParseRole returns the role named by s, ignoring case and surrounding space.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToUpper(strings.TrimSpace(s)))
	if r.Valid() {
		return r, nil
	}
	return "", commerce.Errorf(commerce.EInvalid, ErrInvalidRole.Code,
		"auth: unknown role %q; valid roles: %s", s, roleList())
}

func roleList() string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// AtLeast reports whether r is as privileged as min or more. Unknown roles are never
// privileged enough.
func (r Role) AtLeast(min Role) bool {
	rr, mr := r.rank(), min.rank()
	return rr >= 0 && mr >= 0 && rr >= mr
}
