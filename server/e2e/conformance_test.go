package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAuthorizeParameterChecks: requests the code could never be redeemed
// for, or that break RFC 6749 / 7636 / 9068 rules, are refused at the
// authorization endpoint, before anyone signs in.
func TestAuthorizeParameterChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	at := f.passwordTokens(t, "openid").AccessToken
	base := func() url.Values {
		u, _ := f.authURL(t, []string{"openid"})
		parsed, _ := url.Parse(u)
		return parsed.Query()
	}
	cases := map[string]func(q url.Values){
		"short challenge":         func(q url.Values) { q.Set("code_challenge", "short") },
		"challenge bad alphabet":  func(q url.Values) { q.Set("code_challenge", strings.Repeat("*", 43)) },
		"duplicate scope":         func(q url.Values) { q.Add("scope", "openid") },
		"short nonce":             func(q url.Values) { q.Set("nonce", "abc") },
		"access token as id hint": func(q url.Values) { q.Set("id_token_hint", at) },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			q := base()
			edit(q)
			resp := f.env.NewBrowser(t).Authorize(t, f.env.URL+"/oauth2/auth?"+q.Encode())
			wantClientError(t, resp, "invalid_request", "state-123456789")
		})
	}
}

// TestTokenClientAuthChecks: one authentication method only, a malformed
// Basic header is a failed authentication (401), and parameters appear
// once (RFC 6749 sections 2.3, 3.2, 5.2).
func TestTokenClientAuthChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cc := url.Values{"grant_type": {"client_credentials"}}

	withSecret := url.Values{"grant_type": {"client_credentials"}, "client_secret": {f.secret}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", withSecret, f.clientID, f.secret), http.StatusBadRequest, "invalid_request")

	otherID := url.Values{"grant_type": {"client_credentials"}, "client_id": {"someone-else"}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", otherID, f.clientID, f.secret), http.StatusBadRequest, "invalid_request")

	dup := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read", "openid"}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", dup, f.clientID, f.secret), http.StatusBadRequest, "invalid_request")

	r := send(t, f.env, http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(cc.Encode()),
		func(req *http.Request) { req.Header.Set("Authorization", "Basic !!!not-base64") })
	wantJSONError(t, r, http.StatusUnauthorized, "invalid_client")
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("malformed Basic: WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}

	wantJSONError(t, post(t, f.env, "/oauth2/revoke", url.Values{"token": {"x"}}, "", ""), http.StatusUnauthorized, "invalid_client")

	// The same client authenticating once, with a matching client_id in
	// the body, is fine.
	same := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.clientID}}
	if r := post(t, f.env, "/oauth2/token", same, f.clientID, f.secret); r.Status != http.StatusOK {
		t.Errorf("Basic plus the same client_id: %d %s", r.Status, r.Body)
	}
}

// TestRefreshScope: a refresh may not widen the grant (invalid_scope); a
// narrower request gets exactly what it asked for (see
// TestRefreshNarrowerScope).
func TestRefreshScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid", "email", "offline_access")
	wider := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"openid email profile"}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", wider, f.clientID, f.secret), http.StatusBadRequest, "invalid_scope")

	narrower := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"openid"}}
	r := post(t, f.env, "/oauth2/token", narrower, f.clientID, f.secret)
	if r.Status != http.StatusOK || r.JSON["scope"] != "openid" {
		t.Fatalf("narrower refresh: %d %s", r.Status, r.Body)
	}
}

// TestEmptyScopeOmitted: a token granted no scope has no scope parameter
// or claim rather than an empty one.
func TestEmptyScopeOmitted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.clientCredentials(t, "")
	if _, ok := r.JSON["scope"]; ok {
		t.Errorf("response has scope %q", r.JSON["scope"])
	}
	if s, ok := jwtClaims(t, r.JSON["access_token"].(string))["scope"]; ok {
		t.Errorf("access token has scope claim %q", s)
	}
}

// TestTokenResponse: a successful token response is JSON that no cache
// keeps (RFC 6749 section 5.1), with the token, its type, lifetime and
// scope.
func TestTokenResponse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.clientCredentials(t, "api:read")
	for name, want := range map[string]string{
		"Content-Type": "application/json;charset=UTF-8", "Cache-Control": "no-store", "Pragma": "no-cache",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if tok, _ := r.JSON["access_token"].(string); strings.Count(tok, ".") != 2 {
		t.Errorf("access_token %q is not a JWT", tok)
	}
	if r.JSON["token_type"] != "bearer" || r.JSON["scope"] != "api:read" {
		t.Errorf("token_type %v, scope %v", r.JSON["token_type"], r.JSON["scope"])
	}
	if exp, _ := r.JSON["expires_in"].(float64); exp < 800 || exp > 900 {
		t.Errorf("expires_in %v, want about 900 (15 minutes)", r.JSON["expires_in"])
	}
}

// TestMethodNotAllowed: a 405 names the allowed methods (RFC 9110 section
// 15.5.6), and HEAD works wherever GET does.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := send(t, f.env, http.MethodGet, "/oauth2/token", "", nil, nil)
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Errorf("GET /oauth2/token: %d Allow %q", r.Status, r.Header.Get("Allow"))
	}
	r = send(t, f.env, http.MethodDelete, "/userinfo", "", nil, nil)
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("DELETE /userinfo: %d Allow %q", r.Status, r.Header.Get("Allow"))
	}
	if r := send(t, f.env, http.MethodHead, "/.well-known/jwks.json", "", nil, nil); r.Status != http.StatusOK {
		t.Errorf("HEAD jwks: %d", r.Status)
	}
}

// TestUserInfoTokenMethods: a token sent in both the header and the body is
// refused (RFC 6750 section 2); no token at all gets a bare challenge with
// no error code (section 3.1).
func TestUserInfoTokenMethods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid")
	r := send(t, f.env, http.MethodPost, "/userinfo", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"access_token": {tok.AccessToken}}.Encode()),
		func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+tok.AccessToken) })
	wantJSONError(t, r, http.StatusBadRequest, "invalid_request")

	r = send(t, f.env, http.MethodGet, "/userinfo", "", nil, nil)
	if r.Status != http.StatusUnauthorized || strings.Contains(r.Header.Get("WWW-Authenticate"), "error=") || r.JSON["error"] != nil {
		t.Errorf("no token: %d %q %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
	}
}

// TestIntrospectRefreshTokenExpiry: introspecting a refresh token reports
// the refresh token's own expiry, not its access token's.
func TestIntrospectRefreshTokenExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid", "offline_access")
	at, rt := f.introspect(t, tok.AccessToken), f.introspect(t, tok.RefreshToken)
	atExp, _ := at["exp"].(float64)
	rtExp, _ := rt["exp"].(float64)
	lt := f.env.Config.Lifetimes
	if want := (lt.RefreshToken.D() - lt.AccessToken.D()).Seconds(); rtExp-atExp < want-60 {
		t.Errorf("refresh token exp %v, access token exp %v: want the refresh token's 7-day expiry", rtExp, atExp)
	}
}
