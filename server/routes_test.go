package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// changes reports whether any of methods changes state.
func changes(methods []string) bool {
	for _, m := range methods {
		if m != http.MethodGet && m != http.MethodHead {
			return true
		}
	}
	return false
}

// Every route that changes state has a guard: a page's form (cross-origin
// refused, CSRF checked), client authentication, a bearer token, the admin
// API's authentication, or a cross-site endpoint with its reason.
func TestRouteTableGuardsEveryStateChange(t *testing.T) {
	env := servertest.Start(t)
	for _, r := range server.Routes(env.Server) {
		if changes(r.Methods) && r.Guard == "open" {
			t.Errorf("%v %s changes state but has no guard", r.Methods, r.Path)
		}
		if r.Guard == "cross-site" && strings.TrimSpace(r.Reason) == "" {
			t.Errorf("%v %s is open to other sites without a reason", r.Methods, r.Path)
		}
		if r.Guard == "admin" != strings.HasPrefix(r.Path, "/admin/") {
			t.Errorf("%v %s: only the admin API lives under /admin/, and all of it is guarded as such", r.Methods, r.Path)
		}
	}
}

// The router serves exactly the table: every route in it, nothing else
// (but the admin router's mount point).
func TestRouteTableIsWhatIsServed(t *testing.T) {
	env := servertest.Start(t)
	want := []string{"ANY /admin/*"}
	for _, r := range server.Routes(env.Server) {
		path := r.Path
		if r.Prefix {
			path += "*"
		}
		for _, m := range r.Methods {
			want = append(want, m+" "+path)
		}
	}
	sort.Strings(want)
	got, err := server.Served(env.Server)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("the table lists %s, the router does not serve it", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("the router serves %s, the table does not list it", g)
		}
	}
	// The conditional routes are there in the default configuration.
	for _, w := range []string{"GET /oauth2/logout", "POST /account/password", "GET /metrics"} {
		if !slices.Contains(got, w) {
			t.Errorf("%s is not served", w)
		}
	}
}

// The guards hold at the front door: each state-changing route refuses a
// request that lacks what its guard requires.
func TestRouteGuardsHold(t *testing.T) {
	env := servertest.Start(t)
	env.CreateUser(t, "alice@example.com", "correct horse battery", "Alice")
	b := env.NewBrowser(t)
	if resp := b.Login(t, b.Get(t, env.URL+"/login"), "alice@example.com", "correct horse battery"); resp.StatusCode >= 400 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	hidden, ok := servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, env.URL+"/account")), "/account/profile")
	if !ok || hidden.Get("csrf_token") == "" {
		t.Fatal("no CSRF token on the account page")
	}
	token := hidden.Get("csrf_token")
	for _, r := range server.Routes(env.Server) {
		if !changes(r.Methods) {
			continue
		}
		target := env.URL + strings.ReplaceAll(r.Path, "{id}", "x")
		for _, m := range r.Methods {
			if m == http.MethodGet || m == http.MethodHead {
				continue
			}
			name := m + " " + r.Path
			switch r.Guard {
			case "form":
				// From another site, even with the browser's CSRF token:
				// refused before the handler.
				req, _ := http.NewRequest(m, target, strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				req.Header.Set("Origin", "https://evil.example")
				if resp := b.Do(t, req); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s from another site: %d, want 403", name, resp.StatusCode)
				}
				// Same site, signed in, without the CSRF token: refused.
				req, _ = http.NewRequest(m, target, strings.NewReader("x=1"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				if resp := b.Do(t, req); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s without a CSRF token: %d, want 403", name, resp.StatusCode)
				}
			case "client":
				form := url.Values{"grant_type": {"client_credentials"}, "token": {"x"}}
				req, _ := http.NewRequest(m, target, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth("no-such-client", "wrong")
				if resp := b.Do(t, req); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s with a wrong client: %d, want 401", name, resp.StatusCode)
				}
			case "bearer", "admin":
				req, _ := http.NewRequest(m, target, strings.NewReader("{}"))
				req.Header.Set("Authorization", "Bearer not-a-token")
				if resp := b.Do(t, req); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s with a bad token: %d, want 401", name, resp.StatusCode)
				}
			}
		}
	}
}

// Conditional routes follow the configuration: upstream sign-in only with
// providers, /metrics only on the main listener. The table and the router
// agree either way.
func TestRouteTableFollowsConfiguration(t *testing.T) {
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.MetricsListen = "127.0.0.1:0"
		c.Providers = []server.ProviderConfig{{
			ID: "github", Type: "github", ClientID: "id", ClientSecret: "secret",
			AuthURL: "https://github.example/login/oauth/authorize", TokenURL: "https://github.example/login/oauth/access_token",
			APIURL: "https://api.github.example",
		}}
	}))
	got, err := server.Served(env.Server)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"GET /login/{id}", "GET /login/{id}/callback"} {
		if !slices.Contains(got, w) {
			t.Errorf("with a provider, %s is not served", w)
		}
	}
	if slices.Contains(got, "GET /metrics") {
		t.Error("with metrics_listen set, /metrics is served on the main listener")
	}
	var listed []string
	for _, r := range server.Routes(env.Server) {
		for _, m := range r.Methods {
			listed = append(listed, m+" "+r.Path)
		}
	}
	for _, g := range got {
		if g != "ANY /admin/*" && g != "GET /static/*" && g != "HEAD /static/*" && !slices.Contains(listed, g) {
			t.Errorf("the router serves %s, the table does not list it", g)
		}
	}
}
