package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// pushed pushes an authorization request for the "app" client and returns
// the answer, its PKCE verifier and state.
func (f *fixture) pushed(t *testing.T, clientID, secret string, extra url.Values) (apiResponse, string, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := servertest.RandomString(t)
	form := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid email"},
		"state":                 {state},
		"nonce":                 {servertest.RandomString(t)},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		form[k] = v
	}
	return post(t, f.env, "/oauth2/par", form, clientID, secret), verifier, state
}

func TestPARFlowAndSingleUse(t *testing.T) {
	f := newFixture(t)
	resp, verifier, state := f.pushed(t, f.clientID, f.secret, nil)
	if resp.Status != http.StatusCreated {
		t.Fatalf("PAR: %d %s", resp.Status, resp.Body)
	}
	uri, _ := resp.JSON["request_uri"].(string)
	if exp, _ := resp.JSON["expires_in"].(float64); uri == "" || exp <= 0 || exp > 60 {
		t.Fatalf("PAR answer %s: want a request_uri and expires_in within a minute", resp.Body)
	}
	authURL := f.env.URL + "/oauth2/auth?" + url.Values{"client_id": {f.clientID}, "request_uri": {uri}}.Encode()
	b := f.env.NewBrowser(t)
	page := b.Authorize(t, authURL)
	page = b.Login(t, page, aliceEmail, alicePassword)
	if servertest.OnPage(page, "/consent") {
		page = b.Consent(t, page, "allow")
	}
	q := redirectQuery(t, page)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("redirect %v: want the pushed state and a code", q)
	}
	tok, err := f.config("openid", "email").Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange the code of a pushed request: %v", err)
	}
	if idToken(tok) == "" {
		t.Error("no ID token for a pushed openid request")
	}

	// The request_uri was used: a replay is refused, in the same browser
	// (signed in, consent given) too.
	replay := b.Authorize(t, authURL)
	if replay.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed request_uri: %d %s, want the 400 error page", replay.StatusCode, replay.Header.Get("Location"))
	}
	servertest.ReadBody(t, replay)
}

func TestPARRequiredPerClientAndGlobally(t *testing.T) {
	f := newFixture(t)
	spec := appLikeSpec("strict")
	spec.RequirePAR = true
	id, sec := f.env.CreateClient(t, spec)
	cfg := f.env.OAuth2Config(id, sec, redirectURI, "openid")

	// Not pushed: refused at the redirect URI with invalid_request.
	resp := f.env.NewBrowser(t).Authorize(t, cfg.AuthCodeURL(servertest.RandomString(t), pkceOptions()...))
	if q := redirectQuery(t, resp); q.Get("error") != "invalid_request" {
		t.Fatalf("unpushed request of a --require-par client: %v", q)
	}
	// Pushed: the flow completes (across the login and consent pages).
	pr, verifier, _ := f.pushed(t, id, sec, nil)
	if pr.Status != http.StatusCreated {
		t.Fatalf("PAR: %d %s", pr.Status, pr.Body)
	}
	b := f.env.NewBrowser(t)
	page := b.Authorize(t, f.env.URL+"/oauth2/auth?"+url.Values{"client_id": {id}, "request_uri": {pr.JSON["request_uri"].(string)}}.Encode())
	page = b.Login(t, page, aliceEmail, alicePassword)
	if servertest.OnPage(page, "/consent") {
		page = b.Consent(t, page, "allow")
	}
	q := redirectQuery(t, page)
	if _, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("pushed flow of a --require-par client: %v", err)
	}

	// The global setting applies to every client, and discovery says so.
	g := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.PAR.RequirePushedAuthorizationRequests = true }))
	resp = g.env.NewBrowser(t).Authorize(t, g.config("openid").AuthCodeURL(servertest.RandomString(t), pkceOptions()...))
	if q := redirectQuery(t, resp); q.Get("error") != "invalid_request" {
		t.Fatalf("unpushed request with par.require_pushed_authorization_requests: %v", q)
	}
	d := send(t, g.env, http.MethodGet, "/.well-known/openid-configuration", "", nil, nil)
	if d.JSON["require_pushed_authorization_requests"] != true || d.JSON["pushed_authorization_request_endpoint"] != g.env.URL+"/oauth2/par" {
		t.Errorf("discovery: %s", d.Body)
	}
}

func TestPARRefusals(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		id     string
		secret string
		extra  url.Values
		status int
		code   string
	}{
		{"wrong secret", f.clientID, "wrong-secret-wrong-secret-wrong-secret", nil, http.StatusUnauthorized, "invalid_client"},
		{"unregistered redirect", f.clientID, f.secret, url.Values{"redirect_uri": {"https://evil.example/cb"}}, http.StatusBadRequest, "invalid_request"},
		{"no PKCE", f.clientID, f.secret, url.Values{"code_challenge": {""}}, http.StatusBadRequest, "invalid_request"},
		{"request_uri inside", f.clientID, f.secret, url.Values{"request_uri": {"urn:x"}}, http.StatusBadRequest, "invalid_request"},
		{"unknown scope", f.clientID, f.secret, url.Values{"scope": {"openid admin:all"}}, http.StatusBadRequest, "invalid_scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, _, _ := f.pushed(t, tc.id, tc.secret, tc.extra)
			wantJSONError(t, resp, tc.status, tc.code)
		})
	}
	// A public client may push too (no secret).
	pub, _ := f.env.CreateClient(t, clients.Spec{ID: "spa", Public: true, RedirectURIs: []string{redirectURI}})
	resp, _, _ := f.pushed(t, pub, "", nil)
	if resp.Status != http.StatusCreated {
		t.Fatalf("public client PAR: %d %s", resp.Status, resp.Body)
	}
	// An unknown request_uri at the authorization endpoint is no code.
	page := f.env.NewBrowser(t).Authorize(t, f.env.URL+"/oauth2/auth?"+url.Values{"client_id": {f.clientID},
		"request_uri": {"urn:ietf:params:oauth:request_uri:nope"}}.Encode())
	if page.StatusCode < 400 {
		t.Fatalf("unknown request_uri: %d", page.StatusCode)
	}
}
