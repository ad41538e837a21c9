package e2e

import (
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestKeyRotation checks that rotating the signing key keeps every token
// already issued valid: the JWKS publishes both keys, resource servers and
// relying parties keep verifying old tokens, introspection still accepts
// them, and new tokens carry the new kid, refreshed ones included.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	// A relying party that discovered the server before the rotation.
	p, err := oidc.NewProvider(ctx, f.env.URL)
	if err != nil {
		t.Fatal(err)
	}
	verifier := p.Verifier(&oidc.Config{ClientID: f.clientID})

	before := f.passwordTokens(t, "openid", "offline_access")
	_, oldKid := verifyAccessToken(t, f.env, before.AccessToken, f.clientID)
	if _, err := verifier.Verify(ctx, idToken(before)); err != nil {
		t.Fatalf("id_token before rotation: %v", err)
	}

	info, err := f.env.Server.Keys.Rotate(ctx)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if info.ID == oldKid {
		t.Fatalf("rotation kept kid %q", oldKid)
	}

	set, _ := jwks(t, f.env)
	if len(set.Key(oldKid)) != 1 || len(set.Key(info.ID)) != 1 {
		t.Fatalf("JWKS after rotation: want the old kid %q and the new kid %q, have %d keys", oldKid, info.ID, len(set.Keys))
	}

	// Tokens signed before the rotation keep verifying, offline and online.
	verifyAccessToken(t, f.env, before.AccessToken, f.clientID)
	if _, err := verifier.Verify(ctx, idToken(before)); err != nil {
		t.Errorf("id_token signed before the rotation: %v", err)
	}
	if !f.active(t, before.AccessToken) {
		t.Errorf("access token signed before the rotation introspects inactive")
	}
	if r := userinfo(t, f.env, http.MethodGet, before.AccessToken); r.Status != http.StatusOK {
		t.Errorf("userinfo with a token signed before the rotation: %d %s", r.Status, r.Body)
	}

	// New tokens are signed by the new key; the relying party's cached key
	// set learns it on the unknown kid.
	after := f.passwordTokens(t, "openid")
	if _, kid := verifyAccessToken(t, f.env, after.AccessToken, f.clientID); kid != info.ID {
		t.Errorf("new access token kid %q, want the new key %q", kid, info.ID)
	}
	if kidOf(t, idToken(after)) != info.ID {
		t.Errorf("new id_token kid %q, want %q", kidOf(t, idToken(after)), info.ID)
	}
	if _, err := verifier.Verify(ctx, idToken(after)); err != nil {
		t.Errorf("id_token signed after the rotation: %v", err)
	}

	// Tokens refreshed from a pre-rotation grant carry the new kid (no kid
	// is stored in the session).
	refreshed, err := f.refresh(t, before.RefreshToken)
	if err != nil {
		t.Fatalf("refresh after rotation: %v", err)
	}
	if _, kid := verifyAccessToken(t, f.env, refreshed.AccessToken, f.clientID); kid != info.ID {
		t.Errorf("refreshed access token kid %q, want %q", kid, info.ID)
	}
	if kidOf(t, idToken(refreshed)) != info.ID {
		t.Errorf("refreshed id_token kid %q, want %q", kidOf(t, idToken(refreshed)), info.ID)
	}
	if _, err := verifier.Verify(ctx, idToken(refreshed)); err != nil {
		t.Errorf("refreshed id_token: %v", err)
	}
}

// kidOf returns the kid of a compact JWS, without verifying it.
func kidOf(t *testing.T, raw string) string {
	t.Helper()
	if raw == "" {
		t.Fatalf("no token")
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return tok.Headers[0].KeyID
}
