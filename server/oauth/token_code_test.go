package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestTokenAuthorizationCode: the authorization_code grant.
func TestTokenAuthorizationCode(t *testing.T) {
	t.Parallel()
	s := newTokServer(t)
	for _, c := range []struct {
		description string
		roles       []string
		scopes      []string
		// before runs between the authorization and the exchange; what it
		// returns is handed to check.
		before func(t *testing.T, s *tokServer, u storage.User, a servertest.Authorization) tokAnswer
		// form edits the token request.
		form    func(f url.Values)
		client  string // default "app"
		secret  string // default the client's secret
		status  int
		errCode string
		check   func(t *testing.T, s *tokServer, u storage.User, before, got tokAnswer)
	}{
		{
			description: "success",
			scopes:      []string{"openid", "profile", "offline_access"},
			status:      http.StatusOK,
			check: func(t *testing.T, s *tokServer, u storage.User, _, got tokAnswer) {
				c := claimsOf(t, got.str("access_token"))
				if c.Subject != u.ID || c.ClientID != "app" || !slices.Equal(c.Roles, []string{"user"}) {
					t.Errorf("access token claims %+v", c)
				}
				if got.str("id_token") == "" || got.str("refresh_token") == "" {
					t.Errorf("no id_token or refresh_token: %s", got.Body)
				}
			},
		},
		{description: "another client's code", client: "other", status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "a public client with a confidential client's code", client: "spa", status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "wrong client secret", secret: strings.Repeat("x", 43), status: http.StatusUnauthorized, errCode: "invalid_client"},
		{description: "unknown code", form: func(f url.Values) { f.Set("code", "made-up.code") }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "PKCE: no verifier", form: func(f url.Values) { f.Del("code_verifier") }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "PKCE: wrong verifier", form: func(f url.Values) { f.Set("code_verifier", strings.Repeat("v", 50)) }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "PKCE: short verifier", form: func(f url.Values) { f.Set("code_verifier", "short") }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{description: "another redirect_uri", form: func(f url.Values) { f.Set("redirect_uri", "https://app.example/other") }, status: http.StatusBadRequest, errCode: "invalid_grant"},
		{
			description: "replayed code revokes what it issued",
			scopes:      []string{"openid", "offline_access"},
			before: func(t *testing.T, s *tokServer, _ storage.User, a servertest.Authorization) tokAnswer {
				first := s.post(t, "app", s.appSecret, codeForm(a))
				first.want(t, http.StatusOK, "")
				return first
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
			check: func(t *testing.T, s *tokServer, _ storage.User, first, _ tokAnswer) {
				if s.active(t, first.str("access_token")) {
					t.Error("the first exchange's access token survived the replay")
				}
				s.post(t, "app", s.appSecret, refreshForm(first.str("refresh_token"))).want(t, http.StatusBadRequest, "invalid_grant")
			},
		},
		{
			description: "user disabled since",
			before: func(t *testing.T, s *tokServer, u storage.User, _ servertest.Authorization) tokAnswer {
				updateUser(t, s, u, func(u *storage.User) { u.Disabled = true })
				return tokAnswer{}
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
		},
		{
			description: "user deleted since",
			before: func(t *testing.T, s *tokServer, u storage.User, _ servertest.Authorization) tokAnswer {
				if err := s.env.Store.DeleteUser(context.Background(), u.ID); err != nil {
					t.Fatal(err)
				}
				return tokAnswer{}
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
		},
		{
			description: "user's tokens revoked since (password reset)",
			before: func(t *testing.T, s *tokServer, u storage.User, _ servertest.Authorization) tokAnswer {
				if err := s.env.Store.RevokeSubjectTokens(context.Background(), u.ID, ""); err != nil {
					t.Fatal(err)
				}
				return tokAnswer{}
			},
			status: http.StatusBadRequest, errCode: "invalid_grant",
		},
		{
			description: "demoted since: current roles, no admin scope",
			roles:       []string{"admin", "user"},
			scopes:      []string{"openid", "offline_access", oauth.ScopeAdmin},
			before: func(t *testing.T, s *tokServer, u storage.User, _ servertest.Authorization) tokAnswer {
				updateUser(t, s, u, func(u *storage.User) { u.Roles = []string{"user"} })
				return tokAnswer{}
			},
			status: http.StatusOK,
			check: func(t *testing.T, s *tokServer, _ storage.User, _, got tokAnswer) {
				c := claimsOf(t, got.str("access_token"))
				if !slices.Equal(c.Roles, []string{"user"}) || hasScope(c.Scope, oauth.ScopeAdmin) || hasScope(got.str("scope"), oauth.ScopeAdmin) {
					t.Errorf("after a demotion: roles %v, token scope %q, answer scope %q", c.Roles, c.Scope, got.str("scope"))
				}
				if id := claimsOf(t, got.str("id_token")); !slices.Equal(id.Roles, []string{"user"}) {
					t.Errorf("id token roles %v after a demotion", id.Roles)
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
				scopes = []string{"openid"}
			}
			u := s.user(t, roles...)
			a := s.code(t, u, scopes...)
			var before tokAnswer
			if c.before != nil {
				before = c.before(t, s, u, a)
			}
			form := codeForm(a)
			if c.form != nil {
				c.form(form)
			}
			client, secret := clientOf(s, c.client, c.secret)
			got := s.post(t, client, secret, form)
			got.want(t, c.status, c.errCode)
			if c.check != nil {
				c.check(t, s, u, before, got)
			}
		})
	}
}

// clientOf returns the client of a case (default "app") and its secret
// (default the client's own).
func clientOf(s *tokServer, client, secret string) (string, string) {
	if client == "" {
		client = "app"
	}
	if secret == "" {
		secret = s.secret(client)
	}
	return client, secret
}

// updateUser changes u's row directly, revoking nothing.
func updateUser(t *testing.T, s *tokServer, u storage.User, fn func(u *storage.User)) {
	t.Helper()
	err := s.env.Store.UpdateUser(context.Background(), u.ID, func(u *storage.User) error { fn(u); return nil })
	if err != nil {
		t.Fatal(err)
	}
}
