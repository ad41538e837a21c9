package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// codeForm is the token request redeeming code with verifier.
func codeForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}
}

// wantBoundCode checks that code redeems only with a proof of key: not
// without a proof, not with another key's, and then (the failures left it
// unused) with key's, for DPoP tokens bound to key.
func wantBoundCode(t *testing.T, f *fixture, code, verifier string, key *dpopKey) {
	t.Helper()
	htu := f.env.URL + "/oauth2/token"
	form := codeForm(code, verifier)
	wantJSONError(t, dpopToken(t, f.env, form, f.clientID, f.secret, ""), http.StatusBadRequest, "invalid_dpop_proof")
	other := newDPoPKey(t).proof(t, http.MethodPost, htu, "", nil)
	wantJSONError(t, dpopToken(t, f.env, form, f.clientID, f.secret, other), http.StatusBadRequest, "invalid_dpop_proof")
	tok := dpopToken(t, f.env, form, f.clientID, f.secret, key.proof(t, http.MethodPost, htu, "", nil))
	if tok.Status != http.StatusOK || tok.JSON["token_type"] != "DPoP" {
		t.Fatalf("code bound to the key, redeemed with its proof: %d %s", tok.Status, tok.Body)
	}
	if got := cnfJKT(jwtClaims(t, tok.JSON["access_token"].(string))); got != key.jkt {
		t.Errorf("cnf.jkt %q, want %q", got, key.jkt)
	}
}

// TestDPoPAuthorizationCodeBinding: dpop_jkt in the authorization request
// binds the code to that key (RFC 9449 section 10), and so does a proof on
// the pushed request (section 10.1).
func TestDPoPAuthorizationCodeBinding(t *testing.T) {
	f := newFixture(t)
	cfg := f.config("openid")

	t.Run("dpop_jkt", func(t *testing.T) {
		key := newDPoPKey(t)
		a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword, oauth2.SetAuthURLParam("dpop_jkt", key.jkt))
		wantBoundCode(t, f, a.Code, a.Verifier, key)
	})

	t.Run("malformed dpop_jkt", func(t *testing.T) {
		for _, jkt := range []string{"abc", newDPoPKey(t).jkt + "=", "+" + newDPoPKey(t).jkt[1:]} {
			authURL := cfg.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("dpop_jkt", jkt))
			q := redirectQuery(t, f.env.NewBrowser(t).Authorize(t, authURL))
			if q.Get("error") != "invalid_request" {
				t.Errorf("dpop_jkt %q: redirect %v, want invalid_request", jkt, q)
			}
		}
	})

	pushedCode := func(t *testing.T, extra url.Values, proof string) (apiResponse, string, string) {
		t.Helper()
		verifier := oauth2.GenerateVerifier()
		form := url.Values{
			"response_type": {"code"}, "client_id": {f.clientID}, "redirect_uri": {redirectURI}, "scope": {"openid"},
			"state": {"state-0123456789"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		}
		for k, v := range extra {
			form[k] = v
		}
		par := dpopPost(t, f, "/oauth2/par", form, proof)
		if par.Status != http.StatusCreated {
			return par, "", ""
		}
		b := f.env.NewBrowser(t)
		page := b.Authorize(t, f.env.URL+"/oauth2/auth?"+url.Values{"client_id": {f.clientID}, "request_uri": {par.JSON["request_uri"].(string)}}.Encode())
		if servertest.OnPage(page, "/login") {
			page = b.Login(t, page, aliceEmail, alicePassword)
		}
		if servertest.OnPage(page, "/consent") {
			page = b.Consent(t, page, "allow")
		}
		return par, redirectQuery(t, page).Get("code"), verifier
	}

	t.Run("proof on the pushed request", func(t *testing.T) {
		key := newDPoPKey(t)
		par, code, verifier := pushedCode(t, nil, key.proof(t, http.MethodPost, f.env.URL+"/oauth2/par", "", nil))
		if par.Status != http.StatusCreated || code == "" {
			t.Fatalf("pushed request with a proof: %d %s, code %q", par.Status, par.Body, code)
		}
		wantBoundCode(t, f, code, verifier, key)
	})

	t.Run("pushed dpop_jkt", func(t *testing.T) {
		key := newDPoPKey(t)
		_, code, verifier := pushedCode(t, url.Values{"dpop_jkt": {key.jkt}}, "")
		wantBoundCode(t, f, code, verifier, key)
	})

	t.Run("pushed proof and dpop_jkt disagree", func(t *testing.T) {
		proof := newDPoPKey(t).proof(t, http.MethodPost, f.env.URL+"/oauth2/par", "", nil)
		par, _, _ := pushedCode(t, url.Values{"dpop_jkt": {newDPoPKey(t).jkt}}, proof)
		wantJSONError(t, par, http.StatusBadRequest, "invalid_dpop_proof")
	})

	t.Run("pushed proof for another endpoint", func(t *testing.T) {
		proof := newDPoPKey(t).proof(t, http.MethodPost, f.env.URL+"/oauth2/token", "", nil)
		par, _, _ := pushedCode(t, nil, proof)
		wantJSONError(t, par, http.StatusBadRequest, "invalid_dpop_proof")
	})

	t.Run("unbound code needs no proof", func(t *testing.T) {
		a := f.env.NewBrowser(t).AuthCodeFlow(t, cfg, aliceEmail, alicePassword)
		tok := dpopToken(t, f.env, codeForm(a.Code, a.Verifier), f.clientID, f.secret, "")
		if tok.Status != http.StatusOK {
			t.Fatalf("unbound code without a proof: %d %s", tok.Status, tok.Body)
		}
	})
}

// dpopPost posts form to path as the "app" client, with proof when not "".
func dpopPost(t *testing.T, f *fixture, path string, form url.Values, proof string) apiResponse {
	t.Helper()
	return send(t, f.env, http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), func(r *http.Request) {
		r.SetBasicAuth(url.QueryEscape(f.clientID), url.QueryEscape(f.secret))
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
	})
}
