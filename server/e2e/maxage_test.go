package e2e

import (
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestMaxAgeValidated: max_age that is not a non-negative integer is an
// invalid_request at the client's redirect URI; a huge one does not
// overflow into "too old"; 0 asks for the password again.
func TestMaxAgeValidated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword) // signed in, consent remembered
	for _, bad := range []string{"abc", "-1", "1.5", "1e3", "+5", " 5", "0x10"} {
		u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("max_age", bad))
		q := redirectQuery(t, b.Authorize(t, u))
		if q.Get("error") != "invalid_request" {
			t.Errorf("max_age=%q: %v, want invalid_request", bad, q)
		}
	}
	for _, huge := range []string{"9223372036", "9223372036854775807", "99999999999999999999999999999999999999"} {
		u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("max_age", huge))
		if q := redirectQuery(t, b.Authorize(t, u)); q.Get("code") == "" {
			t.Errorf("max_age=%s: %v, want a code (the session is younger than that)", huge, q)
		}
	}
	u, _ := f.authURL(t, []string{"openid"}, oauth2.SetAuthURLParam("max_age", "0"))
	if resp := b.Authorize(t, u); !servertest.OnPage(resp, "/login") {
		t.Errorf("max_age=0: status %d, not the login page", resp.StatusCode)
	}
}
