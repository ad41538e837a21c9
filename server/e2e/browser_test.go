package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestBrowserAuthorizationCode drives the whole authorization-code flow in
// headless Chromium: the login and consent pages as a person sees them
// (with the browser's own CSP, cookie and redirect rules), back to an app
// on another loopback host, then the code exchange and ID-token check.
func TestBrowserAuthorizationCode(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := servertest.Start(t)

	app := servertest.StartApp(t, "127.0.0.2")
	callback := app.Callback
	id, secret := env.CreateClient(t, clients.Spec{ID: "browser-app", Name: "Browser App", RedirectURIs: []string{callback}})
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	cfg := env.OAuth2Config(id, secret, callback, "openid", "email", "profile")
	verifier := oauth2.GenerateVerifier()
	state, nonce := servertest.RandomString(t), servertest.RandomString(t)
	authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))

	err := chromedp.Do(ctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), aliceEmail),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("button[value=allow]")),
	)
	if err != nil {
		t.Fatalf("browser login: %v", err)
	}
	consentText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("read consent page: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("button[value=allow]")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if err != nil {
		t.Fatalf("browser consent: %v", err)
	}
	if !strings.Contains(consentText, "Browser App") || !strings.Contains(consentText, "Your email address") {
		t.Errorf("consent page text %q lacks the app name or the scope description", consentText)
	}
	q := app.Received(t)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, _ := verifyIDToken(t, env, id, idToken(tok))
	if idt.Nonce != nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, nonce)
	}
}
