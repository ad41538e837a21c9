package e2e

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

const (
	redirectURI   = "https://app.example/callback"
	aliceEmail    = "alice@example.com"
	alicePassword = "correct horse battery staple"
	aliceName     = "Alice Liddell"
)

// allScopes are the user scopes Gatehouse knows.
var allScopes = []string{"openid", "profile", "email", "offline_access"}

// fixture is a server with one confidential client, "app", registered for
// every grant and every scope plus "api:read", and one user, Alice, with
// the roles admin and user.
type fixture struct {
	env      *servertest.Env
	clientID string
	secret   string
	user     storage.User
}

func newFixture(t *testing.T, opts ...servertest.Option) *fixture {
	t.Helper()
	env := servertest.Start(t, opts...)
	id, sec := env.CreateClient(t, appLikeSpec("app"))
	user := env.CreateUser(t, aliceEmail, alicePassword, aliceName, "admin", "user")
	return &fixture{env: env, clientID: id, secret: sec, user: user}
}

// appLikeSpec is a confidential client registered for every grant, every
// user scope and "api:read", redirecting to redirectURI.
func appLikeSpec(id string) clients.Spec {
	return clients.Spec{
		ID:           id,
		Name:         "Example App",
		RedirectURIs: []string{redirectURI},
		GrantTypes:   []string{"authorization_code", "refresh_token", "password", "client_credentials"},
		Scopes:       append(slices.Clone(allScopes), "api:read"),
	}
}

// tokenWithRefresh is a token x/oauth2 must refresh before use.
func tokenWithRefresh(rt string) *oauth2.Token { return &oauth2.Token{RefreshToken: rt} }

// config is the x/oauth2 configuration of the "app" client.
func (f *fixture) config(scopes ...string) *oauth2.Config {
	return f.env.OAuth2Config(f.clientID, f.secret, redirectURI, scopes...)
}

// codeTokens runs the browser flow for scopes in a new browser and
// redeems the code.
func (f *fixture) codeTokens(t *testing.T, scopes ...string) (*oauth2.Token, servertest.Authorization) {
	t.Helper()
	cfg := f.config(scopes...)
	a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	return tok, a
}

// passwordTokens uses the password grant for Alice.
func (f *fixture) passwordTokens(t *testing.T, scopes ...string) *oauth2.Token {
	t.Helper()
	tok, err := f.config(scopes...).PasswordCredentialsToken(t.Context(), aliceEmail, alicePassword)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	return tok
}

// refresh redeems a refresh token with x/oauth2.
func (f *fixture) refresh(t *testing.T, refreshToken string) (*oauth2.Token, error) {
	t.Helper()
	return f.config().TokenSource(t.Context(), tokenWithRefresh(refreshToken)).Token()
}

// idToken returns the id_token of a token response ("" when there is none).
func idToken(tok *oauth2.Token) string {
	s, _ := tok.Extra("id_token").(string)
	return s
}

// apiResponse is a raw answer of a JSON endpoint.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any // nil unless the body is a JSON object
}

// post sends form to path, with HTTP Basic client authentication when user
// is not empty.
func post(t *testing.T, env *servertest.Env, path string, form url.Values, user, pass string) apiResponse {
	t.Helper()
	return send(t, env, http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), func(r *http.Request) {
		if user != "" {
			r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
		}
	})
}

// send makes one request and reads the answer, checking it leaks nothing.
func send(t *testing.T, env *servertest.Env, method, path, contentType string, body io.Reader, edit func(*http.Request)) apiResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, env.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	servertest.CheckNoLeak(t, raw)
	r := apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" || strings.HasSuffix(mt, "+json") {
		var obj map[string]any
		if json.Unmarshal(raw, &obj) == nil {
			r.JSON = obj
		}
	}
	return r
}

// postNoFatal is post for other goroutines: it never calls t.Fatal, and
// reports a transport failure as status 0 with the error as the body.
func postNoFatal(rawURL string, form url.Values, user, pass string) apiResponse {
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return apiResponse{Body: []byte(err.Error())}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return apiResponse{Body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiResponse{Body: []byte(err.Error())}
	}
	r := apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	_ = json.Unmarshal(raw, &r.JSON)
	return r
}

// wantJSONError checks an OAuth2 JSON error answer.
func wantJSONError(t *testing.T, r apiResponse, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if r.JSON == nil {
		t.Fatalf("error body is not a JSON object (Content-Type %q): %s", r.Header.Get("Content-Type"), r.Body)
	}
	if got, _ := r.JSON["error"].(string); got != code {
		t.Errorf("error %q, want %q; body %s", got, code, r.Body)
	}
}

// wantRetrieveError checks the error x/oauth2 returned for a token request.
func wantRetrieveError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T), want an oauth2.RetrieveError %s", err, err, code)
	}
	servertest.CheckNoLeak(t, re.Body)
	if re.Response.StatusCode != status {
		t.Errorf("status %d, want %d; body %s", re.Response.StatusCode, status, re.Body)
	}
	if re.ErrorCode != code {
		t.Errorf("error %q, want %q; body %s", re.ErrorCode, code, re.Body)
	}
}

// clientCredentials asks for a client_credentials token as the "app"
// client (scope left out when empty) and expects 200.
func (f *fixture) clientCredentials(t *testing.T, scope string) apiResponse {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := post(t, f.env, "/oauth2/token", form, f.clientID, f.secret)
	if r.Status != http.StatusOK {
		t.Fatalf("client credentials: %d %s", r.Status, r.Body)
	}
	return r
}

