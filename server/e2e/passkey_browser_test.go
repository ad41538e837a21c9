package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// chromeSignIn signs in with the password on the login page Chromium
// shows, which goes on to return_to or the flow, and waits there for the
// element next.
func chromeSignIn(t *testing.T, ctx context.Context, email, password, next string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(next)),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// chromeLogout signs Chromium out.
func chromeLogout(t *testing.T, ctx context.Context, env *servertest.Env) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/logout"),
		chromedp.Click(chromedp.CSS(`button[value=logout]`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
}

// addPasskey signs in with the password and registers a passkey named
// name on the security page.
func addPasskey(t *testing.T, ctx context.Context, env *servertest.Env, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+web.PathSecurity)); err != nil {
		t.Fatal(err)
	}
	chromeSignIn(t, ctx, aliceEmail, alicePassword, "#add-passkey")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("passkey-name"), name),
		chromedp.Click(chromedp.ID("add-passkey")),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("add passkey: %v", err)
	}
	if got := chromeText(t, ctx, `p[role=status]`); got != web.MsgPasskeyAdded {
		t.Fatalf("after adding a passkey: %q", got)
	}
}

// wantFactors fails t unless the ID token of tok has amr (in any order)
// and acr.
func wantFactors(t *testing.T, env *servertest.Env, clientID string, tok *oauth2.Token, acr string, amr ...string) {
	t.Helper()
	c := idFactors(t, env, clientID, tok)
	got := slices.Sorted(slices.Values(c.AMR))
	want := slices.Sorted(slices.Values(amr))
	if !slices.Equal(got, want) || c.ACR != acr {
		t.Errorf("ID token amr %v acr %q, want amr %v acr %q", c.AMR, c.ACR, amr, acr)
	}
}

