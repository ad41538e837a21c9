package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

const (
	bobEmail    = "bob@example.com"
	bobPassword = "a long enough secret"
	bobName     = "Bob Example"
)

// TestRegistrationDuringAuthorization: "Create an account" on the login
// page keeps the flow; the new account is signed in at once, the flow
// resumes at consent, and the ID token says email_verified false until the
// mailed link is followed, once.
func TestRegistrationDuringAuthorization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	cfg := f.config("openid", "email")
	verifier, opts := pkce()
	resp := b.Authorize(t, cfg.AuthCodeURL("state-123456789", append(opts, oauth2.SetAuthURLParam("login_hint", "Bob@Example.com"))...))
	if !servertest.OnPage(resp, "/login") {
		t.Fatalf("not on the login page: %d %s", resp.StatusCode, resp.Request.URL)
	}
	login := bodyOf(t, resp)
	for _, want := range []string{`value="Bob@Example.com"`, `href="/forgot-password`, `href="/register?flow=`} {
		if !strings.Contains(login, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	regURL := f.env.URL + "/register?" + url.Values{"flow": {loginFlow(t, resp)}}.Encode()
	resp = b.Get(t, regURL)
	wantText(t, resp, http.StatusOK, "Create an account")

	resp = submit(t, f.env, b, resp, "/register", url.Values{"email": {"  Bob@Example.COM "}, "password": {bobPassword}, "name": {bobName}})
	if !servertest.OnPage(resp, "/consent") {
		t.Fatalf("after registering: %d at %s, want the consent page:\n%s", resp.StatusCode, resp.Request.URL, bodyOf(t, resp))
	}
	resp = b.Consent(t, resp, "allow")
	q := redirectQuery(t, resp)
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	_, c := verifyIDToken(t, f.env, f.clientID, idToken(tok))
	if c.Email == nil || *c.Email != bobEmail || c.EmailVerified == nil || *c.EmailVerified {
		t.Errorf("email %v verified %v, want %s unverified", c.Email, c.EmailVerified, bobEmail)
	}

	link := mailLink(t, f.env, outbox(t, f.env, bobEmail, 1)[0], "/verify-email")
	resp = b.Get(t, link)
	wantText(t, resp, http.StatusOK, "Confirm your email address")
	page := servertest.ReadBody(t, resp)
	resp = submit(t, f.env, b, resp, "/verify-email", nil)
	wantText(t, resp, http.StatusOK, web.MsgVerifyDone)

	// The link works once.
	resp = b.Get(t, link)
	wantText(t, resp, http.StatusBadRequest, web.MsgVerifyInvalid)
	form, _ := servertest.HiddenFields(page, "/verify-email")
	resp = b.PostForm(t, f.env.URL+"/verify-email", form)
	wantText(t, resp, http.StatusBadRequest, web.MsgVerifyInvalid)

	a := b.AuthCodeFlow(t, cfg, "", "") // signed in, consent remembered: no page
	tok, err = cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatal(err)
	}
	if _, c := verifyIDToken(t, f.env, f.clientID, idToken(tok)); c.EmailVerified == nil || !*c.EmailVerified {
		t.Errorf("after following the link: email_verified %v, want true", c.EmailVerified)
	}
}

// loginFlow returns the flow the login page resp carries.
func loginFlow(t *testing.T, resp *http.Response) string {
	t.Helper()
	form, ok := servertest.HiddenFields(servertest.ReadBody(t, resp), "/login")
	if !ok || form.Get("flow") == "" {
		t.Fatal("no flow on the login page")
	}
	return form.Get("flow")
}

// TestRegistrationValidation: each broken rule is shown beside its field,
// what was typed is kept except the password, and nothing is created.
func TestRegistrationValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	tests := []struct {
		name                  string
		email, password, full string
		want                  []string
	}{
		{"bad email", "bob@", bobPassword, bobName, []string{web.MsgEmailInvalid}},
		{"short password", bobEmail, "short", bobName, []string{web.MsgPasswordShort}},
		{"73-byte password", bobEmail, strings.Repeat("é", 36) + "x", bobName, []string{web.MsgPasswordLong}},
		{"common password", bobEmail, "Password123", bobName, []string{web.MsgPasswordCommon}},
		{"no name", bobEmail, bobPassword, "   ", []string{web.MsgNameRequired}},
		{"everything", "nope", "pw!7", "", []string{web.MsgEmailInvalid, web.MsgPasswordShort, web.MsgNameRequired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.Get(t, f.env.URL+"/register")
			resp = submit(t, f.env, b, resp, "/register", url.Values{"email": {tt.email}, "password": {tt.password}, "name": {tt.full}})
			wantText(t, resp, http.StatusBadRequest, tt.want...)
			body := bodyOf(t, resp)
			if strings.TrimSpace(tt.email) != "" && !strings.Contains(body, `value="`+htmlEscape(tt.email)+`"`) {
				t.Errorf("the email typed was not kept")
			}
			if strings.TrimSpace(tt.full) != "" && !strings.Contains(body, `value="`+htmlEscape(tt.full)+`"`) {
				t.Errorf("the name typed was not kept")
			}
			if strings.Contains(body, htmlEscape(tt.password)) {
				t.Errorf("the password was echoed")
			}
			if strings.Count(body, `aria-invalid="true"`) != len(tt.want) {
				t.Errorf("want %d fields marked invalid:\n%s", len(tt.want), body)
			}
		})
	}
	// Names no store keeps as typed: a friendly 400, never a 500.
	for _, name := range []string{"Bob\x00", "Bob\xff", "Bob\nSmith"} {
		resp := b.Get(t, f.env.URL+"/register")
		resp = submit(t, f.env, b, resp, "/register", url.Values{"email": {bobEmail}, "password": {bobPassword}, "name": {name}})
		wantText(t, resp, http.StatusBadRequest, web.MsgNameInvalid)
	}
	if _, err := f.env.Store.GetUserByEmail(t.Context(), bobEmail); err == nil {
		t.Error("an invalid registration created an account")
	}

	t.Run("duplicate email", func(t *testing.T) {
		before, err := f.env.Store.GetUserByEmail(t.Context(), aliceEmail)
		if err != nil {
			t.Fatal(err)
		}
		resp := b.Get(t, f.env.URL+"/register")
		resp = submit(t, f.env, b, resp, "/register", url.Values{"email": {"ALICE@example.com"}, "password": {"another fine password"}, "name": {"Mallory"}})
		wantText(t, resp, http.StatusBadRequest, web.MsgEmailTaken)
		after, _ := f.env.Store.GetUserByEmail(t.Context(), aliceEmail)
		if !bytes.Equal(before.PasswordHash, after.PasswordHash) || after.Name != before.Name || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Error("the existing account changed")
		}
		if _, err := f.env.Server.Accounts.Authenticate(t.Context(), aliceEmail, alicePassword); err != nil {
			t.Errorf("Alice can no longer sign in: %v", err)
		}
	})
}

