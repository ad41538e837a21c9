package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

func cnfJKT(claims map[string]any) string {
	cnf, _ := claims["cnf"].(map[string]any)
	s, _ := cnf["jkt"].(string)
	return s
}

func TestDPoPClientCredentialsAndProofChecks(t *testing.T) {
	f := newFixture(t)
	key := newDPoPKey(t)
	htu := f.env.URL + "/oauth2/token"
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}

	proof := key.proof(t, http.MethodPost, htu, "", nil)
	tok := dpopToken(t, f.env, form, f.clientID, f.secret, proof)
	if tok.Status != http.StatusOK || tok.JSON["token_type"] != "DPoP" {
		t.Fatalf("DPoP token request: %d %s", tok.Status, tok.Body)
	}
	at := tok.JSON["access_token"].(string)
	verifyAccessToken(t, f.env, at, f.clientID)
	if got := cnfJKT(jwtClaims(t, at)); got != key.jkt {
		t.Errorf("cnf.jkt %q, want the proof key's thumbprint %q", got, key.jkt)
	}
	intro := f.introspect(t, at)
	if got := cnfJKT(intro); got != key.jkt {
		t.Errorf("introspection cnf.jkt %q, want %q", got, key.jkt)
	}
	// RFC 7662 2.2: token_type is the type the token response gave (RFC 9449 5).
	if intro["token_type"] != "DPoP" {
		t.Errorf("introspection token_type %v, want DPoP", intro["token_type"])
	}

	// Without a proof: a bearer token, as before.
	plain := dpopToken(t, f.env, form, f.clientID, f.secret, "")
	if plain.Status != http.StatusOK || !strings.EqualFold(plain.JSON["token_type"].(string), "bearer") {
		t.Fatalf("token request without a proof: %d %s", plain.Status, plain.Body)
	}
	if got, _ := f.introspect(t, plain.JSON["access_token"].(string))["token_type"].(string); !strings.EqualFold(got, "bearer") {
		t.Errorf("introspection of a bearer token: token_type %q, want bearer", got)
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	bad := []struct {
		name  string
		proof string
	}{
		{"replayed", proof},
		{"wrong htu", key.proof(t, http.MethodPost, f.env.URL+"/oauth2/other", "", nil)},
		{"htu of another host", key.proof(t, http.MethodPost, "https://evil.example/oauth2/token", "", nil)},
		{"wrong htm", key.proof(t, http.MethodGet, htu, "", nil)},
		{"expired", key.proof(t, http.MethodPost, htu, "", func(c map[string]any) { c["iat"] = time.Now().Add(-10 * time.Minute).Unix() })},
		{"from the future", key.proof(t, http.MethodPost, htu, "", func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() })},
		{"no jti", key.proof(t, http.MethodPost, htu, "", func(c map[string]any) { delete(c, "jti") })},
		{"ath without a token", key.proof(t, http.MethodPost, htu, "some-token", nil)},
		{"typ jwt", dpopKeyFor(t, jose.SigningKey{Algorithm: jose.ES256, Key: ecKey}, &ecKey.PublicKey, "JWT").proof(t, http.MethodPost, htu, "", nil)},
		{"alg not allowed (RS384)", dpopKeyFor(t, jose.SigningKey{Algorithm: jose.RS384, Key: rsaKey}, &rsaKey.PublicKey, "dpop+jwt").proof(t, http.MethodPost, htu, "", nil)},
		{"wrong key (signature)", swapJWK(t, key.proof(t, http.MethodPost, htu, "", nil), newDPoPKey(t).proof(t, http.MethodPost, htu, "", nil))},
		{"not a JWS", "not.a.jws"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantJSONError(t, dpopToken(t, f.env, form, f.clientID, f.secret, tc.proof), http.StatusBadRequest, "invalid_dpop_proof")
		})
	}
	// RS256 with a 2048-bit key is accepted by default.
	rs := dpopKeyFor(t, jose.SigningKey{Algorithm: jose.RS256, Key: rsaKey}, &rsaKey.PublicKey, "dpop+jwt")
	if r := dpopToken(t, f.env, form, f.clientID, f.secret, rs.proof(t, http.MethodPost, htu, "", nil)); r.Status != http.StatusOK {
		t.Errorf("RS256 proof: %d %s", r.Status, r.Body)
	}
	d := send(t, f.env, http.MethodGet, "/.well-known/openid-configuration", "", nil, nil)
	if algs, _ := d.JSON["dpop_signing_alg_values_supported"].([]any); len(algs) == 0 || algs[0] != "ES256" {
		t.Errorf("dpop_signing_alg_values_supported %v", d.JSON["dpop_signing_alg_values_supported"])
	}
}

// swapJWK returns proof a's header (its jwk) with proof b's payload and
// signature: a signature by another key than the header names.
func swapJWK(t *testing.T, a, b string) string {
	t.Helper()
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	return pa[0] + "." + pb[1] + "." + pb[2]
}

