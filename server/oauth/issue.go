package oauth

import (
	"context"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// issuer issues the tokens of Gatehouse's own grant handlers (device
// code, token exchange) the way fosite's handlers do: a JWT access token
// and, when the grant allows one, an opaque refresh token stored with it.
type issuer struct {
	config   *fosite.Config
	strategy oauth2.CoreStrategy
	store    *Store
}

// setExpiry sets the access and refresh token expiry on the session.
func (i issuer) setExpiry(ctx context.Context, ar fosite.AccessRequester, grant fosite.GrantType) {
	now := time.Now().UTC()
	at := fosite.GetEffectiveLifespan(ar.GetClient(), grant, fosite.AccessToken, i.config.GetAccessTokenLifespan(ctx))
	ar.GetSession().SetExpiresAt(fosite.AccessToken, now.Add(at).Round(time.Second))
	if rt := fosite.GetEffectiveLifespan(ar.GetClient(), grant, fosite.RefreshToken, i.config.GetRefreshTokenLifespan(ctx)); rt > -1 {
		ar.GetSession().SetExpiresAt(fosite.RefreshToken, now.Add(rt).Round(time.Second))
	}
}

// issue writes an access token for ar into resp and, when refresh is set
// and the client may refresh and was granted offline_access, a refresh
// token paired with it.
func (i issuer) issue(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder, refresh bool) error {
	access, accessSig, err := i.strategy.GenerateAccessToken(ctx, ar)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if err := i.store.CreateAccessTokenSession(ctx, accessSig, ar.Sanitize([]string{})); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	resp.SetAccessToken(access)
	resp.SetTokenType("bearer")
	resp.SetExpiresIn(time.Until(ar.GetSession().GetExpiresAt(fosite.AccessToken)).Round(time.Second))
	resp.SetScopes(ar.GetGrantedScopes())
	if !refresh || !ar.GetClient().GetGrantTypes().Has("refresh_token") || !ar.GetGrantedScopes().HasOneOf(i.config.GetRefreshTokenScopes(ctx)...) {
		return nil
	}
	rt, rtSig, err := i.strategy.GenerateRefreshToken(ctx, ar)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if err := i.store.CreateRefreshTokenSession(ctx, rtSig, accessSig, ar.Sanitize([]string{})); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	resp.SetExtra("refresh_token", rt)
	return nil
}
