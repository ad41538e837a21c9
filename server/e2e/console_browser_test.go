package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ScreenshotsEnv names a directory: when set, the console's browser test
// saves a screenshot of each page there (the README's images, in
// docs/console/).
const ScreenshotsEnv = "GATEHOUSE_SCREENSHOTS"

// screenshot saves the whole page as dir/name when ScreenshotsEnv is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// chromeDo runs steps in Chromium, failing t with what.
func chromeDo(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// chromePath is the path of the page Chromium shows.
func chromePath(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// TestConsoleBrowser: in Chromium, a person without the admin role is
// refused; Alice, an admin without a second factor, is sent to set one up
// and then manages the server from the console: she disables Bob (after a
// confirmation page) and his tokens stop working, creates a client whose
// secret, shown once, works for client_credentials, filters the audit log,
// rotates the signing key, and finds a client declared in the
// configuration file read-only. With GATEHOUSE_SCREENSHOTS=dir each page
// is saved there.
func TestConsoleBrowser(t *testing.T) {
	ctx := servertest.Chrome(t)
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.Clients = []server.ClientConfig{{Spec: declaredSpec()}}
		c.Keys.PublishAhead = server.Duration(10 * time.Minute) // a rotated key is "next" for a while
	}))
	env := f.env
	clk := fixMFAClock(env)
	bob := env.CreateUser(t, bobEmail, alicePassword, "Bob Example")
	env.CreateUser(t, "carol@example.com", alicePassword, "Carol Example", "user", "billing:read")
	bobTokens, err := f.config("openid").PasswordCredentialsToken(t.Context(), bobEmail, alicePassword)
	if err != nil {
		t.Fatal(err)
	}
	// Bob signs in to the app (a session and a consent for the console
	// to show), and the last day had some sign-ins, for the chart.
	f.env.NewBrowser(t).AuthCodeFlow(t, f.config("openid", "profile"), bobEmail, alicePassword)
	now := time.Now()
	for h := 1; h < 24; h++ {
		for i := range 2 + (h*7)%9 {
			env.Server.Audit.Record(t.Context(), storage.AuditEvent{Time: now.Add(-time.Duration(h)*time.Hour + time.Duration(i)*time.Second),
				Type: audit.LoginSuccess, Outcome: audit.Success, UserID: bob.ID})
		}
		for i := range (h * 5) % 4 {
			env.Server.Audit.Record(t.Context(), storage.AuditEvent{Time: now.Add(-time.Duration(h)*time.Hour + time.Duration(i)*time.Second),
				Type: audit.LoginFailure, Outcome: audit.Failure, Details: map[string]string{"reason": "invalid_credentials"}})
		}
	}
	login := func(email string) {
		chromeDo(t, ctx, "login as "+email,
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), alicePassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		)
	}
	chromeDo(t, ctx, "viewport", chromedp.EmulateViewport(1280, 860))

	// Bob is not an admin.
	chromeDo(t, ctx, "console", chromedp.Navigate(env.URL+"/console"))
	login(bobEmail)
	chromeDo(t, ctx, "refused", chromedp.WaitVisible(chromedp.CSS("main p.status")))
	if got := chromeText(t, ctx, "main p"); got != web.MsgForbidden {
		t.Errorf("non-admin sees %q, want %q", got, web.MsgForbidden)
	}
	chromeDo(t, ctx, "sign out",
		chromedp.Navigate(env.URL+"/logout"),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)),
	)

	// Alice is an admin without a second factor: sent to set one up.
	chromeDo(t, ctx, "console", chromedp.Navigate(env.URL+"/console"))
	login(aliceEmail)
	chromeDo(t, ctx, "security page", chromedp.WaitVisible(chromedp.ID("add-totp")))
	if p := chromePath(t, ctx); p != web.PathSecurity {
		t.Fatalf("admin without a second factor is at %s, want %s", p, web.PathSecurity)
	}
	chromeDo(t, ctx, "enrol", chromedp.Click(chromedp.ID("add-totp")), chromedp.WaitVisible(chromedp.ID("totp-secret")))
	secret := strings.TrimSpace(chromeText(t, ctx, "#totp-secret"))
	chromeDo(t, ctx, "confirm the app",
		chromedp.SendKeys(chromedp.ID("code"), clk.code(t, secret)),
		chromedp.Click(chromedp.CSS(`form[action="/account/totp"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("new-recovery-codes")),
		chromedp.Navigate(env.URL+"/console"),
		chromedp.WaitVisible(chromedp.ID("signins-chart")),
	)
	if got := chromeText(t, ctx, "#count-users"); got != "3" {
		t.Errorf("dashboard counts %s users, want 3", got)
	}
	screenshot(t, ctx, "console-dashboard.png")

	// Users: find Bob, disable him (asked first); his tokens stop working.
	chromeDo(t, ctx, "users",
		chromedp.Click(chromedp.CSS(`.console-nav a[href="/console/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(".user-row")),
	)
	screenshot(t, ctx, "console-users.png")
	chromeDo(t, ctx, "search",
		chromedp.SendKeys(chromedp.ID("q"), "bob"),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitNotPresent(chromedp.CSS(`a[href="/console/users/`+f.user.ID+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/console/users/`+bob.ID+`"]`)),
		chromedp.WaitVisible(chromedp.ID("disable-user")),
	)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".session-row").length + document.querySelectorAll(".app").length`)); err != nil || n != 2 {
		t.Errorf("Bob's page shows %d sessions and apps, want 1 and 1 (%v)", n, err)
	}
	screenshot(t, ctx, "console-user.png")
	chromeDo(t, ctx, "disable", chromedp.Click(chromedp.ID("disable-user")), chromedp.WaitVisible(chromedp.ID("confirm-question")))
	screenshot(t, ctx, "console-confirm.png")
	if !f.active(t, bobTokens.AccessToken) {
		t.Fatal("Bob's token inactive before the confirmation")
	}
	chromeDo(t, ctx, "confirm", chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.ID("status-disabled")))
	if f.active(t, bobTokens.AccessToken) {
		t.Error("Bob's access token still active after the console disabled him")
	}

	// Clients: a new one for client_credentials, its secret shown once.
	chromeDo(t, ctx, "new client",
		chromedp.Navigate(env.URL+"/console/clients/new"),
		chromedp.WaitVisible(chromedp.ID("client_id")),
		chromedp.SendKeys(chromedp.ID("client_id"), "reports"),
		chromedp.SendKeys(chromedp.ID("name"), "Nightly reports"),
		chromedp.Click(chromedp.ID("grant-authorization_code")),
		chromedp.Click(chromedp.ID("grant-refresh_token")),
		chromedp.Click(chromedp.ID("grant-client_credentials")),
		chromedp.SetValue(chromedp.ID("scopes"), "api:read"),
	)
	screenshot(t, ctx, "console-client-new.png")
	chromeDo(t, ctx, "create client", chromedp.Click(chromedp.ID("save-client")), chromedp.WaitVisible(chromedp.ID("client-secret")))
	screenshot(t, ctx, "console-client-secret.png")
	cc := clientcredentials.Config{ClientID: "reports", ClientSecret: chromeText(t, ctx, "#client-secret"), TokenURL: env.URL + "/oauth2/token", Scopes: []string{"api:read"}}
	if _, err := cc.Token(t.Context()); err != nil {
		t.Errorf("client_credentials with the client made in the console: %v", err)
	}
	chromeDo(t, ctx, "clients", chromedp.Click(chromedp.ID("secret-done")), chromedp.WaitVisible(chromedp.ID("client-form")),
		chromedp.Navigate(env.URL+"/console/clients"), chromedp.WaitVisible(chromedp.CSS(".client-row")))
	screenshot(t, ctx, "console-clients.png")

	// The client declared in the configuration file is read-only.
	chromeDo(t, ctx, "config client", chromedp.Navigate(env.URL+"/console/clients/declared"), chromedp.WaitVisible(chromedp.ID("config-managed")))
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#client-form fieldset").disabled && !document.getElementById("save-client") && !document.getElementById("delete-client")`))
	if err != nil || !disabled {
		t.Errorf("config client's form is not read-only (%v)", err)
	}
	screenshot(t, ctx, "console-config-client.png")

	// The audit log, filtered by type.
	chromeDo(t, ctx, "audit",
		chromedp.Navigate(env.URL+"/console/audit"),
		chromedp.WaitVisible(chromedp.ID("audit-filters")),
		chromedp.SendKeys(chromedp.ID("type"), "user.disabled"),
		chromedp.Click(chromedp.ID("filter")),
		// The filtered page sets the field's value attribute.
		chromedp.WaitVisible(chromedp.CSS(`input#type[value="user.disabled"]`)),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("tr.event .event-type")).map(e => e.textContent)`))
	if err != nil || len(rows) != 1 || rows[0] != "user.disabled" {
		t.Errorf("audit log filtered by user.disabled: %v (%v)", rows, err)
	}
	chromeDo(t, ctx, "whole audit log", chromedp.Navigate(env.URL+"/console/audit"), chromedp.WaitVisible(chromedp.CSS("tr.event")))
	screenshot(t, ctx, "console-audit.png")

	// Keys: rotate; the new key is published before it signs.
	chromeDo(t, ctx, "keys",
		chromedp.Navigate(env.URL+"/console/keys"),
		chromedp.Click(chromedp.ID("rotate-key")),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.CSS(".state-next")),
	)
	screenshot(t, ctx, "console-keys.png")
}
