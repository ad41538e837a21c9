package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// checkPageSecurity fails t unless resp carries the page security headers
// and every form on it has a csrf_token.
func checkPageSecurity(t *testing.T, name string, resp *http.Response) {
	t.Helper()
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %s", name, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "form-action") {
		t.Errorf("%s: CSP %q", name, csp)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
		"X-Frame-Options":        "DENY",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", name, k, got, want)
		}
	}
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: cookie %s HttpOnly %v SameSite %v", name, c.Name, c.HttpOnly, c.SameSite)
		}
	}
	doc, err := html.Parse(bytes.NewReader(servertest.ReadBody(t, resp)))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" {
			if !hasCSRF(n) {
				t.Errorf("%s: a form without csrf_token", name)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func hasCSRF(n *html.Node) bool {
	if n.Type == html.ElementNode && n.Data == "input" {
		name, value := "", ""
		for _, a := range n.Attr {
			switch a.Key {
			case "name":
				name = a.Val
			case "value":
				value = a.Val
			}
		}
		if name == "csrf_token" && value != "" {
			return true
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if hasCSRF(c) {
			return true
		}
	}
	return false
}

// TestPagesSecurityHeaders: every page, signed in or not, and every error
// page sends the security headers, and every form carries a CSRF token.
func TestPagesSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	anon := f.env.NewBrowser(t)
	signed := f.env.NewBrowser(t)
	f.codeTokensIn(t, signed, "openid")
	authURL, _ := f.authURL(t, []string{"openid", "email"})
	paths := []string{
		"/login", "/login?return_to=/account", "/register", "/forgot-password", "/reset-password?token=nope",
		"/verify-email?token=nope", "/logout", "/account", "/oauth2/logout", "/no-such-page",
		"/consent?flow=client_id%3Dnope", "/oauth2/auth?client_id=nope",
		"/oauth2/logout?client_id=app&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
	}
	for _, p := range paths {
		checkPageSecurity(t, "anonymous "+p, anon.Get(t, f.env.URL+p))
		checkPageSecurity(t, "signed in "+p, signed.Get(t, f.env.URL+p))
	}
	checkPageSecurity(t, "consent", signed.Authorize(t, authURL))
	resp := anon.Get(t, f.env.URL+"/static/brand.css")
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/css; charset=utf-8" {
		t.Errorf("brand.css: %d %q", resp.StatusCode, ct)
	}
	if !strings.Contains(bodyOf(t, resp), "--brand: #2f5bea") {
		t.Errorf("brand.css lacks the default colour: %s", bodyOf(t, resp))
	}
}

// TestPagesRefuseBadCSRF: every form post without the token, or with
// another browser's, gets the friendly 403 page and changes nothing.
func TestPagesRefuseBadCSRF(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	f.codeTokensIn(t, b, "openid")
	other := f.env.NewBrowser(t)
	foreign := csrfToken(t, other, f.env.URL+"/login", "/login")
	posts := map[string]url.Values{
		"/login":                     {"email": {aliceEmail}, "password": {alicePassword}},
		"/consent":                   {"flow": {"client_id=app"}, "decision": {"allow"}},
		"/register":                  {"email": {bobEmail}, "password": {bobPassword}, "name": {bobName}},
		"/forgot-password":           {"email": {aliceEmail}},
		"/reset-password":            {"token": {"x"}, "password": {"a new long password"}},
		"/verify-email":              {"token": {"x"}},
		"/verify-email/resend":       {"email": {aliceEmail}},
		"/logout":                    {},
		"/oauth2/logout":             {"decision": {"logout"}},
		"/account/profile":           {"name": {"Mallory"}},
		"/account/password":          {"current_password": {alicePassword}, "new_password": {"owned owned owned"}},
		"/account/apps/revoke":       {"client_id": {"app"}},
		"/account/sessions/revoke":   {"session": {"x"}},
		"/account/identities/unlink": {"provider": {"x"}, "subject": {"y"}},
	}
	for path, form := range posts {
		for name, token := range map[string]string{"none": "", "foreign": foreign} {
			form := url.Values(cloneForm(form))
			if token != "" {
				form.Set("csrf_token", token)
			}
			resp := b.PostForm(t, f.env.URL+path, form)
			wantText(t, resp, http.StatusForbidden, web.MsgCSRF)
			checkPageSecurity(t, name+" "+path, resp)
		}
	}
	// Nothing changed: still signed in, same name, same password, no mail.
	if resp := b.Get(t, f.env.URL+"/account"); resp.Request.URL.Path != "/account" {
		t.Error("signed out by a forged post")
	}
	if u, _ := f.env.Store.GetUser(t.Context(), f.user.ID); u.Name != aliceName {
		t.Errorf("name changed to %q", u.Name)
	}
	if _, err := f.env.Server.Accounts.Authenticate(t.Context(), aliceEmail, alicePassword); err != nil {
		t.Error("password changed by a forged post")
	}
	if _, err := f.env.Store.GetUserByEmail(t.Context(), bobEmail); err == nil {
		t.Error("account registered by a forged post")
	}
	if _, err := f.env.Store.GetConsent(t.Context(), f.user.ID, f.clientID); err != nil {
		t.Errorf("consent revoked by a forged post: %v", err)
	}

	t.Run("cross-site form post", func(t *testing.T) {
		token := csrfToken(t, b, f.env.URL+"/account", "/account/profile")
		req, _ := http.NewRequest(http.MethodPost, f.env.URL+"/account/profile", strings.NewReader(url.Values{"csrf_token": {token}, "name": {"Mallory"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		wantText(t, b.Do(t, req), http.StatusForbidden, web.MsgCSRF)
	})
}

func cloneForm(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