// TestRegistrationClosed: with registration.enabled false the page and
// the form post answer 404 with a friendly text, and the login page has no
// "create account" link.
func TestRegistrationClosed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Registration.Enabled = false }))
	b := f.env.NewBrowser(t)
	wantText(t, b.Get(t, f.env.URL+"/register"), http.StatusNotFound, web.MsgRegistrationClosed)
	token := csrfToken(t, b, f.env.URL+"/login", "/login")
	resp := b.PostForm(t, f.env.URL+"/register", url.Values{"csrf_token": {token}, "email": {bobEmail}, "password": {bobPassword}, "name": {bobName}})
	wantText(t, resp, http.StatusNotFound, web.MsgRegistrationClosed)
	if _, err := f.env.Store.GetUserByEmail(t.Context(), bobEmail); err == nil {
		t.Error("account created while registration is closed")
	}
	if strings.Contains(bodyOf(t, b.Get(t, f.env.URL+"/login")), `href="/register`) {
		t.Error("login page links to a closed registration")
	}
}

// csrfToken loads page and returns the csrf_token of its form to action.
func csrfToken(t *testing.T, b *servertest.Browser, page, action string) string {
	t.Helper()
	form, ok := servertest.HiddenFields(servertest.ReadBody(t, b.Get(t, page)), action)
	if !ok || form.Get("csrf_token") == "" {
		t.Fatalf("no csrf_token on %s", page)
	}
	return form.Get("csrf_token")
}

// TestRequireVerifiedEmail: with require_verified_email a new account
// cannot sign in until the link is followed; the login page says so and
// offers a new link.
func TestRequireVerifiedEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Registration.RequireVerifiedEmail = true }))
	b := f.env.NewBrowser(t)
	resp := submit(t, f.env, b, b.Get(t, f.env.URL+"/register"), "/register", url.Values{"email": {bobEmail}, "password": {bobPassword}, "name": {bobName}})
	wantText(t, resp, http.StatusOK, web.MsgVerifySent)
	if got := bodyOf(t, b.Get(t, f.env.URL+"/account")); !strings.Contains(got, `action="/login"`) {
		t.Error("registration signed the person in before the email was confirmed")
	}

	resp = submit(t, f.env, b, b.Get(t, f.env.URL+"/login"), "/login", url.Values{"email": {bobEmail}, "password": {bobPassword}})
	wantText(t, resp, http.StatusForbidden, web.MsgEmailNotVerified, "Send the link again")
	// Nor does the password grant give it tokens.
	passwordGrant := func() apiResponse {
		return post(t, f.env, "/oauth2/token", url.Values{
			"grant_type": {"password"}, "username": {bobEmail}, "password": {bobPassword},
			"scope": {"openid email"}, "client_id": {f.clientID}, "client_secret": {f.secret},
		}, "", "")
	}
	if r := passwordGrant(); r.Status != http.StatusBadRequest || r.JSON["error"] != "invalid_grant" {
		t.Errorf("password grant for an unconfirmed address: %d %v, want 400 invalid_grant", r.Status, r.JSON["error"])
	}
	resp = submit(t, f.env, b, resp, "/verify-email/resend", nil)
	wantText(t, resp, http.StatusOK, web.MsgVerifyResent)
	mails := outbox(t, f.env, bobEmail, 2)

	// The second link works (the first is still valid too).
	resp = b.Get(t, mailLink(t, f.env, mails[1], "/verify-email"))
	wantText(t, submit(t, f.env, b, resp, "/verify-email", nil), http.StatusOK, web.MsgVerifyDone)
	resp = submit(t, f.env, b, b.Get(t, f.env.URL+"/login"), "/login", url.Values{"email": {bobEmail}, "password": {bobPassword}})
	wantText(t, resp, http.StatusOK, "Signed in")
	if r := passwordGrant(); r.Status != http.StatusOK {
		t.Errorf("password grant once the address is confirmed: %d %s", r.Status, r.Body)
	}

	events, err := f.env.Store.ListAuditEvents(context.Background(), storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Type+"/"+e.Outcome] = true
	}
	for _, want := range []string{"user.registered/success", "login.failure/denied", "user.email_verified/success", "login.success/success"} {
		if !seen[want] {
			t.Errorf("no audit event %s in %v", want, seen)
		}
	}
}
