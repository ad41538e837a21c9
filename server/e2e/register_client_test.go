package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// registrationEnv is a server with dynamic registration on (open or
// closed) and Alice.
func registrationEnv(t *testing.T, open bool, edit ...func(*server.Config)) *servertest.Env {
	t.Helper()
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.DynamicRegistration.Enabled = true
		c.DynamicRegistration.Open = open
		for _, e := range edit {
			e(c)
		}
	}))
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	return env
}

// register POSTs metadata (a JSON object) with an initial access token
// ("" for none).
func register(t *testing.T, env *servertest.Env, metadata any, token string) apiResponse {
	t.Helper()
	raw, err := json.Marshal(metadata)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, env, http.MethodPost, "/oauth2/register", "application/json", bytes.NewReader(raw), func(r *http.Request) {
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
	})
}

// manageClient calls the registration_client_uri with the registration
// access token.
func manageClient(t *testing.T, env *servertest.Env, method, clientURI, token string, body any) apiResponse {
	t.Helper()
	var rd *bytes.Reader
	ct := ""
	if body != nil {
		raw, _ := json.Marshal(body)
		rd, ct = bytes.NewReader(raw), "application/json"
	} else {
		rd = bytes.NewReader(nil)
	}
	return send(t, env, method, strings.TrimPrefix(clientURI, env.URL), ct, rd, func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
	})
}

