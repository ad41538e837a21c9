package oauth_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// TestTokenClientCredentials: the client_credentials grant.
func TestTokenClientCredentials(t *testing.T) {
	t.Parallel()
	s := newTokServer(t)
	for _, c := range []struct {
		description string
		scope       string
		client      string // default "app"
		secret      string // default the client's secret
		status      int
		errCode     string
		check       func(t *testing.T, got tokAnswer)
	}{
		{
			description: "success: the client is the subject, no roles, no refresh token",
			scope:       "api:read offline_access",
			status:      http.StatusOK,
			check: func(t *testing.T, got tokAnswer) {
				c := claimsOf(t, got.str("access_token"))
				if c.Subject != "app" || c.ClientID != "app" || c.Roles != nil || !hasScope(c.Scope, "api:read") {
					t.Errorf("access token claims %+v", c)
				}
				if got.str("refresh_token") != "" || got.str("id_token") != "" {
					t.Errorf("a client token with a refresh or ID token: %s", got.Body)
				}
			},
		},
		{
			description: "no scope: no scope member",
			status:      http.StatusOK,
			check: func(t *testing.T, got tokAnswer) {
				if _, ok := got.JSON["scope"]; ok {
					t.Errorf("scope member without a granted scope: %s", got.Body)
				}
			},
		},
		{description: "admin scope", scope: "api:read " + oauth.ScopeAdmin, status: http.StatusBadRequest, errCode: "invalid_scope"},
		{description: "scope the client may not ask for", scope: "api:write", status: http.StatusBadRequest, errCode: "invalid_scope"},
		{description: "client without the grant", client: "limited", status: http.StatusBadRequest, errCode: "unauthorized_client"},
		{description: "wrong client secret", secret: "not-the-secret-at-all-not-the-secret-at-all", status: http.StatusUnauthorized, errCode: "invalid_client"},
		// fosite refuses a public client here before it looks at the grant
		// types (RFC 6749 section 4.4: confidential clients only).
		{description: "public client", client: "spa", status: http.StatusBadRequest, errCode: "invalid_grant"},
	} {
		t.Run("case="+c.description, func(t *testing.T) {
			t.Parallel()
			form := url.Values{"grant_type": {"client_credentials"}}
			if c.scope != "" {
				form.Set("scope", c.scope)
			}
			client, secret := clientOf(s, c.client, c.secret)
			got := s.post(t, client, secret, form)
			got.want(t, c.status, c.errCode)
			if c.check != nil {
				c.check(t, got)
			}
		})
	}
}
