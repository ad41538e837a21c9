package oauth

import (
	"slices"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ScopeAdmin is the scope the admin API requires, together with the admin
// role. A client must be registered for it to ask for it, and it is only
// ever granted to a person holding the admin role: a client acting for
// itself (client credentials) has no roles and never gets it, and a
// person without the role is refused it at the authorization endpoint
// (access_denied, before any consent is asked) and the password grant
// (invalid_scope). A refresh by someone who has lost the role since
// drops it from the grant.
const ScopeAdmin = "gatehouse:admin"

// errAdminScope is the hint of every refusal of ScopeAdmin.
const errAdminScope = "The " + ScopeAdmin + " scope is granted only to people with the admin role."

// adminScopeRefused reports whether scopes ask for ScopeAdmin on behalf of
// someone who may not hold it: user nil (a client acting for itself) or a
// person without the admin role.
func adminScopeRefused(scopes fosite.Arguments, user *storage.User) bool {
	return scopes.Has(ScopeAdmin) && (user == nil || !accounts.IsAdmin(*user))
}

// dropAdminScope removes ScopeAdmin from a refresh grant whose user has
// lost the admin role, so the new tokens (and the next refresh token) no
// longer carry it.
func dropAdminScope(ar fosite.AccessRequester, user storage.User) {
	req, ok := ar.(*fosite.AccessRequest)
	if !ok || !adminScopeRefused(ar.GetGrantedScopes(), &user) {
		return
	}
	req.GrantedScope = slices.DeleteFunc(slices.Clone(req.GrantedScope), func(s string) bool { return s == ScopeAdmin })
}
