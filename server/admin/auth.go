package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/server/oauth"
)

type callerKey struct{}

func withCaller(ctx context.Context, a manage.Actor) context.Context {
	return context.WithValue(ctx, callerKey{}, a)
}

// actor is the authenticated admin of a request, for the audit log.
func actor(r *http.Request) manage.Actor {
	a, _ := r.Context().Value(callerKey{}).(manage.Actor)
	return a
}

// authenticate admits requests with an active access token (checked by
// oauth.BearerVerifier, so revocation counts) granted oauth.ScopeAdmin, issued to a person who
// is enabled and holds the admin role now (a role removed after the token
// was issued counts). It answers every other request itself: 401 for a
// missing or invalid token, 403 (an audit event) for a valid token
// without the scope or the role.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (manage.Actor, bool) {
	ctx := r.Context()
	token := bearer(r)
	if token == "" {
		challenge(w, http.StatusUnauthorized, "", "A bearer access token with the "+oauth.ScopeAdmin+" scope is required.")
		return manage.Actor{}, false
	}
	b, err := h.tokens.Verify(ctx, r, token)
	var de *oauth.DPoPError
	if errors.As(err, &de) {
		// RFC 9449 section 7.1: a DPoP challenge, with the nonce to use
		// (a Bearer one when DPoP is off).
		if !h.tokens.SetDPoPChallenge(w, err) {
			challenge(w, http.StatusUnauthorized, "invalid_token", de.Description)
			return manage.Actor{}, false
		}
		writeError(w, http.StatusUnauthorized, de.Code, de.Description)
		return manage.Actor{}, false
	}
	if errors.Is(err, oauth.ErrInvalidToken) {
		challenge(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
		return manage.Actor{}, false
	}
	if err != nil && !errors.Is(err, oauth.ErrUserGone) {
		h.serverError(w, r, "load the caller", err)
		return manage.Actor{}, false
	}
	userID := b.Subject
	deny := func(code, reason, description string) (manage.Actor, bool) {
		h.audit.RecordRequest(r, audit.PermissionDenied, audit.Denied, userID, b.ClientID, map[string]string{
			"reason": reason, "method": r.Method, "path": r.URL.Path,
		})
		if code == "insufficient_scope" {
			challenge(w, http.StatusForbidden, code, description)
		} else {
			writeError(w, http.StatusForbidden, code, description)
		}
		return manage.Actor{}, false
	}
	if !b.HasScope(oauth.ScopeAdmin) {
		return deny("insufficient_scope", "missing_scope", "The access token was not granted the "+oauth.ScopeAdmin+" scope.")
	}
	if userID == "" {
		return deny("access_denied", "not_a_person", "The admin API serves people with the admin role, not clients acting for themselves.")
	}
	if errors.Is(err, oauth.ErrUserGone) {
		challenge(w, http.StatusUnauthorized, "invalid_token", "The access token's user no longer exists or is disabled.")
		return manage.Actor{}, false
	}
	user := *b.User
	if !accounts.IsAdmin(user) {
		return deny("access_denied", "not_admin", "The admin API needs the admin role.")
	}
	ev := audit.FromRequest(r, "")
	return manage.Actor{ID: user.ID, IP: ev.IP, UserAgent: ev.UserAgent}, true
}

// bearer returns the access token of the Authorization header (Bearer,
// or DPoP for a DPoP-bound token); the admin API takes it nowhere else.
func bearer(r *http.Request) string {
	token, _ := oauth.AccessTokenFromHeader(r)
	return token
}

// challenge answers with RFC 6750's WWW-Authenticate header (no error code
// when no token was sent, section 3.1) and the JSON error body.
func challenge(w http.ResponseWriter, status int, code, description string) {
	v := fmt.Sprintf(`Bearer realm="gatehouse-admin", scope=%q`, oauth.ScopeAdmin)
	if code != "" {
		v += fmt.Sprintf(`, error=%q, error_description=%q`, code, description)
	}
	w.Header().Set("WWW-Authenticate", v)
	if code == "" {
		code = "invalid_token"
	}
	writeError(w, status, code, description)
}
