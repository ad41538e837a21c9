package web_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestBrowserSignInWithUpstream clicks "Sign in with Corp SSO" in headless
// Chromium: Gatehouse A (127.0.0.1) sends the browser to Gatehouse B
// (127.0.0.2), the person signs in and consents there, comes back to A
// signed in, consents to the app (127.0.0.3) and the app gets a code that
// redeems for the upstream person's ID token.
func TestBrowserSignInWithUpstream(t *testing.T) {
	ctx := servertest.Chrome(t)
	b := servertest.Start(t, servertest.WithHost("127.0.0.2"))
	b.CreateUser(t, bobEmail, bobPassword, "Bob Upstream")
	secret := servertest.RandomString(t)
	a := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Providers = []server.ProviderConfig{{ID: "corp", Type: "oidc", Name: "Corp SSO", Issuer: b.URL, ClientID: "gatehouse-a", ClientSecret: secret}}
	}))
	b.CreateClient(t, clients.Spec{ID: "gatehouse-a", Secret: secret, RedirectURIs: []string{a.URL + "/login/corp/callback"}})

	app := servertest.StartApp(t, "127.0.0.3")
	callback := app.Callback
	id, sec := a.CreateClient(t, clients.Spec{ID: "browser-app", Name: "Browser App", RedirectURIs: []string{callback}})
	cfg := a.OAuth2Config(id, sec, callback, "openid", "email", "profile")
	verifier, state := oauth2.GenerateVerifier(), servertest.RandomString(t)
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))

	err := chromedp.Do(ctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.CSS("a.upstream")),
		chromedp.Click(chromedp.CSS("a.upstream")),
		// B's login page, which has no upstream buttons.
		chromedp.WaitNotPresent(chromedp.CSS("a.upstream")),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("email"), bobEmail),
		chromedp.SendKeys(chromedp.ID("password"), bobPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		// B's consent page, for Gatehouse A (its client id: no name).
		chromedp.WaitVisible(chromedp.Search(`//*[contains(text(), "gatehouse-a")]`)),
		chromedp.Click(chromedp.CSS("button[value=allow]")),
		// Back at A, signed in: A's consent page, for the app.
		chromedp.WaitVisible(chromedp.Search(`//*[contains(text(), "Browser App")]`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(loc); u.Host != a.HTTP.Listener.Addr().String() || u.Path != "/consent" {
		t.Fatalf("after the upstream login the browser is at %s, want A's consent page", loc)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button[value=allow]")), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatalf("consent at A: %v", err)
	}
	q := app.Received(t)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("app callback %v", q)
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	user, err := a.Store.GetUserByEmail(context.Background(), bobEmail)
	if err != nil {
		t.Fatalf("no user at A: %v", err)
	}
	if tok.Extra("id_token") == nil {
		t.Fatal("no id_token")
	}
	ids, err := a.Store.ListIdentities(context.Background(), user.ID)
	if err != nil || len(ids) != 1 || ids[0].Provider != "corp" {
		t.Errorf("identities %+v, %v", ids, err)
	}
}
