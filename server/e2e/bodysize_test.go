package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestOversizedBodyIs413: a request body over the server's limit is
// answered 413, not 400, whether it declares its length or is chunked:
// protocol endpoints with an RFC 6749 error object (invalid_request), pages
// with the error page.
func TestOversizedBodyIs413(t *testing.T) {
	env := servertest.Start(t)
	big := "x=" + strings.Repeat("a", 2<<20)
	for _, tc := range []struct {
		path    string
		json    bool
		chunked bool
	}{
		{"/oauth2/token", true, false},
		{"/oauth2/token", true, true},
		{"/oauth2/introspect", true, false},
		{"/oauth2/revoke", true, true},
		{"/oauth2/auth", false, false},
		{"/userinfo", true, false},
		{"/admin/users", true, false},
		{"/login", false, false},
		{"/login", false, true},
		{"/register", false, false},
		{"/forgot-password", false, true},
	} {
		name := tc.path
		if tc.chunked {
			name += " chunked"
		}
		t.Run(name, func(t *testing.T) {
			var body = strings.NewReader(big)
			r := send(t, env, http.MethodPost, tc.path, "application/x-www-form-urlencoded", body, func(r *http.Request) {
				if tc.chunked {
					r.ContentLength = -1 // sent chunked
				}
				if strings.HasPrefix(tc.path, "/admin/") {
					r.Header.Set("Content-Type", "application/json")
				}
			})
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413; body %.300s", r.Status, r.Body)
			}
			if tc.json {
				wantJSONError(t, r, http.StatusRequestEntityTooLarge, "invalid_request")
			}
		})
	}
	// A body within the limit is still answered as before.
	r := post(t, env, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, "nobody", "x")
	if r.Status == http.StatusRequestEntityTooLarge {
		t.Errorf("small body: 413")
	}
}
