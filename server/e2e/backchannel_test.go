package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// backchannelEvents returns the logout.backchannel audit events of
// clientID, oldest first.
func backchannelEvents(t *testing.T, env *servertest.Env, clientID string) []storage.AuditEvent {
	t.Helper()
	events, err := env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: "logout.backchannel", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []storage.AuditEvent
	for _, e := range events {
		if e.ClientID == clientID {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b storage.AuditEvent) int { return int(a.ID - b.ID) })
	return out
}

// waitOutcomes waits until the client's back-channel audit events have
// the outcomes want (Details["outcome"], in order) and returns them.
func waitOutcomes(t *testing.T, env *servertest.Env, clientID string, want ...string) []storage.AuditEvent {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		events := backchannelEvents(t, env, clientID)
		var got []string
		for _, e := range events {
			got = append(got, e.Details["outcome"])
		}
		if slices.Equal(got, want) {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("back-channel outcomes of %s: %v, want %v", clientID, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBackchannelLogoutToken: the ID token carries the browser session's
// sid (also after a refresh); when the person logs out at the relying
// party, the client's back-channel endpoint receives a logout token that
// verifies against the JWKS with typ logout+jwt, the claims of the
// specification, the ID token's sid and sub and no nonce; the session's
// refresh token is revoked, another session's is not; the delivery is
// audited and counted, and discovery advertises the support.
func TestBackchannelLogoutToken(t *testing.T) {
	t.Parallel()
	l := newRPListener(t, 0)
	f, id, sec := bclFixture(t, l)

	b := f.env.NewBrowser(t)
	rt, hint, sid := rpSignIn(t, f, b, id, sec)
	otherRT, _, otherSID := rpSignIn(t, f, f.env.NewBrowser(t), id, sec)
	if sid == otherSID {
		t.Fatalf("two browser sessions share the sid %q", sid)
	}
	refreshed, err := f.env.OAuth2Config(id, sec, redirectURI).TokenSource(t.Context(), tokenWithRefresh(rt)).Token()
	if err != nil {
		t.Fatal(err)
	}
	if c := jwtClaims(t, idToken(refreshed)); c["sid"] != sid {
		t.Errorf("refreshed ID token sid %v, want %q", c["sid"], sid)
	}
	rt = refreshed.RefreshToken

	resp := b.Get(t, logoutURL(f, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {loggedOutURI}}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("RP-initiated logout: %d", resp.StatusCode)
	}
	raw := l.waitSID(t, sid)
	c := verifyLogoutToken(t, f.env, raw, id)
	if c.Subject != f.user.ID {
		t.Errorf("logout token sub %q, want %q", c.Subject, f.user.ID)
	}
	if strings.Contains(raw, rt) {
		t.Error("the logout token holds the refresh token")
	}

	if _, err := f.env.OAuth2Config(id, sec, redirectURI).TokenSource(t.Context(), tokenWithRefresh(rt)).Token(); err == nil {
		t.Error("the ended session's refresh token still works")
	}
	if _, err := f.env.OAuth2Config(id, sec, redirectURI).TokenSource(t.Context(), tokenWithRefresh(otherRT)).Token(); err != nil {
		t.Errorf("the other session's refresh token: %v", err)
	}

	events := waitOutcomes(t, f.env, id, "sent")
	if e := events[0]; e.Outcome != "success" || e.UserID != f.user.ID || e.Details["sid"] != sid {
		t.Errorf("audit event %+v", e)
	}
	if v, _ := sample(scrape(t, f.env), "gatehouse_backchannel_logout_total", map[string]string{"outcome": "sent"}); v != 1 {
		t.Errorf("gatehouse_backchannel_logout_total{outcome=sent} = %v, want 1", v)
	}
	var disc map[string]any
	if err := json.Unmarshal(bodyBytes(t, b.Get(t, f.env.URL+"/.well-known/openid-configuration")), &disc); err != nil {
		t.Fatal(err)
	}
	if disc["backchannel_logout_supported"] != true || disc["backchannel_logout_session_supported"] != true {
		t.Errorf("discovery: backchannel_logout_supported %v, backchannel_logout_session_supported %v",
			disc["backchannel_logout_supported"], disc["backchannel_logout_session_supported"])
	}
	if posts, _ := l.snapshot(); len(posts) != 1 {
		t.Errorf("%d posts, want 1 (the other session is still open)", len(posts))
	}
}

// TestBackchannelLogoutEverySessionEnd: each way a browser session ends
// sends the client a logout token for that session: /logout, RP-initiated
// logout, ending it on the account page, a password change (the other
// sessions), an admin disabling the user, a password reset and an admin
// deleting the user.
func TestBackchannelLogoutEverySessionEnd(t *testing.T) {
	t.Parallel()
	l := newRPListener(t, 0)
	f, id, sec := bclFixture(t, l)
	f.env.CreateUser(t, "root@example.com", alicePassword, "Root", "admin")
	console := appLikeSpec("console")
	console.Scopes = append(console.Scopes, "gatehouse:admin")
	_, consoleSecret := f.env.CreateClient(t, console)
	admin := func(t *testing.T, method, path string, body string) {
		t.Helper()
		tok, err := f.env.OAuth2Config("console", consoleSecret, redirectURI, "openid", "gatehouse:admin").
			PasswordCredentialsToken(t.Context(), "root@example.com", alicePassword)
		if err != nil {
			t.Fatal(err)
		}
		r := send(t, f.env, method, path, "application/json", strings.NewReader(body), func(req *http.Request) {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		})
		if r.Status/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
	}

	t.Run("logout page", func(t *testing.T) {
		b := f.env.NewBrowser(t)
		_, _, sid := rpSignIn(t, f, b, id, sec)
		submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
		verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
	})
	t.Run("rp-initiated", func(t *testing.T) {
		b := f.env.NewBrowser(t)
		_, hint, sid := rpSignIn(t, f, b, id, sec)
		b.Get(t, logoutURL(f, url.Values{"id_token_hint": {hint}}))
		verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
	})
	t.Run("account page", func(t *testing.T) {
		b, other := f.env.NewBrowser(t), f.env.NewBrowser(t)
		rpSignIn(t, f, b, id, sec)
		_, _, sid := rpSignIn(t, f, other, id, sec)
		page := servertest.ReadBody(t, b.Get(t, f.env.URL+"/account"))
		form, _ := servertest.HiddenFields(page, "/account/sessions/revoke")
		form.Set("session", otherSessionHandle(string(page)))
		b.PostForm(t, f.env.URL+"/account/sessions/revoke", form)
		verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
		submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
	})
	t.Run("password change signs out the other sessions", func(t *testing.T) {
		b, other := f.env.NewBrowser(t), f.env.NewBrowser(t)
		_, _, keptSID := rpSignIn(t, f, b, id, sec)
		_, _, sid := rpSignIn(t, f, other, id, sec)
		// The same password again: the next subtests sign in with it.
		resp := submit(t, f.env, b, b.Get(t, f.env.URL+"/account"), "/account/password",
			url.Values{"current_password": {alicePassword}, "new_password": {alicePassword}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("password change: %d", resp.StatusCode)
		}
		verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
		submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
		l.waitSID(t, keptSID)
	})
	t.Run("admin disables the user", func(t *testing.T) {
		_, _, sid := rpSignIn(t, f, f.env.NewBrowser(t), id, sec)
		admin(t, http.MethodPatch, "/admin/users/"+f.user.ID, `{"disabled": true}`)
		verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
		admin(t, http.MethodPatch, "/admin/users/"+f.user.ID, `{"disabled": false}`)
	})
	t.Run("password reset", func(t *testing.T) {
		_, _, sid := rpSignIn(t, f, f.env.NewBrowser(t), id, sec)
		b := f.env.NewBrowser(t)
		submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {aliceEmail}})
		link := mailLink(t, f.env, outbox(t, f.env, aliceEmail, 1)[0], "/reset-password")
		page := servertest.ReadBody(t, b.Get(t, link))
		form, _ := servertest.HiddenFields(page, "/reset-password")
		form.Set("password", alicePassword) // the same one: the next subtest signs in with it
		if resp := b.PostForm(t, f.env.URL+"/reset-password", form); resp.StatusCode != http.StatusOK {
			t.Fatalf("reset: %d", resp.StatusCode)
		}
		verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
	})
	t.Run("admin deletes the user", func(t *testing.T) {
		_, _, sid := rpSignIn(t, f, f.env.NewBrowser(t), id, sec)
		admin(t, http.MethodDelete, "/admin/users/"+f.user.ID, "")
		c := verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)
		if c.Subject != f.user.ID {
			t.Errorf("sub %q, want the deleted user %q", c.Subject, f.user.ID)
		}
	})
}

// TestBackchannelLogoutSameUserSignsInAgain: a new login of the same
// person on the same browser (prompt=login) keeps the session's sid and
// logs no app out.
func TestBackchannelLogoutSameUserSignsInAgain(t *testing.T) {
	t.Parallel()
	l := newRPListener(t, 0)
	f, id, sec := bclFixture(t, l)
	b := f.env.NewBrowser(t)
	rt, _, sid := rpSignIn(t, f, b, id, sec)
	cfg := f.env.OAuth2Config(id, sec, redirectURI, "openid", "offline_access")
	a := b.AuthCodeFlow(t, cfg, aliceEmail, alicePassword, oauth2.SetAuthURLParam("prompt", "login"))
	tok, err := cfg.Exchange(t.Context(), a.Code, a.VerifierOption())
	if err != nil {
		t.Fatal(err)
	}
	if c := jwtClaims(t, idToken(tok)); c["sid"] != sid {
		t.Errorf("sid after signing in again %v, want %q", c["sid"], sid)
	}
	if _, err := cfg.TokenSource(t.Context(), tokenWithRefresh(rt)).Token(); err != nil {
		t.Errorf("the first refresh token after signing in again: %v", err)
	}
	// Both grants belong to the one session: logging out revokes both.
	submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
	l.waitSID(t, sid)
	if _, err := cfg.TokenSource(t.Context(), tokenWithRefresh(tok.RefreshToken)).Token(); err == nil {
		t.Error("the second grant's refresh token outlived the session")
	}
	if posts, _ := l.snapshot(); len(posts) != 1 {
		t.Errorf("%d logout posts, want 1", len(posts))
	}
}

// TestBackchannelLogoutRetries: a listener that fails twice gets the token
// on the third attempt, each attempt with its own jti; the two failures
// and the delivery are audited and counted.
func TestBackchannelLogoutRetries(t *testing.T) {
	t.Parallel()
	l := newRPListener(t, 2)
	f, id, sec := bclFixture(t, l)
	b := f.env.NewBrowser(t)
	_, _, sid := rpSignIn(t, f, b, id, sec)
	submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
	verifyLogoutToken(t, f.env, l.waitSID(t, sid), id)

	posts, _ := l.snapshot()
	if len(posts) != 3 {
		t.Fatalf("%d posts, want 3", len(posts))
	}
	jtis := map[any]bool{}
	for _, p := range posts {
		c := jwtClaims(t, p)
		jtis[c["jti"]] = true
		if c["sid"] != sid {
			t.Errorf("attempt for sid %v, want %q", c["sid"], sid)
		}
	}
	if len(jtis) != 3 {
		t.Errorf("jtis %v: want one per attempt", jtis)
	}
	events := waitOutcomes(t, f.env, id, "retry", "retry", "sent")
	if events[0].Details["status"] != "503" || events[0].Outcome != "failure" {
		t.Errorf("first failure audited as %+v", events[0])
	}
	mf := scrape(t, f.env)
	for outcome, want := range map[string]float64{"retry": 2, "sent": 1} {
		if v, _ := sample(mf, "gatehouse_backchannel_logout_total", map[string]string{"outcome": outcome}); v != want {
			t.Errorf("gatehouse_backchannel_logout_total{outcome=%s} = %v, want %v", outcome, v, want)
		}
	}
}

// TestBackchannelLogoutRefusesInternalAddresses: without allowed_hosts, a
// logout token is never posted to a loopback address, by IP or by a name
// that resolves to one (checked after DNS resolution); the refusal is
// audited and not retried.
func TestBackchannelLogoutRefusesInternalAddresses(t *testing.T) {
	t.Parallel()
	l := newRPListener(t, 0)
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.BackchannelLogout.Interval = server.Duration(50 * time.Millisecond)
	}))
	byName := strings.Replace(l.uri(), "127.0.0.1", "localhost", 1)
	b := f.env.NewBrowser(t)
	// One browser session signs in through both clients.
	for _, c := range []struct{ id, uri string }{{"by-ip", l.uri()}, {"by-name", byName}} {
		spec := appLikeSpec(c.id)
		spec.BackchannelLogoutURI = c.uri
		id, sec := f.env.CreateClient(t, spec)
		b.AuthCodeFlow(t, f.env.OAuth2Config(id, sec, redirectURI, "openid"), aliceEmail, alicePassword)
	}
	submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
	for _, id := range []string{"by-ip", "by-name"} {
		e := waitOutcomes(t, f.env, id, "refused")[0]
		if e.Outcome != "failure" || !strings.Contains(e.Details["reason"], "refused") {
			t.Errorf("%s: audited %+v", id, e)
		}
	}
	if posts, _ := l.snapshot(); len(posts) != 0 {
		t.Errorf("%d logout tokens reached a loopback listener", len(posts))
	}
	if v, _ := sample(scrape(t, f.env), "gatehouse_backchannel_logout_total", map[string]string{"outcome": "refused"}); v != 2 {
		t.Errorf("gatehouse_backchannel_logout_total{outcome=refused} = %v, want 2", v)
	}
}

