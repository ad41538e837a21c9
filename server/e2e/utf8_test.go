package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// TestTextThatIsNotUTF8: a long non-ASCII user agent (cut to 256 bytes for
// the session row) and a name with bytes that are not UTF-8 get a normal
// answer on every backend; PostgreSQL refuses invalid UTF-8, which used to
// turn both into a 500. CI runs this on PostgreSQL too.
func TestTextThatIsNotUTF8(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	form := aliceLoginForm(t, f, b)
	req, err := http.NewRequest(http.MethodPost, f.env.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "a"+strings.Repeat("é", 200))
	wantText(t, b.Do(t, req), http.StatusOK, "Signed in")

	for _, path := range []string{"/register", "/account"} {
		action := map[string]string{"/register": "/register", "/account": "/account/profile"}[path]
		form, ok := servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, f.env.URL+path)), action)
		if !ok {
			t.Fatalf("no form to %s on %s", action, path)
		}
		form.Set("name", "Mallory \xff")
		form.Set("email", "mallory@example.com")
		form.Set("password", "a fine long password")
		wantText(t, b.PostForm(t, f.env.URL+action, form), http.StatusBadRequest, web.MsgNameInvalid)
	}

	// Ids that are not UTF-8 name nothing.
	form, _ = servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, f.env.URL+"/account")), "/account/profile")
	for _, id := range []string{"\xff", "a\x00b"} {
		form.Set("client_id", id)
		wantText(t, b.PostForm(t, f.env.URL+"/account/apps/revoke", form), http.StatusOK, web.MsgAppRevoked)
		wantText(t, b.Get(t, f.env.URL+"/oauth2/logout?"+url.Values{"client_id": {id}}.Encode()), http.StatusBadRequest, web.MsgUnknownClient)
	}
}

// TestOddInputNoServerError: every page and the endpoints they lead to
// answer odd values in every field (bytes that are not UTF-8, NUL, long
// values, stray percent signs) with something other than a 500, on every
// backend (CI runs this on PostgreSQL too).
func TestOddInputNoServerError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	form := aliceLoginForm(t, f, b)
	wantText(t, b.PostForm(t, f.env.URL+"/login", form), http.StatusOK, "Signed in")
	token := form.Get("csrf_token")
	paths := []string{"/login", "/register", "/verify-email", "/verify-email/resend", "/forgot-password", "/reset-password",
		"/account/profile", "/account/password", "/account/apps/revoke", "/account/sessions/revoke", "/account/identities/unlink",
		"/consent", "/oauth2/logout", "/oauth2/auth", "/login/nope", "/logout"}
	fields := []string{"email", "password", "name", "flow", "token", "return_to", "client_id", "session", "provider", "subject",
		"new_password", "current_password", "decision", "post_logout_redirect_uri", "state", "response_type", "redirect_uri", "scope"}
	for _, v := range []string{"\xff\xfe", "a\x00b", "é\xc3", "%", strings.Repeat("x", 30<<10)} {
		for _, p := range paths {
			form := url.Values{"csrf_token": {token}}
			for _, name := range fields {
				form.Set(name, v)
			}
			if p == "/oauth2/logout" {
				form.Set("decision", "logout") // get past the confirmation
			}
			if resp := b.PostForm(t, f.env.URL+p, form); resp.StatusCode >= 500 {
				t.Errorf("POST %s with %q…: %d", p, v[:min(len(v), 8)], resp.StatusCode)
			}
			if resp := b.Get(t, f.env.URL+p+"?"+form.Encode()); resp.StatusCode >= 500 {
				t.Errorf("GET %s with %q…: %d", p, v[:min(len(v), 8)], resp.StatusCode)
			}
		}
	}
}

// aliceLoginForm is the login form of b, filled in with Alice's email and
// password.
func aliceLoginForm(t *testing.T, f *fixture, b *servertest.Browser) url.Values {
	t.Helper()
	form, ok := servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, f.env.URL+"/login")), "/login")
	if !ok {
		t.Fatal("no login form")
	}
	form.Set("email", aliceEmail)
	form.Set("password", alicePassword)
	return form
}
