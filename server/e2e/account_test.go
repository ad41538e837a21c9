package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// TestAccountNeedsSignIn: /account sends a stranger to sign in and back;
// return_to only ever leads to a path on this server.
func TestAccountNeedsSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	resp := b.Get(t, f.env.URL+"/account")
	if resp.Request.URL.Path != "/login" || resp.Request.URL.Query().Get("return_to") != "/account" {
		t.Fatalf("landed on %s, want /login?return_to=/account", resp.Request.URL)
	}
	resp = submit(t, f.env, b, resp, "/login", url.Values{"email": {aliceEmail}, "password": {alicePassword}})
	wantText(t, resp, http.StatusOK, "Your account", aliceName)
	if resp.Request.URL.Path != "/account" {
		t.Errorf("after login at %s", resp.Request.URL)
	}

	for _, evil := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "\t//evil.example"} {
		b := f.env.NewBrowser(t)
		page := b.Get(t, f.env.URL+"/login?"+url.Values{"return_to": {evil}}.Encode())
		if strings.Contains(bodyOf(t, page), `name="return_to"`) {
			t.Errorf("return_to %q kept on the page", evil)
		}
		form, _ := servertest.HiddenFields(servertest.ReadBody(t, page), "/login")
		form.Set("return_to", evil)
		form.Set("email", aliceEmail)
		form.Set("password", alicePassword)
		resp := b.PostForm(t, f.env.URL+"/login", form)
		if loc := resp.Header.Get("Location"); loc != "" || resp.Request.URL.Host != strings.TrimPrefix(f.env.URL, "http://") {
			t.Errorf("return_to %q: redirected to %q (%s)", evil, loc, resp.Request.URL)
		}
		wantText(t, resp, http.StatusOK, "Signed in")
	}
}

