package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestConsoleAccess: the console is for signed-in admins with a second
// factor. Nobody signed in goes to the login page; a person without the
// admin role gets 403 (audited); an admin without a second factor is sent
// to set one up; one whose session lacks it is stepped up through
// /login/mfa and comes back.
func TestConsoleAccess(t *testing.T) {
	f := newFixture(t)
	env := f.env
	bob := env.CreateUser(t, bobEmail, alicePassword, "Bob")

	anon := env.NewBrowser(t)
	resp := anon.Get(t, env.URL+"/console/users")
	if !servertest.OnPage(resp, "/login") {
		t.Fatalf("signed out: %d at %s, want the login page", resp.StatusCode, resp.Request.URL)
	}
	// Signing in there leads back to the console page asked for, through
	// the second factor (set up in another browser meanwhile).
	other := env.NewBrowser(t)
	clk := fixMFAClock(env)
	secret := enrolTOTP(t, env, other, clk, aliceEmail, alicePassword)
	resp = anon.Login(t, resp, aliceEmail, alicePassword)
	resp = mfaStep(t, env, anon, resp, clk.code(t, secret))
	if !servertest.OnPage(resp, "/console/users") {
		t.Fatalf("after sign-in: %d at %s, want /console/users", resp.StatusCode, resp.Request.URL)
	}

	nonAdmin := env.NewBrowser(t)
	resp = nonAdmin.Login(t, nonAdmin.Get(t, env.URL+"/console"), bobEmail, alicePassword)
	wantText(t, resp, http.StatusForbidden, web.MsgForbidden)
	events, err := env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: audit.PermissionDenied, UserID: bob.ID})
	if err != nil || len(events) != 1 || events[0].Details["path"] != "/console" {
		t.Errorf("permission.denied events of Bob: %+v, %v", events, err)
	}

	// Carol is an admin without a second factor: sent to set one up; once
	// she has, her session carries it and the console opens.
	env.CreateUser(t, "carol@example.com", alicePassword, "Carol", "admin")
	carol := env.NewBrowser(t)
	resp = carol.Login(t, carol.Get(t, env.URL+"/console"), "carol@example.com", alicePassword)
	if !servertest.OnPage(resp, web.PathSecurity) {
		t.Fatalf("admin without a second factor: %d at %s, want %s", resp.StatusCode, resp.Request.URL, web.PathSecurity)
	}
	enrolTOTP(t, env, carol, clk, "carol@example.com", alicePassword)
	wantText(t, carol.Get(t, env.URL+"/console"), http.StatusOK, "Dashboard")

	// Dave signed in with his password; then his app was set up in
	// another browser: this session is stepped up, and comes back.
	env.CreateUser(t, "dave@example.com", alicePassword, "Dave", "admin")
	dave := env.NewBrowser(t)
	resp = dave.Login(t, dave.Get(t, env.URL+"/account"), "dave@example.com", alicePassword)
	wantText(t, resp, http.StatusOK)
	daveSecret := enrolTOTP(t, env, env.NewBrowser(t), clk, "dave@example.com", alicePassword)
	resp = dave.Get(t, env.URL+"/console/keys")
	if !servertest.OnPage(resp, web.PathLoginMFA) {
		t.Fatalf("session without a second factor: %d at %s, want %s", resp.StatusCode, resp.Request.URL, web.PathLoginMFA)
	}
	resp = mfaStep(t, env, dave, resp, clk.code(t, daveSecret))
	if !servertest.OnPage(resp, "/console/keys") {
		t.Fatalf("after the step-up: %d at %s, want /console/keys", resp.StatusCode, resp.Request.URL)
	}
}

// TestConsoleWithoutRequiredMFA: with console.require_mfa off an admin's
// password is enough; other people are still refused.
func TestConsoleWithoutRequiredMFA(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Console.RequireMFA = false }))
	b := f.env.NewBrowser(t)
	resp := b.Login(t, b.Get(t, f.env.URL+"/console"), aliceEmail, alicePassword)
	wantText(t, resp, http.StatusOK, "Dashboard")
}

