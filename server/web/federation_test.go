package web_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/providers/providertest"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// These tests use a fake OpenID Connect upstream (providertest.OIDC) where
// an ID token must be broken on purpose (nonce, audience, expiry) or the
// upstream must misbehave (deny, hang, be down).

var carol = providertest.Person{Subject: "carol-1", Email: "carol@fake.example", EmailVerified: true, Name: "Carol"}

// withFake starts a fake upstream and A with it as provider "fake".
func withFake(t *testing.T, edit ...func(*server.Config)) (*gatehouse, *providertest.OIDC) {
	t.Helper()
	up := providertest.NewOIDC(t, "gatehouse-a", servertest.RandomString(t), carol)
	a := startGatehouse(t, []server.ProviderConfig{{
		ID: "fake", Type: "oidc", Name: "Fake IdP", Issuer: up.URL, ClientID: up.ClientID, ClientSecret: up.ClientSecret,
	}}, edit...)
	return a, up
}

func TestFakeUpstreamLoginPageAndSignIn(t *testing.T) {
	a, _ := withFake(t)
	br := a.browser(t, false)
	resp, rq := a.startLogin(t, br, "fake")
	claims := a.finish(t, br, resp, rq)
	if claims.Email != carol.Email || claims.Name != "Carol" {
		t.Errorf("claims %+v", claims)
	}
	// The button text on the login page.
	page := servertest.ReadBody(t, br.Get(t, a.URL+"/login"))
	if !strings.Contains(string(page), "Sign in with Fake IdP") {
		t.Errorf("login page lacks the button text:\n%s", page)
	}
}

func TestBadIDTokensEndOnAFriendlyPage(t *testing.T) {
	for name, edit := range map[string]func(map[string]any){
		"wrong nonce":    func(c map[string]any) { c["nonce"] = "a-nonce-from-another-login" },
		"wrong audience": func(c map[string]any) { c["aud"] = "another-client" },
		"expired": func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		},
	} {
		t.Run(name, func(t *testing.T) {
			a, up := withFake(t)
			up.EditClaims(edit)
			before := a.userCount(t)
			resp, _ := a.startLogin(t, a.browser(t, false), "fake")
			expectRefused(t, resp, http.StatusBadRequest, web.MsgUpstreamFailed)
			a.expectFailureAudit(t, "fake", "invalid_identity")
			if got := a.userCount(t); got != before {
				t.Errorf("%d users, want %d", got, before)
			}
		})
	}
}

func TestUpstreamAccessDenied(t *testing.T) {
	a, up := withFake(t)
	up.Deny()
	resp, _ := a.startLogin(t, a.browser(t, false), "fake")
	expectRefused(t, resp, http.StatusForbidden, web.MsgUpstreamDenied)
	a.expectFailureAudit(t, "fake", "access_denied")
	if ev := a.events(t, "upstream.failure"); ev[0].ClientID != "app" {
		t.Errorf("failure event client %q, want app", ev[0].ClientID)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	a, up := withFake(t, func(c *server.Config) { c.Providers[0].Timeout = server.Duration(time.Second) })
	up.Hang()
	resp, _ := a.startLogin(t, a.browser(t, false), "fake")
	expectRefused(t, resp, http.StatusBadGateway, web.MsgUpstreamUnavailable)
	a.expectFailureAudit(t, "fake", "unavailable")
}

// An upstream that is down does not stop Gatehouse from starting: its
// button fails with a friendly page, and works once the upstream is back.
func TestUpstreamDownAtStart(t *testing.T) {
	up := providertest.NewOIDC(t, "gatehouse-a", servertest.RandomString(t), carol)
	up.SetDown(true)
	a := startGatehouse(t, []server.ProviderConfig{{ID: "fake", Type: "oidc", Issuer: up.URL, ClientID: up.ClientID, ClientSecret: up.ClientSecret}})
	br := a.browser(t, false)
	resp, _ := a.startLogin(t, br, "fake")
	expectRefused(t, resp, http.StatusBadGateway, web.MsgUpstreamUnavailable)
	a.expectFailureAudit(t, "fake", "unavailable")

	up.SetDown(false)
	resp, rq := a.startLogin(t, br, "fake")
	if claims := a.finish(t, br, resp, rq); claims.Email != carol.Email {
		t.Errorf("claims %+v", claims)
	}
}

func TestUnreachableUpstreamAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there
	a := startGatehouse(t, []server.ProviderConfig{{ID: "gone", Type: "oidc", Issuer: issuer, ClientID: "x", ClientSecret: "y"}})
	resp, _ := a.startLogin(t, a.browser(t, false), "gone")
	expectRefused(t, resp, http.StatusBadGateway, web.MsgUpstreamUnavailable)
}

