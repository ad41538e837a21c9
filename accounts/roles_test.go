package accounts_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/storage"
)

func TestRoles(t *testing.T) {
	for _, ok := range []string{"user", "admin", "billing:read", "a.b_c-d", "0", strings.Repeat("r", 64)} {
		if !accounts.ValidRole(ok) {
			t.Errorf("ValidRole(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "Admin", "a b", "é", "role/x", strings.Repeat("r", 65), "admin\n"} {
		if accounts.ValidRole(bad) {
			t.Errorf("ValidRole(%q) = true", bad)
		}
		if _, err := accounts.NormalizeRoles([]string{"user", bad}); !errors.Is(err, accounts.ErrInvalidRole) {
			t.Errorf("NormalizeRoles with %q: %v, want ErrInvalidRole", bad, err)
		}
	}
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{"user"}},
		{[]string{"admin"}, []string{"admin", "user"}},
		{[]string{"zeta", "admin", "zeta", "user"}, []string{"admin", "user", "zeta"}},
	} {
		got, err := accounts.NormalizeRoles(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("NormalizeRoles(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if !accounts.IsAdmin(storage.User{Roles: []string{"admin", "user"}}) || accounts.IsAdmin(storage.User{Roles: []string{"user", "administrator"}}) {
		t.Errorf("IsAdmin")
	}
}
