package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
)

func TestLoginFormRenders(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	resp, body := e.get(c, loginPath(testFlow))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{
		`<html lang="en">`,
		`<meta name="viewport"`,
		`<link rel="stylesheet" href="/static/gatehouse.css">`,
		`<main`,
		`<label for="email">`, `id="email" name="email" type="email"`, `autocomplete="username"`,
		`<label for="password">`, `id="password" name="password" type="password"`, `autocomplete="current-password"`,
		`method="post" action="/login"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	if token := hiddenValue(t, body, CSRFField); len(token) < 40 {
		t.Errorf("csrf_token %q is too short", token)
	}
	if got := hiddenValue(t, body, "flow"); got != testFlow {
		t.Errorf("flow field = %q, want %q", got, testFlow)
	}
	if got := hiddenValue(t, body, "email"); got != "alice@example.com" {
		t.Errorf("email not pre-filled from login_hint: %q", got)
	}
	if strings.Contains(body, "<script") {
		t.Error("login page contains a script")
	}
	ck := cookieNamed(resp, CSRFCookieName)
	if ck == nil {
		t.Fatal("no CSRF cookie set")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Errorf("CSRF cookie flags: %+v", ck)
	}

	// A second visit keeps the cookie, so the token stays the same across tabs.
	first := hiddenValue(t, body, CSRFField)
	resp, body = e.get(c, "/login")
	if cookieNamed(resp, CSRFCookieName) != nil {
		t.Error("CSRF cookie was replaced on a second visit")
	}
	if got := hiddenValue(t, body, CSRFField); got != first {
		t.Errorf("token changed between visits: %q then %q", first, got)
	}
}

func TestLoginCSRFCookieSecure(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Secure = true })
	resp, _ := e.get(e.browser(), "/login")
	ck := cookieNamed(resp, "__Host-"+CSRFCookieName)
	if ck == nil || !ck.Secure {
		t.Fatalf("CSRF cookie not Secure with Options.Secure: %+v", ck)
	}
}

func TestLoginBadFlow(t *testing.T) {
	e := newEnv(t)
	resp, body := e.get(e.browser(), "/login?flow="+url.QueryEscape("%zz"))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, esc(MsgInvalidRequest)) {
		t.Fatalf("status %d, body:\n%s", resp.StatusCode, body)
	}
}

func TestLoginCSRF(t *testing.T) {
	e := newEnv(t)
	other := e.browser()
	otherToken := e.formToken(other, "/login")

	tests := []struct {
		name  string
		visit bool // fetch the form first, so the browser has a CSRF cookie
		token func(own string) string
	}{
		{"no cookie, no token", false, func(string) string { return "" }},
		{"no cookie, another browser's token", false, func(string) string { return otherToken }},
		{"cookie, no token", true, func(string) string { return "" }},
		{"cookie, bad token", true, func(string) string { return "bm90LWEtdG9rZW4" }},
		{"cookie, truncated token", true, func(own string) string { return own[:len(own)-1] }},
		{"cookie, another browser's token", true, func(string) string { return otherToken }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.browser()
			own := ""
			if tt.visit {
				own = e.formToken(c, loginPath(testFlow))
			}
			form := url.Values{"email": {"alice@example.com"}, "password": {alicePassword}, "flow": {testFlow}}
			if tok := tt.token(own); tok != "" {
				form.Set(CSRFField, tok)
			}
			resp, body := e.post(c, "/login", form)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", resp.StatusCode)
			}
			if !strings.Contains(body, esc(MsgCSRF)) {
				t.Errorf("403 page lacks the CSRF message:\n%s", body)
			}
			if cookieNamed(resp, session.CookieName) != nil {
				t.Error("a session cookie was set despite the CSRF failure")
			}
		})
	}
	if n := len(e.resumer.Calls()); n != 0 {
		t.Errorf("Resume called %d times on CSRF failures", n)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, email, password string }{
		{"wrong password", "alice@example.com", "wrong-password-123"},
		{"unknown email", "nobody@example.com", "wrong-password-123"},
		{"disabled account", "bob@example.com", bobPassword},
		{"malformed email", "not an email", "wrong-password-123"},
		{"empty password", "alice@example.com", ""},
	}
	var normalized []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.browser()
			resp, body := e.signIn(c, tt.email, tt.password, testFlow)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if n := strings.Count(body, esc(MsgLoginFailed)); n != 1 {
				t.Errorf("message appears %d times, want once", n)
			}
			if got := hiddenValue(t, body, "email"); got != tt.email {
				t.Errorf("typed email not kept: %q", got)
			}
			if tt.password != "" && strings.Contains(body, tt.password) {
				t.Error("the password was echoed into the page")
			}
			if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `aria-describedby="form-error"`) {
				t.Error("the error is not announced or not tied to the fields")
			}
			if got := hiddenValue(t, body, "flow"); got != testFlow {
				t.Errorf("flow lost on re-render: %q", got)
			}
			if cookieNamed(resp, session.CookieName) != nil {
				t.Error("a session cookie was set on a failed login")
			}
			// Apart from the typed email and the per-browser token, every
			// failure page is the same.
			body = strings.ReplaceAll(body, esc(tt.email), "EMAIL")
			body = strings.ReplaceAll(body, hiddenValue(t, body, CSRFField), "TOKEN")
			normalized = append(normalized, body)
		})
	}
	for i := 1; i < len(normalized); i++ {
		if normalized[i] != normalized[0] {
			t.Errorf("failure page %q differs from %q:\n%s\n---\n%s", tests[i].name, tests[0].name, normalized[i], normalized[0])
		}
	}
	if n := len(e.resumer.Calls()); n != 0 {
		t.Errorf("Resume called %d times on failed logins", n)
	}
}

func TestLoginSuccessResumesFlow(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	resp, _ := e.signIn(c, "Alice@Example.com", alicePassword, testFlow)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://client.example/cb?code=fake" {
		t.Fatalf("status %d location %q, want the resumer's redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := cookieNamed(resp, session.CookieName)
	if ck == nil || ck.Value == "" {
		t.Fatal("no session cookie set")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie flags: %+v", ck)
	}
	calls := e.resumer.Calls()
	if len(calls) != 1 {
		t.Fatalf("Resume called %d times, want 1", len(calls))
	}
	want := resumeCall{Flow: testFlow, Step: signin.Step{Authenticated: true}, UserEmail: "alice@example.com"}
	if calls[0] != want {
		t.Errorf("Resume got %+v, want %+v", calls[0], want)
	}

	// Signing in again as someone else in the same browser: the endpoint sees
	// the new person in that very request, not the old session.
	e.signIn(c, "carol@example.com", carolPassword, testFlow)
	calls = e.resumer.Calls()
	if len(calls) != 2 || calls[1].UserEmail != "carol@example.com" || !calls[1].Step.Authenticated {
		t.Errorf("second sign-in: Resume got %+v", calls)
	}
}

func TestLoginWithoutFlowShowsSignedIn(t *testing.T) {
	e := newEnv(t)
	resp, body := e.signIn(e.browser(), "alice@example.com", alicePassword, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if !strings.Contains(body, "You are signed in as <strong>alice@example.com</strong>") {
		t.Errorf("signed-in page:\n%s", body)
	}
	if !strings.Contains(body, "Alice &lt;Admin&gt;") {
		t.Error("the user's name is missing or not escaped")
	}
	if cookieNamed(resp, session.CookieName) == nil {
		t.Error("no session cookie set")
	}
	if n := len(e.resumer.Calls()); n != 0 {
		t.Errorf("Resume called %d times without a flow", n)
	}
}

func TestLoginBodyLimit(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	token := e.formToken(c, "/login")
	resp, body := e.post(c, "/login", url.Values{
		CSRFField: {token}, "email": {"alice@example.com"}, "password": {alicePassword},
		"flow": {strings.Repeat("a", 70<<10)},
	})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if !strings.Contains(body, esc(MsgInvalidRequest)) {
		t.Errorf("body:\n%s", body)
	}
	if n := len(e.resumer.Calls()); n != 0 {
		t.Errorf("Resume called %d times", n)
	}
}

// TestCrossOriginPostRefused: a login POST a browser marks as cross-site
// is refused with the friendly 403 page even with a valid CSRF token.
func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	token := e.formToken(c, "/login")
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(url.Values{
		"email": {"x@example.com"}, "password": {"whatever1"}, CSRFField: {token},
	}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, body := e.do(c, req)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, esc(MsgCSRF)) {
		t.Fatalf("cross-site POST: %d %s", resp.StatusCode, body)
	}
}
