package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

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
	b, err := h.verifier().Verify(ctx, r, token)
	var de *DPoPError
	if errors.As(err, &de) {
		// RFC 9449 section 7.1: a DPoP challenge, with the nonce to use
		// (a Bearer one when DPoP is off).
		if !h.verifier().SetDPoPChallenge(w, err) {
			h.challenge(w, http.StatusUnauthorized, "invalid_token", de.Description)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": de.Code, "error_description": de.Description})
		return
	}
	if errors.Is(err, ErrInvalidToken) {
		h.challenge(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
		return
	}
	if err == nil && b.User == nil {
		h.challenge(w, http.StatusUnauthorized, "invalid_token", "The access token was not issued to a person.")
		return
	}
	if (err == nil || errors.Is(err, ErrUserGone)) && !b.HasScope("openid") {
		h.challenge(w, http.StatusForbidden, "insufficient_scope", "The access token was not granted the openid scope.")
		return
	}
	if errors.Is(err, ErrUserGone) {
		h.challenge(w, http.StatusUnauthorized, "invalid_token", "The token's user no longer exists.")
		return
	}
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if errors.Is(err, ErrStorageUnavailable) {
			h.Provider.faults.Report(ctx, "protocol", "userinfo", err)
			w.Header().Set("Retry-After", retryAfterSeconds)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"temporarily_unavailable"}` + "\n"))
			return
		}
		h.Logger.ErrorContext(ctx, "userinfo: load user", "error", err)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":"server_error"}` + "\n"))
		return
	}
	user := b.User
	claims := map[string]any{"sub": user.ID, "roles": user.Roles}
	if b.HasScope("email") {
		claims["email"] = user.Email
		claims["email_verified"] = user.EmailVerified
	}
	if b.HasScope("profile") {
		for k, v := range profileClaims(*user) {
			claims[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(claims)
}

// verifier is the bearer-token verifier over h's provider and users.
func (h *UserInfo) verifier() *BearerVerifier {
	return &BearerVerifier{Provider: h.Provider, Users: h.Users, Logger: h.Logger}
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
	header, _ := AccessTokenFromHeader(r)
	var body string
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
