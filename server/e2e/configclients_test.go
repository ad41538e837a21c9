package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// svcSecret is the secret of the declared client "svc".
var svcSecret = secret.Token(32)

// declared returns the configuration entries of the test's clients:
// "shop", confidential (client credentials, a resource server), and, when
// withOthers, "spa", a public client, and "svc", confidential.
func declared(shopName, shopSecret string, withOthers bool) []server.ClientConfig {
	cs := []server.ClientConfig{{Spec: clients.Spec{
		ID: "shop", Name: shopName, Secret: shopSecret, IntrospectAny: true,
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"},
	}}}
	if withOthers {
		cs = append(cs, server.ClientConfig{Spec: clients.Spec{
			ID: "spa", Public: true, RedirectURIs: []string{redirectURI},
			BackchannelLogoutURI: "https://spa.example/bcl",
		}}, server.ClientConfig{Spec: clients.Spec{
			ID: "svc", Secret: svcSecret, GrantTypes: []string{"client_credentials"}, Scopes: []string{"api:read"},
		}})
	}
	return cs
}

// TestConfigClientsAcrossRestarts: clients declared in the configuration
// are created at start, read-only in the admin API, updated when their
// entry changes (a new secret replaces the old), disabled when their entry
// goes and enabled again when it comes back, across restarts on one
// database.
func TestConfigClientsAcrossRestarts(t *testing.T) {
	t.Parallel()
	db, sec := sharedDatabase(t), secret.Token(32)
	s1, s2 := secret.Token(32), secret.Token(32)
	start := func(cs []server.ClientConfig) *servertest.Env {
		return servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Database, c.Secret, c.Clients = db, sec, cs }))
	}
	ccTokenOf := func(env *servertest.Env, id, clientSecret string) (string, error) {
		cfg := clientcredentials.Config{ClientID: id, ClientSecret: clientSecret, TokenURL: env.URL + "/oauth2/token", Scopes: []string{"api:read"}}
		tok, err := cfg.Token(t.Context())
		if err != nil {
			return "", err
		}
		return tok.AccessToken, nil
	}
	ccToken := func(env *servertest.Env, clientSecret string) error {
		_, err := ccTokenOf(env, "shop", clientSecret)
		return err
	}
	authorize := func(env *servertest.Env) *http.Response {
		q := url.Values{"client_id": {"spa"}, "response_type": {"code"}, "redirect_uri": {redirectURI}, "scope": {"openid"},
			"state": {"state-123456789"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		return env.NewBrowser(t).Get(t, env.URL+"/oauth2/auth?"+q.Encode())
	}

	env := start(declared("Shop", s1, true))
	if err := ccToken(env, s1); err != nil {
		t.Fatalf("declared client's token: %v", err)
	}
	env.CreateUser(t, "root@example.com", alicePassword, "Root", "admin")
	console := appLikeSpec("console")
	console.Scopes = append(console.Scopes, "gatehouse:admin")
	_, consoleSecret := env.CreateClient(t, console)
	call := func(env *servertest.Env, method, path, body string) apiResponse {
		t.Helper()
		tok, err := env.OAuth2Config("console", consoleSecret, redirectURI, "openid", "gatehouse:admin").
			PasswordCredentialsToken(t.Context(), "root@example.com", alicePassword)
		if err != nil {
			t.Fatal(err)
		}
		return send(t, env, method, path, "application/json", strings.NewReader(body), func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		})
	}
	if r := call(env, http.MethodGet, "/admin/clients/shop", ""); r.JSON["config_managed"] != true || r.JSON["disabled"] != false {
		t.Errorf("GET shop: %d %s", r.Status, r.Body)
	}
	for _, w := range []struct{ method, path, body string }{
		{http.MethodPatch, "/admin/clients/shop", `{"name": "Hacked"}`},
		{http.MethodDelete, "/admin/clients/shop", ""},
		{http.MethodPost, "/admin/clients/shop/rotate-secret", ""},
	} {
		r := call(env, w.method, w.path, w.body)
		wantJSONError(t, r, http.StatusConflict, "config_managed")
		if !strings.Contains(r.JSON["error_description"].(string), "configuration file") {
			t.Errorf("%s %s: %s", w.method, w.path, r.Body)
		}
	}
	if err := ccToken(env, s1); err != nil {
		t.Errorf("after the refused writes: %v", err)
	}
	wantAudit(t, env, []string{"client.created/success"}, s1)
	svcToken, err := ccTokenOf(env, "svc", svcSecret)
	if err != nil {
		t.Fatal(err)
	}
	if r := post(t, env, "/oauth2/introspect", url.Values{"token": {svcToken}}, "shop", s1); r.JSON["active"] != true {
		t.Fatalf("introspection of svc's token: %d %s", r.Status, r.Body)
	}
	env.Stop()

	// The entry changes (name, secret) and spa's goes.
	env = start(declared("Shop 2", s2, false))
	if err := ccToken(env, s1); err == nil {
		t.Error("the old secret still works")
	}
	if err := ccToken(env, s2); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	if r := call(env, http.MethodGet, "/admin/clients/shop", ""); r.JSON["name"] != "Shop 2" {
		t.Errorf("shop after the change: %s", r.Body)
	}
	if r := call(env, http.MethodGet, "/admin/clients/spa", ""); r.JSON["disabled"] != true || r.JSON["config_managed"] != true {
		t.Errorf("spa after its entry went: %s", r.Body)
	}
	if resp := authorize(env); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("authorization for the disabled spa: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	// The disabled svc gets no token, and the one it had is inactive.
	if _, err := ccTokenOf(env, "svc", svcSecret); err == nil {
		t.Error("the disabled svc still gets tokens")
	}
	r := post(t, env, "/oauth2/introspect", url.Values{"token": {svcToken}}, "shop", s2)
	if r.Status != http.StatusOK || r.JSON["active"] != false {
		t.Errorf("introspection of the disabled svc's token: %d %s", r.Status, r.Body)
	}
	env.Stop()

	// spa's entry comes back.
	env = start(declared("Shop 2", s2, true))
	if resp := authorize(env); !servertest.OnPage(resp, "/login") {
		t.Errorf("authorization for spa declared again: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if r := call(env, http.MethodGet, "/admin/clients/spa", ""); r.JSON["disabled"] != false || r.JSON["backchannel_logout_uri"] != "https://spa.example/bcl" {
		t.Errorf("spa declared again: %s", r.Body)
	}
}