// TestConsoleUsers: an admin creates a user, edits the name and roles,
// disables a user (confirmed first; their tokens stop working), ends a
// session, resets second factors, and cannot disable or demote herself;
// every change is audited with her as the actor, and a form without its
// CSRF token, or posted from another site, changes nothing.
func TestConsoleUsers(t *testing.T) {
	f := newFixture(t)
	env := f.env
	admin, clk, _ := consoleAdmin(t, f)
	bob := env.CreateUser(t, bobEmail, alicePassword, "Bob")
	tok, err := f.config("openid", "offline_access").PasswordCredentialsToken(t.Context(), bobEmail, alicePassword)
	if err != nil {
		t.Fatalf("Bob's tokens: %v", err)
	}
	bobBrowser := env.NewBrowser(t)
	bobBrowser.Login(t, bobBrowser.Get(t, env.URL+"/account"), bobEmail, alicePassword)

	// Create, then edit.
	resp := consoleAction(t, env, admin, "/console/users/new", "/console/users", url.Values{
		"email": {"erin@example.com"}, "name": {"Erin"}, "roles": {"user billing:read"}, "verified": {"yes"},
	})
	wantText(t, resp, http.StatusOK, "The user has been created.", "billing:read")
	erin, err := env.Store.GetUserByEmail(t.Context(), "erin@example.com")
	if err != nil || !erin.EmailVerified {
		t.Fatalf("created user: %+v, %v", erin, err)
	}
	resp = consoleAction(t, env, admin, consoleUser(erin.ID), consoleUser(erin.ID), url.Values{"name": {"Erin B."}, "roles": {"user admin"}})
	wantText(t, resp, http.StatusOK, "The user has been saved.")
	if erin, _ = env.Store.GetUser(t.Context(), erin.ID); erin.Name != "Erin B." || strings.Join(erin.Roles, " ") != "admin user" {
		t.Errorf("edited user: %+v", erin)
	}
	resp = consoleAction(t, env, admin, "/console/users/new", "/console/users", url.Values{"email": {"not an email"}, "name": {"X"}})
	wantText(t, resp, http.StatusBadRequest)

	// No CSRF token, or another site's form: refused, nothing changes.
	resp = admin.PostForm(t, env.URL+consoleUser(bob.ID)+"/disable", url.Values{"disabled": {"true"}, "confirm": {"yes"}})
	wantText(t, resp, http.StatusForbidden, web.MsgCSRF)
	page := admin.Get(t, env.URL+consoleUser(bob.ID))
	form, _ := servertest.HiddenFields(servertest.ReadBody(t, page), consoleUser(bob.ID)+"/disable")
	form.Set("confirm", "yes")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, env.URL+consoleUser(bob.ID)+"/disable", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	wantText(t, admin.Do(t, req), http.StatusForbidden)
	if b, _ := env.Store.GetUser(t.Context(), bob.ID); b.Disabled {
		t.Fatal("a refused form disabled Bob")
	}

	// Disabling asks first; confirmed, Bob's tokens stop working.
	resp = submit(t, env, admin, admin.Get(t, env.URL+consoleUser(bob.ID)), consoleUser(bob.ID)+"/disable", nil)
	wantText(t, resp, http.StatusOK, "Disable this user?")
	if b, _ := env.Store.GetUser(t.Context(), bob.ID); b.Disabled {
		t.Fatal("Bob disabled before the confirmation")
	}
	resp = submit(t, env, admin, resp, consoleUser(bob.ID)+"/disable", nil)
	wantText(t, resp, http.StatusOK, "The user has been disabled")
	if f.active(t, tok.AccessToken) {
		t.Error("Bob's access token still active after he was disabled")
	}
	if _, err := f.refresh(t, tok.RefreshToken); err == nil {
		t.Error("Bob's refresh token still works after he was disabled")
	}
	if resp := bobBrowser.Get(t, env.URL+"/account"); !servertest.OnPage(resp, "/login") {
		t.Errorf("Bob's browser still signed in: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	resp = consoleAction(t, env, admin, consoleUser(bob.ID), consoleUser(bob.ID)+"/disable", nil)
	wantText(t, resp, http.StatusOK, "The user has been enabled.")

	// Sessions: Bob signs in again; the admin ends that session.
	bobBrowser.Login(t, bobBrowser.Get(t, env.URL+"/account"), bobEmail, alicePassword)
	resp = consoleAction(t, env, admin, consoleUser(bob.ID), consoleUser(bob.ID)+"/sessions/end", nil)
	wantText(t, resp, http.StatusOK, "The session has been ended")
	if resp := bobBrowser.Get(t, env.URL+"/account"); !servertest.OnPage(resp, "/login") {
		t.Errorf("Bob's session survived: %d at %s", resp.StatusCode, resp.Request.URL)
	}

	// Second factors: Bob sets up an app; the admin removes it.
	bobSecret := enrolTOTP(t, env, env.NewBrowser(t), clk, bobEmail, alicePassword)
	_ = bobSecret
	wantText(t, admin.Get(t, env.URL+consoleUser(bob.ID)), http.StatusOK, "totp")
	resp = consoleAction(t, env, admin, consoleUser(bob.ID), consoleUser(bob.ID)+"/reset-mfa", nil)
	wantText(t, resp, http.StatusOK, "Every second factor of the user has been removed.", "No second factor.")

	// The admin cannot lock herself out.
	resp = consoleAction(t, env, admin, consoleUser(f.user.ID), consoleUser(f.user.ID)+"/disable", nil)
	wantText(t, resp, http.StatusConflict, "An admin cannot remove their own admin role, disable or delete themselves.")
	resp = consoleAction(t, env, admin, consoleUser(f.user.ID), consoleUser(f.user.ID), url.Values{"name": {aliceName}, "roles": {"user"}})
	wantText(t, resp, http.StatusConflict, "An admin cannot remove their own admin role")
	resp = consoleAction(t, env, admin, consoleUser(f.user.ID), consoleUser(f.user.ID)+"/delete", nil)
	wantText(t, resp, http.StatusConflict, "An admin cannot remove their own admin role")

	// Delete Erin.
	resp = consoleAction(t, env, admin, consoleUser(erin.ID), consoleUser(erin.ID)+"/delete", nil)
	wantText(t, resp, http.StatusOK, "The user has been deleted.")
	if _, err := env.Store.GetUser(t.Context(), erin.ID); err == nil {
		t.Error("Erin still exists")
	}

	events, err := env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{audit.UserCreated: false, audit.RolesChanged: false, audit.UserDisabled: false, audit.UserEnabled: false,
		audit.SessionRevoked: false, audit.MFARemoved: false, audit.UserDeleted: false}
	for _, e := range events {
		if _, ok := want[e.Type]; ok && e.Details["actor"] == f.user.ID {
			want[e.Type] = true
		}
	}
	for typ, seen := range want {
		if !seen {
			t.Errorf("no %s event with the admin as actor", typ)
		}
	}
}

// TestConsoleResendVerification mails a new link to an unverified user.
func TestConsoleResendVerification(t *testing.T) {
	f := newFixture(t)
	admin, _, _ := consoleAdmin(t, f)
	resp := consoleAction(t, f.env, admin, "/console/users/new", "/console/users", url.Values{
		"email": {bobEmail}, "name": {"Bob"}, "roles": {"user"},
	})
	wantText(t, resp, http.StatusOK, "email not verified")
	bob, err := f.env.Store.GetUserByEmail(t.Context(), bobEmail)
	if err != nil {
		t.Fatal(err)
	}
	resp = consoleAction(t, f.env, admin, consoleUser(bob.ID), consoleUser(bob.ID)+"/resend-verification", nil)
	wantText(t, resp, http.StatusOK, "A new verification link is on its way")
	mailLink(t, f.env, outbox(t, f.env, bobEmail, 1)[0], "/verify-email")
}

// TestConsoleClients: a client created in the console gets its secret
// shown once and works for client_credentials; settings are checked as by
// the CLI and the admin API; rotating the secret voids the old one;
// deleting ends it.
func TestConsoleClients(t *testing.T) {
	f := newFixture(t)
	env := f.env
	admin, _, _ := consoleAdmin(t, f)

	resp := consoleAction(t, env, admin, "/console/clients/new", "/console/clients", url.Values{
		"client_id": {"reports"}, "name": {"Reports"}, "grant_types": {"client_credentials"}, "scopes": {"api:read"},
	})
	wantText(t, resp, http.StatusOK, "Client created", "Copy the secret now")
	secret := secretOnPage(t, resp)
	cc := clientcredentials.Config{ClientID: "reports", ClientSecret: secret, TokenURL: env.URL + "/oauth2/token", Scopes: []string{"api:read"}}
	if _, err := cc.Token(t.Context()); err != nil {
		t.Fatalf("client_credentials with the console's client: %v", err)
	}

	// Refused settings come back with the reason and the values typed.
	resp = consoleAction(t, env, admin, consoleClient("reports"), consoleClient("reports"), url.Values{
		"name": {"Reports"}, "grant_types": {"authorization_code"}, "redirect_uris": {"http://example.com/cb"},
	})
	wantText(t, resp, http.StatusBadRequest, "http://example.com/cb")
	resp = consoleAction(t, env, admin, "/console/clients/new", "/console/clients", url.Values{"client_id": {"reports"}, "grant_types": {"client_credentials"}})
	wantText(t, resp, http.StatusConflict, "A client with this id already exists.")
	resp = consoleAction(t, env, admin, consoleClient("reports"), consoleClient("reports"), url.Values{
		"name": {"Nightly reports"}, "grant_types": {"client_credentials"}, "scopes": {"api:read api:write"}, "introspect_any": {"yes"},
	})
	wantText(t, resp, http.StatusOK, "The client has been saved.", "Nightly reports")
	c, _ := env.Store.GetClient(t.Context(), "reports")
	if c.Name != "Nightly reports" || !c.IntrospectAny || strings.Join(c.Scopes, " ") != "api:read api:write" {
		t.Errorf("saved client: %+v", c)
	}

	resp = consoleAction(t, env, admin, consoleClient("reports"), consoleClient("reports")+"/rotate-secret", nil)
	wantText(t, resp, http.StatusOK, "New secret", "The old secret no longer works.")
	newSecret := secretOnPage(t, resp)
	if _, err := cc.Token(t.Context()); err == nil {
		t.Error("the old secret still works after rotation")
	}
	cc.ClientSecret = newSecret
	if _, err := cc.Token(t.Context()); err != nil {
		t.Errorf("the new secret: %v", err)
	}

	resp = consoleAction(t, env, admin, consoleClient("reports"), consoleClient("reports")+"/delete", nil)
	wantText(t, resp, http.StatusOK, "The client has been deleted")
	if _, err := cc.Token(context.Background()); err == nil {
		t.Error("a deleted client still gets tokens")
	}
}

// TestConsoleConfigClients: a client declared in the configuration file is
// shown read-only, and the console's posts for it are refused.
func TestConsoleConfigClients(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.Clients = []server.ClientConfig{{Spec: declaredSpec()}}
	}))
	admin, _, _ := consoleAdmin(t, f)
	resp := admin.Get(t, f.env.URL+consoleClient("declared"))
	body := bodyOf(t, resp)
	if !strings.Contains(body, `id="config-managed"`) || !strings.Contains(body, "<fieldset disabled>") ||
		strings.Contains(body, `id="save-client"`) || strings.Contains(body, `id="delete-client"`) {
		t.Errorf("config client page is not read-only:\n%s", body)
	}
	form, _ := servertest.HiddenFields([]byte(body), consoleClient("declared"))
	for _, action := range []string{"", "/rotate-secret", "/delete"} {
		fields := url.Values{"csrf_token": form["csrf_token"], "confirm": {"yes"}, "name": {"Changed"}}
		resp := admin.PostForm(t, f.env.URL+consoleClient("declared")+action, fields)
		wantText(t, resp, http.StatusConflict, "declared in the configuration file")
	}
	if c, _ := f.env.Store.GetClient(t.Context(), "declared"); c.Name == "Changed" {
		t.Error("the console changed a config client")
	}
}

