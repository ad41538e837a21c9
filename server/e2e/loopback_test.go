package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestLoopbackRedirectShapes: a native app registered with
// http://127.0.0.1/callback may use any port (RFC 8252), but a requested
// redirect URI with userinfo, a percent-encoded path or an impossible port
// is refused with the error page, never redirected to.
func TestLoopbackRedirectShapes(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	id, _ := env.CreateClient(t, clients.Spec{ID: "native", Public: true, RedirectURIs: []string{"http://127.0.0.1/callback"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}})
	ask := func(redirect string) *http.Response {
		q := url.Values{"client_id": {id}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"openid"},
			"state": {"state-0123456789"}, "code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"S256"}}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(env.URL + "/oauth2/auth?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := ask("http://127.0.0.1:3000/callback"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("a loopback port: status %d to %q, want the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, bad := range []string{
		"http://evil@127.0.0.1:3000/callback",
		"http://evil:pw@127.0.0.1/callback",
		"http://127.0.0.1:3000/%63allback",
		"http://127.0.0.1:0/callback",
		"http://127.0.0.1:99999/callback",
	} {
		resp := ask(bad)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: status %d to %q, want the 400 error page", bad, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}
