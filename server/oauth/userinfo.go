package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/storage"
)

// UserInfo is the OpenID Connect userinfo endpoint (GET and POST, bearer
// token). Claims come from the user's current record, limited by the
// token's granted scopes.
type UserInfo struct {
	Provider *Provider
	Users    interface {
		GetUser(ctx context.Context, id string) (storage.User, error)
	}
	Logger *slog.Logger
}

// ServeHTTP answers one userinfo request.
func (h *UserInfo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token, err := bearerToken(r)
	if err != nil {
		h.challenge(w, http.StatusBadRequest, "invalid_request", "Send the access token one way, not in both the header and the body.")
		return
	}
	if token == "" {
		h.challenge(w, http.StatusUnauthorized, "", "")
		return
	}
	sess := NewSession()
	use, ar, err := h.Provider.IntrospectToken(ctx, token, fosite.AccessToken, sess)
	if err != nil || use != fosite.AccessToken {
		if err != nil && !isInactive(err) {
			logError(ctx, h.Logger, "userinfo", err)
		}
		h.challenge(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
		return
	}
	if !sess.User {
		h.challenge(w, http.StatusUnauthorized, "invalid_token", "The access token was not issued to a person.")
		return
	}
	if !ar.GetGrantedScopes().Has("openid") {
		h.challenge(w, http.StatusForbidden, "insufficient_scope", "The access token was not granted the openid scope.")
		return
	}
	user, err := h.Users.GetUser(ctx, sess.Subject)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && user.Disabled) {
		h.challenge(w, http.StatusUnauthorized, "invalid_token", "The token's user no longer exists.")
		return
	}
	if err != nil {
		h.Logger.ErrorContext(ctx, "userinfo: load user", "error", err)
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	claims := map[string]any{"sub": user.ID, "roles": user.Roles}
	scopes := ar.GetGrantedScopes()
	if scopes.Has("email") {
		claims["email"] = user.Email
		claims["email_verified"] = user.EmailVerified
	}
	if scopes.Has("profile") {
		claims["name"] = user.Name
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(claims)
}

// challenge answers with RFC 6750's WWW-Authenticate header.
func (h *UserInfo) challenge(w http.ResponseWriter, status int, code, description string) {
	v := `Bearer realm="userinfo"`
	if code != "" {
		v += fmt.Sprintf(`, error=%q, error_description=%q`, code, strings.ReplaceAll(description, `"`, ""))
	}
	w.Header().Set("WWW-Authenticate", v)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if code == "" {
		// No credentials at all: RFC 6750 section 3.1 sends no error code.
		_, _ = w.Write([]byte("{}\n"))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

var errTwoTokens = errors.New("oauth: access token sent both in the header and the body")

// bearerToken reads the access token from the Authorization header or,
// for a form POST, the access_token body parameter (RFC 6750 sections 2.1
// and 2.2); never from the query string, since URLs end up in logs. Using
// both methods at once is an error (section 2).
func bearerToken(r *http.Request) (string, error) {
	var header, body string
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		header = strings.TrimSpace(token)
	}
	if r.Method == http.MethodPost {
		ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		if strings.TrimSpace(ct) == "application/x-www-form-urlencoded" && r.ParseForm() == nil {
			body = r.PostForm.Get("access_token")
		}
	}
	if header != "" && body != "" {
		return "", errTwoTokens
	}
	return header + body, nil
}