// TestConsoleBadInput: unknown ids and malformed input get a page, never
// a server error.
func TestConsoleBadInput(t *testing.T) {
	f := newFixture(t)
	admin, _, _ := consoleAdmin(t, f)
	for _, path := range []string{"/console/users/nobody", "/console/users/%FF%00", "/console/clients/nobody", "/console/clients/%FF"} {
		if resp := admin.Get(t, f.env.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	for _, q := range []string{"page=-1", "page=abc", "q=%00", "q=%FF"} {
		for _, list := range []string{"/console/users?", "/console/clients?", "/console/audit?"} {
			if resp := admin.Get(t, f.env.URL+list+q); resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s%s: %d", list, q, resp.StatusCode)
			}
		}
	}
	for _, q := range []string{"type=%00", "user=%FF", "client=%00"} {
		if resp := admin.Get(t, f.env.URL+"/console/audit?"+q); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /console/audit?%s: %d", q, resp.StatusCode)
		}
	}
	page := admin.Get(t, f.env.URL+"/console/users/new")
	form, _ := servertest.HiddenFields(servertest.ReadBody(t, page), "/console/users")
	for _, action := range []string{"/console/users/nobody", "/console/users/nobody/disable", "/console/users/nobody/delete", "/console/users/nobody/sessions/end",
		"/console/clients/nobody", "/console/clients/nobody/delete", "/console/clients/nobody/rotate-secret"} {
		fields := url.Values{"csrf_token": form["csrf_token"], "confirm": {"yes"}, "name": {"x\x00"}, "sid": {"\xff"}}
		if resp := admin.PostForm(t, f.env.URL+action, fields); resp.StatusCode >= 500 {
			t.Errorf("POST %s: %d", action, resp.StatusCode)
		}
	}
}

// TestConsoleEndSessionBackchannel: ending a session from the console
// ends it as a logout does: the app signed in through it gets a logout
// token for that sid, and the session's refresh token stops working.
func TestConsoleEndSessionBackchannel(t *testing.T) {
	l := newRPListener(t, 0)
	f, id, sec := bclFixture(t, l)
	rt, _, sid := rpSignIn(t, f, f.env.NewBrowser(t), id, sec)
	admin, _, _ := consoleAdmin(t, f)
	resp := consoleAction(t, f.env, admin, consoleUser(f.user.ID), consoleUser(f.user.ID)+"/sessions/end", url.Values{"sid": {sid}})
	wantText(t, resp, http.StatusOK, "The session has been ended")
	verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
	cfg := f.env.OAuth2Config(id, sec, redirectURI, "openid", "offline_access")
	if _, err := cfg.TokenSource(t.Context(), tokenWithRefresh(rt)).Token(); err == nil {
		t.Error("the ended session's refresh token still works")
	}
	// The admin's own session goes on.
	wantText(t, admin.Get(t, f.env.URL+"/console"), http.StatusOK, "Dashboard")
}
