package oauth

import (
	"context"
	"slices"

	"github.com/ory/fosite"
)

// keptGrantKey carries, from a token request that narrowed the scope or
// the audience of its access token to the adapter, the grant the new
// refresh token keeps (RFC 6749 section 6, RFC 8707 section 2.2).
type keptGrantKey struct{}

// keptGrant is the original grant; a nil list is not overridden.
type keptGrant struct {
	scopes, audience fosite.Arguments
}

// keepGrant returns ctx carrying scopes and/or audience (nil: unchanged)
// as the grant the new refresh token keeps.
func keepGrant(ctx context.Context, scopes, audience fosite.Arguments) context.Context {
	k, _ := ctx.Value(keptGrantKey{}).(keptGrant)
	if scopes != nil {
		k.scopes = slices.Clone(scopes)
	}
	if audience != nil {
		k.audience = slices.Clone(audience)
	}
	return context.WithValue(ctx, keptGrantKey{}, k)
}

// narrowScopes grants the access token of refresh request ar only scopes
// (each already checked against the original grant) and returns the
// context under which the adapter stores the new refresh token with the
// original grant.
func narrowScopes(ctx context.Context, ar fosite.AccessRequester, scopes []string) context.Context {
	req, ok := ar.(*fosite.AccessRequest)
	if !ok {
		return ctx
	}
	ctx = keepGrant(ctx, ar.GetGrantedScopes(), nil)
	req.GrantedScope = dedupeArgs(scopes)
	return ctx
}

// narrowAudience is narrowScopes for the audience of a refresh.
func narrowAudience(ctx context.Context, ar fosite.AccessRequester, audience []string) context.Context {
	req, ok := ar.(*fosite.AccessRequest)
	if !ok {
		return ctx
	}
	ctx = keepGrant(ctx, nil, ar.GetGrantedAudience())
	req.GrantedAudience = dedupeArgs(audience)
	return ctx
}

func dedupeArgs(in []string) fosite.Arguments {
	out := fosite.Arguments{}
	for _, s := range in {
		if !out.Has(s) {
			out = append(out, s)
		}
	}
	return out
}

// refreshGrant returns req with the original grant of a narrowed request
// (keepGrant) when ctx carries one, else req.
func refreshGrant(ctx context.Context, req fosite.Requester) fosite.Requester {
	k, ok := ctx.Value(keptGrantKey{}).(keptGrant)
	if !ok {
		return req
	}
	g := grantedAs{Requester: req, scopes: req.GetGrantedScopes(), audience: req.GetGrantedAudience()}
	if k.scopes != nil {
		g.scopes = k.scopes
	}
	if k.audience != nil {
		g.audience = k.audience
	}
	return g
}

// grantedAs is a request whose granted scopes and audience read as given.
type grantedAs struct {
	fosite.Requester
	scopes, audience fosite.Arguments
}

// GetGrantedScopes returns the scopes grantedAs was given.
func (g grantedAs) GetGrantedScopes() fosite.Arguments { return g.scopes }

// GetGrantedAudience returns the audience grantedAs was given.
func (g grantedAs) GetGrantedAudience() fosite.Arguments { return g.audience }