// initialToken makes an initial access token as the CLI does.
func initialToken(t *testing.T, env *servertest.Env, uses int) string {
	t.Helper()
	svc := &manage.Service{Store: env.Store, Accounts: env.Server.Accounts, Audit: env.Server.Audit}
	tok, err := svc.CreateInitialToken(t.Context(), manage.CLI, time.Hour, uses)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

const agentRedirect = "http://127.0.0.1:33418/callback"

// TestDynamicRegistrationOff: without dynamic_registration.enabled there
// is no endpoint.
func TestDynamicRegistrationOff(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	if r := register(t, env, map[string]any{"redirect_uris": []string{agentRedirect}}, ""); r.Status != http.StatusNotFound {
		t.Errorf("registration while off: %d %s", r.Status, r.Body)
	}
}

// TestDynamicRegistration: a client registers with an initial access
// token, manages its registration (RFC 7592), signs a person in through a
// consent page that says it is unverified, and deletes itself.
func TestDynamicRegistration(t *testing.T) {
	t.Parallel()
	env := registrationEnv(t, false)
	meta := map[string]any{"redirect_uris": []string{agentRedirect}, "client_name": "Agent Smith", "scope": "openid offline_access"}

	if r := register(t, env, meta, ""); r.Status != http.StatusUnauthorized || r.JSON["error"] != "invalid_token" {
		t.Errorf("without a token: %d %s", r.Status, r.Body)
	}
	if r := register(t, env, meta, "made-up-token"); r.Status != http.StatusUnauthorized {
		t.Errorf("with a made-up token: %d %s", r.Status, r.Body)
	}
	token := initialToken(t, env, 1)
	// A refused registration does not use the token up.
	if bad := register(t, env, map[string]any{"redirect_uris": []string{"http://agent.example/cb"}}, token); bad.Status != http.StatusBadRequest {
		t.Errorf("refused metadata with a token: %d %s", bad.Status, bad.Body)
	}
	if bad := register(t, env, map[string]any{"redirect_uris": []string{"http://agent.example/cb"}}, "made-up-token"); bad.Status != http.StatusUnauthorized {
		t.Errorf("refused metadata with a made-up token: %d %s, want the token refused first", bad.Status, bad.Body)
	}
	r := register(t, env, meta, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("registration: %d %s", r.Status, r.Body)
	}
	if again := register(t, env, meta, token); again.Status != http.StatusUnauthorized {
		t.Errorf("a one-use token used twice: %d %s", again.Status, again.Body)
	}
	reg := r.JSON
	id, _ := reg["client_id"].(string)
	sec, _ := reg["client_secret"].(string)
	rat, _ := reg["registration_access_token"].(string)
	uri, _ := reg["registration_client_uri"].(string)
	if !strings.HasPrefix(id, "dyn-") || len(sec) < 32 || len(rat) < 32 || uri != env.URL+"/oauth2/register/"+id {
		t.Fatalf("registration answer: %s", r.Body)
	}
	if reg["token_endpoint_auth_method"] != "client_secret_basic" || reg["client_secret_expires_at"] != float64(0) ||
		!slices.Equal(jsonStrings(reg["grant_types"]), []string{"authorization_code", "refresh_token"}) ||
		reg["scope"] != "openid offline_access" || reg["client_id_issued_at"] == nil {
		t.Errorf("registered metadata: %s", r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	stored, err := env.Store.GetClient(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if v := manage.ViewClient(stored, ""); v.Origin != "dynamic" {
		t.Errorf("listed with origin %q, want dynamic", v.Origin)
	}
	if bytes.Contains(stored.RegistrationTokenHash, []byte(rat)) || len(stored.RegistrationTokenHash) == 0 {
		t.Error("the registration access token is not stored hashed")
	}

	// RFC 7592: read, update, refuse others.
	got := manageClient(t, env, http.MethodGet, uri, rat, nil)
	if got.Status != http.StatusOK || got.JSON["client_id"] != id || got.JSON["client_name"] != "Agent Smith" || got.JSON["client_secret"] != nil {
		t.Errorf("read: %d %s", got.Status, got.Body)
	}
	if bad := manageClient(t, env, http.MethodGet, uri, "wrong-token", nil); bad.Status != http.StatusUnauthorized {
		t.Errorf("read with a wrong token: %d", bad.Status)
	}
	if bad := manageClient(t, env, http.MethodGet, env.URL+"/oauth2/register/app-of-someone-else", rat, nil); bad.Status != http.StatusUnauthorized {
		t.Errorf("read another client: %d", bad.Status)
	}
	// An administrator hardens the client; its own update must not undo that.
	if err := env.Server.Store.UpdateClient(t.Context(), id, func(c *storage.Client) error {
		c.RequireMFA, c.RequireDPoP = true, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	update := map[string]any{"client_id": id, "redirect_uris": []string{agentRedirect, "https://agent.example/cb"}, "client_name": "Agent Smith 2", "scope": "openid offline_access"}
	if up := manageClient(t, env, http.MethodPut, uri, rat, update); up.Status != http.StatusOK || up.JSON["client_name"] != "Agent Smith 2" ||
		len(jsonStrings(up.JSON["redirect_uris"])) != 2 {
		t.Errorf("update: %d %s", up.Status, up.Body)
	}
	if c, err := env.Store.GetClient(t.Context(), id); err != nil || !c.RequireMFA || !c.RequireDPoP {
		t.Errorf("the client's own update dropped settings an administrator set: require_mfa %v, require_dpop %v (%v)", c.RequireMFA, c.RequireDPoP, err)
	}
	if err := env.Server.Store.UpdateClient(t.Context(), id, func(c *storage.Client) error {
		c.RequireMFA, c.RequireDPoP = false, false // the flows below have neither
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]map[string]any{
		"no client_id":     {"redirect_uris": []string{agentRedirect}},
		"to public":        {"client_id": id, "redirect_uris": []string{agentRedirect}, "token_endpoint_auth_method": "none"},
		"wrong secret":     {"client_id": id, "redirect_uris": []string{agentRedirect}, "client_secret": "not-the-secret-not-the-secret-not-the-secret"},
		"bad redirect URI": {"client_id": id, "redirect_uris": []string{"http://agent.example/cb"}},
	} {
		if up := manageClient(t, env, http.MethodPut, uri, rat, body); up.Status != http.StatusBadRequest {
			t.Errorf("update %s: %d %s", name, up.Status, up.Body)
		}
	}

	// The person is asked every time, told the app is unverified and
	// shown where the answer goes.
	cfg := &oauth2.Config{ClientID: id, ClientSecret: sec, Endpoint: env.Endpoint(), RedirectURL: agentRedirect, Scopes: []string{"openid", "offline_access"}}
	b := env.NewBrowser(t)
	unvettedConsentTwice(t, b, cfg, "Agent Smith 2")
	if c, _ := env.Store.GetClient(t.Context(), id); c.LastUsedAt.IsZero() {
		t.Error("the client's last use was not recorded")
	}

	if del := manageClient(t, env, http.MethodDelete, uri, rat, nil); del.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", del.Status, del.Body)
	}
	if gone := manageClient(t, env, http.MethodGet, uri, rat, nil); gone.Status != http.StatusUnauthorized {
		t.Errorf("read after delete: %d", gone.Status)
	}
	wantJSONError(t, post(t, env, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, id, sec), http.StatusUnauthorized, "invalid_client")
}

// TestDynamicRegistrationRefusals: every invalid field is refused with
// RFC 7591's code and a description naming it.
func TestDynamicRegistrationRefusals(t *testing.T) {
	t.Parallel()
	env := registrationEnv(t, true, func(c *server.Config) { c.DynamicRegistration.RateLimit = 100 })
	ok := []string{agentRedirect}
	for _, c := range []struct {
		name string
		meta map[string]any
		code string
		says string
	}{
		{"no redirect URI", map[string]any{}, "invalid_redirect_uri", "redirect_uris"},
		{"plain http", map[string]any{"redirect_uris": []string{"http://agent.example/cb"}}, "invalid_redirect_uri", "http://agent.example/cb"},
		{"javascript", map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}, "invalid_redirect_uri", "javascript"},
		{"fragment", map[string]any{"redirect_uris": []string{"https://agent.example/cb#x"}}, "invalid_redirect_uri", "fragment"},
		{"bare scheme", map[string]any{"redirect_uris": []string{"myapp:/cb"}}, "invalid_redirect_uri", "private-use"},
		{"user info", map[string]any{"redirect_uris": []string{"https://evil@agent.example/cb"}}, "invalid_redirect_uri", "user information"},
		{"client credentials", map[string]any{"redirect_uris": ok, "grant_types": []string{"client_credentials"}}, "invalid_client_metadata", "client_credentials"},
		{"password", map[string]any{"redirect_uris": ok, "grant_types": []string{"authorization_code", "password"}}, "invalid_client_metadata", "password"},
		{"private_key_jwt", map[string]any{"redirect_uris": ok, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata", "token_endpoint_auth_method"},
		{"admin scope", map[string]any{"redirect_uris": ok, "scope": "openid gatehouse:admin"}, "invalid_client_metadata", "gatehouse:admin"},
		{"other scope", map[string]any{"redirect_uris": ok, "scope": "api:write"}, "invalid_client_metadata", "api:write"},
		{"token response", map[string]any{"redirect_uris": ok, "response_types": []string{"token"}}, "invalid_client_metadata", "response_types"},
		{"http logo", map[string]any{"redirect_uris": ok, "logo_uri": "http://agent.example/logo.png"}, "invalid_client_metadata", "logo_uri"},
		{"contact", map[string]any{"redirect_uris": ok, "contacts": []string{"not an address"}}, "invalid_client_metadata", "contacts"},
		{"name on two lines", map[string]any{"redirect_uris": ok, "client_name": "Good\nBank"}, "invalid_client_metadata", "client_name"},
		{"wrong type", map[string]any{"redirect_uris": "https://agent.example/cb"}, "invalid_client_metadata", "JSON"},
	} {
		r := register(t, env, c.meta, "")
		if r.Status != http.StatusBadRequest || r.JSON["error"] != c.code || !strings.Contains(r.JSON["error_description"].(string), c.says) {
			t.Errorf("%s: %d %s, want %s about %q", c.name, r.Status, r.Body, c.code, c.says)
		}
	}
	for name, meta := range map[string]map[string]any{
		"public, loopback": {"redirect_uris": ok, "token_endpoint_auth_method": "none"},
		"private-use":      {"redirect_uris": []string{"com.example.agent:/callback"}, "token_endpoint_auth_method": "none"},
		"post, https":      {"redirect_uris": []string{"https://agent.example/cb"}, "token_endpoint_auth_method": "client_secret_post"},
	} {
		r := register(t, env, meta, "")
		if r.Status != http.StatusCreated {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
			continue
		}
		if _, hasSecret := r.JSON["client_secret"]; hasSecret == (meta["token_endpoint_auth_method"] == "none") {
			t.Errorf("%s: client_secret present %v", name, hasSecret)
		}
	}
	raw := send(t, env, http.MethodPost, "/oauth2/register", "application/json", strings.NewReader("{not json"), nil)
	wantJSONError(t, raw, http.StatusBadRequest, "invalid_client_metadata")
}

// TestDynamicRegistrationRateLimit: one address registers at most
// dynamic_registration.rate_limit clients an hour.
func TestDynamicRegistrationRateLimit(t *testing.T) {
	t.Parallel()
	env := registrationEnv(t, true, func(c *server.Config) { c.DynamicRegistration.RateLimit = 3 })
	meta := map[string]any{"redirect_uris": []string{agentRedirect}, "token_endpoint_auth_method": "none"}
	for i := range 3 {
		if r := register(t, env, meta, ""); r.Status != http.StatusCreated {
			t.Fatalf("registration %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := register(t, env, meta, "")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("4th registration: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
}

// TestUnusedRegisteredClientsDeleted: the janitor deletes self-registered
// clients unused for dynamic_registration.delete_unused_after, and only
// them.
func TestUnusedRegisteredClientsDeleted(t *testing.T) {
	t.Parallel()
	env := registrationEnv(t, true)
	env.CreateClient(t, appLikeSpec("app"))
	r := register(t, env, map[string]any{"redirect_uris": []string{agentRedirect}, "token_endpoint_auth_method": "none"}, "")
	id := r.JSON["client_id"].(string)
	j := server.NewJanitor(env.Store, env.Config)
	if _, err := j.Pass(t.Context(), time.Now().Add(29*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.GetClient(t.Context(), id); err != nil {
		t.Fatalf("deleted before delete_unused_after: %v", err)
	}
	res, err := j.Pass(t.Context(), time.Now().Add(31*24*time.Hour))
	if err != nil || res.UnusedClients != 1 {
		t.Fatalf("janitor: %+v %v", res, err)
	}
	if _, err := env.Store.GetClient(t.Context(), id); err == nil {
		t.Error("an unused self-registered client survived")
	}
	if _, err := env.Store.GetClient(t.Context(), "app"); err != nil {
		t.Errorf("the operator's client was deleted: %v", err)
	}
}

// unvettedConsentTwice runs two authorization-code flows (PKCE) of cfg,
// an unvetted client redirecting to agentRedirect, in b (signing in as
// Alice if asked): each must show the consent page, naming the app as
// not verified and the redirect's host, and its code must exchange.
func unvettedConsentTwice(t *testing.T, b *servertest.Browser, cfg *oauth2.Config, appName string) []*oauth2.Token {
	t.Helper()
	var toks []*oauth2.Token
	for i := range 2 {
		verifier, opts := pkce()
		resp := b.Authorize(t, cfg.AuthCodeURL("state-123456789", opts...))
		if servertest.OnPage(resp, "/login") {
			resp = b.Login(t, resp, aliceEmail, alicePassword)
		}
		if !servertest.OnPage(resp, "/consent") {
			t.Fatalf("flow %d: %d %s, want the consent page every time", i, resp.StatusCode, resp.Request.URL)
		}
		wantText(t, resp, http.StatusOK, appName, "not verified", "127.0.0.1:33418")
		q := servertest.ClientRedirect(t, b.Consent(t, resp, "allow"), agentRedirect).Query()
		tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		toks = append(toks, tok)
	}
	return toks
}
