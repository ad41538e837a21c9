package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestBrowserDevice: in Chromium, a person opens the verification URI a
// TV shows, signs in, types the user code (lower case, no dash), checks
// the client and scopes, and allows; the TV's next poll gets its tokens.
// A second TV's code, arriving complete from verification_uri_complete,
// is denied.
func TestBrowserDevice(t *testing.T) {
	ctx := servertest.Chrome(t)
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.Device.Interval = server.Duration(time.Second) }))
	id, _ := f.env.CreateClient(t, tvSpec("tv"))
	start := deviceStart(t, f.env, id, "openid profile")
	userCode := start["user_code"].(string)
	typed := strings.ToLower(strings.ReplaceAll(userCode, "-", ""))

	err := chromedp.Do(ctx,
		chromedp.Navigate(start["verification_uri"].(string)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), aliceEmail),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("user_code")),
		chromedp.SendKeys(chromedp.ID("user_code"), typed),
		chromedp.Click(chromedp.ID("device-continue")),
		chromedp.WaitVisible(chromedp.ID("device-allow")),
	)
	if err != nil {
		t.Fatalf("sign in and enter the code: %v", err)
	}
	if got := chromeText(t, ctx, "#user-code"); got != userCode {
		t.Errorf("confirmation shows code %q, want %q", got, userCode)
	}
	if got := chromeText(t, ctx, "h1"); !strings.Contains(got, "Living Room TV") {
		t.Errorf("confirmation heading %q does not name the client", got)
	}
	if got := chromeText(t, ctx, "ul.scopes"); !strings.Contains(got, "Your name") {
		t.Errorf("scopes shown %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("device-allow")), chromedp.WaitVisible(chromedp.ID("device-done"))); err != nil {
		t.Fatalf("allow: %v", err)
	}
	code := start["device_code"].(string)
	f.waitInterval(t, code)
	if tok := devicePoll(t, f.env, id, code); tok.Status != http.StatusOK || tok.JSON["access_token"] == nil {
		t.Fatalf("poll after allowing in the browser: %d %s", tok.Status, tok.Body)
	}

	second := deviceStart(t, f.env, id, "openid")
	err = chromedp.Do(ctx,
		chromedp.Navigate(second["verification_uri_complete"].(string)),
		chromedp.WaitVisible(chromedp.ID("device-deny")),
		chromedp.Click(chromedp.ID("device-deny")),
		chromedp.WaitVisible(chromedp.ID("device-done")),
	)
	if err != nil {
		t.Fatalf("deny from verification_uri_complete: %v", err)
	}
	wantJSONError(t, devicePoll(t, f.env, id, second["device_code"].(string)), http.StatusBadRequest, "access_denied")
}
