package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestBrowserUnverifiedConsent: in Chromium, an app that registered
// itself gets a consent page that says it is unverified and shows where
// the answer goes, and asks again on the next authorization.
func TestBrowserUnverifiedConsent(t *testing.T) {
	ctx := servertest.Chrome(t)
	env := registrationEnv(t, true)
	app := servertest.StartApp(t, "127.0.0.2")
	r := register(t, env, map[string]any{"client_name": "Totally Real Bank", "redirect_uris": []string{app.Callback}, "token_endpoint_auth_method": "none"}, "")
	cfg := &oauth2.Config{ClientID: r.JSON["client_id"].(string), Endpoint: env.Endpoint(), RedirectURL: app.Callback, Scopes: []string{"openid"}}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	host := strings.TrimPrefix(app.Callback, "http://")
	host = host[:strings.IndexByte(host, '/')]

	for i := range 2 {
		browserFlow(t, ctx, cfg)
		if i == 0 {
			err := chromedp.Do(ctx,
				chromedp.WaitVisible(chromedp.ID("email")),
				chromedp.SendKeys(chromedp.ID("email"), aliceEmail),
				chromedp.SendKeys(chromedp.ID("password"), alicePassword),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("unverified"))); err != nil {
			t.Fatalf("flow %d: no unverified warning: %v", i, err)
		}
		if got := chromeText(t, ctx, "#redirect-host"); got != host {
			t.Errorf("redirect host shown %q, want %q", got, host)
		}
		if text := chromeText(t, ctx, "#unverified"); !strings.Contains(text, "not verified") {
			t.Errorf("warning %q", text)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button[value=allow]")), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
			t.Fatalf("consent: %v", err)
		}
		if q := app.Received(t); q.Get("code") == "" || q.Get("iss") != env.URL {
			t.Errorf("flow %d: the app got %v", i, url.Values(q))
		}
	}
}
