package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

const loggedOutURI = "https://app.example/logged-out"

// rpFixture adds client "rp" with a registered post-logout redirect URI.
func rpFixture(t *testing.T) (*fixture, string, string) {
	t.Helper()
	f := newFixture(t)
	spec := appLikeSpec("rp")
	spec.PostLogoutRedirectURIs = []string{loggedOutURI}
	id, sec := f.env.CreateClient(t, spec)
	return f, id, sec
}

// signedInWithIDToken signs a new browser in through client id and returns
// it with its ID token.
func signedInWithIDToken(t *testing.T, f *fixture, id, sec string) (*servertest.Browser, string) {
	t.Helper()
	b := f.env.NewBrowser(t)
	cfg := f.env.OAuth2Config(id, sec, redirectURI, "openid")
	a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatal(err)
	}
	return b, idToken(tok)
}

// signedIn reports whether b still has a session.
func signedIn(t *testing.T, f *fixture, b *servertest.Browser) bool {
	t.Helper()
	return b.Get(t, f.env.URL+"/account").Request.URL.Path == "/account"
}

func logoutURL(f *fixture, q url.Values) string { return f.env.URL + "/oauth2/logout?" + q.Encode() }

// TestRPInitiatedLogout: a valid id_token_hint with a registered
// post_logout_redirect_uri ends the session and returns to the client with
// the state; the next authorization asks for the password again.
func TestRPInitiatedLogout(t *testing.T) {
	t.Parallel()
	f, id, sec := rpFixture(t)
	b, hint := signedInWithIDToken(t, f, id, sec)

	resp := b.Get(t, logoutURL(f, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOutURI}, "state": {"st-123"}}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loggedOutURI+"?state=st-123" {
		t.Fatalf("status %d Location %q, want 303 to %s?state=st-123", resp.StatusCode, resp.Header.Get("Location"), loggedOutURI)
	}
	if signedIn(t, f, b) {
		t.Error("still signed in")
	}
	authURL, _ := f.authURL(t, []string{"openid"})
	if resp := b.Authorize(t, authURL); !servertest.OnPage(resp, "/login") {
		t.Errorf("next authorization: %d at %s, want the login page", resp.StatusCode, resp.Request.URL)
	}

	var disc map[string]any
	if err := json.Unmarshal(bodyBytes(t, b.Get(t, f.env.URL+"/.well-known/openid-configuration")), &disc); err != nil {
		t.Fatal(err)
	}
	if disc["end_session_endpoint"] != f.env.URL+"/oauth2/logout" {
		t.Errorf("end_session_endpoint %v", disc["end_session_endpoint"])
	}
	wantAudit(t, f.env, []string{"logout/success"}, hint)

	// A relying party may POST the request from its own origin.
	b, hint = signedInWithIDToken(t, f, id, sec)
	req, _ := http.NewRequest(http.MethodPost, f.env.URL+"/oauth2/logout", strings.NewReader(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOutURI}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp := b.Do(t, req); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loggedOutURI {
		t.Errorf("POSTed logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if signedIn(t, f, b) {
		t.Error("POSTed logout left the session")
	}
}

func bodyBytes(t *testing.T, resp *http.Response) []byte { return servertest.ReadBody(t, resp) }

// TestRPLogoutRefusals: what is not registered or not verifiable is never
// followed, shows a page and leaves the session alone.
func TestRPLogoutRefusals(t *testing.T) {
	t.Parallel()
	f, id, sec := rpFixture(t)
	b, hint := signedInWithIDToken(t, f, id, sec)
	_, appHint := signedInWithIDToken(t, f, f.clientID, f.secret)
	tests := []struct {
		name string
		q    url.Values
		msg  string
	}{
		{"unregistered uri", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}, web.MsgLogoutBadRedirect},
		{"uri differing by a slash", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOutURI + "/"}}, web.MsgLogoutBadRedirect},
		{"another client's uri", url.Values{"id_token_hint": {appHint}, "post_logout_redirect_uri": {loggedOutURI}}, web.MsgLogoutBadRedirect},
		{"uri without a client", url.Values{"post_logout_redirect_uri": {loggedOutURI}}, web.MsgLogoutBadRedirect},
		{"unknown client", url.Values{"client_id": {"nope"}, "post_logout_redirect_uri": {loggedOutURI}}, web.MsgUnknownClient},
		{"client_id not the hint's", url.Values{"id_token_hint": {appHint}, "client_id": {id}, "post_logout_redirect_uri": {loggedOutURI}}, web.MsgUnknownClient},
		{"tampered hint", url.Values{"id_token_hint": {tamper(hint)}, "post_logout_redirect_uri": {loggedOutURI}}, web.MsgLogoutInvalid},
		{"hint signed elsewhere", url.Values{"id_token_hint": {foreignIDToken(t, f, id)}, "post_logout_redirect_uri": {loggedOutURI}}, web.MsgLogoutInvalid},
		{"garbage hint", url.Values{"id_token_hint": {"not.a.jwt"}}, web.MsgLogoutInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.Get(t, logoutURL(f, tt.q))
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("redirected to %q", loc)
			}
			wantText(t, resp, http.StatusBadRequest, tt.msg)
			if !signedIn(t, f, b) {
				t.Fatal("signed out by a refused request")
			}
		})
	}
}

