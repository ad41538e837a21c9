package e2e

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestFormPostNotFramed: the form_post answer page (success and error)
// may not be framed by another site and is not cached.
func TestFormPostNotFramed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword) // signed in, consent remembered
	formPost := oauth2.SetAuthURLParam("response_mode", "form_post")
	for name, extra := range map[string][]oauth2.AuthCodeOption{
		"code":  {formPost},
		"error": {formPost, oauth2.SetAuthURLParam("max_age", "abc")},
	} {
		u, _ := f.authURL(t, []string{"openid"}, extra...)
		resp := b.Get(t, u)
		body := string(servertest.ReadBody(t, resp))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<form") {
			t.Fatalf("%s: status %d, not the form_post page:\n%s", name, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", name, got)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", name, csp)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
	}
}