func TestDPoPResourceEndpoints(t *testing.T) {
	f := newFixture(t)
	key := newDPoPKey(t)
	form := url.Values{"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword}, "scope": {"openid email gatehouse:admin"}}
	spec := appLikeSpec("admin-app")
	spec.Scopes = append(spec.Scopes, "gatehouse:admin")
	id, sec := f.env.CreateClient(t, spec)
	tok := dpopToken(t, f.env, form, id, sec, key.proof(t, http.MethodPost, f.env.URL+"/oauth2/token", "", nil))
	if tok.Status != http.StatusOK || tok.JSON["token_type"] != "DPoP" {
		t.Fatalf("DPoP password grant: %d %s", tok.Status, tok.Body)
	}
	at := tok.JSON["access_token"].(string)
	userinfo := f.env.URL + "/userinfo"
	admin := f.env.URL + "/admin/users"

	ok := callWith(t, f.env, http.MethodGet, "/userinfo", "DPoP", at, key.proof(t, http.MethodGet, userinfo, at, nil))
	if ok.Status != http.StatusOK || ok.JSON["email"] != aliceEmail {
		t.Fatalf("userinfo with DPoP: %d %s", ok.Status, ok.Body)
	}
	if r := callWith(t, f.env, http.MethodGet, "/admin/users", "DPoP", at, key.proof(t, http.MethodGet, admin, at, nil)); r.Status != http.StatusOK {
		t.Fatalf("admin API with DPoP: %d %s", r.Status, r.Body)
	}

	// A client ID that is a URL sits in one percent-encoded path segment;
	// the proof's htu names that escaped path, and a proof for the decoded
	// path (other segments) is refused.
	docPath := "/admin/clients/" + url.PathEscape("https://app.example/client.json")
	if r := callWith(t, f.env, http.MethodGet, docPath, "DPoP", at, key.proof(t, http.MethodGet, f.env.URL+docPath, at, nil)); r.Status != http.StatusNotFound {
		t.Fatalf("admin API with DPoP on an escaped path: %d %s, want 404 (no such client)", r.Status, r.Body)
	}
	if r := callWith(t, f.env, http.MethodGet, docPath, "DPoP", at, key.proof(t, http.MethodGet, f.env.URL+"/admin/clients/https://app.example/client.json", at, nil)); r.Status != http.StatusUnauthorized || r.JSON["error"] != "invalid_dpop_proof" {
		t.Fatalf("proof for the decoded path at the escaped path: %d %s, want 401 invalid_dpop_proof", r.Status, r.Body)
	}

	replayed := key.proof(t, http.MethodGet, userinfo, at, nil)
	callWith(t, f.env, http.MethodGet, "/userinfo", "DPoP", at, replayed)
	other := newDPoPKey(t)
	cases := []struct {
		name, path, scheme, proof, code string
	}{
		{"bound token as Bearer", "/userinfo", "Bearer", "", "invalid_token"},
		{"no proof", "/userinfo", "DPoP", "", "invalid_dpop_proof"},
		{"replayed proof", "/userinfo", "DPoP", replayed, "invalid_dpop_proof"},
		{"other key", "/userinfo", "DPoP", other.proof(t, http.MethodGet, userinfo, at, nil), "invalid_dpop_proof"},
		{"no ath", "/userinfo", "DPoP", key.proof(t, http.MethodGet, userinfo, "", nil), "invalid_dpop_proof"},
		{"ath of another token", "/userinfo", "DPoP", key.proof(t, http.MethodGet, userinfo, "other", nil), "invalid_dpop_proof"},
		{"htu of the token endpoint", "/userinfo", "DPoP", key.proof(t, http.MethodGet, f.env.URL+"/oauth2/token", at, nil), "invalid_dpop_proof"},
		{"admin as Bearer", "/admin/users", "Bearer", "", "invalid_token"},
		{"admin proof for userinfo", "/admin/users", "DPoP", key.proof(t, http.MethodGet, userinfo, at, nil), "invalid_dpop_proof"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := callWith(t, f.env, http.MethodGet, tc.path, tc.scheme, at, tc.proof)
			if r.Status != http.StatusUnauthorized || r.JSON["error"] != tc.code {
				t.Errorf("%d %s, want 401 %s", r.Status, r.Body, tc.code)
			}
			if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "DPoP ") || !strings.Contains(h, `error="`+tc.code+`"`) || !strings.Contains(h, "algs=") {
				t.Errorf("WWW-Authenticate %q, want a DPoP challenge with %s", h, tc.code)
			}
		})
	}
	// An unbound token is refused with the DPoP scheme.
	plain := f.passwordTokens(t, "openid")
	if r := callWith(t, f.env, http.MethodGet, "/userinfo", "DPoP", plain.AccessToken, key.proof(t, http.MethodGet, userinfo, plain.AccessToken, nil)); r.Status != http.StatusUnauthorized {
		t.Errorf("unbound token with the DPoP scheme: %d", r.Status)
	}
}

