package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestAuthCodeFlow runs the authorization code flow with PKCE as a browser
// and a relying party would, and checks every token it yields.
func TestAuthCodeFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok, a := f.codeTokens(t, allScopes...)

	if !strings.EqualFold(tok.TokenType, "bearer") {
		t.Errorf("token_type %q, want bearer", tok.TokenType)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("want access and refresh tokens, got %+v", tok)
	}
	if tok.Expiry.IsZero() {
		t.Errorf("no expires_in in the token response")
	}
	if s, _ := tok.Extra("scope").(string); !sameSet(s, allScopes) {
		t.Errorf("token response scope %q, want %v", s, allScopes)
	}

	// The relying party's view: the ID token.
	idt, c := verifyIDToken(t, f.env, f.clientID, idToken(tok))
	if idt.Issuer != f.env.URL {
		t.Errorf("iss %q, want %q", idt.Issuer, f.env.URL)
	}
	if idt.Subject != f.user.ID {
		t.Errorf("sub %q, want user id %q", idt.Subject, f.user.ID)
	}
	if !slices.Contains(idt.Audience, f.clientID) {
		t.Errorf("aud %v does not contain %q", idt.Audience, f.clientID)
	}
	if idt.Nonce != a.Nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, a.Nonce)
	}
	if c.IssuedAt == 0 || c.Expiry <= c.IssuedAt {
		t.Errorf("iat %d, exp %d: want iat set and exp after it", c.IssuedAt, c.Expiry)
	}
	if c.AuthTime == 0 || c.AuthTime > c.IssuedAt {
		t.Errorf("auth_time %d, iat %d: want auth_time set and not after iat", c.AuthTime, c.IssuedAt)
	}
	if idt.AccessTokenHash == "" {
		t.Errorf("no at_hash")
	} else if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash does not match the access token: %v", err)
	}
	if c.Email == nil || *c.Email != aliceEmail {
		t.Errorf("email %v, want %q", c.Email, aliceEmail)
	}
	if c.EmailVerified == nil || !*c.EmailVerified {
		t.Errorf("email_verified %v, want true", c.EmailVerified)
	}
	if c.Name == nil || *c.Name != aliceName {
		t.Errorf("name %v, want %q", c.Name, aliceName)
	}
	if !slices.Equal(c.Roles, []string{"admin", "user"}) {
		t.Errorf("roles %v, want [admin user]", c.Roles)
	}

	// The resource server's view: an RFC 9068 access token.
	at, _ := verifyAccessToken(t, f.env, tok.AccessToken, f.clientID)
	if at.Subject != f.user.ID {
		t.Errorf("access token sub %q, want %q", at.Subject, f.user.ID)
	}
	if at.ClientID != f.clientID {
		t.Errorf("access token client_id %q, want %q", at.ClientID, f.clientID)
	}
	if !sameSet(at.Scope, allScopes) {
		t.Errorf("access token scope %q, want %v", at.Scope, allScopes)
	}
	if !slices.Equal(at.Roles, []string{"admin", "user"}) {
		t.Errorf("access token roles %v, want [admin user]", at.Roles)
	}
	if at.Expiry.Time().Before(time.Now()) {
		t.Errorf("access token already expired at %v", at.Expiry.Time())
	}
}

// TestAuthCodeScopesLimitClaims checks that an ID token carries only the
// claims its scopes allow.
func TestAuthCodeScopesLimitClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok, _ := f.codeTokens(t, "openid")
	if tok.RefreshToken != "" {
		t.Errorf("refresh token issued without offline_access")
	}
	_, c := verifyIDToken(t, f.env, f.clientID, idToken(tok))
	if c.Email != nil || c.EmailVerified != nil || c.Name != nil {
		t.Errorf("openid alone yields email %v, email_verified %v, name %v; want none", c.Email, c.EmailVerified, c.Name)
	}
	if !slices.Equal(c.Roles, []string{"admin", "user"}) {
		t.Errorf("roles %v, want [admin user]", c.Roles)
	}
	at, _ := verifyAccessToken(t, f.env, tok.AccessToken, f.clientID)
	if at.Scope != "openid" {
		t.Errorf("access token scope %q, want openid", at.Scope)
	}
}