// TestBrowserPasskeyRegisterAndSignIn: in Chromium with a virtual
// authenticator, a person adds a passkey on the security page (named,
// shown as never used; the mail tells them), signs out, then signs in to
// an app with the passkey and no password, by the #passkey-login button
// and then by the email field's autofill: the app gets a code and an ID
// token with amr [hwk, user, mfa] and acr phr. The security page then
// shows when the passkey was last used, and the passkey can be renamed
// and, with the password, removed.
func TestBrowserPasskeyRegisterAndSignIn(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := passkeyServer(t)
	alice := env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	app := servertest.StartApp(t, "127.0.0.2")
	id, sec := env.CreateClient(t, clients.Spec{ID: "web-app", Name: "Web App", RedirectURIs: []string{app.Callback}})
	cfg := env.OAuth2Config(id, sec, app.Callback, "openid", "email")
	auth := virtualAuthenticator(t, ctx)

	addPasskey(t, ctx, env, "Laptop")
	if got := chromeText(t, ctx, ".passkey-name"); got != "Laptop" {
		t.Errorf("listed passkey %q", got)
	}
	if got := chromeText(t, ctx, ".passkey-last-used"); got != "Never used" {
		t.Errorf("new passkey: %q", got)
	}
	pks, err := env.Store.ListPasskeys(t.Context(), alice.ID)
	if err != nil || len(pks) != 1 || pks[0].Name != "Laptop" {
		t.Fatalf("stored passkeys %+v, %v", pks, err)
	}
	creds := authenticatorCredentials(t, ctx, auth)
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
		t.Fatalf("authenticator holds %+v, want one discoverable credential for localhost", creds)
	}
	if mails := outbox(t, env, aliceEmail, 1); !strings.Contains(mails[0], "passkey was added") {
		t.Errorf("mail about the new passkey:\n%s", mails[0])
	}

	// Signed out, in to the app with the passkey alone: the button.
	chromeLogout(t, ctx, env)
	restore := withoutPasskeyAutofill(t, ctx)
	verifier := browserFlow(t, ctx, cfg)
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("passkey-login")),
		chromedp.Click(chromedp.ID("passkey-login")),
		chromedp.WaitVisible(chromedp.CSS("button[value=allow]")),
		chromedp.Click(chromedp.CSS("button[value=allow]")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if err != nil {
		t.Fatalf("passkey sign-in: %v", err)
	}
	tok, err := cfg.Exchange(t.Context(), app.Received(t).Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	_, claims := verifyIDToken(t, env, id, idToken(tok))
	if claims.Subject != alice.ID {
		t.Errorf("ID token sub %q, want %q", claims.Subject, alice.ID)
	}
	wantFactors(t, env, id, tok, "phr", "hwk", "user", "mfa")

	// Where the browser offers passkeys in the email field's autofill, the
	// login page asks for one at once (conditional mediation); Chromium's
	// virtual authenticator answers it without a click. The consent is
	// remembered: straight back to the app.
	restore()
	chromeLogout(t, ctx, env)
	verifier = browserFlow(t, ctx, cfg)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatalf("autofill sign-in: %v", err)
	}
	tok, err = cfg.Exchange(t.Context(), app.Received(t).Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange after the autofill sign-in: %v", err)
	}
	wantFactors(t, env, id, tok, "phr", "hwk", "user", "mfa")
	wantAudit(t, env, []string{"mfa.enrolled/success", "login.success/success"})

	// The security page shows the use; rename; removing needs the password.
	err = chromedp.Do(ctx, chromedp.Navigate(env.URL+web.PathSecurity), chromedp.WaitVisible(chromedp.CSS(".passkey-last-used")))
	if err != nil {
		t.Fatal(err)
	}
	if got := chromeText(t, ctx, ".passkey-last-used"); !strings.HasPrefix(got, "Last used ") {
		t.Errorf("after a sign-in: %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`form.passkey-rename input[name=name]`), "Work laptop"),
		chromedp.Click(chromedp.CSS(`form.passkey-rename button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("rename: %v", err)
	}
	if got := chromeText(t, ctx, ".passkey-name"); got != "Work laptop" {
		t.Errorf("renamed passkey %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form.passkey-remove input[name=password]`), "wrong password"),
		chromedp.Click(chromedp.CSS(`form.passkey-remove button`)),
		chromedp.WaitVisible(chromedp.ID("confirm-error")),
	)
	if err != nil {
		t.Fatalf("remove with a wrong password: %v", err)
	}
	if pks, _ := env.Store.ListPasskeys(t.Context(), alice.ID); len(pks) != 1 {
		t.Fatalf("a wrong password removed the passkey")
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form.passkey-remove input[name=password]`), alicePassword),
		chromedp.Click(chromedp.CSS(`form.passkey-remove button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	if got := chromeText(t, ctx, `p[role=status]`); got != web.MsgPasskeyRemoved {
		t.Errorf("after removing: %q", got)
	}
	if pks, _ := env.Store.ListPasskeys(t.Context(), alice.ID); len(pks) != 0 {
		t.Fatalf("passkey not removed: %+v", pks)
	}
	wantAudit(t, env, []string{"mfa.removed/denied", "mfa.removed/success"})
	if mails := outbox(t, env, aliceEmail, 2); !strings.Contains(mails[1], "passkey was removed") {
		t.Errorf("mail about the removed passkey:\n%s", mails[1])
	}
}

// TestBrowserPasskeySecondFactor: a person with a passkey who signs in
// with the password is asked for the second factor on /login/mfa and
// uses the passkey there (#use-passkey); the app's ID token has amr
// [pwd, hwk, mfa] and acr phr.
func TestBrowserPasskeySecondFactor(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := passkeyServer(t)
	env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	app := servertest.StartApp(t, "127.0.0.2")
	id, sec := env.CreateClient(t, clients.Spec{ID: "web-app", Name: "Web App", RedirectURIs: []string{app.Callback}})
	cfg := env.OAuth2Config(id, sec, app.Callback, "openid")
	virtualAuthenticator(t, ctx)
	addPasskey(t, ctx, env, "Security key")
	chromeLogout(t, ctx, env)

	defer withoutPasskeyAutofill(t, ctx)()
	verifier := browserFlow(t, ctx, cfg)
	chromeSignIn(t, ctx, aliceEmail, alicePassword, "#use-passkey")
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("use-passkey")),
		chromedp.WaitVisible(chromedp.CSS("button[value=allow]")),
		chromedp.Click(chromedp.CSS("button[value=allow]")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if err != nil {
		t.Fatalf("second factor: %v", err)
	}
	tok, err := cfg.Exchange(t.Context(), app.Received(t).Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	wantFactors(t, env, id, tok, "phr", "pwd", "hwk", "mfa")
	wantAudit(t, env, []string{"mfa.success/success"})
}

// TestBrowserPasskeyRequiredEnrolment: an admin under
// mfa.required_roles [admin] who signs in with only a password is sent to
// the security page before the app gets a code; adding a passkey there
// continues the authorization, and the ID token shows the passkey.
func TestBrowserPasskeyRequiredEnrolment(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := passkeyServer(t, servertest.WithConfig(func(c *server.Config) { c.MFA.RequiredRoles = []string{"admin"} }))
	env.CreateUser(t, aliceEmail, alicePassword, aliceName, "user", "admin")
	app := servertest.StartApp(t, "127.0.0.2")
	id, sec := env.CreateClient(t, clients.Spec{ID: "web-app", Name: "Web App", RedirectURIs: []string{app.Callback}})
	cfg := env.OAuth2Config(id, sec, app.Callback, "openid")
	virtualAuthenticator(t, ctx)
	defer withoutPasskeyAutofill(t, ctx)()

	verifier := browserFlow(t, ctx, cfg)
	chromeSignIn(t, ctx, aliceEmail, alicePassword, "#add-passkey")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("passkey-name"), "Laptop"),
		chromedp.Click(chromedp.ID("add-passkey")),
		chromedp.WaitVisible(chromedp.CSS("button[value=allow]")),
		chromedp.Click(chromedp.CSS("button[value=allow]")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if err != nil {
		t.Fatalf("enrol a passkey on the way to the app: %v", err)
	}
	tok, err := cfg.Exchange(t.Context(), app.Received(t).Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	wantFactors(t, env, id, tok, "phr", "pwd", "hwk", "mfa")
}