// foreignIDToken is an ID token for clientID signed by a key this server
// does not know, with the server's issuer.
func foreignIDToken(t *testing.T, f *fixture, clientID string) string {
	t.Helper()
	return signIDToken(t, mustRSAKey(t), "RS256", "foreign-kid", f.env.URL, f.user.ID, clientID, time.Now().Add(time.Hour))
}

// TestRPLogoutExpiredHint: an expired ID token this server signed is still
// a valid hint (RP-Initiated Logout section 4).
func TestRPLogoutExpiredHint(t *testing.T) {
	t.Parallel()
	f, id, sec := rpFixture(t)
	b, _ := signedInWithIDToken(t, f, id, sec)
	k, err := f.env.Server.Keys.Signing(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	expired := signIDToken(t, k.Signer, k.Algorithm, k.ID, f.env.URL, f.user.ID, id, time.Now().Add(-24*time.Hour))
	resp := b.Get(t, logoutURL(f, url.Values{"id_token_hint": {expired}, "post_logout_redirect_uri": {loggedOutURI}}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loggedOutURI {
		t.Fatalf("status %d Location %q:\n%s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
	}
	if signedIn(t, f, b) {
		t.Error("still signed in")
	}
	wrongIssuer := signIDToken(t, k.Signer, k.Algorithm, k.ID, "https://other.example", f.user.ID, id, time.Now().Add(time.Hour))
	wantText(t, b.Get(t, logoutURL(f, url.Values{"id_token_hint": {wrongIssuer}})), http.StatusBadRequest, web.MsgLogoutInvalid)
}

// TestRPLogoutConfirm: without an id_token_hint a signed-in person is asked
// first; only the confirmation (with its CSRF token) signs out.
func TestRPLogoutConfirm(t *testing.T) {
	t.Parallel()
	f, id, sec := rpFixture(t)
	b, _ := signedInWithIDToken(t, f, id, sec)
	resp := b.Get(t, logoutURL(f, url.Values{"client_id": {id}, "post_logout_redirect_uri": {loggedOutURI}, "state": {"st-9"}}))
	wantText(t, resp, http.StatusOK, "Sign out?", "Example App")
	if !signedIn(t, f, b) {
		t.Fatal("signed out without confirmation")
	}
	resp = submit(t, f.env, b, resp, "/oauth2/logout", url.Values{"decision": {"logout"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != loggedOutURI+"?state=st-9" {
		t.Fatalf("confirmed: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if signedIn(t, f, b) {
		t.Error("still signed in after confirming")
	}
	// Not signed in: nothing to confirm; a page without a redirect URI.
	wantText(t, b.Get(t, logoutURL(f, nil)), http.StatusOK, web.MsgSignedOut)
}

// TestLogoutPage: GET /logout asks, POST /logout (with its token) ends the
// session.
func TestLogoutPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	f.codeTokensIn(t, b, "openid")
	resp := b.Get(t, f.env.URL+"/logout")
	wantText(t, resp, http.StatusOK, "Sign out?", aliceEmail)
	if !signedIn(t, f, b) {
		t.Fatal("GET /logout signed out")
	}
	wantText(t, submit(t, f.env, b, resp, "/logout", nil), http.StatusOK, web.MsgSignedOut)
	if signedIn(t, f, b) {
		t.Error("still signed in")
	}
	wantText(t, b.Get(t, f.env.URL+"/logout"), http.StatusOK, web.MsgNotSignedIn)
	if !strings.Contains(bodyOf(t, b.Get(t, f.env.URL+"/logout")), `href="/login"`) {
		t.Error("no sign-in link")
	}
}

// signIDToken signs ID-token claims with key.
func signIDToken(t *testing.T, key crypto.Signer, alg, kid, iss, sub, aud string, exp time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"iss": iss, "sub": sub, "aud": aud, "exp": exp.Unix(), "iat": exp.Add(-time.Hour).Unix()})
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
