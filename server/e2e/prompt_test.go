package e2e

import (
	"net/http"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// authURL is an authorization request for the "app" client with PKCE, a
// fixed state and extra parameters.
func (f *fixture) authURL(t *testing.T, scopes []string, extra ...oauth2.AuthCodeOption) (string, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-123456789")}, extra...)
	return f.config(scopes...).AuthCodeURL("state-123456789", opts...), verifier
}

// TestPromptNone: prompt=none never shows a page; it answers
// login_required without a session, consent_required without a
// remembered consent, and a code when both are there.
func TestPromptNone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	none := oauth2.SetAuthURLParam("prompt", "none")

	b := f.env.NewBrowser(t)
	u, _ := f.authURL(t, []string{"openid"}, none)
	if q := redirectQuery(t, b.Authorize(t, u)); q.Get("error") != "login_required" || q.Get("state") != "state-123456789" {
		t.Errorf("no session: %v, want login_required with the state", q)
	}

	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword) // signed in, consent for openid
	u, _ = f.authURL(t, []string{"openid", "email"}, none)
	if q := redirectQuery(t, b.Authorize(t, u)); q.Get("error") != "consent_required" {
		t.Errorf("consent missing for email: %v, want consent_required", q)
	}
	u, verifier := f.authURL(t, []string{"openid"}, none)
	q := redirectQuery(t, b.Authorize(t, u))
	if q.Get("code") == "" {
		t.Fatalf("signed in with consent: %v, want a code", q)
	}
	if _, err := f.config("openid").Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange the prompt=none code: %v", err)
	}
}

// TestPromptLogin: prompt=login asks for the password again even with a
// session, then goes on without a loop: straight to the client when the
// consent is remembered, through the consent page when it is not.
func TestPromptLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
	login := oauth2.SetAuthURLParam("prompt", "login")

	u, verifier := f.authURL(t, []string{"openid"}, login)
	resp := b.Authorize(t, u)
	if !servertest.OnPage(resp, "/login") {
		t.Fatalf("prompt=login with a session: %d %s, want the login page", resp.StatusCode, resp.Request.URL)
	}
	q := redirectQuery(t, b.Login(t, resp, aliceEmail, alicePassword))
	tok, err := f.config("openid").Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange after prompt=login: %v", err)
	}
	verifyIDToken(t, f.env, f.clientID, idToken(tok)) // fosite checks auth_time against prompt=login

	u, verifier = f.authURL(t, []string{"openid", "profile"}, login)
	resp = b.Login(t, b.Authorize(t, u), aliceEmail, alicePassword)
	if !servertest.OnPage(resp, "/consent") {
		t.Fatalf("after login for a new scope: %d %s, want the consent page", resp.StatusCode, resp.Request.URL)
	}
	q = redirectQuery(t, b.Consent(t, resp, "allow"))
	if _, err := f.config("openid", "profile").Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange after prompt=login and consent: %v", err)
	}
}

// TestPromptConsent: prompt=consent shows the consent page even when the
// consent is remembered.
func TestPromptConsent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
	u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("prompt", "consent"))
	if resp := b.Authorize(t, u); !servertest.OnPage(resp, "/consent") {
		t.Fatalf("prompt=consent: %d %s, want the consent page", resp.StatusCode, resp.Request.URL)
	}
}

// TestMaxAge: max_age=0 demands a fresh login; a generous max_age does not.
func TestMaxAge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)

	u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("max_age", "3600"))
	if q := redirectQuery(t, b.Authorize(t, u)); q.Get("code") == "" {
		t.Errorf("max_age=3600 right after login: %v, want a code without pages", q)
	}
	u, verifier := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("max_age", "0"))
	resp := b.Authorize(t, u)
	if !servertest.OnPage(resp, "/login") {
		t.Fatalf("max_age=0: %d %s, want the login page", resp.StatusCode, resp.Request.URL)
	}
	q := redirectQuery(t, b.Login(t, resp, aliceEmail, alicePassword))
	if _, err := f.config("openid").Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange after max_age login: %v", err)
	}
}

// TestPublicClient: a public client (a SPA or native app) runs the code
// flow with PKCE and no secret, and refreshes with its client_id alone.
func TestPublicClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const native = "http://127.0.0.1/callback"
	id, _ := f.env.CreateClient(t, clients.Spec{ID: "native", Public: true, RedirectURIs: []string{native},
		Scopes: []string{"openid", "offline_access"}})
	cfg := f.env.OAuth2Config(id, "", native, "openid", "offline_access")
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatalf("public client exchange: %v", err)
	}
	verifyIDToken(t, f.env, id, idToken(tok))
	next, err := cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil || next.AccessToken == "" {
		t.Fatalf("public client refresh: %v", err)
	}
	// Without PKCE the public client gets nothing: the verifier is its
	// only proof.
	r := post(t, f.env, "/oauth2/token", map[string][]string{
		"grant_type": {"authorization_code"}, "code": {a.Code}, "redirect_uri": {native}, "client_id": {id},
	}, "", "")
	if r.Status != http.StatusBadRequest {
		t.Errorf("exchange without a verifier: %d %s", r.Status, r.Body)
	}
}
