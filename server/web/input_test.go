package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestOddInputNeverFails500: every page answers odd input (invalid UTF-8,
// huge fields, repeated parameters, control characters) without a 500.
func TestOddInputNeverFails500(t *testing.T) {
	e, _, _ := tokenEnv(t)
	c := e.browser()
	e.signIn(c, "alice@example.com", alicePassword, "")
	token := e.formToken(c, "/forgot-password")
	odd := []string{"\xff\xfe", strings.Repeat("x", 60<<10), "a\x00b", "\r\nX: y", "%", "/\\evil", "//evil.example", "<script>"}
	paths := []string{"/login", "/register", "/verify-email", "/verify-email/resend", "/forgot-password", "/reset-password",
		"/account/profile", "/account/password", "/account/apps/revoke", "/account/sessions/revoke", "/account/identities/unlink", "/logout", "/consent", PathEndSession}
	fields := []string{"email", "password", "name", "flow", "token", "return_to", "client_id", "session", "provider", "subject", "new_password", "current_password", "decision", "post_logout_redirect_uri", "id_token_hint", "state"}
	for _, p := range paths {
		for _, v := range odd {
			form := url.Values{CSRFField: {token, token}}
			for _, f := range fields {
				form[f] = []string{v, v}
			}
			resp, _ := e.post(c, p, form)
			if resp.StatusCode >= 500 {
				t.Errorf("POST %s with %q...: %d", p, v[:min(len(v), 10)], resp.StatusCode)
			}
			resp, _ = e.get(c, p+"?"+form.Encode())
			if resp.StatusCode >= 500 && resp.StatusCode != 0 {
				t.Errorf("GET %s with %q...: %d", p, v[:min(len(v), 10)], resp.StatusCode)
			}
		}
	}
}

// TestSessionUserAgentStoredAsValidUTF8: a long user agent is cut on a
// character boundary, so the session row holds valid UTF-8 (PostgreSQL
// refuses anything else and the login would fail with a 500).
func TestSessionUserAgentStoredAsValidUTF8(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	token := e.formToken(c, "/login")
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(url.Values{
		"email": {"alice@example.com"}, "password": {alicePassword}, CSRFField: {token},
	}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "a"+strings.Repeat("é", 200))
	if resp, _ := e.do(c, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	u, err := e.store.GetUserByEmail(context.Background(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := e.store.ListBrowserSessions(context.Background(), u.ID, time.Now())
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions: %v, %v", sessions, err)
	}
	if ua := sessions[0].UserAgent; !utf8.ValidString(ua) || len(ua) > 256 {
		t.Errorf("stored user agent (%d bytes) is not valid UTF-8 of at most 256 bytes: %q", len(ua), ua)
	}
}

// TestNamesMustBeOneLineOfText: registration and the profile refuse a
// name with bytes that are not UTF-8 or with control characters (line
// breaks would reach the mail text; PostgreSQL refuses invalid UTF-8),
// with a message beside the field rather than a 500.
func TestNamesMustBeOneLineOfText(t *testing.T) {
	e, _, _ := tokenEnv(t)
	c := e.browser()
	e.signIn(c, "alice@example.com", alicePassword, "")
	for i, name := range []string{"Mallory \xff", "Mallory\r\nClick http://evil.example", "Mal\x00lory", "Mal\tlory"} {
		token := e.formToken(c, "/register")
		resp, body := e.post(c, "/register", url.Values{
			CSRFField: {token}, "name": {name}, "email": {fmt.Sprintf("new%d@example.com", i)}, "password": {"a fine long password"},
		})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgNameInvalid)) {
			t.Errorf("register with name %q: %d, want 400 with the invalid-name message", name, resp.StatusCode)
		}
		token = e.formToken(c, "/account")
		resp, body = e.post(c, "/account/profile", url.Values{CSRFField: {token}, "name": {name}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgNameInvalid)) {
			t.Errorf("profile with name %q: %d, want 400 with the invalid-name message", name, resp.StatusCode)
		}
	}
	u, err := e.store.GetUserByEmail(context.Background(), "alice@example.com")
	if err != nil || u.Name != "Alice <Admin>" {
		t.Errorf("alice's name is now %q (%v)", u.Name, err)
	}
}

// TestAccountFormsAnswerPrecisely: a password change with a wrong current
// password and a bad new one shows both problems at once; signing out a
// session that no longer exists does not claim it was signed out.
func TestAccountFormsAnswerPrecisely(t *testing.T) {
	e, _, _ := tokenEnv(t)
	c := e.browser()
	e.signIn(c, "alice@example.com", alicePassword, "")
	token := e.formToken(c, "/account")
	resp, body := e.post(c, "/account/password", url.Values{CSRFField: {token}, "current_password": {"not-my-password"}, "new_password": {"short"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgCurrentPassword)) || !strings.Contains(body, esc(MsgPasswordShort)) {
		t.Errorf("password change with two problems: %d, want both messages:\n%s", resp.StatusCode, body)
	}
	resp, _ = e.post(c, "/account/sessions/revoke", url.Values{CSRFField: {token}, "session": {"0123456789abcdef0123456789abcdef"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/account" {
		t.Errorf("unknown session: %d to %q, want 303 to /account without a notice", resp.StatusCode, loc)
	}
}
