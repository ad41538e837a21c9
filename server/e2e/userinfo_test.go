package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// userinfo calls the userinfo endpoint with a bearer token ("" for none).
func userinfo(t *testing.T, env *servertest.Env, method, token string) apiResponse {
	t.Helper()
	ct := ""
	if method == http.MethodPost {
		ct = "application/x-www-form-urlencoded"
	}
	return send(t, env, method, "/userinfo", ct, nil, func(r *http.Request) {
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
	})
}

// TestUserInfo checks the claims userinfo returns for each scope, by GET
// and POST.
func TestUserInfo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	cases := []struct {
		scopes              []string
		email, name, verify bool
	}{
		{scopes: []string{"openid"}},
		{scopes: []string{"openid", "email"}, email: true},
		{scopes: []string{"openid", "profile"}, name: true},
		{scopes: []string{"openid", "profile", "email", "offline_access"}, email: true, name: true},
	}
	for _, c := range cases {
		tok := f.passwordTokens(t, c.scopes...)
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(method+" "+strings.Join(c.scopes, "+"), func(t *testing.T) {
				r := userinfo(t, f.env, method, tok.AccessToken)
				if r.Status != http.StatusOK || r.JSON == nil {
					t.Fatalf("userinfo: %d %s", r.Status, r.Body)
				}
				got := r.JSON
				if got["sub"] != f.user.ID {
					t.Errorf("sub %v, want %q", got["sub"], f.user.ID)
				}
				if roles, _ := got["roles"].([]any); !slices.Equal(roles, []any{"admin", "user"}) {
					t.Errorf("roles %v, want [admin user]", got["roles"])
				}
				_, hasEmail := got["email"]
				_, hasVerified := got["email_verified"]
				_, hasName := got["name"]
				if hasEmail != c.email || hasVerified != c.email || hasName != c.name {
					t.Errorf("claims %v for scopes %v", got, c.scopes)
				}
				if c.email && (got["email"] != aliceEmail || got["email_verified"] != true) {
					t.Errorf("email %v email_verified %v", got["email"], got["email_verified"])
				}
				if c.name && got["name"] != aliceName {
					t.Errorf("name %v, want %q", got["name"], aliceName)
				}
			})
		}
	}

	t.Run("access token in the POST body", func(t *testing.T) {
		tok := f.passwordTokens(t, "openid", "email")
		form := url.Values{"access_token": {tok.AccessToken}}
		r := send(t, f.env, http.MethodPost, "/userinfo", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
		if r.Status != http.StatusOK || r.JSON["sub"] != f.user.ID {
			t.Errorf("userinfo with the token in the body: %d %s", r.Status, r.Body)
		}
	})

	t.Run("go-oidc relying party", func(t *testing.T) {
		tok, _ := f.codeTokens(t, "openid", "email", "profile")
		p, err := oidc.NewProvider(t.Context(), f.env.URL)
		if err != nil {
			t.Fatal(err)
		}
		ui, err := p.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		if ui.Subject != f.user.ID || ui.Email != aliceEmail || !ui.EmailVerified {
			t.Errorf("userinfo %+v", ui)
		}
		var claims struct {
			Name  string   `json:"name"`
			Roles []string `json:"roles"`
		}
		if err := ui.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims.Name != aliceName || !slices.Equal(claims.Roles, []string{"admin", "user"}) {
			t.Errorf("userinfo claims %+v", claims)
		}
	})
}

// TestUserInfoRejects checks the 401 answers and their WWW-Authenticate
// challenge (RFC 6750).
func TestUserInfoRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid", "offline_access")

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method+" without a token", func(t *testing.T) {
			r := userinfo(t, f.env, method, "")
			if r.Status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401: %s", r.Status, r.Body)
			}
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
			}
		})
		for name, bad := range map[string]string{
			"garbage":       "garbage",
			"tampered":      tamper(tok.AccessToken),
			"refresh token": tok.RefreshToken,
		} {
			t.Run(method+" with a "+name+" token", func(t *testing.T) {
				r := userinfo(t, f.env, method, bad)
				if r.Status != http.StatusUnauthorized {
					t.Errorf("status %d, want 401: %s", r.Status, r.Body)
				}
				h := r.Header.Get("WWW-Authenticate")
				if !strings.HasPrefix(h, "Bearer") || !strings.Contains(h, `error="invalid_token"`) {
					t.Errorf(`WWW-Authenticate %q, want Bearer with error="invalid_token"`, h)
				}
			})
		}
	}

	t.Run("client credentials token", func(t *testing.T) {
		at, _ := f.clientCredentials(t, "api:read").JSON["access_token"].(string)
		if r := userinfo(t, f.env, http.MethodGet, at); r.Status < 400 || r.Status >= 500 {
			t.Errorf("userinfo with a token without openid: %d %s, want 401 or 403", r.Status, r.Body)
		}
	})
}
