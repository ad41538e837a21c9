package oauth

import (
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
