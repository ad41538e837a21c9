package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Conformance gaps found with oauth2-proxy, authlib, openid-client and
// oidc-client-ts (issue 15 item 7).

// TestIntrospectRevokeSecretPost: introspection and revocation accept
// client_secret_post (openid-client's default) as well as Basic.
func TestIntrospectRevokeSecretPost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.passwordTokens(t, "openid", "offline_access")
	auth := url.Values{"client_id": {f.clientID}, "client_secret": {f.secret}}
	r := post(t, f.env, "/oauth2/introspect", withValues(auth, "token", tok.AccessToken), "", "")
	if r.Status != http.StatusOK || r.JSON["active"] != true {
		t.Fatalf("introspection with client_secret_post: %d %s", r.Status, r.Body)
	}
	r = post(t, f.env, "/oauth2/revoke", withValues(auth, "token", tok.RefreshToken), "", "")
	if r.Status != http.StatusOK {
		t.Fatalf("revocation with client_secret_post: %d %s", r.Status, r.Body)
	}
	if f.active(t, tok.AccessToken) {
		t.Error("the access token is active after its refresh token was revoked")
	}
	bad := url.Values{"client_id": {f.clientID}, "client_secret": {"wrong-secret-wrong-secret-wrong-secret"}}
	wantJSONError(t, post(t, f.env, "/oauth2/introspect", withValues(bad, "token", tok.AccessToken), "", ""), http.StatusUnauthorized, "invalid_client")
	wantJSONError(t, post(t, f.env, "/oauth2/revoke", withValues(bad, "token", tok.AccessToken), "", ""), http.StatusUnauthorized, "invalid_client")
}

// TestUnknownStandardScopesIgnored: address and phone, which Gatehouse does
// not hold, are left out of an OpenID request rather than refused (OIDC
// Core 3.1.2.1); scopes nobody defined are still invalid_scope.
func TestUnknownStandardScopesIgnored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := f.config("openid", "email", "address", "phone")
	a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if got, _ := tok.Extra("scope").(string); !sameSet(got, []string{"openid", "email"}) {
		t.Errorf("granted scope %q, want openid email", got)
	}
	u, _ := f.authURL(t, []string{"openid", "made-up"})
	if q := redirectQuery(t, f.env.NewBrowser(t).Authorize(t, u)); q.Get("error") != "invalid_scope" {
		t.Errorf("an unknown scope: %v, want invalid_scope", q)
	}
}

// TestRefreshNarrowerScope: a refresh asking for fewer scopes gets exactly
// those (RFC 6749 section 6) in the answer and the access token; the new
// refresh token keeps the original grant.
func TestRefreshNarrowerScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok, _ := f.codeTokens(t, "openid", "email", "profile", "offline_access")
	r := post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"email"}}, f.clientID, f.secret)
	if r.Status != http.StatusOK {
		t.Fatalf("narrower refresh: %d %s", r.Status, r.Body)
	}
	if got, _ := r.JSON["scope"].(string); got != "email" {
		t.Errorf("scope %q, want exactly email", got)
	}
	at, _ := verifyAccessToken(t, f.env, r.JSON["access_token"].(string), f.clientID)
	if at.Scope != "email" {
		t.Errorf("access token scope %q, want email", at.Scope)
	}
	if _, ok := r.JSON["id_token"]; ok {
		t.Error("an ID token for a refresh that did not ask for openid")
	}
	rt, _ := r.JSON["refresh_token"].(string)
	r = post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, f.clientID, f.secret)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh after a narrower one: %d %s", r.Status, r.Body)
	}
	if got, _ := r.JSON["scope"].(string); !sameSet(got, []string{"openid", "email", "profile", "offline_access"}) {
		t.Errorf("the next full refresh got %q, want the original grant", got)
	}
	r = post(t, f.env, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.JSON["refresh_token"].(string)}, "scope": {"email api:read"}}, f.clientID, f.secret)
	wantJSONError(t, r, http.StatusBadRequest, "invalid_scope")
}

