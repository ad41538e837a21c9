package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

const (
	exchangeGrant   = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
	idTokenType     = "urn:ietf:params:oauth:token-type:id_token"
	downstream      = "https://downstream.example"
)

// exchangeFixture: "web" (a front end, tokens for Alice with the audience
// "api" and "imp"), "api" (a resource server that exchanges the tokens it
// receives for tokens to downstream), "imp" (may impersonate) and "other"
// (may exchange, but no token names it).
type exchangeFixture struct {
	*fixture
	secrets map[string]string
}

func newExchangeFixture(t *testing.T) *exchangeFixture {
	f := &exchangeFixture{fixture: newFixture(t), secrets: map[string]string{}}
	scopes := append(slices.Clone(allScopes), "api:read")
	for _, spec := range []clients.Spec{
		{ID: "web", GrantTypes: []string{"authorization_code", "password", "refresh_token", exchangeGrant}, Scopes: scopes, Audience: []string{"api", "imp"},
			RedirectURIs: []string{redirectURI}},
		{ID: "api", GrantTypes: []string{"client_credentials", "password", exchangeGrant}, Scopes: scopes, Audience: []string{downstream}},
		{ID: "imp", GrantTypes: []string{exchangeGrant}, Scopes: scopes, Audience: []string{downstream}, AllowImpersonation: true},
		{ID: "other", GrantTypes: []string{exchangeGrant}, Scopes: scopes, Audience: []string{downstream}},
	} {
		_, sec := f.env.CreateClient(t, spec)
		f.secrets[spec.ID] = sec
	}
	return f
}

func (f *exchangeFixture) token(t *testing.T, clientID string, form url.Values) map[string]any {
	t.Helper()
	r := post(t, f.env, "/oauth2/token", form, clientID, f.secrets[clientID])
	if r.Status != http.StatusOK {
		t.Fatalf("token request of %s (%s): %d %s", clientID, form.Get("grant_type"), r.Status, r.Body)
	}
	return r.JSON
}

func (f *exchangeFixture) exchange(t *testing.T, clientID string, form url.Values) apiResponse {
	t.Helper()
	form.Set("grant_type", exchangeGrant)
	if form.Get("subject_token_type") == "" {
		form.Set("subject_token_type", accessTokenType)
	}
	return post(t, f.env, "/oauth2/token", form, clientID, f.secrets[clientID])
}

