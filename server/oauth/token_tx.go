package oauth

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"
)

// issueTx is the transaction of one token request, when it has one.
type issueTx struct {
	store *Store
	ctx   context.Context // carries the transaction while open
	open  bool
}

// begin starts the transaction; it is open until end.
func (x *issueTx) begin(ctx context.Context) error {
	if x.open {
		return nil
	}
	txCtx, err := x.store.BeginTX(ctx)
	if err != nil {
		return err
	}
	x.ctx, x.open = txCtx, true
	return nil
}

// context returns the transaction's context while it is open, else ctx.
func (x *issueTx) context(ctx context.Context) context.Context {
	if x.open {
		return x.ctx
	}
	return ctx
}

// end commits (commit set) or rolls back the open transaction, if any.
func (x *issueTx) end(commit bool) error {
	if !x.open {
		return nil
	}
	x.open = false
	if commit {
		return x.store.Commit(x.ctx)
	}
	return x.store.Rollback(x.ctx)
}

// replayed applies the reuse rule to a failed code exchange or refresh,
// once its transaction has ended: when the code or refresh token the
// authenticated client presented turns out to be used already (inactive,
// and for a refresh token outside the reuse grace), the request was a
// replay, whatever step refused it, and every token of the grant is
// revoked, those a concurrent winner has just been given included
// (RFC 6749 section 4.1.2, RFC 6819 section 5.2.2.3). A used token is seen
// only once the use is committed, so the winner's tokens are there to be
// revoked. The answer is then invalid_grant.
func (t *Token) replayed(ctx context.Context, r *http.Request, ar fosite.AccessRequester, err error) error {
	if ar == nil || ar.GetClient() == nil || r.PostForm == nil {
		return err // the client did not authenticate: nothing is revoked
	}
	grant := ar.GetGrantTypes()
	var req fosite.Requester
	var lookupErr error
	switch {
	case grant.ExactOne("authorization_code"):
		sig := t.Provider.hmac.AuthorizeCodeSignature(ctx, r.PostForm.Get("code"))
		req, lookupErr = t.Provider.store.GetAuthorizeCodeSession(ctx, sig, nil)
		if !errors.Is(lookupErr, fosite.ErrInvalidatedAuthorizeCode) {
			return err
		}
	case grant.ExactOne("refresh_token"):
		sig := refreshTokenKey(r.PostForm.Get("refresh_token"))
		req, lookupErr = t.Provider.store.GetRefreshTokenSession(ctx, sig, nil)
		if !errors.Is(lookupErr, fosite.ErrInactiveToken) {
			return err
		}
	default:
		return err
	}
	if req == nil || req.GetClient() == nil || req.GetClient().GetID() != ar.GetClient().GetID() {
		return err
	}
	if rerr := t.Provider.revokeRequest(ctx, req.GetID()); rerr != nil {
		t.Logger.ErrorContext(ctx, "revoke the tokens of a replayed grant", "error", rerr)
		return fosite.ErrServerError.WithWrap(rerr)
	}
	if grant.ExactOne("authorization_code") {
		return fosite.ErrInvalidGrant.WithWrap(fosite.ErrInvalidatedAuthorizeCode).
			WithHint("The authorization code has already been used.")
	}
	return fosite.ErrInvalidGrant.WithWrap(fosite.ErrInactiveToken).
		WithHint("The refresh token has already been used.")
}
