package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// consoleAdmin signs Alice (an admin in the fixture) in with a new
// browser and sets up her authenticator app, so her session has a second
// factor: what the console asks by default. It returns the browser, the
// second-factor clock and her TOTP secret.
func consoleAdmin(t *testing.T, f *fixture) (*servertest.Browser, *mfaClock, string) {
	t.Helper()
	b := f.env.NewBrowser(t)
	clk := fixMFAClock(f.env)
	secret := enrolTOTP(t, f.env, b, clk, aliceEmail, alicePassword)
	resp := b.Get(t, f.env.URL+"/console")
	wantText(t, resp, http.StatusOK, "Dashboard")
	return b, clk, secret
}

// consoleAction opens page in b and submits its form posting to action
// with fields; a confirmation page in between is confirmed.
func consoleAction(t *testing.T, env *servertest.Env, b *servertest.Browser, page, action string, fields url.Values) *http.Response {
	t.Helper()
	resp := submit(t, env, b, b.Get(t, env.URL+page), action, fields)
	if resp.StatusCode == http.StatusOK && resp.Request.URL.EscapedPath() == action {
		if body := bodyOf(t, resp); regexp.MustCompile(`id="confirm-form"`).MatchString(body) {
			resp = submit(t, env, b, resp, action, nil)
		}
	}
	return resp
}

// consolePath is the console's page of a user or client.
func consoleUser(id string) string   { return "/console/users/" + id }
func consoleClient(id string) string { return "/console/clients/" + id }

// declaredSpec is a client for the configuration file's clients: list.
func declaredSpec() clients.Spec {
	return clients.Spec{
		ID: "declared", Name: "Declared App", Secret: "declared-secret-0123456789-abcdefghijklmnop",
		RedirectURIs: []string{redirectURI}, GrantTypes: []string{"authorization_code", "client_credentials"},
	}
}

var clientSecretRE = regexp.MustCompile(`<code class="secret" id="client-secret">([^<]+)</code>`)

// secretOnPage reads the client secret the console shows once.
func secretOnPage(t *testing.T, resp *http.Response) string {
	t.Helper()
	m := clientSecretRE.FindStringSubmatch(bodyOf(t, resp))
	if m == nil {
		t.Fatalf("no #client-secret on %s (%d):\n%s", resp.Request.URL, resp.StatusCode, bodyOf(t, resp))
	}
	return m[1]
}
