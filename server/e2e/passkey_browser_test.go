package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/clients"
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

// addPasskey registers a passkey named name from the account page.
func addPasskey(t *testing.T, ctx context.Context, env *servertest.Env, name string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/account"),
		chromedp.WaitVisible(chromedp.ID("add-passkey")),
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

// TestBrowserPasskeyRegisterAndSignIn: in Chromium with a virtual
// authenticator, a person adds a passkey on the account page (named, shown
// as never used), signs out, then signs in to an app with the passkey and
// no password (#passkey-login); the app gets a code and an ID token. The
// account page then shows when the passkey was last used, and the passkey
// can be renamed and, with the password, removed.
func TestBrowserPasskeyRegisterAndSignIn(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := passkeyServer(t)
	alice := env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	app := servertest.StartApp(t, "127.0.0.2")
	id, sec := env.CreateClient(t, clients.Spec{ID: "web-app", Name: "Web App", RedirectURIs: []string{app.Callback}})
	cfg := env.OAuth2Config(id, sec, app.Callback, "openid", "email")
	auth := virtualAuthenticator(t, ctx)

	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/account")); err != nil {
		t.Fatal(err)
	}
	chromeSignIn(t, ctx, aliceEmail, alicePassword, "#add-passkey")
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

	// Sign out, then in to the app with the passkey alone.
	err = chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/logout"),
		chromedp.Click(chromedp.CSS(`button[value=logout]`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
	restore := withoutPasskeyAutofill(t, ctx)
	verifier := browserFlow(t, ctx, cfg)
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("passkey-login")),
		chromedp.Click(chromedp.ID("passkey-login")),
	)
	if err != nil {
		t.Fatalf("passkey sign-in: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("button[value=allow]"))); err != nil {
		t.Fatalf("no consent page after the passkey sign-in: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button[value=allow]")), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatalf("consent: %v", err)
	}
	q := app.Received(t)
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	_, claims := verifyIDToken(t, env, id, idToken(tok))
	if claims.Subject != alice.ID {
		t.Errorf("ID token sub %q, want %q", claims.Subject, alice.ID)
	}
	wantAudit(t, env, []string{"mfa.enrolled/success", "login.success/success"})

	// Where the browser offers passkeys in the email field's autofill, the
	// login page asks for one at once (conditional mediation); Chromium's
	// virtual authenticator answers it without a click. The consent is
	// remembered: straight back to the app.
	restore()
	err = chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/logout"),
		chromedp.Click(chromedp.CSS(`button[value=logout]`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("logout: %v", err)
	}
	verifier = browserFlow(t, ctx, cfg)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatalf("autofill sign-in: %v", err)
	}
	if _, err := cfg.Exchange(t.Context(), app.Received(t).Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange after the autofill sign-in: %v", err)
	}

	// The account page shows the use; rename; remove needs the password.
	err = chromedp.Do(ctx, chromedp.Navigate(env.URL+"/account"), chromedp.WaitVisible(chromedp.CSS(".passkey-last-used")))
	if err != nil {
		t.Fatal(err)
	}
	if got := chromeText(t, ctx, ".passkey-last-used"); !strings.HasPrefix(got, "Last used ") {
		t.Errorf("after a sign-in: %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`form[action="/account/passkeys/rename"] input[name=name]`), "Work laptop"),
		chromedp.Click(chromedp.CSS(`form[action="/account/passkeys/rename"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=status]`)),
	)
	if err != nil {
		t.Fatalf("rename: %v", err)
	}
	if got := chromeText(t, ctx, ".passkey-name"); got != "Work laptop" {
		t.Errorf("renamed passkey %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form[action="/account/passkeys/remove"] input[name=password]`), "wrong password"),
		chromedp.Click(chromedp.CSS(`form[action="/account/passkeys/remove"] button`)),
		chromedp.WaitVisible(chromedp.ID("passkey-form-error")),
	)
	if err != nil {
		t.Fatalf("remove with a wrong password: %v", err)
	}
	if pks, _ := env.Store.ListPasskeys(t.Context(), alice.ID); len(pks) != 1 {
		t.Fatalf("a wrong password removed the passkey")
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form[action="/account/passkeys/remove"] input[name=password]`), alicePassword),
		chromedp.Click(chromedp.CSS(`form[action="/account/passkeys/remove"] button`)),
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
	wantAudit(t, env, []string{"mfa.removed/failure", "mfa.removed/success"})
}