func TestTokenExchangeDelegationAndNarrowing(t *testing.T) {
	f := newExchangeFixture(t)
	user := f.token(t, "web", url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword},
		"scope": {"openid email api:read offline_access"}, "audience": {"api imp"}})
	subject := user["access_token"].(string)

	r := f.exchange(t, "api", url.Values{"subject_token": {subject}, "scope": {"api:read"}, "audience": {downstream}})
	if r.Status != http.StatusOK || r.JSON["issued_token_type"] != accessTokenType || r.JSON["refresh_token"] != nil {
		t.Fatalf("exchange: %d %s", r.Status, r.Body)
	}
	at := r.JSON["access_token"].(string)
	claims, _ := verifyAccessToken(t, f.env, at, downstream)
	raw := jwtClaims(t, at)
	if claims.Subject != f.user.ID || claims.ClientID != "api" || claims.Scope != "api:read" {
		t.Errorf("exchanged token: sub %q client_id %q scope %q", claims.Subject, claims.ClientID, claims.Scope)
	}
	if act, _ := raw["act"].(map[string]any); act["sub"] != "api" {
		t.Errorf("act %v, want the client as actor", raw["act"])
	}
	// resource is an alias of audience.
	if r := f.exchange(t, "api", url.Values{"subject_token": {subject}, "resource": {downstream}}); r.Status != http.StatusOK {
		t.Errorf("exchange with resource: %d %s", r.Status, r.Body)
	}

	// Widening is refused.
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}, "scope": {"profile"}}), http.StatusBadRequest, "invalid_scope")
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}, "scope": {"offline_access"}}), http.StatusBadRequest, "invalid_scope")
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}, "audience": {"https://evil.example"}}), http.StatusBadRequest, "invalid_target")
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}, "resource": {"https://evil.example"}}), http.StatusBadRequest, "invalid_target")
	// A client the subject token does not name, a bad token, a wrong type.
	wantJSONError(t, f.exchange(t, "other", url.Values{"subject_token": {subject}}), http.StatusBadRequest, "invalid_request")
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject + "x"}}), http.StatusBadRequest, "invalid_request")
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}, "subject_token_type": {"urn:ietf:params:oauth:token-type:saml2"}}), http.StatusBadRequest, "invalid_request")
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}, "requested_token_type": {"urn:ietf:params:oauth:token-type:refresh_token"}}), http.StatusBadRequest, "invalid_request")
	// A client without the grant.
	wantJSONError(t, post(t, f.env, "/oauth2/token", url.Values{"grant_type": {exchangeGrant}, "subject_token": {subject}, "subject_token_type": {accessTokenType}}, f.clientID, f.secret), http.StatusBadRequest, "unauthorized_client")

	// Impersonation: only "imp" gets a token with no actor.
	imp := f.exchange(t, "imp", url.Values{"subject_token": {subject}})
	if imp.Status != http.StatusOK {
		t.Fatalf("impersonation: %d %s", imp.Status, imp.Body)
	}
	if c := jwtClaims(t, imp.JSON["access_token"].(string)); c["act"] != nil || c["sub"] != f.user.ID {
		t.Errorf("impersonation token act %v sub %v", c["act"], c["sub"])
	}

	// Delegation with an actor token (Bob's, issued to api); the actor of
	// the subject token nests inside.
	bob := f.env.CreateUser(t, "bob@example.com", "another good password", "Bob")
	actor := f.token(t, "api", url.Values{"grant_type": {"password"}, "username": {"bob@example.com"}, "password": {"another good password"}, "scope": {"openid"}})
	chained := f.exchange(t, "api", url.Values{"subject_token": {at}, "actor_token": {actor["access_token"].(string)}, "actor_token_type": {accessTokenType}})
	if chained.Status != http.StatusOK {
		t.Fatalf("delegation with an actor token: %d %s", chained.Status, chained.Body)
	}
	act, _ := jwtClaims(t, chained.JSON["access_token"].(string))["act"].(map[string]any)
	prior, _ := act["act"].(map[string]any)
	if act["sub"] != bob.ID || act["client_id"] != "api" || prior["sub"] != "api" {
		t.Errorf("nested act %v, want Bob acting after api", act)
	}
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}, "actor_token": {"junk"}, "actor_token_type": {accessTokenType}}), http.StatusBadRequest, "invalid_request")

	// Audited with subject, actor and client.
	events, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: "token.exchanged"})
	if err != nil || len(events) < 4 {
		t.Fatalf("token.exchanged events: %d (%v)", len(events), err)
	}
	last := events[0]
	if last.ClientID != "api" || last.Details["subject"] != f.user.ID || last.Details["actor"] != bob.ID || last.UserID != f.user.ID {
		t.Errorf("last token.exchanged event %+v", last)
	}

	// Revoking the subject token's family revokes what was exchanged.
	if !f.exchangedActive(t, at) {
		t.Fatal("exchanged token inactive before any revocation")
	}
	rv := post(t, f.env, "/oauth2/revoke", url.Values{"token": {user["refresh_token"].(string)}}, "web", f.secrets["web"])
	if rv.Status != http.StatusOK {
		t.Fatalf("revoke: %d", rv.Status)
	}
	if f.exchangedActive(t, at) || f.exchangedActive(t, chained.JSON["access_token"].(string)) {
		t.Error("exchanged tokens still active after the subject's family was revoked")
	}
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {subject}}), http.StatusBadRequest, "invalid_request")
}

// exchangedActive introspects a token issued to api, as api.
func (f *exchangeFixture) exchangedActive(t *testing.T, token string) bool {
	t.Helper()
	r := post(t, f.env, "/oauth2/introspect", url.Values{"token": {token}}, "api", f.secrets["api"])
	return r.JSON["active"] == true
}

