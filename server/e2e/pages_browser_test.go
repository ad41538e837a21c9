package e2e

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/mail/smtptest"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// chromeText returns the visible text of sel.
func chromeText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// browserFlow starts an authorization in Chromium; it returns the PKCE
// verifier for the exchange.
func browserFlow(t *testing.T, ctx context.Context, cfg *oauth2.Config, extra ...oauth2.AuthCodeOption) string {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", servertest.RandomString(t))}, extra...)
	if err := chromedp.Do(ctx, chromedp.Navigate(cfg.AuthCodeURL(servertest.RandomString(t), opts...))); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	return verifier
}

// TestBrowserRegisterVerifyConsent: in Chromium, a person starts at an app,
// creates an account from the login page (seeing a validation error on the
// way), consents, and the app redeems its code; the ID token says the email
// is unverified until the mailed link (from the file outbox) is followed.
// The consent is then remembered, prompt=none works while signed in, and
// after logging out the next authorization asks for the password.
func TestBrowserRegisterVerifyConsent(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := servertest.Start(t)
	app := servertest.StartApp(t, "127.0.0.2")
	id, sec := env.CreateClient(t, clients.Spec{ID: "web-app", Name: "Web App", RedirectURIs: []string{app.Callback}})
	cfg := env.OAuth2Config(id, sec, app.Callback, "openid", "email", "profile")

	verifier := browserFlow(t, ctx, cfg)
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Click(chromedp.CSS(`a[href^="/register"]`)),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), bobName),
		chromedp.SendKeys(chromedp.ID("email"), "Bob@Example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "short"),
		chromedp.Click(chromedp.CSS(`form[action="/register"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("password-error")),
	)
	if err != nil {
		t.Fatalf("registration form: %v", err)
	}
	if got := chromeText(t, ctx, "#password-error"); got != web.MsgPasswordShort {
		t.Errorf("password error %q", got)
	}
	if kept, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("email"))); err != nil || kept != "Bob@Example.com" {
		t.Errorf("email field %q (%v), want what was typed", kept, err)
	}
	if pw, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("password"))); pw != "" {
		t.Errorf("password field kept %q", pw)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("password"), bobPassword),
		chromedp.Click(chromedp.CSS(`form[action="/register"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("button[value=allow]")),
	)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if text := chromeText(t, ctx, "main"); !strings.Contains(text, "Web App") || !strings.Contains(text, "Your email address") {
		t.Errorf("consent page %q lacks the app or a scope in words", text)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button[value=allow]")), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatalf("consent: %v", err)
	}
	if verified := exchangeVerified(t, env, cfg, id, app.Received(t), verifier); verified {
		t.Error("email_verified true before the link was followed")
	}

	link := mailLink(t, env, outbox(t, env, bobEmail, 1)[0], "/verify-email")
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS(`form[action="/verify-email"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got := chromeText(t, ctx, `p[role=status]`); got != web.MsgVerifyDone {
		t.Errorf("after verifying: %q", got)
	}

	// Remembered consent: straight back to the app.
	verifier = browserFlow(t, ctx, cfg)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatalf("second authorization: %v", err)
	}
	if verified := exchangeVerified(t, env, cfg, id, app.Received(t), verifier); !verified {
		t.Error("email_verified false after the link was followed")
	}

	// prompt=none while signed in.
	browserFlow(t, ctx, cfg, oauth2.SetAuthURLParam("prompt", "none"))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatal(err)
	}
	if q := app.Received(t); q.Get("code") == "" {
		t.Errorf("prompt=none signed in: %v", q)
	}

	// Logout, then prompt=none says login_required and a plain request
	// shows the login page.
	err = chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/logout"),
		chromedp.Click(chromedp.CSS(`button[value=logout]`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
	if got := chromeText(t, ctx, `p[role=status]`); got != web.MsgSignedOut {
		t.Errorf("after logout: %q", got)
	}
	browserFlow(t, ctx, cfg, oauth2.SetAuthURLParam("prompt", "none"))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatal(err)
	}
	if q := app.Received(t); q.Get("error") != "login_required" {
		t.Errorf("prompt=none after logout: %v", q)
	}
	browserFlow(t, ctx, cfg)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("password"))); err != nil {
		t.Errorf("after logout the authorization did not ask to sign in: %v", err)
	}
}

// exchangeVerified redeems the code of q and returns the ID token's
// email_verified.
func exchangeVerified(t *testing.T, env *servertest.Env, cfg *oauth2.Config, clientID string, q map[string][]string, verifier string) bool {
	t.Helper()
	code := ""
	if c := q["code"]; len(c) == 1 {
		code = c[0]
	}
	if code == "" {
		t.Fatalf("no code: %v", q)
	}
	tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	_, c := verifyIDToken(t, env, clientID, idToken(tok))
	if c.Email == nil || *c.Email != bobEmail || c.EmailVerified == nil {
		t.Fatalf("email %v verified %v", c.Email, c.EmailVerified)
	}
	return *c.EmailVerified
}

var resetLinkRE = regexp.MustCompile(`http://[^\s]+/reset-password\?token=[A-Za-z0-9_-]+`)

// TestBrowserPasswordResetSMTP: the whole reset in Chromium, with the
// mail going out over a real SMTP conversation (STARTTLS off) to an
// in-test server.
func TestBrowserPasswordResetSMTP(t *testing.T) {
	ctx := servertest.Chrome(t)
	smtp := smtptest.Start(t)
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Mail.Driver = "smtp"
		c.Mail.Host = smtp.Host
		c.Mail.Port = smtp.Port
		c.Mail.From = "Gatehouse <id@example.com>"
		c.Mail.StartTLS = "off"
	}))
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)

	err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/login"),
		chromedp.Click(chromedp.CSS(`a[href^="/forgot-password"]`)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), aliceEmail),
		chromedp.Click(chromedp.CSS(`form[action="/forgot-password"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("forgot password: %v", err)
	}
	if got := chromeText(t, ctx, `p[role=status]`); got != web.MsgForgotSent {
		t.Errorf("answer %q", got)
	}
	var msg smtptest.Message
	select {
	case msg = <-smtp.Messages:
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("no mail reached the SMTP server")
	}
	if msg.From != "id@example.com" || len(msg.To) != 1 || msg.To[0] != aliceEmail {
		t.Errorf("envelope from %q to %v", msg.From, msg.To)
	}
	parsed, err := mail.ReadMessage(strings.NewReader(msg.Data))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
	if err != nil {
		t.Fatal(err)
	}
	link := resetLinkRE.FindString(string(body))
	if !strings.HasPrefix(link, env.URL+"/reset-password?token=") {
		t.Fatalf("no reset link for this issuer in:\n%s", body)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "password123"),
		chromedp.Click(chromedp.CSS(`form[action="/reset-password"] button`)),
		chromedp.WaitVisible(chromedp.ID("password-error")),
	)
	if err != nil {
		t.Fatalf("reset with a common password: %v", err)
	}
	if got := chromeText(t, ctx, "#password-error"); got != web.MsgPasswordCommon {
		t.Errorf("error %q", got)
	}
	const newPassword = "an entirely new passphrase"
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("password"), newPassword),
		chromedp.Click(chromedp.CSS(`form[action="/reset-password"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("reset: %v", err)
	}
	if got := chromeText(t, ctx, `p[role=status]`); got != web.MsgResetDone {
		t.Errorf("after reset: %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/login"]`)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), aliceEmail),
		chromedp.SendKeys(chromedp.ID("password"), newPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	if err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if got := chromeText(t, ctx, "h1"); got != "Signed in" {
		t.Errorf("after signing in: %q", got)
	}
	// The link was single-use.
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`p[role=status]`))); err != nil {
		t.Fatal(err)
	}
	if got := chromeText(t, ctx, `p[role=status]`); got != web.MsgResetInvalid {
		t.Errorf("reused link: %q", got)
	}
}