// TestPromptNoneWithOthers: prompt=none with another value is
// invalid_request (OIDC Core 3.1.2.1), with or without a session.
func TestPromptNoneWithOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	for _, signedIn := range []bool{false, true} {
		if signedIn {
			b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
		}
		for _, p := range []string{"none login", "login none", "none consent", "none select_account"} {
			u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("prompt", p))
			if q := redirectQuery(t, b.Authorize(t, u)); q.Get("error") != "invalid_request" {
				t.Errorf("signed in %v, prompt=%q: %v, want invalid_request", signedIn, p, q)
			}
		}
	}
	u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("prompt", "bogus"))
	if q := redirectQuery(t, b.Authorize(t, u)); q.Get("error") != "invalid_request" {
		t.Errorf("prompt=bogus: %v, want invalid_request", q)
	}
}

// TestPromptSelectAccount: prompt=select_account shows who is signed in
// with a way to continue and one to use another account.
func TestPromptSelectAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.env.CreateUser(t, "bob@example.com", "bob's long password", "Bob")
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
	sel := oauth2.SetAuthURLParam("prompt", "select_account")

	u, verifier := f.authURL(t, []string{"openid"}, sel)
	resp := b.Authorize(t, u)
	wantText(t, resp, http.StatusOK, aliceEmail, "Use another account")
	q := redirectQuery(t, submit(t, f.env, b, resp, "/select-account", nil))
	tok, err := f.config("openid").Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange after continuing as Alice: %v", err)
	}
	if _, c := verifyIDToken(t, f.env, f.clientID, idToken(tok)); c.Subject != f.user.ID {
		t.Errorf("continued as %q, want Alice", c.Subject)
	}

	// Another account: the login page, then Bob's consent.
	u, verifier = f.authURL(t, []string{"openid"}, sel)
	page := servertest.ReadBody(t, b.Authorize(t, u))
	another := linkTo(t, page, "/login?")
	resp = b.Get(t, f.env.URL+another)
	if !servertest.OnPage(resp, "/login") {
		t.Fatalf("use another account: %d %s", resp.StatusCode, resp.Request.URL)
	}
	resp = b.Login(t, resp, "bob@example.com", "bob's long password")
	if servertest.OnPage(resp, "/consent") {
		resp = b.Consent(t, resp, "allow")
	}
	q = redirectQuery(t, resp)
	tok, err = f.config("openid").Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange as Bob: %v", err)
	}
	if _, c := verifyIDToken(t, f.env, f.clientID, idToken(tok)); c.Subject == f.user.ID {
		t.Error("another account still signed in Alice")
	}

	// Without a session: the login page, as for any request.
	u, _ = f.authURL(t, []string{"openid"}, sel)
	if resp := f.env.NewBrowser(t).Authorize(t, u); !servertest.OnPage(resp, "/login") {
		t.Errorf("select_account without a session: %d %s, want the login page", resp.StatusCode, resp.Request.URL)
	}
}

// linkTo returns the first href on page starting with prefix.
func linkTo(t *testing.T, page []byte, prefix string) string {
	t.Helper()
	i := strings.Index(string(page), `href="`+prefix)
	if i < 0 {
		t.Fatalf("no link to %s on the page:\n%s", prefix, page)
	}
	rest := string(page)[i+len(`href="`):]
	return strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
}

