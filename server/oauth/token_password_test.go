package oauth_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestTokenPassword: the resource owner password credentials grant.
func TestTokenPassword(t *testing.T) {
	t.Parallel()
	s := newTokServer(t)
	for _, c := range []struct {
		description string
		roles       []string
		scopes      []string
		before      func(t *testing.T, s *tokServer, u storage.User)
		form        func(f url.Values)
		client      string // default "app"
		secret      string // default the client's secret
		status      int
		errCode     string
		check       func(t *testing.T, s *tokServer, u storage.User, got tokAnswer)
	}{
		{
			description: "success",
			scopes:      []string{"openid", "email", "offline_access"},
			status:      http.StatusOK,
			check: func(t *testing.T, _ *tokServer, u storage.User, got tokAnswer) {
				c := claimsOf(t, got.str("access_token"))
				if c.Subject != u.ID || c.ClientID != "app" || !slices.Equal(c.Roles, []string{"user"}) {
					t.Errorf("access token claims %+v", c)
				}
				if got.str("id_token") == "" || got.str("refresh_token") == "" {
					t.Errorf("no id_token or refresh_token: %s", got.Body)
				}
			},
		},
		{
			description: "no offline_access: no refresh token",
			scopes:      []string{"openid"},
			status:      http.StatusOK,
			check: func(t *testing.T, _ *tokServer, _ storage.User, got tokAnswer) {
				if got.str("refresh_token") != "" {
					t.Error("a refresh token without offline_access")
				}
			},
		},
		{description: "wrong password", form: func(f url.Values) { f.Set("password", "not the password at all") }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "unknown user", form: func(f url.Values) { f.Set("username", "nobody@example.com") }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{
			description: "disabled user",
			before: func(t *testing.T, s *tokServer, u storage.User) {
				updateUser(t, s, u, func(u *storage.User) { u.Disabled = true })
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
		},
		{description: "admin scope without the admin role", scopes: []string{"openid", oauth.ScopeAdmin}, status: http.StatusBadRequest, errCode: "invalid_scope"},
		{
			description: "admin scope with the admin role",
			roles:       []string{"admin", "user"},
			scopes:      []string{"openid", oauth.ScopeAdmin},
			status:      http.StatusOK,
			check: func(t *testing.T, _ *tokServer, _ storage.User, got tokAnswer) {
				if c := claimsOf(t, got.str("access_token")); !hasScope(c.Scope, oauth.ScopeAdmin) || !slices.Equal(c.Roles, []string{"admin", "user"}) {
					t.Errorf("admin's access token: roles %v scope %q", c.Roles, c.Scope)
				}
			},
		},
		{description: "scope the client may not ask for", scopes: []string{"openid", "api:write"}, status: http.StatusBadRequest, errCode: "invalid_scope"},
		{description: "client without the password grant", client: "limited", status: http.StatusBadRequest, errCode: "unauthorized_client"},
		{description: "wrong client secret", secret: "not-the-secret-at-all-not-the-secret-at-all", status: http.StatusUnauthorized, errCode: "invalid_client"},
		{description: "public client", client: "spa", status: http.StatusBadRequest, errCode: "unauthorized_client"},
	} {
		t.Run("case="+c.description, func(t *testing.T) {
			t.Parallel()
			roles := c.roles
			if roles == nil {
				roles = []string{"user"}
			}
			scopes := c.scopes
			if scopes == nil {
				scopes = []string{"openid"}
			}
			u := s.user(t, roles...)
			if c.before != nil {
				c.before(t, s, u)
			}
			form := passwordForm(u.Email, tokPassword, scopes...)
			if c.form != nil {
				c.form(form)
			}
			client, secret := clientOf(s, c.client, c.secret)
			got := s.post(t, client, secret, form)
			got.want(t, c.status, c.errCode)
			if c.check != nil {
				c.check(t, s, u, got)
			}
		})
	}
}