func TestTamperedAndReplayedState(t *testing.T) {
	a, _ := withFake(t)
	br := a.browser(t, true)
	resp, _ := a.startLogin(t, br, "fake")
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasSuffix(back.Path, "/login/fake/callback") {
		t.Fatalf("expected the redirect back to Gatehouse, got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := back.Query()
	q.Set("state", q.Get("state")+"x")
	tampered := *back
	tampered.RawQuery = q.Encode()
	before := a.userCount(t)
	expectRefused(t, br.Get(t, tampered.String()), http.StatusBadRequest, web.MsgUpstreamExpired)
	a.expectFailureAudit(t, "fake", "bad_state")

	// The pending login was used up by the tampered callback: the genuine
	// one is now refused too.
	expectRefused(t, br.Get(t, back.String()), http.StatusBadRequest, web.MsgUpstreamExpired)
	if got := a.userCount(t); got != before {
		t.Errorf("%d users, want %d", got, before)
	}
}

func TestReplayedCallbackAfterSuccess(t *testing.T) {
	a, _ := withFake(t)
	br := a.browser(t, true)
	resp, _ := a.startLogin(t, br, "fake")
	back := resp.Header.Get("Location")
	if resp = br.Get(t, back); !servertest.OnPage(resp, "/consent") {
		t.Fatalf("callback: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	expectRefused(t, br.Get(t, back), http.StatusBadRequest, web.MsgUpstreamExpired)
	// Another browser replaying the URL has no pending login at all.
	expectRefused(t, a.browser(t, true).Get(t, back), http.StatusBadRequest, web.MsgUpstreamExpired)
}

func TestRegistrationDisabled(t *testing.T) {
	a, _ := withFake(t, func(c *server.Config) { c.Registration.Enabled = false })
	before := a.userCount(t)
	resp, _ := a.startLogin(t, a.browser(t, false), "fake")
	expectRefused(t, resp, http.StatusForbidden, web.MsgUpstreamNoAccount)
	a.expectFailureAudit(t, "fake", "registration_closed")
	if got := a.userCount(t); got != before {
		t.Errorf("%d users, want %d", got, before)
	}

	// An existing account still links.
	local := a.CreateUser(t, carol.Email, "local password 12", "Carol Local")
	br := a.browser(t, false)
	resp, rq := a.startLogin(t, br, "fake")
	if claims := a.finish(t, br, resp, rq); claims.Subject != local.ID {
		t.Errorf("signed in %s, want %s", claims.Subject, local.ID)
	}
}

func TestDisabledUserRefused(t *testing.T) {
	a, _ := withFake(t)
	br := a.browser(t, false)
	resp, rq := a.startLogin(t, br, "fake")
	claims := a.finish(t, br, resp, rq)
	ctx := context.Background()
	if err := a.Store.UpdateUser(ctx, claims.Subject, func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	resp, _ = a.startLogin(t, a.browser(t, false), "fake")
	expectRefused(t, resp, http.StatusForbidden, web.MsgUpstreamAccountDisabled)
	a.expectFailureAudit(t, "fake", "account_disabled")
}

// A local account whose own email is unverified is not linked: whoever
// registered it may not own the address.
func TestLocalAccountWithUnverifiedEmailIsNotLinked(t *testing.T) {
	a, _ := withFake(t)
	local, err := a.Server.Accounts.CreateUser(context.Background(), accounts.NewUser{
		Email: carol.Email, Password: "local password 12", Name: "Carol Local", EmailVerified: false,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := a.startLogin(t, a.browser(t, false), "fake")
	expectRefused(t, resp, http.StatusForbidden, web.MsgUpstreamAccountUnverified)
	a.expectFailureAudit(t, "fake", "account_email_unverified")
	if ids, _ := a.Store.ListIdentities(context.Background(), local.ID); len(ids) != 0 {
		t.Errorf("identities %+v, want none", ids)
	}
}

// A provider configured with link_by_email: false never links to an
// existing account by email, even a verified one; a new address still
// gets an account.
func TestLinkByEmailOff(t *testing.T) {
	off := false
	a, _ := withFake(t, func(c *server.Config) { c.Providers[0].LinkByEmail = &off })
	local, err := a.Server.Accounts.CreateUser(context.Background(), accounts.NewUser{
		Email: carol.Email, Password: "local password 12", Name: "Carol Local", EmailVerified: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := a.startLogin(t, a.browser(t, false), "fake")
	expectRefused(t, resp, http.StatusForbidden, web.MsgUpstreamAccountExists)
	a.expectFailureAudit(t, "fake", "email_linking_off")
	if ids, _ := a.Store.ListIdentities(context.Background(), local.ID); len(ids) != 0 {
		t.Errorf("identities %+v, want none", ids)
	}
	// Without the local account the same login creates one.
	if err := a.Store.DeleteUser(context.Background(), local.ID); err != nil {
		t.Fatal(err)
	}
	br := a.browser(t, false)
	resp, rq := a.startLogin(t, br, "fake")
	if claims := a.finish(t, br, resp, rq); claims.Email != carol.Email {
		t.Errorf("claims %+v", claims)
	}
}

// Without an authorization request, the upstream login ends on the
// signed-in page.
func TestUpstreamLoginWithoutFlow(t *testing.T) {
	a, _ := withFake(t)
	br := a.browser(t, false)
	resp := br.Get(t, a.URL+"/login/fake")
	body := string(servertest.ReadBody(t, resp))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, carol.Email) {
		t.Fatalf("got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
}

func TestUnknownProviderAndStrayCallback(t *testing.T) {
	a, _ := withFake(t)
	br := a.browser(t, false)
	expectRefused(t, br.Get(t, a.URL+"/login/nope"), http.StatusNotFound, web.MsgNotFound)
	expectRefused(t, br.Get(t, a.URL+"/login/nope/callback?code=x&state=y"), http.StatusNotFound, web.MsgNotFound)
	expectRefused(t, br.Get(t, a.URL+"/login/fake/callback?code=x&state=y"), http.StatusBadRequest, web.MsgUpstreamExpired)
	expectRefused(t, br.Get(t, a.URL+"/login/fake?flow=client_id%3Dnobody"), http.StatusBadRequest, web.MsgInvalidRequest)
}

// prompt=login in the app's request asks the upstream for a fresh login.
func TestPromptLoginReachesTheUpstream(t *testing.T) {
	a, up := withFake(t)
	br := a.browser(t, true)
	stop := &http.Client{Jar: br.Client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authURL := a.app.AuthCodeURL(servertest.RandomString(t),
		oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "login"))
	resp := br.Get(t, authURL)
	href := upstreamLink(t, servertest.ReadBody(t, resp), "fake")
	r2, err := stop.Get(a.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	loc, _ := url.Parse(r2.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), up.URL+"/auth") || loc.Query().Get("prompt") != "login" {
		t.Errorf("upstream login URL %s, want prompt=login", loc)
	}
}

// An upstream login started with a local return_to (as from /account)
// comes back there; anything but a local path is ignored.
func TestUpstreamLoginReturnTo(t *testing.T) {
	a, _ := withFake(t)
	// The login page's button keeps the page's return_to.
	page := servertest.ReadBody(t, a.browser(t, false).Get(t, a.URL+"/login?return_to=%2Faccount"))
	if !strings.Contains(string(page), `href="/login/fake?return_to=%2faccount"`) && !strings.Contains(string(page), `href="/login/fake?return_to=%2Faccount"`) {
		t.Errorf("the upstream button drops return_to:\n%s", page)
	}
	for returnTo, want := range map[string]string{"/account": "/account", "//evil.example/x": "/login/fake/callback", "https://evil.example/": "/login/fake/callback"} {
		br := a.browser(t, false)
		resp := br.Get(t, a.URL+"/login/fake?return_to="+url.QueryEscape(returnTo))
		body := servertest.ReadBody(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != strings.TrimPrefix(a.URL, "http://") || resp.Request.URL.Path != want {
			t.Errorf("return_to %q: %d at %s, want 200 at %s", returnTo, resp.StatusCode, resp.Request.URL, want)
		}
		if !strings.Contains(string(body), carol.Email) {
			t.Errorf("return_to %q: the page does not show the signed-in person:\n%s", returnTo, body)
		}
	}
}

// The signed-in page leads on (account, sign out), and the account page
// names a linked sign-in as the login page's button does.
func TestSignedInPageAndLinkedSignInNames(t *testing.T) {
	a, _ := withFake(t)
	br := a.browser(t, false)
	page := string(servertest.ReadBody(t, br.Get(t, a.URL+"/login/fake")))
	for _, want := range []string{`href="/account"`, `href="/logout"`} {
		if !strings.Contains(page, want) {
			t.Errorf("signed-in page lacks %s:\n%s", want, page)
		}
	}
	account := string(servertest.ReadBody(t, br.Get(t, a.URL+"/account")))
	if !strings.Contains(account, "<strong>Fake IdP</strong>") {
		t.Errorf("account page does not name the linked sign-in Fake IdP:\n%s", account)
	}
}
