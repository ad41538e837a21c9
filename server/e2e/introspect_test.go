package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/clients"
)

// TestIntrospection checks RFC 7662 introspection by a confidential client.
func TestIntrospection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, allScopes...)

	t.Run("active access token", func(t *testing.T) {
		got := f.introspect(t, tok.AccessToken)
		if got["active"] != true {
			t.Fatalf("active %v, want true: %v", got["active"], got)
		}
		if got["client_id"] != f.clientID {
			t.Errorf("client_id %v, want %q", got["client_id"], f.clientID)
		}
		if got["sub"] != f.user.ID {
			t.Errorf("sub %v, want %q", got["sub"], f.user.ID)
		}
		if s, _ := got["scope"].(string); !sameSet(s, allScopes) {
			t.Errorf("scope %v, want %v", got["scope"], allScopes)
		}
		exp, _ := got["exp"].(float64)
		if exp == 0 || time.Unix(int64(exp), 0).Before(time.Now()) {
			t.Errorf("exp %v, want a time in the future", got["exp"])
		}
		if !audContains(got["aud"], f.clientID) {
			t.Errorf("aud %v does not contain %q", got["aud"], f.clientID)
		}
		// RFC 7662 section 2.2: the issuer, and the token type the token
		// response gave.
		if got["iss"] != f.env.URL || got["token_type"] != tok.TokenType {
			t.Errorf("iss %v, token_type %v; want %q and %q", got["iss"], got["token_type"], f.env.URL, tok.TokenType)
		}
	})

	t.Run("active refresh token", func(t *testing.T) {
		got := f.introspect(t, tok.RefreshToken)
		if got["active"] != true || got["client_id"] != f.clientID || got["sub"] != f.user.ID || got["iss"] != f.env.URL {
			t.Errorf("refresh token introspection: %v", got)
		}
		// Not an access token: a resource server checking token_type
		// never takes it for one.
		if tt, ok := got["token_type"]; ok {
			t.Errorf("refresh token introspection has token_type %v", tt)
		}
	})

	t.Run("another client hears nothing; a resource server does", func(t *testing.T) {
		// Issue 11 item 2; TestIntrospectionAuthorization has the matrix.
		id, sec := f.env.CreateClient(t, clients.Spec{ID: "api", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}})
		r := post(t, f.env, "/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, id, sec)
		if r.Status != http.StatusOK || r.JSON["active"] != false || len(r.JSON) != 1 {
			t.Errorf("introspection by another client: %d %s, want only active=false", r.Status, r.Body)
		}
		id, sec = f.env.CreateClient(t, clients.Spec{ID: "rs", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"}, IntrospectAny: true})
		r = post(t, f.env, "/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, id, sec)
		if r.Status != http.StatusOK || r.JSON["active"] != true {
			t.Errorf("introspection by a resource server: %d %s", r.Status, r.Body)
		}
	})

	for name, token := range map[string]string{
		"garbage":             "garbage",
		"jwt-shaped garbage":  "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
		"unknown refresh":     "ory_rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
		"tampered access":     tamper(tok.AccessToken),
		"access token prefix": tok.AccessToken[:len(tok.AccessToken)/2],
	} {
		t.Run(name, func(t *testing.T) {
			got := f.introspect(t, token)
			if got["active"] != false || len(got) != 1 {
				t.Errorf("introspection of %s: %v, want only active=false", name, got)
			}
		})
	}

	t.Run("without client authentication", func(t *testing.T) {
		r := post(t, f.env, "/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, "", "")
		if r.Status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401: %s", r.Status, r.Body)
		}
		if r.JSON["active"] == true {
			t.Errorf("unauthenticated introspection revealed the token: %s", r.Body)
		}
	})

	t.Run("with a bearer token instead of client authentication", func(t *testing.T) {
		form := url.Values{"token": {tok.RefreshToken}}
		r := send(t, f.env, http.MethodPost, "/oauth2/introspect", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		})
		if r.Status != http.StatusUnauthorized || r.JSON["active"] == true {
			t.Errorf("bearer-authenticated introspection: %d %s, want 401", r.Status, r.Body)
		}
	})

	t.Run("wrong client secret", func(t *testing.T) {
		r := post(t, f.env, "/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, f.clientID, f.secret+"x")
		if r.Status != http.StatusUnauthorized || r.JSON["active"] == true {
			t.Errorf("introspection with a wrong secret: %d %s, want 401", r.Status, r.Body)
		}
	})

	t.Run("public client", func(t *testing.T) {
		id, _ := f.env.CreateClient(t, clients.Spec{ID: "spa", Public: true, RedirectURIs: []string{redirectURI}})
		r := post(t, f.env, "/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, id, "")
		if r.Status != http.StatusUnauthorized || r.JSON["active"] == true {
			t.Errorf("introspection by a public client: %d %s, want 401", r.Status, r.Body)
		}
	})
}

// TestRevocation checks RFC 7009 revocation.
func TestRevocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	t.Run("refresh token", func(t *testing.T) {
		tok := f.passwordTokens(t, "openid", "offline_access")
		f.revoke(t, tok.RefreshToken)
		_, err := f.refresh(t, tok.RefreshToken)
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
		if f.active(t, tok.RefreshToken) {
			t.Errorf("revoked refresh token introspects active")
		}
		if f.active(t, tok.AccessToken) {
			t.Errorf("the access token of a revoked grant is still active")
		}
	})

	t.Run("access token", func(t *testing.T) {
		tok := f.passwordTokens(t, "openid", "email")
		if !f.active(t, tok.AccessToken) {
			t.Fatalf("fresh access token is not active")
		}
		if r := userinfo(t, f.env, http.MethodGet, tok.AccessToken); r.Status != http.StatusOK {
			t.Fatalf("userinfo before revocation: %d %s", r.Status, r.Body)
		}
		f.revoke(t, tok.AccessToken)
		if f.active(t, tok.AccessToken) {
			t.Errorf("revoked access token introspects active")
		}
		r := userinfo(t, f.env, http.MethodGet, tok.AccessToken)
		if r.Status != http.StatusUnauthorized {
			t.Errorf("userinfo with a revoked token: %d %s, want 401", r.Status, r.Body)
		}
		if !strings.Contains(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
		}
		// The JWT itself still verifies offline: revocation is only
		// visible online. This is the documented trade-off.
		verifyAccessToken(t, f.env, tok.AccessToken, f.clientID)
	})

	t.Run("with token_type_hint", func(t *testing.T) {
		tok := f.passwordTokens(t, "openid", "offline_access")
		r := post(t, f.env, "/oauth2/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, f.clientID, f.secret)
		if r.Status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if f.active(t, tok.AccessToken) {
			t.Errorf("revoked access token introspects active")
		}
	})

	t.Run("garbage and repeated revocation", func(t *testing.T) {
		f.revoke(t, "garbage")
		f.revoke(t, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
		tok := f.passwordTokens(t, "openid", "offline_access")
		f.revoke(t, tok.RefreshToken)
		f.revoke(t, tok.RefreshToken)
	})

	t.Run("another client's token", func(t *testing.T) {
		tok := f.passwordTokens(t, "openid", "offline_access")
		id, sec := f.env.CreateClient(t, appLikeSpec("other"))
		r := post(t, f.env, "/oauth2/revoke", url.Values{"token": {tok.RefreshToken}}, id, sec)
		// RFC 7009 lets the server answer 200 or an error; what matters
		// is that the token survives.
		if r.Status >= 500 {
			t.Errorf("revoking another client's token: %d %s", r.Status, r.Body)
		}
		if !f.active(t, tok.RefreshToken) {
			t.Errorf("another client revoked the token")
		}
	})

	t.Run("without client authentication", func(t *testing.T) {
		tok := f.passwordTokens(t, "openid", "offline_access")
		r := post(t, f.env, "/oauth2/revoke", url.Values{"token": {tok.RefreshToken}}, "", "")
		if r.Status != http.StatusUnauthorized && r.Status != http.StatusBadRequest {
			t.Errorf("unauthenticated revocation: %d %s, want 400 or 401", r.Status, r.Body)
		}
		if !f.active(t, tok.RefreshToken) {
			t.Errorf("an unauthenticated request revoked the token")
		}
	})
}

// audContains reports whether an introspection aud (string or array)
// contains want.
func audContains(aud any, want string) bool {
	switch v := aud.(type) {
	case string:
		return v == want
	case []any:
		return slices.ContainsFunc(v, func(a any) bool { return a == want })
	}
	return false
}

// tamper changes one character in the middle of a JWT's signature.
func tamper(jwt string) string {
	b := []byte(jwt)
	i := len(b) - 10
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