func TestTokenExchangeIDTokenAndDPoPSubject(t *testing.T) {
	f := newExchangeFixture(t)
	// An ID token from a browser sign-in stands for the grant its session
	// gave the client: at most the consented scopes, and it ends with the
	// session.
	cfg := f.env.OAuth2Config("web", f.secrets["web"], redirectURI, "openid", "email", "api:read")
	b := f.env.NewBrowser(t)
	a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	signedIn, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	idt, _ := signedIn.Extra("id_token").(string)
	r := f.exchange(t, "web", url.Values{"subject_token": {idt}, "subject_token_type": {idTokenType}, "scope": {"api:read"}, "audience": {"api"}})
	if r.Status != http.StatusOK {
		t.Fatalf("exchange an ID token: %d %s", r.Status, r.Body)
	}
	exchanged := r.JSON["access_token"].(string)
	claims, _ := verifyAccessToken(t, f.env, exchanged, "api")
	if claims.Subject != f.user.ID || claims.Scope != "api:read" {
		t.Errorf("token from an ID token: sub %q scope %q", claims.Subject, claims.Scope)
	}
	// Beyond what Alice consented to for the client: refused.
	wantJSONError(t, f.exchange(t, "web", url.Values{"subject_token": {idt}, "subject_token_type": {idTokenType}, "scope": {"profile"}}),
		http.StatusBadRequest, "invalid_scope")
	// Another client's ID token, and an access token passed as an ID token.
	wantJSONError(t, f.exchange(t, "api", url.Values{"subject_token": {idt}, "subject_token_type": {idTokenType}}), http.StatusBadRequest, "invalid_request")
	user := f.token(t, "web", url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword}, "scope": {"openid email"}})
	wantJSONError(t, f.exchange(t, "web", url.Values{"subject_token": {user["access_token"].(string)}, "subject_token_type": {idTokenType}}), http.StatusBadRequest, "invalid_request")
	// An ID token of no browser session (the password grant's) stands for nothing.
	wantJSONError(t, f.exchange(t, "web", url.Values{"subject_token": {user["id_token"].(string)}, "subject_token_type": {idTokenType}}), http.StatusBadRequest, "invalid_request")
	// Signing out ends what the ID token gave, and the ID token gives no more.
	submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
	if f.exchangedActive(t, exchanged) {
		t.Error("a token exchanged from an ID token is still active after its session ended")
	}
	wantJSONError(t, f.exchange(t, "web", url.Values{"subject_token": {idt}, "subject_token_type": {idTokenType}, "scope": {"api:read"}}),
		http.StatusBadRequest, "invalid_request")

	// A DPoP-bound subject token needs a proof of its key.
	key := newDPoPKey(t)
	form := url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword}, "scope": {"openid"}, "audience": {"api"}}
	bound := dpopToken(t, f.env, form, "web", f.secrets["web"], key.proof(t, http.MethodPost, f.env.URL+"/oauth2/token", "", nil))
	if bound.Status != http.StatusOK {
		t.Fatalf("DPoP token: %d %s", bound.Status, bound.Body)
	}
	// Nor can it act as the actor without its key.
	plain := f.token(t, "web", url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword}, "scope": {"openid"}, "audience": {"api"}})
	asActor := url.Values{"grant_type": {exchangeGrant}, "subject_token": {plain["access_token"].(string)}, "subject_token_type": {accessTokenType},
		"actor_token": {bound.JSON["access_token"].(string)}, "actor_token_type": {accessTokenType}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", asActor, "api", f.secrets["api"]), http.StatusBadRequest, "invalid_request")
	ex := url.Values{"grant_type": {exchangeGrant}, "subject_token": {bound.JSON["access_token"].(string)}, "subject_token_type": {accessTokenType}}
	wantJSONError(t, post(t, f.env, "/oauth2/token", ex, "api", f.secrets["api"]), http.StatusBadRequest, "invalid_request")
	if r := dpopToken(t, f.env, ex, "api", f.secrets["api"], key.proof(t, http.MethodPost, f.env.URL+"/oauth2/token", "", nil)); r.Status != http.StatusOK || r.JSON["token_type"] != "DPoP" {
		t.Errorf("exchange of a bound token with its key's proof: %d %s", r.Status, r.Body)
	}
}

// TestTokenExchangeEndsWithTheSubjectsRefresh: the subject grant's next
// refresh retires its access tokens, the exchanged ones with them.
func TestTokenExchangeEndsWithTheSubjectsRefresh(t *testing.T) {
	f := newExchangeFixture(t)
	user := f.token(t, "web", url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword},
		"scope": {"openid api:read offline_access"}, "audience": {"api"}})
	r := f.exchange(t, "api", url.Values{"subject_token": {user["access_token"].(string)}})
	if r.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.Status, r.Body)
	}
	at := r.JSON["access_token"].(string)
	if !f.exchangedActive(t, at) {
		t.Fatal("exchanged token inactive at once")
	}
	f.token(t, "web", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {user["refresh_token"].(string)}})
	if f.exchangedActive(t, at) {
		t.Error("exchanged token still active after the subject's grant was refreshed")
	}
}

// TestTokenExchangeRevokedAlone: the downstream client revoking its own
// exchanged token ends that token only; the upstream client's tokens of
// the same grant keep working (review finding 6). Revoking the upstream
// grant still ends the exchanged tokens (TestTokenExchangeEndsWithTheSubjectsRefresh).
func TestTokenExchangeRevokedAlone(t *testing.T) {
	f := newExchangeFixture(t)
	user := f.token(t, "web", url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword},
		"scope": {"openid api:read offline_access"}, "audience": {"api"}})
	r := f.exchange(t, "api", url.Values{"subject_token": {user["access_token"].(string)}})
	if r.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.Status, r.Body)
	}
	exchanged := r.JSON["access_token"].(string)
	if rv := post(t, f.env, "/oauth2/revoke", url.Values{"token": {exchanged}}, "api", f.secrets["api"]); rv.Status != http.StatusOK {
		t.Fatalf("revoke the exchanged token: %d %s", rv.Status, rv.Body)
	}
	if f.exchangedActive(t, exchanged) {
		t.Error("the revoked exchanged token is still active")
	}
	if in := post(t, f.env, "/oauth2/introspect", url.Values{"token": {user["access_token"].(string)}}, "web", f.secrets["web"]); in.JSON["active"] != true {
		t.Errorf("the downstream revocation ended the upstream access token: %s", in.Body)
	}
	f.token(t, "web", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {user["refresh_token"].(string)}})
}
