package oauth

import (
	"context"
	"slices"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/storage"
)

// checkedUserKey carries, in the context of one token request, the user
// the token endpoint has just checked under the subject's lock.
type checkedUserKey struct{}

// withCheckedUser returns ctx carrying u, the user tokens are about to be
// issued to.
func withCheckedUser(ctx context.Context, u storage.User) context.Context {
	return context.WithValue(ctx, checkedUserKey{}, u)
}

// applyCheckedUser brings a request the adapter loads for the token
// endpoint up to date with the checked user: the user-derived claims and
// roles, and no ScopeAdmin for someone who has lost the admin role. fosite
// re-reads the code's sessions while it issues tokens for a code (the
// access token from the code session, the ID token from the OpenID Connect
// one), so the token endpoint cannot set these on the session beforehand.
// Outside the token endpoint, or for another subject, it does nothing.
func applyCheckedUser(ctx context.Context, req *fosite.Request) {
	u, ok := ctx.Value(checkedUserKey{}).(storage.User)
	if !ok {
		return
	}
	sess, ok := req.Session.(*Session)
	if !ok || sess == nil || !sess.User || sess.Subject != u.ID {
		return
	}
	if adminScopeRefused(req.GrantedScope, &u) {
		req.GrantedScope = slices.DeleteFunc(slices.Clone(req.GrantedScope), func(s string) bool { return s == ScopeAdmin })
	}
	sess.setUser(u, req.GrantedScope)
}
