package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/audit"
)

// Introspect is the RFC 7662 introspection endpoint: any authenticated
// client may ask; the answer consults storage, so revoked tokens are
// inactive at once.
type Introspect struct {
	Provider *Provider
	Logger   *slog.Logger
}

// ServeHTTP handles one introspection request.
func (h *Introspect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if _, _, ok := r.BasicAuth(); !ok {
		// Only clients authenticating with their secret may introspect,
		// not any holder of a bearer token.
		h.unauthorized(ctx, w, fosite.ErrInvalidClient.WithHint("Authenticate with client_secret_basic."))
		return
	}
	ir, err := h.Provider.NewIntrospectionRequest(ctx, r, NewSession())
	if err != nil {
		if !isInactive(err) {
			logError(ctx, h.Logger, "introspection", err)
		}
		if fosite.ErrorToRFC6749Error(err).ErrorField == fosite.ErrRequestUnauthorized.ErrorField {
			// fosite's request_unauthorized is not a registered code;
			// a failed client authentication is invalid_client.
			h.unauthorized(ctx, w, fosite.ErrInvalidClient)
			return
		}
		h.Provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	if ir.GetTokenUse() == fosite.RefreshToken {
		// fosite reports exp from the access-token expiry whatever the
		// token; a refresh token's own expiry is what RFC 7662 asks for.
		// The session is this response's private copy.
		sess := ir.GetAccessRequester().GetSession()
		sess.SetExpiresAt(fosite.AccessToken, sess.GetExpiresAt(fosite.RefreshToken))
	}
	h.Provider.WriteIntrospectionResponse(ctx, w, ir)
}

// unauthorized answers 401 invalid_client with a Basic challenge.
func (h *Introspect) unauthorized(ctx context.Context, w http.ResponseWriter, err error) {
	w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
	h.Provider.WriteAccessError(ctx, w, fosite.NewAccessRequest(NewSession()), err)
}

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
		err = h.Provider.NewRevocationRequest(ctx, r)
	}
	if err != nil {
		logError(ctx, h.Logger, "revocation", err)
		challengeClient(w, r, err)
	} else {
		recordRevoked(h.Audit, r)
	}
	h.Provider.WriteRevocationResponse(ctx, w, err)
}