// introspect asks the introspection endpoint about token as the "app"
// client and returns the answer.
func (f *fixture) introspect(t *testing.T, token string) map[string]any {
	t.Helper()
	r := post(t, f.env, "/oauth2/introspect", url.Values{"token": {token}}, f.clientID, f.secret)
	if r.Status != http.StatusOK || r.JSON == nil {
		t.Fatalf("introspection: %d %s", r.Status, r.Body)
	}
	return r.JSON
}

// active reports whether introspection says token is active.
func (f *fixture) active(t *testing.T, token string) bool {
	t.Helper()
	v, ok := f.introspect(t, token)["active"].(bool)
	if !ok {
		t.Fatalf("introspection answer without a boolean active")
	}
	return v
}

// revoke revokes token as the "app" client and expects 200.
func (f *fixture) revoke(t *testing.T, token string) {
	t.Helper()
	r := post(t, f.env, "/oauth2/revoke", url.Values{"token": {token}}, f.clientID, f.secret)
	if r.Status != http.StatusOK {
		t.Fatalf("revocation: %d %s", r.Status, r.Body)
	}
}

// jwks fetches the server's JWK Set.
func jwks(t *testing.T, env *servertest.Env) (jose.JSONWebKeySet, apiResponse) {
	t.Helper()
	r := send(t, env, http.MethodGet, "/.well-known/jwks.json", "", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("jwks: %d %s", r.Status, r.Body)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatalf("jwks: %v\n%s", err, r.Body)
	}
	return set, r
}

// atClaims are the RFC 9068 claims a resource server reads.
type atClaims struct {
	jwt.Claims
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	Roles    []string `json:"roles"`
}

// verifyAccessToken checks raw as a resource server would, offline with
// the JWKS alone (RFC 9068): typ at+jwt, a kid naming a published key, the
// signature, iss, an aud that contains audience, client_id, scope, exp and
// sub. It returns the claims and the kid.
func verifyAccessToken(t *testing.T, env *servertest.Env, raw, audience string) (atClaims, string) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("access token is not a signed JWT: %v", err)
	}
	if len(tok.Headers) != 1 {
		t.Fatalf("access token has %d signatures", len(tok.Headers))
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		t.Errorf("access token header typ %q, want at+jwt", typ)
	}
	if h.KeyID == "" {
		t.Fatalf("access token header has no kid")
	}
	set, _ := jwks(t, env)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS, want 1", h.KeyID, len(keys))
	}
	var c atClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("access token signature: %v", err)
	}
	// The leeway only absorbs clock rounding; nothing here measures time.
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: env.URL, AnyAudience: jwt.Audience{audience}, Time: time.Now()}, time.Minute); err != nil {
		t.Errorf("access token claims: %v (iss %q, aud %v)", err, c.Issuer, c.Audience)
	}
	if c.Expiry == nil {
		t.Errorf("access token has no exp")
	}
	if c.Subject == "" {
		t.Errorf("access token has no sub")
	}
	if c.ClientID == "" {
		t.Errorf("access token has no client_id")
	}
	if c.Scope == "" {
		t.Errorf("access token has no scope")
	}
	return c, h.KeyID
}

// idClaims are the ID-token claims Gatehouse sets.
type idClaims struct {
	Issuer        string   `json:"iss"`
	Subject       string   `json:"sub"`
	Audience      any      `json:"aud"`
	Expiry        int64    `json:"exp"`
	IssuedAt      int64    `json:"iat"`
	AuthTime      int64    `json:"auth_time"`
	Nonce         string   `json:"nonce"`
	AtHash        string   `json:"at_hash"`
	Email         *string  `json:"email"`
	EmailVerified *bool    `json:"email_verified"`
	Name          *string  `json:"name"`
	Roles         []string `json:"roles"`
}

// verifyIDToken verifies raw as a relying party: discovery, the JWKS,
// signature, iss, aud and exp, by go-oidc.
func verifyIDToken(t *testing.T, env *servertest.Env, clientID, raw string) (*oidc.IDToken, idClaims) {
	t.Helper()
	if raw == "" {
		t.Fatalf("no id_token")
	}
	p, err := oidc.NewProvider(t.Context(), env.URL)
	if err != nil {
		t.Fatalf("oidc discovery: %v", err)
	}
	tok, err := p.Verifier(&oidc.Config{ClientID: clientID}).Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("verify id_token: %v", err)
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		t.Fatalf("id_token claims: %v", err)
	}
	return tok, c
}

// sameSet reports whether the space-separated list got holds exactly want.
func sameSet(got string, want []string) bool {
	g := strings.Fields(got)
	w := slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// pkce returns a new PKCE verifier and the authorization request options
// for it: its S256 challenge and a random nonce.
func pkce() (string, []oauth2.AuthCodeOption) {
	v := oauth2.GenerateVerifier()
	return v, []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("nonce", rand.Text())}
}

// pkceOptions returns the options of pkce for a flow that never redeems
// its code.
func pkceOptions() []oauth2.AuthCodeOption {
	_, opts := pkce()
	return opts
}

// redirectQuery fails t unless resp redirects to the client's redirect
// URI, and returns the query it carries.
func redirectQuery(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	return servertest.ClientRedirect(t, resp, redirectURI).Query()
}
