package accounts

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse-id/gatehouse/storage"
)

// MaxRoleLength bounds a role name.
const MaxRoleLength = 64

// ErrInvalidRole is wrapped by NormalizeRoles for a malformed role name.
var ErrInvalidRole = errors.New("accounts: invalid role")

// ValidRole reports whether name is a role name: 1 to 64 characters of
// lower-case letters, digits and _ . : - ("admin", "billing:read").
// Besides the built-in user and admin, any such name may be given.
func ValidRole(name string) bool {
	if name == "" || len(name) > MaxRoleLength {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == ':' || r == '-') {
			return false
		}
	}
	return true
}

// NormalizeRoles checks every role name and returns the roles sorted,
// without duplicates, and always including the base role "user": every
// account has it.
func NormalizeRoles(roles []string) ([]string, error) {
	for _, r := range roles {
		if !ValidRole(r) {
			return nil, fmt.Errorf("%w %q: use 1 to %d characters of a-z, 0-9, _ . : -", ErrInvalidRole, r, MaxRoleLength)
		}
	}
	out := append(slices.Clone(roles), storage.RoleUser)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// IsAdmin reports whether u holds the admin role.
func IsAdmin(u storage.User) bool {
	return slices.Contains(u.Roles, storage.RoleAdmin)
}
