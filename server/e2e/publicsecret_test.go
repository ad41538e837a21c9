package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestPublicClientWithSecretRefused: a public client has no secret; one
// that sends a secret anyway (client_secret_post or HTTP Basic) is
// refused with invalid_client at the token and revocation endpoints,
// while the same request without the secret goes on.
func TestPublicClientWithSecretRefused(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	id, _ := env.CreateClient(t, clients.Spec{ID: "native", Public: true, RedirectURIs: []string{"http://127.0.0.1/callback"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "offline_access"}})
	code := url.Values{"grant_type": {"authorization_code"}, "code": {"not-a-code"}, "redirect_uri": {"http://127.0.0.1/callback"}, "code_verifier": {"v"}}
	revoke := url.Values{"token": {"not-a-token"}}
	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{{"token", "/oauth2/token", code}, {"revoke", "/oauth2/revoke", revoke}} {
		withPost := withValues(tc.form, "client_id", id, "client_secret", "anything-at-all")
		wantJSONError(t, post(t, env, tc.path, withPost, "", ""), http.StatusUnauthorized, "invalid_client")
		wantJSONError(t, post(t, env, tc.path, tc.form, id, "anything-at-all"), http.StatusUnauthorized, "invalid_client")
		plain := post(t, env, tc.path, withValues(tc.form, "client_id", id), "", "")
		if plain.Status == http.StatusUnauthorized {
			t.Errorf("%s without a secret: %d %s", tc.name, plain.Status, plain.Body)
		}
	}
}

// withValues is a copy of f with the given name, value pairs set.
func withValues(f url.Values, kv ...string) url.Values {
	out := cloneForm(f)
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}
