package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// These tests use a second Gatehouse, B on 127.0.0.2, as the upstream
// OpenID Connect provider of the Gatehouse under test, A: real discovery,
// real JWKS, real ID tokens, A registered as a client at B.

const (
	bobEmail    = "bob@corp.example"
	bobPassword = "upstream password 1"
)

// federated starts B and A, with B configured at A as provider "corp".
func federated(t *testing.T, edit ...func(*server.Config)) (a *gatehouse, b *servertest.Env) {
	t.Helper()
	b = servertest.Start(t, servertest.WithHost("127.0.0.2"))
	secret := servertest.RandomString(t)
	a = startGatehouse(t, []server.ProviderConfig{{
		ID: "corp", Type: "oidc", Name: "Corp SSO", Issuer: b.URL, ClientID: "gatehouse-a", ClientSecret: secret,
	}}, edit...)
	b.CreateClient(t, clients.Spec{ID: "gatehouse-a", Name: "Gatehouse A", Secret: secret, RedirectURIs: []string{a.callbackURL("corp")}})
	return a, b
}

// loginAtB starts an authorization request of the app at A, clicks "Sign
// in with Corp SSO", signs in at B and consents there, and returns A's
// answer to B's redirect back.
func loginAtB(t *testing.T, a *gatehouse, b *servertest.Env, br *servertest.Browser, email, password string) (*http.Response, request) {
	t.Helper()
	resp, rq := a.startLogin(t, br, "corp")
	atB := b.NewBrowser(t)
	atB.Client = br.Client // the same browser, on B's pages
	if servertest.OnPage(resp, "/login") && resp.Request.URL.Host == b.HTTP.Listener.Addr().String() {
		resp = atB.Login(t, resp, email, password)
	}
	if servertest.OnPage(resp, "/consent") && resp.Request.URL.Host == b.HTTP.Listener.Addr().String() {
		resp = atB.Consent(t, resp, "allow")
	}
	return resp, rq
}

func TestUpstreamGatehouseFirstLoginCreatesUserAndSecondFindsIt(t *testing.T) {
	a, b := federated(t)
	b.CreateUser(t, bobEmail, bobPassword, "Bob Upstream")
	before := a.userCount(t)

	br := a.browser(t, false)
	resp, rq := loginAtB(t, a, b, br, bobEmail, bobPassword)
	claims := a.finish(t, br, resp, rq)
	if claims.Email != bobEmail || !claims.EmailVerified || claims.Name != "Bob Upstream" {
		t.Errorf("A's ID token claims %+v", claims)
	}
	ctx := context.Background()
	user, err := a.Store.GetUserByEmail(ctx, bobEmail)
	if err != nil {
		t.Fatalf("no user created at A: %v", err)
	}
	if user.ID != claims.Subject || !user.EmailVerified || len(user.PasswordHash) != 0 || user.Name != "Bob Upstream" {
		t.Errorf("created user %+v (sub %s)", user, claims.Subject)
	}
	ids, err := a.Store.ListIdentities(ctx, user.ID)
	if err != nil || len(ids) != 1 || ids[0].Provider != "corp" || ids[0].Subject == "" {
		t.Fatalf("identities %+v, %v", ids, err)
	}
	for _, typ := range []string{"upstream.login", "user.registered", "identity.linked"} {
		if ev := a.events(t, typ); len(ev) != 1 || ev[0].UserID != user.ID {
			t.Errorf("%s events %+v", typ, ev)
		}
	}

	// Again, in a fresh browser: the same user, nothing new.
	br2 := a.browser(t, false)
	resp, rq = loginAtB(t, a, b, br2, bobEmail, bobPassword)
	if again := a.finish(t, br2, resp, rq); again.Subject != user.ID {
		t.Errorf("second login signed in %s, want %s", again.Subject, user.ID)
	}
	if got := a.userCount(t); got != before+1 {
		t.Errorf("%d users after two logins, want %d", got, before+1)
	}
	if ev := a.events(t, "upstream.login"); len(ev) != 2 {
		t.Errorf("%d upstream.login events, want 2", len(ev))
	}
	if ev := a.events(t, "identity.linked"); len(ev) != 1 {
		t.Errorf("%d identity.linked events, want 1", len(ev))
	}
}

func TestUpstreamGatehouseLinksVerifiedEmail(t *testing.T) {
	a, b := federated(t)
	b.CreateUser(t, bobEmail, bobPassword, "Bob Upstream")
	local := a.CreateUser(t, bobEmail, "local password 12", "Bob Local") // email verified
	before := a.userCount(t)

	br := a.browser(t, false)
	resp, rq := loginAtB(t, a, b, br, bobEmail, bobPassword)
	if claims := a.finish(t, br, resp, rq); claims.Subject != local.ID {
		t.Fatalf("signed in %s, want the local account %s", claims.Subject, local.ID)
	}
	if got := a.userCount(t); got != before {
		t.Errorf("%d users, want %d: no new account", got, before)
	}
	ids, err := a.Store.ListIdentities(context.Background(), local.ID)
	if err != nil || len(ids) != 1 || ids[0].Provider != "corp" {
		t.Fatalf("identities %+v, %v", ids, err)
	}
	if ev := a.events(t, "identity.linked"); len(ev) != 1 || ev[0].UserID != local.ID || ev[0].Details["provider"] != "corp" {
		t.Errorf("identity.linked events %+v", ev)
	}
}

func TestUpstreamGatehouseUnverifiedEmailNeverLinks(t *testing.T) {
	for _, localAccount := range []bool{true, false} {
		name := "no local account"
		if localAccount {
			name = "local account with that email"
		}
		t.Run(name, func(t *testing.T) {
			a, b := federated(t)
			if _, err := b.Server.Accounts.CreateUser(context.Background(), accounts.NewUser{
				Email: bobEmail, Password: bobPassword, Name: "Bob Unverified", EmailVerified: false,
			}); err != nil {
				t.Fatal(err)
			}
			if localAccount {
				a.CreateUser(t, bobEmail, "local password 12", "Bob Local")
			}
			before := a.userCount(t)
			resp, _ := loginAtB(t, a, b, a.browser(t, false), bobEmail, bobPassword)
			expectRefused(t, resp, http.StatusForbidden, web.MsgUpstreamEmailUnverified)
			a.expectFailureAudit(t, "corp", "email_unverified")
			if got := a.userCount(t); got != before {
				t.Errorf("%d users, want %d", got, before)
			}
			if u, err := a.Store.GetUserByEmail(context.Background(), bobEmail); err == nil {
				if ids, _ := a.Store.ListIdentities(context.Background(), u.ID); len(ids) != 0 {
					t.Errorf("identity linked to the local account: %+v", ids)
				}
			}
		})
	}
}
