package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDatabaseDownIsNotTheClientsFault is issue 13 item 1 at the protocol
// endpoints: while the database fails, a client with good credentials is
// told to retry (503 temporarily_unavailable with Retry-After), never that
// its credentials are bad (401 invalid_client) or its grant dead
// (invalid_grant), and no answer carries fosite's unregistered code "error".
func TestDatabaseDownIsNotTheClientsFault(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, allScopes...)
	b := f.env.NewBrowser(t)
	loginPage := b.Get(t, f.env.URL+"/login")
	// The store goes away under the running server: every statement
	// fails from now on, as when the database server is down.
	if err := f.env.Store.Close(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"password grant", "/oauth2/token", url.Values{"grant_type": {"password"}, "username": {f.user.Email}, "password": {"whatever it is"}, "scope": {"openid"}}},
		{"client credentials", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}},
		{"refresh", "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}},
		{"introspection", "/oauth2/introspect", url.Values{"token": {tok.AccessToken}}},
		{"revocation", "/oauth2/revoke", url.Values{"token": {tok.RefreshToken}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, f.env, tc.path, tc.form, f.clientID, f.secret)
			if r.Status != http.StatusServiceUnavailable || r.JSON["error"] != "temporarily_unavailable" {
				t.Errorf("status %d %s, want 503 temporarily_unavailable", r.Status, r.Body)
			}
			if r.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			if r.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("a client-authentication challenge for a database failure: %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("userinfo", func(t *testing.T) {
		r := send(t, f.env, http.MethodGet, "/userinfo", "", nil, func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		})
		if r.Status != http.StatusServiceUnavailable || r.JSON["error"] != "temporarily_unavailable" || r.Header.Get("Retry-After") == "" {
			t.Errorf("status %d %s, want 503 temporarily_unavailable with Retry-After", r.Status, r.Body)
		}
	})
	t.Run("login page", func(t *testing.T) {
		// Not "wrong email or password": the person's credentials may
		// be right; the page says to try again in a moment.
		resp := submit(t, f.env, b, loginPage, "/login", url.Values{"email": {f.user.Email}, "password": {"any password at all"}})
		if resp.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After on the login page's answer")
		}
		wantText(t, resp, http.StatusServiceUnavailable, "try again in a moment")
	})

	t.Run("counted", func(t *testing.T) {
		r := send(t, f.env, http.MethodGet, "/metrics", "", nil, nil)
		for _, surface := range []string{"protocol", "pages"} {
			if !strings.Contains(string(r.Body), `gatehouse_storage_failures_total{surface="`+surface+`"}`) {
				t.Errorf("no storage failures counted on %s:\n%s", surface, r.Body)
			}
		}
	})
}