// TestAccountActions: profile, password, apps, sessions and linked
// identities, each through its form.
func TestAccountActions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	b := f.env.NewBrowser(t)
	tok, _ := f.codeTokensIn(t, b, "openid", "offline_access")
	otherBrowser := f.env.NewBrowser(t)
	f.codeTokensIn(t, otherBrowser, "openid")
	account := func() *http.Response { return b.Get(t, f.env.URL+"/account") }

	t.Run("profile", func(t *testing.T) {
		wantText(t, submit(t, f.env, b, account(), "/account/profile", url.Values{"name": {"  "}}), http.StatusBadRequest, web.MsgNameRequired)
		wantText(t, submit(t, f.env, b, account(), "/account/profile", url.Values{"name": {"Alice\x00"}}), http.StatusBadRequest, web.MsgNameInvalid)
		wantText(t, submit(t, f.env, b, account(), "/account/profile", url.Values{"name": {"Alice Pleasance"}}), http.StatusOK, web.MsgProfileSaved, "Alice Pleasance")
		if u, _ := f.env.Store.GetUser(ctx, f.user.ID); u.Name != "Alice Pleasance" {
			t.Errorf("name %q", u.Name)
		}
	})
	t.Run("apps", func(t *testing.T) {
		resp := account()
		wantText(t, resp, http.StatusOK, "Example App", "Stay signed in to this app (refresh tokens)")
		wantText(t, submit(t, f.env, b, resp, "/account/apps/revoke", url.Values{"client_id": {f.clientID}}), http.StatusOK, web.MsgAppRevoked)
		if _, err := f.env.Store.GetConsent(ctx, f.user.ID, f.clientID); err == nil {
			t.Error("consent still there")
		}
		if _, err := f.refresh(t, tok.RefreshToken); err == nil {
			t.Error("the app's refresh token still works")
		}
		authURL, _ := f.authURL(t, []string{"openid"})
		if resp := b.Authorize(t, authURL); !servertest.OnPage(resp, "/consent") {
			t.Errorf("next authorization at %s, want the consent page", resp.Request.URL)
		}
	})
	t.Run("sessions", func(t *testing.T) {
		resp := account()
		body := bodyOf(t, resp)
		if !strings.Contains(body, "This browser") || !strings.Contains(body, "Another browser") {
			t.Fatalf("sessions not listed:\n%s", body)
		}
		// The other browser's form is the one not marked current.
		page := servertest.ReadBody(t, resp)
		handle := otherSessionHandle(string(page))
		if handle == "" {
			t.Fatalf("no other session on the page")
		}
		form, _ := servertest.HiddenFields(page, "/account/sessions/revoke")
		form.Set("session", handle)
		wantText(t, b.PostForm(t, f.env.URL+"/account/sessions/revoke", form), http.StatusOK, web.MsgSessionRevoked)
		if signedIn(t, f, otherBrowser) {
			t.Error("the other browser is still signed in")
		}
		if !signedIn(t, f, b) {
			t.Error("this browser was signed out")
		}
	})
	t.Run("password", func(t *testing.T) {
		f.codeTokensIn(t, otherBrowser, "openid")
		before, _ := f.codeTokensIn(t, otherBrowser, "openid", "offline_access")
		wantText(t, submit(t, f.env, b, account(), "/account/password", url.Values{"current_password": {"wrong one here"}, "new_password": {"a fresh passphrase"}}),
			http.StatusBadRequest, web.MsgCurrentPassword)
		wantText(t, submit(t, f.env, b, account(), "/account/password", url.Values{"current_password": {alicePassword}, "new_password": {"12345678"}}),
			http.StatusBadRequest, web.MsgPasswordCommon)
		wantText(t, submit(t, f.env, b, account(), "/account/password", url.Values{"current_password": {alicePassword}, "new_password": {"a fresh passphrase"}}),
			http.StatusOK, web.MsgPasswordChanged)
		if _, err := f.env.Server.Accounts.Authenticate(ctx, aliceEmail, "a fresh passphrase"); err != nil {
			t.Errorf("new password refused: %v", err)
		}
		if signedIn(t, f, otherBrowser) {
			t.Error("the other session survived the password change")
		}
		if !signedIn(t, f, b) {
			t.Error("this session was ended")
		}
		// A refresh token obtained before the change is revoked with it.
		if _, err := f.refresh(t, before.RefreshToken); err == nil {
			t.Error("a refresh token from before the password change still works")
		}
	})
	t.Run("identities", func(t *testing.T) {
		now := time.Now()
		for _, id := range []storage.Identity{
			{Provider: "google", Subject: "g-1", UserID: f.user.ID, Email: "alice@gmail.example", CreatedAt: now, LastLoginAt: now},
		} {
			if err := f.env.Store.CreateIdentity(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		resp := account()
		wantText(t, resp, http.StatusOK, "Linked sign-ins", "alice@gmail.example")
		wantText(t, submit(t, f.env, b, resp, "/account/identities/unlink", url.Values{"provider": {"google"}, "subject": {"g-1"}}), http.StatusOK, web.MsgIdentityRemoved)
		if ids, _ := f.env.Store.ListIdentities(ctx, f.user.ID); len(ids) != 0 {
			t.Errorf("identities %v", ids)
		}
	})
	wantAudit(t, f.env, []string{"user.profile_updated/success", "consent.revoked/success", "session.revoked/success",
		"user.password_changed/failure", "user.password_changed/success", "identity.unlinked/success", "consent.granted/success"},
		alicePassword, "a fresh passphrase", "wrong one here")
}

// TestUnlinkOnlySignInMethod: a person without a password cannot unlink
// their only upstream identity; with two, one may go.
func TestUnlinkOnlySignInMethod(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	b := f.env.NewBrowser(t)
	f.codeTokensIn(t, b, "openid")
	if err := f.env.Store.UpdateUser(ctx, f.user.ID, func(u *storage.User) error { u.PasswordHash = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	link := func(p, s string) {
		if err := f.env.Store.CreateIdentity(ctx, storage.Identity{Provider: p, Subject: s, UserID: f.user.ID, CreatedAt: now, LastLoginAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	unlink := func(p, s string) *http.Response {
		// Posted directly: the page shows no button for the last one.
		token := csrfToken(t, b, f.env.URL+"/account", "/account/profile")
		return b.PostForm(t, f.env.URL+"/account/identities/unlink", url.Values{"csrf_token": {token}, "provider": {p}, "subject": {s}})
	}
	link("github", "42")
	resp := b.Get(t, f.env.URL+"/account")
	wantText(t, resp, http.StatusOK, "Your only way to sign in", "Set a password")
	wantText(t, unlink("github", "42"), http.StatusConflict, web.MsgIdentityLast)
	link("google", "g-7")
	wantText(t, unlink("github", "42"), http.StatusOK, web.MsgIdentityRemoved)
	wantText(t, unlink("google", "g-7"), http.StatusConflict, web.MsgIdentityLast)
	if ids, _ := f.env.Store.ListIdentities(ctx, f.user.ID); len(ids) != 1 {
		t.Errorf("%d identities, want 1", len(ids))
	}
}

// otherSessionHandle returns the handle of a session on the account page
// that is not this browser's.
func otherSessionHandle(page string) string {
	for _, item := range strings.Split(page, "<li>") {
		_, rest, ok := strings.Cut(item, `name="session" value="`)
		if ok && !strings.Contains(item, "This browser") {
			return rest[:strings.Index(rest, `"`)]
		}
	}
	return ""
}