// TestConsentRemembered checks that a second authorization for scopes
// already granted skips the consent page: in the same browser it needs
// neither login nor consent, and in a new browser only the login.
func TestConsentRemembered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := f.config("openid", "email")
	b := f.env.NewBrowser(t)
	first := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	if _, err := cfg.Exchange(t.Context(), first.Code, first.VerifierOption()); err != nil {
		t.Fatalf("first exchange: %v", err)
	}

	// Same browser: signed in and consented, straight back to the client.
	state := servertest.RandomString(t)
	verifier, opts := pkce()
	resp := b.Authorize(t, cfg.AuthCodeURL(state, opts...))
	q := redirectQuery(t, resp)
	if q.Get("code") == "" || q.Get("state") != state {
		t.Fatalf("second authorization: redirect query %v, want a code and state %q", q, state)
	}
	if _, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("second exchange: %v", err)
	}

	// New browser: the login page, then the client, with no consent page.
	b2 := f.env.NewBrowser(t)
	state = servertest.RandomString(t)
	resp = b2.Authorize(t, cfg.AuthCodeURL(state, pkceOptions()...))
	if !servertest.OnPage(resp, "/login") {
		t.Fatalf("new browser: want the login page, got %d at %s", resp.StatusCode, resp.Request.URL)
	}
	resp = b2.Login(t, resp, aliceEmail, alicePassword)
	if servertest.OnPage(resp, "/consent") {
		t.Fatalf("consent asked again for scopes already granted")
	}
	if q := redirectQuery(t, resp); q.Get("code") == "" || q.Get("state") != state {
		t.Fatalf("new browser: redirect query %v, want a code and state %q", q, state)
	}

	// More scopes than were granted: the consent page again.
	wider := f.config("openid", "email", "profile")
	resp = b.Authorize(t, wider.AuthCodeURL(servertest.RandomString(t), pkceOptions()...))
	if !servertest.OnPage(resp, "/consent") {
		t.Fatalf("wider scopes: want the consent page, got %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

// TestConsentDeny checks that denying consent sends the browser back to the
// client with access_denied and the state, and no code.
func TestConsentDeny(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := f.config("openid", "profile")
	b := f.env.NewBrowser(t)
	state := servertest.RandomString(t)
	resp := b.Authorize(t, cfg.AuthCodeURL(state, pkceOptions()...))
	resp = b.Login(t, resp, aliceEmail, alicePassword)
	resp = b.Consent(t, resp, "deny")
	q := redirectQuery(t, resp)
	if q.Get("error") != "access_denied" {
		t.Errorf("error %q, want access_denied", q.Get("error"))
	}
	if q.Get("state") != state {
		t.Errorf("state %q, want %q", q.Get("state"), state)
	}
	if q.Get("code") != "" {
		t.Errorf("a code came with the denial")
	}
}

// TestLoginWrongPassword checks that a wrong password shows the login page
// again with 401 and does not reach the client.
func TestLoginWrongPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := f.config("openid")
	b := f.env.NewBrowser(t)
	resp := b.Authorize(t, cfg.AuthCodeURL(servertest.RandomString(t), pkceOptions()...))
	resp = b.Login(t, resp, aliceEmail, "wrong password")
	if resp.StatusCode != http.StatusUnauthorized || !servertest.OnPage(resp, "/login") {
		t.Fatalf("wrong password: %d at %s, want 401 on the login page", resp.StatusCode, resp.Request.URL)
	}
	// The page offers the form again, and the right password then works.
	resp = b.Login(t, resp, aliceEmail, alicePassword)
	if !servertest.OnPage(resp, "/consent") {
		t.Fatalf("after a retry: %d at %s, want the consent page", resp.StatusCode, resp.Request.URL)
	}
}
