package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestTokenRefresh: the refresh_token grant. Each case starts from a
// password-grant answer holding a refresh token.
func TestTokenRefresh(t *testing.T) {
	t.Parallel()
	s := newTokServer(t)
	for _, c := range []struct {
		description string
		roles       []string
		scopes      []string
		// before runs between the first answer and the refresh; what it
		// returns is handed to check.
		before  func(t *testing.T, s *tokServer, u storage.User, first tokAnswer) tokAnswer
		form    func(f url.Values)
		client  string // default "app"
		secret  string // default the client's secret
		status  int
		errCode string
		check   func(t *testing.T, s *tokServer, u storage.User, first, before, got tokAnswer)
	}{
		{
			description: "success rotates",
			status:      http.StatusOK,
			check: func(t *testing.T, s *tokServer, u storage.User, first, _, got tokAnswer) {
				if got.str("refresh_token") == "" || got.str("refresh_token") == first.str("refresh_token") {
					t.Errorf("refresh token not rotated: %s", got.Body)
				}
				if s.active(t, first.str("access_token")) {
					t.Error("the rotated token's access token is still active")
				}
				if c := claimsOf(t, got.str("access_token")); c.Subject != u.ID || !slices.Equal(c.Roles, []string{"user"}) {
					t.Errorf("refreshed access token claims %+v", c)
				}
				if got.str("id_token") == "" {
					t.Error("an OpenID Connect refresh without an ID token")
				}
			},
		},
		{
			description: "another client's token",
			client:      "other",
			status:      http.StatusBadRequest, errCode: "invalid_grant",
			check: func(t *testing.T, s *tokServer, _ storage.User, first, _, _ tokAnswer) {
				s.post(t, "app", s.appSecret, refreshForm(first.str("refresh_token"))).want(t, http.StatusOK, "")
			},
		},
		{description: "a public client with a confidential client's token", client: "spa", status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "wrong client secret", secret: "not-the-secret-at-all-not-the-secret-at-all", status: http.StatusUnauthorized, errCode: "invalid_client"},
		{description: "unknown token", form: func(f url.Values) { f.Set("refresh_token", "made-up.token") }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{
			description: "reused token revokes the family",
			before: func(t *testing.T, s *tokServer, _ storage.User, first tokAnswer) tokAnswer {
				next := s.post(t, "app", s.appSecret, refreshForm(first.str("refresh_token")))
				next.want(t, http.StatusOK, "")
				return next
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
			check: func(t *testing.T, s *tokServer, _ storage.User, _, next, _ tokAnswer) {
				if s.active(t, next.str("access_token")) {
					t.Error("the newest access token survived the reuse")
				}
				s.post(t, "app", s.appSecret, refreshForm(next.str("refresh_token"))).want(t, http.StatusBadRequest, "invalid_grant")
			},
		},
		{
			description: "revoked (RFC 7009)",
			before: func(t *testing.T, s *tokServer, _ storage.User, first tokAnswer) tokAnswer {
				if r := s.postTo(t, "/oauth2/revoke", "app", s.appSecret, url.Values{"token": {first.str("refresh_token")}}); r.Status != http.StatusOK {
					t.Fatalf("revocation: %d %s", r.Status, r.Body)
				}
				return tokAnswer{}
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
		},
		{
			description: "user's tokens revoked (password reset)",
			before: func(t *testing.T, s *tokServer, u storage.User, _ tokAnswer) tokAnswer {
				if err := s.env.Store.RevokeSubjectTokens(context.Background(), u.ID, ""); err != nil {
					t.Fatal(err)
				}
				return tokAnswer{}
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
		},
		{
			description: "user disabled, nothing revoked",
			before: func(t *testing.T, s *tokServer, u storage.User, _ tokAnswer) tokAnswer {
				updateUser(t, s, u, func(u *storage.User) { u.Disabled = true })
				return tokAnswer{}
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
		},
		{
			description: "demoted: current roles, admin scope dropped",
			roles:       []string{"admin", "user"},
			scopes:      []string{"openid", "offline_access", oauth.ScopeAdmin},
			before: func(t *testing.T, s *tokServer, u storage.User, _ tokAnswer) tokAnswer {
				updateUser(t, s, u, func(u *storage.User) { u.Roles = []string{"user"} })
				return tokAnswer{}
			},
			status: http.StatusOK,
			check: func(t *testing.T, s *tokServer, _ storage.User, _, _, got tokAnswer) {
				c := claimsOf(t, got.str("access_token"))
				if !slices.Equal(c.Roles, []string{"user"}) || hasScope(c.Scope, oauth.ScopeAdmin) || hasScope(got.str("scope"), oauth.ScopeAdmin) {
					t.Errorf("after a demotion: roles %v, scope %q", c.Roles, got.str("scope"))
				}
			},
		},
		{description: "scope beyond the grant", form: func(f url.Values) { f.Set("scope", "openid api:read") }, status: http.StatusBadRequest, errCode: "invalid_scope"},
		{
			description: "narrower scope gets exactly it",
			form:        func(f url.Values) { f.Set("scope", "openid") },
			status:      http.StatusOK,
			check: func(t *testing.T, _ *tokServer, _ storage.User, _, _, got tokAnswer) {
				if got.str("scope") != "openid" {
					t.Errorf("scope %q, want exactly openid (RFC 6749 section 6)", got.str("scope"))
				}
			},
		},
	} {
		t.Run("case="+c.description, func(t *testing.T) {
			t.Parallel()
			roles := c.roles
			if roles == nil {
				roles = []string{"user"}
			}
			scopes := c.scopes
			if scopes == nil {
				scopes = []string{"openid", "offline_access"}
			}
			u := s.user(t, roles...)
			first := s.post(t, "app", s.appSecret, passwordForm(u.Email, tokPassword, scopes...))
			first.want(t, http.StatusOK, "")
			var before tokAnswer
			if c.before != nil {
				before = c.before(t, s, u, first)
			}
			form := refreshForm(first.str("refresh_token"))
			if c.form != nil {
				c.form(form)
			}
			client, secret := clientOf(s, c.client, c.secret)
			got := s.post(t, client, secret, form)
			got.want(t, c.status, c.errCode)
			if c.check != nil {
				c.check(t, s, u, first, before, got)
			}
		})
	}
}
