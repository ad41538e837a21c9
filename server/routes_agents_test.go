package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// With dynamic registration on, its routes are in the table and served,
// and the management routes refuse a bad registration access token.
func TestRegistrationRoutes(t *testing.T) {
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.DynamicRegistration.Enabled = true }))
	got, err := server.Served(env.Server)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"POST /oauth2/register", "GET /oauth2/register/{id}", "PUT /oauth2/register/{id}", "DELETE /oauth2/register/{id}",
		"GET /.well-known/oauth-authorization-server", "GET /select-account", "POST /select-account"} {
		if !slices.Contains(got, w) {
			t.Errorf("%s is not served", w)
		}
	}
	for _, r := range server.Routes(env.Server) {
		if !strings.HasPrefix(r.Path, "/oauth2/register") {
			continue
		}
		for _, m := range r.Methods {
			req, _ := http.NewRequest(m, env.URL+strings.ReplaceAll(r.Path, "{id}", "x"), strings.NewReader(`{"redirect_uris": ["https://a.example/cb"]}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer not-a-token")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with a bad token: %d, want 401", m, r.Path, resp.StatusCode)
			}
		}
	}
}