func TestDPoPRequiredAndPublicRefreshBound(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Device.Interval = server.Duration(time.Second) }))
	spec := appLikeSpec("strict")
	spec.RequireDPoP = true
	id, sec := f.env.CreateClient(t, spec)
	form := url.Values{"grant_type": {"client_credentials"}}
	wantJSONError(t, dpopToken(t, f.env, form, id, sec, ""), http.StatusBadRequest, "invalid_dpop_proof")
	key := newDPoPKey(t)
	htu := f.env.URL + "/oauth2/token"
	if r := dpopToken(t, f.env, form, id, sec, key.proof(t, http.MethodPost, htu, "", nil)); r.Status != http.StatusOK {
		t.Fatalf("--require-dpop client with a proof: %d %s", r.Status, r.Body)
	}

	// A public client's refresh token is bound to the key of its grant.
	tv, _ := f.env.CreateClient(t, tvSpec("tv"))
	start := deviceStart(t, f.env, tv, "openid offline_access")
	deviceDecide(t, f.env, start["verification_uri_complete"].(string), "allow")
	poll := url.Values{"grant_type": {deviceGrant}, "client_id": {tv}, "device_code": {start["device_code"].(string)}}
	tok := dpopToken(t, f.env, poll, tv, "", key.proof(t, http.MethodPost, htu, "", nil))
	if tok.Status != http.StatusOK || tok.JSON["token_type"] != "DPoP" {
		t.Fatalf("device grant with DPoP: %d %s", tok.Status, tok.Body)
	}
	rt := tok.JSON["refresh_token"].(string)
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {tv}, "refresh_token": {rt}}
	wantJSONError(t, dpopToken(t, f.env, refresh, tv, "", ""), http.StatusBadRequest, "invalid_dpop_proof")
	wantJSONError(t, dpopToken(t, f.env, refresh, tv, "", newDPoPKey(t).proof(t, http.MethodPost, htu, "", nil)), http.StatusBadRequest, "invalid_dpop_proof")
	again := dpopToken(t, f.env, refresh, tv, "", key.proof(t, http.MethodPost, htu, "", nil))
	if again.Status != http.StatusOK || cnfJKT(jwtClaims(t, again.JSON["access_token"].(string))) != key.jkt {
		t.Fatalf("refresh with the bound key: %d %s", again.Status, again.Body)
	}
}

func TestDPoPNonce(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.DPoP.RequireNonce = true }))
	key := newDPoPKey(t)
	htu := f.env.URL + "/oauth2/token"
	form := url.Values{"grant_type": {"client_credentials"}}
	first := dpopToken(t, f.env, form, f.clientID, f.secret, key.proof(t, http.MethodPost, htu, "", nil))
	wantJSONError(t, first, http.StatusBadRequest, "use_dpop_nonce")
	nonce := first.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	withNonce := key.proof(t, http.MethodPost, htu, "", func(c map[string]any) { c["nonce"] = nonce })
	if r := dpopToken(t, f.env, form, f.clientID, f.secret, withNonce); r.Status != http.StatusOK {
		t.Fatalf("proof with the server nonce: %d %s", r.Status, r.Body)
	}
	tampered := nonce[:len(nonce)-1] + "A"
	if nonce[len(nonce)-1] == 'A' {
		tampered = nonce[:len(nonce)-1] + "B"
	}
	forged := key.proof(t, http.MethodPost, htu, "", func(c map[string]any) { c["nonce"] = tampered })
	wantJSONError(t, dpopToken(t, f.env, form, f.clientID, f.secret, forged), http.StatusBadRequest, "use_dpop_nonce")
}

// TestDPoPReplayOnAnotherNode: a proof used on one node is refused on
// another node of the same database (both serve the same issuer).
func TestDPoPReplayOnAnotherNode(t *testing.T) {
	f := newFixture(t)
	node2 := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Database, c.Secret, c.Issuer = f.env.Config.Database, f.env.Config.Secret, f.env.URL
	}))
	key := newDPoPKey(t)
	proof := key.proof(t, http.MethodPost, f.env.URL+"/oauth2/token", "", nil)
	form := url.Values{"grant_type": {"client_credentials"}}
	if r := dpopToken(t, f.env, form, f.clientID, f.secret, proof); r.Status != http.StatusOK {
		t.Fatalf("node 1: %d %s", r.Status, r.Body)
	}
	wantJSONError(t, dpopToken(t, node2, form, f.clientID, f.secret, proof), http.StatusBadRequest, "invalid_dpop_proof")
	fresh := key.proof(t, http.MethodPost, f.env.URL+"/oauth2/token", "", nil)
	if r := dpopToken(t, node2, form, f.clientID, f.secret, fresh); r.Status != http.StatusOK {
		t.Fatalf("node 2, a fresh proof: %d %s", r.Status, r.Body)
	}
}
