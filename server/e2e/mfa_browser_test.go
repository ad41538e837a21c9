package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// TestBrowserTOTP: in Chromium, Alice opens the security page, sets up an
// authenticator app from the QR code (rendered, under the page's CSP) and
// the secret read off #totp-secret, makes recovery codes, then signs in to
// an app with her password and a code on /login/mfa.
func TestBrowserTOTP(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := servertest.Start(t)
	clk := fixMFAClock(env)
	app := servertest.StartApp(t, "127.0.0.2")
	id, sec := env.CreateClient(t, clients.Spec{ID: "web-app", Name: "Web App", RedirectURIs: []string{app.Callback}})
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	cfg := env.OAuth2Config(id, sec, app.Callback, "openid")

	err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/account/security"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), aliceEmail),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("add-totp")),
		chromedp.Click(chromedp.ID("add-totp")),
		chromedp.WaitVisible(chromedp.ID("totp-secret")),
	)
	if err != nil {
		t.Fatalf("enrolment page: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("totp-qr").complete`)); err != nil {
		t.Fatalf("QR code: %v", err)
	}
	qrWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("totp-qr").naturalWidth`))
	if err != nil {
		t.Fatalf("QR code: %v", err)
	}
	if qrWidth < 100 {
		t.Errorf("QR code not rendered (naturalWidth %d): the CSP must allow it", qrWidth)
	}
	secret := strings.TrimSpace(chromeText(t, ctx, "#totp-secret"))
	code, err := totp.GenerateCode(secret, clk.Now())
	if err != nil {
		t.Fatalf("secret %q off the page: %v", secret, err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/account/totp"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("new-recovery-codes")),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if got := chromeText(t, ctx, ".notice"); got != web.MsgTOTPAdded {
		t.Errorf("notice %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("new-recovery-codes")),
		chromedp.WaitVisible(chromedp.CSS(".recovery-code")),
	)
	if err != nil {
		t.Fatalf("recovery codes: %v", err)
	}
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".recovery-code").length`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/logout"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"] button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)),
	)
	if err != nil || codes != 10 {
		t.Fatalf("recovery codes (%d shown) and sign out: %v", codes, err)
	}

	clk.Step()
	verifier := browserFlow(t, ctx, cfg)
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), aliceEmail),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login/mfa"] #code`)),
	)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	code, _ = totp.GenerateCode(secret, clk.Now())
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/login/mfa"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)),
		chromedp.Click(chromedp.CSS(`button[value="allow"]`)),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if err != nil {
		t.Fatalf("second factor and consent: %v", err)
	}
	got := app.Received(t)
	tok, err := cfg.Exchange(t.Context(), got.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if c := idFactors(t, env, id, tok); c.ACR != "mfa" {
		t.Errorf("acr %q, want mfa", c.ACR)
	}
	// The account page names this browser readably, with navigation to
	// the security section.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/account"), chromedp.WaitVisible(chromedp.ID("nav-security"))); err != nil {
		t.Fatalf("account page: %v", err)
	}
	if got := chromeText(t, ctx, ".device"); got != "Chrome on Linux" {
		t.Errorf("session device %q, want Chrome on Linux", got)
	}
}
