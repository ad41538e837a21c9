package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/audit"
)

// isInactive reports errors that mean "the token is not active" rather
// than a failure worth logging.
func isInactive(err error) bool {
	rfc := fosite.ErrorToRFC6749Error(err)
	return rfc.ErrorField == fosite.ErrInactiveToken.ErrorField || rfc.ErrorField == fosite.ErrRequestUnauthorized.ErrorField ||
		errors.Is(err, fosite.ErrNotFound) || errors.Is(err, fosite.ErrTokenExpired)
}

// Revoke is the RFC 7009 revocation endpoint.
type Revoke struct {
	Provider *Provider
	Logger   *slog.Logger
	Audit    *audit.Recorder // optional
}

// ServeHTTP handles one revocation request.
func (h *Revoke) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var err error
	if perr := r.ParseForm(); perr != nil {
		err = fosite.ErrInvalidRequest.WithHint("The request body could not be parsed.").WithWrap(perr)
	}
	if err == nil {
		err = checkSingleValues(r.PostForm)
	}
	if err == nil {
		err = checkClientAuth(r)
	}
	if err == nil {
		var done bool
		if done, err = h.revokeExchanged(ctx, r); !done && err == nil {
			err = h.Provider.NewRevocationRequest(ctx, r)
		}
	}
	if err != nil {
		logError(ctx, h.Logger, "revocation", err)
		challengeClient(w, r, err)
	} else {
		recordRevoked(h.Audit, r)
	}
	h.Provider.WriteRevocationResponse(ctx, w, err)
}

// revokeExchanged revokes, alone, an access token that token exchange
// issued to the calling client. Such a token is stored in the subject
// token's grant, so that revoking the subject's grant revokes it; fosite
// revokes a token by revoking its whole grant, which here would let the
// downstream client end the upstream client's tokens. It reports whether
// it answered the request (the token was such a one).
func (h *Revoke) revokeExchanged(ctx context.Context, r *http.Request) (bool, error) {
	token := r.PostForm.Get("token")
	if token == "" || !isAccessToken(token) {
		return false, nil
	}
	caller, err := h.Provider.authenticateClient(ctx, r, r.PostForm)
	if err != nil {
		return false, nil // fosite authenticates again and answers
	}
	sig := accessTokenKey(token)
	if sig == "" {
		return false, nil
	}
	ar, err := h.Provider.store.GetAccessTokenSession(ctx, sig, NewSession())
	if err != nil {
		return false, nil
	}
	sess, ok := ar.GetSession().(*Session)
	if !ok || !sess.Exchanged || ar.GetClient() == nil || ar.GetClient().GetID() != caller.GetID() {
		return false, nil
	}
	if err := h.Provider.store.DeleteAccessTokenSession(ctx, sig); err != nil && !errors.Is(err, fosite.ErrNotFound) {
		return true, err
	}
	return true, nil
}