// TestBackchannelLogoutSurvivesRestart: a delivery that failed while one
// server ran is sent by the next server on the same database.
func TestBackchannelLogoutSurvivesRestart(t *testing.T) {
	t.Parallel()
	l := newRPListener(t, 0)
	l.setFailing(true)
	db, sec := sharedDatabase(t), secret.Token(32)
	shared := servertest.WithConfig(func(c *server.Config) { c.Database, c.Secret = db, sec })
	f, id, clientSecret := bclFixture(t, l, shared)
	b := f.env.NewBrowser(t)
	_, _, sid := rpSignIn(t, f, b, id, clientSecret)
	submit(t, f.env, b, b.Get(t, f.env.URL+"/logout"), "/logout", nil)
	l.waitFor(t, "a first, failed attempt", func(posts, _ []string) bool { return len(posts) > 0 })
	f.env.Stop()

	l.setFailing(false)
	next := servertest.Start(t, shared, servertest.WithConfig(backchannelConfig))
	c := verifyLogoutToken(t, next, l.waitSID(t, sid), id)
	if posts, _ := l.snapshot(); len(posts) < 2 {
		t.Errorf("%d posts, want the failed ones and the delivery", len(posts))
	}
	if c.Subject != f.user.ID {
		t.Errorf("sub %q, want %q", c.Subject, f.user.ID)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		events := backchannelEvents(t, next, id)
		// The first server audited its failed attempt, unless it stopped
		// while waiting for the answer (then the attempt went back to the
		// queue uncounted).
		if n := len(events); n >= 1 && events[n-1].Details["outcome"] == "sent" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit: %+v, want the delivery sent", events)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
