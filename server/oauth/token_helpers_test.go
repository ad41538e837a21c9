package oauth_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// The token endpoint's table tests, one test function per grant (in
// token_<grant>_test.go), run through HTTP against a servertest server.

const (
	tokRedirect = "https://app.example/callback"
	tokPassword = "correct horse battery staple"
)

// tokServer is a server with three clients: "app" (confidential, every
// grant, every scope and the admin scope), "other" (confidential, the
// same grants) and "spa" (public, code and refresh). Each case makes its
// own user, so cases that disable or demote one do not disturb the rest.
type tokServer struct {
	env           *servertest.Env
	appSecret     string
	otherSecret   string
	users         atomic.Int64
	limitedID     string // a confidential client with only the code grant
	limitedSecret string
}

func newTokServer(t *testing.T) *tokServer {
	t.Helper()
	s := &tokServer{env: servertest.Start(t)}
	scopes := []string{"openid", "profile", "email", "offline_access", "api:read", oauth.ScopeAdmin}
	grants := []string{"authorization_code", "refresh_token", "password", "client_credentials"}
	_, s.appSecret = s.env.CreateClient(t, clients.Spec{ID: "app", Name: "App", RedirectURIs: []string{tokRedirect},
		GrantTypes: grants, Scopes: scopes})
	_, s.otherSecret = s.env.CreateClient(t, clients.Spec{ID: "other", Name: "Other", RedirectURIs: []string{tokRedirect},
		GrantTypes: grants, Scopes: scopes})
	s.env.CreateClient(t, clients.Spec{ID: "spa", Name: "SPA", Public: true, RedirectURIs: []string{tokRedirect},
		GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: scopes})
	s.limitedID, s.limitedSecret = s.env.CreateClient(t, clients.Spec{ID: "limited", Name: "Limited",
		RedirectURIs: []string{tokRedirect}, GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}})
	return s
}

// user creates a new user with roles; its email is returned in u.Email.
func (s *tokServer) user(t *testing.T, roles ...string) storage.User {
	t.Helper()
	n := s.users.Add(1)
	return s.env.CreateUser(t, fmt.Sprintf("user%d@example.com", n), tokPassword, fmt.Sprintf("User %d", n), roles...)
}

// secret returns the secret of a client of the server.
func (s *tokServer) secret(clientID string) string {
	switch clientID {
	case "app":
		return s.appSecret
	case "other":
		return s.otherSecret
	case "limited":
		return s.limitedSecret
	}
	return ""
}

// code runs the browser flow for u as client app and returns the code
// and its PKCE verifier.
func (s *tokServer) code(t *testing.T, u storage.User, scopes ...string) servertest.Authorization {
	t.Helper()
	cfg := s.env.OAuth2Config("app", s.appSecret, tokRedirect, scopes...)
	return s.env.NewBrowser(t).AuthCodeFlow(t, cfg, u.Email, tokPassword)
}

// tokAnswer is one answer of the token endpoint.
type tokAnswer struct {
	Status int
	Body   string
	JSON   map[string]any
}

// str returns a string member of the answer.
func (a tokAnswer) str(name string) string { s, _ := a.JSON[name].(string); return s }

// post sends form to the token endpoint, authenticating as clientID with
// client_secret_basic (secret "" for a public client: client_id in the form).
func (s *tokServer) post(t *testing.T, clientID, secret string, form url.Values) tokAnswer {
	t.Helper()
	return s.postTo(t, "/oauth2/token", clientID, secret, form)
}

func (s *tokServer) postTo(t *testing.T, path, clientID, secret string, form url.Values) tokAnswer {
	t.Helper()
	if secret == "" && clientID != "" {
		form = cloneValues(form)
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	a := tokAnswer{Status: resp.StatusCode, Body: string(body)}
	_ = json.Unmarshal(body, &a.JSON)
	servertest.CheckNoLeak(t, body)
	return a
}

// want checks the answer: 200, or status with the RFC 6749 error code.
func (a tokAnswer) want(t *testing.T, status int, errCode string) {
	t.Helper()
	if a.Status != status {
		t.Fatalf("status %d, want %d: %s", a.Status, status, a.Body)
	}
	if errCode != "" && a.str("error") != errCode {
		t.Fatalf("error %q, want %q: %s", a.str("error"), errCode, a.Body)
	}
	if status == http.StatusOK && a.str("access_token") == "" {
		t.Fatalf("200 without an access token: %s", a.Body)
	}
}

// active reports whether introspection (as client "app") says token is active.
func (s *tokServer) active(t *testing.T, token string) bool {
	t.Helper()
	a := s.postTo(t, "/oauth2/introspect", "app", s.appSecret, url.Values{"token": {token}})
	if a.Status != http.StatusOK {
		t.Fatalf("introspection: %d %s", a.Status, a.Body)
	}
	v, _ := a.JSON["active"].(bool)
	return v
}

// tokClaims are the claims the table tests look at.
type tokClaims struct {
	Subject  string   `json:"sub"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Roles    []string `json:"roles"`
}

// claimsOf decodes a JWT's claims without verifying it: the end-to-end
// tests verify tokens as a resource server would; here only the content
// matters.
func claimsOf(t *testing.T, raw string) tokClaims {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("parse JWT: %v", err)
	}
	var c tokClaims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// hasScope reports whether the space-separated scope holds s.
func hasScope(scope, s string) bool { return slices.Contains(strings.Fields(scope), s) }

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

// codeForm is the token request that redeems a.
func codeForm(a servertest.Authorization) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {a.Code},
		"redirect_uri": {tokRedirect}, "code_verifier": {a.Verifier}}
}

// refreshForm is the token request that redeems a refresh token.
func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

// passwordForm is the password grant for email.
func passwordForm(email, password string, scopes ...string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {email}, "password": {password},
		"scope": {strings.Join(scopes, " ")}}
}
