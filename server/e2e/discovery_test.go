package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestDiscovery checks the OpenID Provider metadata and the JWKS.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	opts := []servertest.Option{servertest.WithConfig(func(c *server.Config) {
		c.Keys.PublishAhead = server.Duration(2 * time.Minute) // the JWKS max-age is publish_ahead - refresh_interval
	})}
	if runtime.GOOS == "linux" {
		// All of 127.0.0.0/8 is loopback on Linux: exercise WithHost, which
		// federation tests use for a second server.
		opts = append(opts, servertest.WithHost("127.0.0.2"))
	}
	env := servertest.Start(t, opts...)

	r := send(t, env, http.MethodGet, "/.well-known/openid-configuration", "", nil, nil)
	if r.Status != http.StatusOK || r.JSON == nil {
		t.Fatalf("discovery: %d %s", r.Status, r.Body)
	}
	doc := r.JSON
	if runtime.GOOS == "linux" && !strings.HasPrefix(env.URL, "http://127.0.0.2:") {
		t.Errorf("URL %s, want one on 127.0.0.2", env.URL)
	}
	if doc["issuer"] != env.URL {
		t.Errorf("issuer %v, want %q", doc["issuer"], env.URL)
	}
	// Introspection takes both secret methods and nothing else (issue 11).
	if m, _ := doc["introspection_endpoint_auth_methods_supported"].([]any); len(m) != 2 || m[0] != "client_secret_basic" || m[1] != "client_secret_post" {
		t.Errorf("introspection_endpoint_auth_methods_supported %v, want [client_secret_basic client_secret_post]", doc["introspection_endpoint_auth_methods_supported"])
	}
	for key, path := range map[string]string{
		"authorization_endpoint": "/oauth2/auth",
		"token_endpoint":         "/oauth2/token",
		"userinfo_endpoint":      "/userinfo",
		"jwks_uri":               "/.well-known/jwks.json",
		"introspection_endpoint": "/oauth2/introspect",
		"revocation_endpoint":    "/oauth2/revoke",
	} {
		if doc[key] != env.URL+path {
			t.Errorf("%s %v, want %q", key, doc[key], env.URL+path)
		}
	}
	if got := jsonStrings(doc["code_challenge_methods_supported"]); len(got) != 1 || got[0] != "S256" {
		t.Errorf("code_challenge_methods_supported %v, want [S256]", doc["code_challenge_methods_supported"])
	}
	grants := jsonStrings(doc["grant_types_supported"])
	for _, g := range []string{"authorization_code", "refresh_token", "client_credentials", "password"} {
		if !slices.Contains(grants, g) {
			t.Errorf("grant_types_supported %v lacks %q", grants, g)
		}
	}
	if got := jsonStrings(doc["response_types_supported"]); len(got) != 1 || got[0] != "code" {
		t.Errorf("response_types_supported %v, want [code]", got)
	}
	if !slices.Contains(jsonStrings(doc["id_token_signing_alg_values_supported"]), "RS256") {
		t.Errorf("id_token_signing_alg_values_supported %v lacks RS256", doc["id_token_signing_alg_values_supported"])
	}
	for _, s := range allScopes {
		if !slices.Contains(jsonStrings(doc["scopes_supported"]), s) {
			t.Errorf("scopes_supported %v lacks %q", doc["scopes_supported"], s)
		}
	}
	// A relying party accepts the document (issuer match and all).
	if _, err := oidc.NewProvider(t.Context(), env.URL); err != nil {
		t.Errorf("go-oidc rejects the discovery document: %v", err)
	}

	set, jr := jwks(t, env)
	cc := jr.Header.Get("Cache-Control")
	if m := regexp.MustCompile(`\bmax-age=(\d+)\b`).FindStringSubmatch(cc); m == nil || m[1] != "60" {
		t.Errorf("JWKS Cache-Control %q, want max-age=60 (publish_ahead 2m - refresh_interval 1m)", cc)
	}
	if len(set.Keys) == 0 {
		t.Fatalf("JWKS is empty")
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(jr.Body, &raw); err != nil {
		t.Fatal(err)
	}
	for i, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %d has the private member %q", i, private)
			}
		}
		if k["kid"] == "" || k["kid"] == nil {
			t.Errorf("JWKS key %d has no kid", i)
		}
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || !k.Valid() {
			t.Errorf("JWKS key %s is not a valid public key", k.KeyID)
		}
	}
}

// jsonStrings returns a JSON array of strings.
func jsonStrings(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, a := range arr {
		s, _ := a.(string)
		out = append(out, s)
	}
	return out
}

// TestDiscoveryResponseModes: every advertised response mode works, and
// fragment (not advertised) is refused.
func TestDiscoveryResponseModes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := send(t, f.env, http.MethodGet, "/.well-known/openid-configuration", "", nil, nil)
	modes, _ := r.JSON["response_modes_supported"].([]any)
	if len(modes) != 2 || modes[0] != "query" || modes[1] != "form_post" {
		t.Fatalf("response_modes_supported %v, want [query form_post]", modes)
	}
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
	u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("response_mode", "fragment"))
	resp := b.Authorize(t, u)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "unsupported_response_mode") {
		t.Fatalf("response_mode=fragment: %d %q", resp.StatusCode, loc)
	}
}
