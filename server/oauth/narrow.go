package oauth

import (
	"context"
	"slices"

	"github.com/ory/fosite"
)

// refreshGrantKey carries, from a refresh that narrowed its scope to the
// adapter, the original grant the new refresh token keeps.
type refreshGrantKey struct{}

// narrowScopes grants the access token of refresh request ar only scopes
// (each already checked against the original grant, in request order,
// without duplicates) and returns the context under which the adapter
// stores the new refresh token with the original grant.
func narrowScopes(ctx context.Context, ar fosite.AccessRequester, scopes []string) context.Context {
	original := slices.Clone(ar.GetGrantedScopes())
	req, ok := ar.(*fosite.AccessRequest)
	if !ok {
		return ctx
	}
	narrowed := fosite.Arguments{}
	for _, s := range scopes {
		if !narrowed.Has(s) {
			narrowed = append(narrowed, s)
		}
	}
	req.GrantedScope = narrowed
	return context.WithValue(ctx, refreshGrantKey{}, original)
}

// refreshGrant returns req with the original grant of a narrowed refresh
// (narrowScopes) when ctx carries one, else req.
func refreshGrant(ctx context.Context, req fosite.Requester) fosite.Requester {
	original, ok := ctx.Value(refreshGrantKey{}).(fosite.Arguments)
	if !ok {
		return req
	}
	return grantedAs{Requester: req, scopes: original}
}

// grantedAs is a request whose granted scopes read as scopes.
type grantedAs struct {
	fosite.Requester
	scopes fosite.Arguments
}

// GetGrantedScopes returns the scopes grantedAs was given.
func (g grantedAs) GetGrantedScopes() fosite.Arguments { return g.scopes }