// TestPKCEOptional: a confidential client registered with PKCE optional
// may leave it out (oauth2-proxy, the OpenID Foundation's Basic OP plan);
// one that sends a challenge is held to it; other clients still need it,
// and a public client cannot be registered without it.
func TestPKCEOptional(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := appLikeSpec("proxy")
	spec.PKCE = clients.PKCEOptional
	id, sec := f.env.CreateClient(t, spec)
	cfg := f.env.OAuth2Config(id, sec, redirectURI, "openid", "email")
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)

	noPKCE := func(cfg *oauth2.Config) url.Values {
		resp := b.Authorize(t, cfg.AuthCodeURL("state-123456789", oauth2.SetAuthURLParam("nonce", "nonce-123456789")))
		if servertest.OnPage(resp, "/consent") {
			resp = b.Consent(t, resp, "allow")
		}
		return redirectQuery(t, resp)
	}
	q := noPKCE(cfg)
	if q.Get("code") == "" {
		t.Fatalf("PKCE optional, none sent: %v", q)
	}
	if _, err := cfg.Exchange(t.Context(), q.Get("code")); err != nil {
		t.Fatalf("exchange without PKCE: %v", err)
	}
	// A challenge sent is a challenge kept: no downgrade at the exchange.
	verifier := oauth2.GenerateVerifier()
	resp := b.Authorize(t, cfg.AuthCodeURL("state-123456789", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-123456789")))
	q = redirectQuery(t, resp)
	_, err := cfg.Exchange(t.Context(), q.Get("code"))
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	// Nor after a wrong verifier (which fosite answers after dropping the
	// challenge it read).
	resp = b.Authorize(t, cfg.AuthCodeURL("state-123456789", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "nonce-123456789")))
	q = redirectQuery(t, resp)
	_, err = cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	_, err = cfg.Exchange(t.Context(), q.Get("code"))
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
	if _, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("the right verifier after wrong ones: %v", err)
	}
	// A plain challenge is still refused.
	resp = b.Authorize(t, cfg.AuthCodeURL("state-123456789", oauth2.SetAuthURLParam("code_challenge", verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")))
	if q := redirectQuery(t, resp); q.Get("error") != "invalid_request" {
		t.Errorf("plain challenge: %v, want invalid_request", q)
	}
	// The default stays mandatory.
	if q := noPKCE(f.config("openid")); q.Get("error") != "invalid_request" {
		t.Errorf("a default client without PKCE: %v, want invalid_request", q)
	}
	pub := clients.Spec{ID: "spa", Public: true, RedirectURIs: []string{redirectURI}, PKCE: clients.PKCEOptional}
	if _, _, err := clients.Create(t.Context(), f.env.Store, nil, pub, f.user.CreatedAt); err == nil {
		t.Error("a public client was registered with PKCE optional")
	}
}

// TestProfileClaims: the profile scope yields the standard claims
// Gatehouse holds, which the account page sets.
func TestProfileClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	f.codeTokensIn(t, b, "openid", "profile") // signs the browser in
	resp := submit(t, f.env, b, b.Get(t, f.env.URL+"/account"), "/account/profile", url.Values{
		"name": {"Alice Liddell"}, "given_name": {"Alice"}, "family_name": {"Liddell"},
		"preferred_username": {"alice"}, "locale": {"en-GB"}, "picture": {"https://pics.example/alice.png"},
	})
	wantText(t, resp, http.StatusOK, "Alice", "Liddell", "en-GB", "https://pics.example/alice.png")
	resp = submit(t, f.env, b, b.Get(t, f.env.URL+"/account"), "/account/profile", url.Values{
		"name": {"Alice Liddell"}, "picture": {"javascript:alert(1)"},
	})
	wantText(t, resp, http.StatusBadRequest)
	resp = submit(t, f.env, b, b.Get(t, f.env.URL+"/account"), "/account/profile", url.Values{
		"name": {"Alice Liddell"}, "locale": {"not a locale!"},
	})
	wantText(t, resp, http.StatusBadRequest)

	tok, _ := f.codeTokensIn(t, b, "openid", "profile")
	verifyIDToken(t, f.env, f.clientID, idToken(tok))
	for _, src := range []map[string]any{jwtClaims(t, idToken(tok)), userinfo(t, f.env, http.MethodGet, tok.AccessToken).JSON} {
		want := map[string]any{"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell",
			"preferred_username": "alice", "locale": "en-GB", "picture": "https://pics.example/alice.png"}
		for k, v := range want {
			if src[k] != v {
				t.Errorf("%s = %v, want %v", k, src[k], v)
			}
		}
		if n, ok := src["updated_at"].(float64); !ok || n <= 0 {
			t.Errorf("updated_at = %v, want seconds since the epoch", src["updated_at"])
		}
	}
	// Without the profile scope: none of them.
	tok = f.passwordTokens(t, "openid", "email")
	got := userinfo(t, f.env, http.MethodGet, tok.AccessToken).JSON
	for _, k := range []string{"given_name", "family_name", "preferred_username", "locale", "picture", "updated_at"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s without the profile scope", k)
		}
	}
	u, err := f.env.Store.GetUser(t.Context(), f.user.ID)
	if err != nil || u.Profile != (storage.Profile{GivenName: "Alice", FamilyName: "Liddell", PreferredUsername: "alice", Locale: "en-GB", Picture: "https://pics.example/alice.png"}) {
		t.Errorf("stored profile %+v (%v)", u.Profile, err)
	}
}
