package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// routes are one request of every route of the admin API; ids name
// nothing, which only an authorised caller gets to learn (404).
var routes = []struct{ method, path string }{
	{http.MethodGet, "/admin/users"},
	{http.MethodPost, "/admin/users"},
	{http.MethodGet, "/admin/users/nobody"},
	{http.MethodPatch, "/admin/users/nobody"},
	{http.MethodDelete, "/admin/users/nobody"},
	{http.MethodGet, "/admin/clients"},
	{http.MethodPost, "/admin/clients"},
	{http.MethodGet, "/admin/clients/nothing"},
	{http.MethodPatch, "/admin/clients/nothing"},
	{http.MethodDelete, "/admin/clients/nothing"},
	{http.MethodPost, "/admin/clients/nothing/rotate-secret"},
	{http.MethodGet, "/admin/keys"},
	{http.MethodPost, "/admin/keys/rotate"},
	{http.MethodGet, "/admin/audit"},
	{http.MethodGet, "/admin/no-such-thing"},
}

// TestAuthorisationMatrix: only an enabled admin's access token granted
// gatehouse:admin passes; everyone else gets 401 or 403 on every route,
// changes nothing, and each 403 is an audit event.
func TestAuthorisationMatrix(t *testing.T) {
	f := newFixture(t)
	revoked := f.adminToken(t)
	f.revoke(t, revoked)
	adminNoScope := f.mustPassword(t, adminEmail, adminPassword, "openid", "offline_access")
	user := f.mustPassword(t, userEmail, userPassword, "openid")
	cc, err := f.clientCredentials(t, "openid")
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	admin := f.adminToken(t)
	keysBefore := len(f.ok(t, admin, http.MethodGet, "/admin/keys", nil, http.StatusOK).JSON["keys"].([]any))

	callers := []struct {
		name   string
		token  string
		status int
		code   string // error code; "" for an admin
	}{
		{"no token", "", http.StatusUnauthorized, "invalid_token"},
		{"garbage token", "not-a-token", http.StatusUnauthorized, "invalid_token"},
		{"revoked admin token", revoked, http.StatusUnauthorized, "invalid_token"},
		{"admin's ID token", adminNoScope.Extra("id_token").(string), http.StatusUnauthorized, "invalid_token"},
		{"admin's refresh token", adminNoScope.RefreshToken, http.StatusUnauthorized, "invalid_token"},
		{"user token", user.AccessToken, http.StatusForbidden, "insufficient_scope"},
		{"admin token without scope", adminNoScope.AccessToken, http.StatusForbidden, "insufficient_scope"},
		{"client credentials token", cc.AccessToken, http.StatusForbidden, "insufficient_scope"},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			denied := len(f.events(t, audit.PermissionDenied))
			for _, rt := range routes {
				r := f.call(t, c.token, rt.method, rt.path, map[string]any{"name": "x"})
				wantError(t, r, c.status, c.code)
				h := r.Header.Get("WWW-Authenticate")
				if !strings.HasPrefix(h, "Bearer ") {
					t.Errorf("%s %s: WWW-Authenticate %q", rt.method, rt.path, h)
				}
				switch {
				case c.token == "" && strings.Contains(h, "error="):
					t.Errorf("%s %s: an error code in the challenge to a request without credentials: %q", rt.method, rt.path, h)
				case c.token != "" && !strings.Contains(h, `error="`+c.code+`"`):
					t.Errorf("%s %s: WWW-Authenticate %q, want error=%q", rt.method, rt.path, h, c.code)
				}
			}
			wantDenied := 0
			if c.status == http.StatusForbidden {
				wantDenied = len(routes)
			}
			if got := len(f.events(t, audit.PermissionDenied)) - denied; got != wantDenied {
				t.Errorf("%d permission-denied events, want %d", got, wantDenied)
			}
		})
	}
	if n := len(f.ok(t, admin, http.MethodGet, "/admin/keys", nil, http.StatusOK).JSON["keys"].([]any)); n != keysBefore {
		t.Errorf("%d keys after the refused rotations, want %d", n, keysBefore)
	}
	e := f.events(t, audit.PermissionDenied)[0]
	if e.Outcome != audit.Denied || e.ClientID != "console" || e.Details["reason"] != "missing_scope" || e.Details["path"] == "" {
		t.Errorf("permission-denied event %+v", e)
	}

	t.Run("admin with scope", func(t *testing.T) {
		for _, rt := range routes {
			r := f.call(t, admin, rt.method, rt.path, map[string]any{"name": "x"})
			if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.JSON == nil {
				t.Errorf("%s %s: %d %s", rt.method, rt.path, r.Status, r.Body)
			}
		}
	})
}

func (f *fixture) clientCredentials(t *testing.T, scopes ...string) (*oauth2.Token, error) {
	t.Helper()
	cfg := clientcredentialsConfig(f, scopes)
	return cfg.Token(t.Context())
}

// TestAdminScopeOnlyForAdmins: gatehouse:admin is never granted to a
// client acting for itself or to a person without the admin role.
func TestAdminScopeOnlyForAdmins(t *testing.T) {
	f := newFixture(t)
	if _, err := f.clientCredentials(t, scopeAdmin); !isRetrieveError(err, http.StatusBadRequest, "invalid_scope") {
		t.Errorf("client credentials with %s: %v, want invalid_scope", scopeAdmin, err)
	}
	if _, err := f.password(t, userEmail, userPassword, "openid", scopeAdmin); !isRetrieveError(err, http.StatusBadRequest, "invalid_scope") {
		t.Errorf("password grant of a user with %s: %v, want invalid_scope", scopeAdmin, err)
	}

	// The code flow: the person is refused before being asked to consent.
	cfg := f.config("openid", scopeAdmin)
	b := f.env.NewBrowser(t)
	verifier := oauth2.GenerateVerifier()
	state := servertest.RandomString(t)
	resp := b.Login(t, b.Authorize(t, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))), userEmail, userPassword)
	q := servertest.ClientRedirect(t, resp, redirectURI).Query()
	if q.Get("error") != "access_denied" || q.Get("state") != state {
		t.Errorf("code flow of a user with %s: redirect %v, want access_denied", scopeAdmin, q)
	}

	// An admin gets it through the code flow and may use the API.
	a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, adminEmail, adminPassword)
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if s, _ := tok.Extra("scope").(string); !strings.Contains(s, scopeAdmin) {
		t.Errorf("admin's code-flow scope %q", s)
	}
	f.ok(t, tok.AccessToken, http.MethodGet, "/admin/users", nil, http.StatusOK)
}
