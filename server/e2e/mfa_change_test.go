package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestFactorChangeNeedsCurrentFactor: a session signed in with the
// password alone (here one from before Alice set up an authenticator app,
// as an attacker holding her password might keep) can neither make
// recovery codes nor register a passkey: either would give it a second
// factor without the one Alice has; nor can it remove her app with her
// password (and then enrol its own). It is sent to /login/mfa first;
// after her code, in the same browser, both work.
func TestFactorChangeNeedsCurrentFactor(t *testing.T) {
	env := passkeyServer(t)
	alice := env.CreateUser(t, aliceEmail, alicePassword, aliceName)
	clk := fixMFAClock(env)
	old := env.NewBrowser(t)
	old.Login(t, old.Get(t, env.URL+"/account/security"), aliceEmail, alicePassword)

	secret := enrolTOTP(t, env, env.NewBrowser(t), clk, aliceEmail, alicePassword)

	page := old.Get(t, env.URL+"/account/security")
	body := servertest.ReadBody(t, page)
	hidden, ok := servertest.HiddenFields(body, "/account/recovery-codes")
	if !ok {
		t.Fatalf("no recovery-codes form on the security page:\n%s", body)
	}
	token := hidden.Get("csrf_token")
	resp := postForm(t, old, env.URL+"/account/recovery-codes", hidden)
	if !servertest.OnPage(resp, "/login/mfa") || strings.Contains(bodyOf(t, resp), `class="recovery-code"`) {
		t.Fatalf("recovery codes from a password-only session: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	r, out := optionsCall(t, old, env, "/account/passkeys/options", token, "application/json", "{}")
	if r.StatusCode != http.StatusForbidden || out["error"] != "step_up_required" {
		t.Fatalf("passkey registration options for a password-only session: %d %v, want 403 step_up_required", r.StatusCode, out)
	}
	// Nor remove her app with the password, to enrol its own after.
	hidden, ok = servertest.HiddenFields(servertest.ReadBody(t, old.Get(t, env.URL+"/account/security")), "/account/totp/remove")
	if !ok {
		t.Fatal("no form to remove the app on the security page")
	}
	hidden.Set("password", alicePassword)
	if r := postForm(t, old, env.URL+"/account/totp/remove", hidden); !servertest.OnPage(r, "/login/mfa") {
		t.Fatalf("removing the app from a password-only session: %d at %s", r.StatusCode, r.Request.URL)
	}
	if has, _ := env.Server.MFA.Registry.HasSecondFactor(t.Context(), alice.ID); !has {
		t.Fatal("a password-only session removed the authenticator app")
	}
	wantAudit(t, env, []string{"mfa.removed/denied"}, alicePassword)

	// With the code in this session: back to the security page, and both work.
	resp = mfaStep(t, env, old, old.Get(t, resp.Request.URL.String()), clk.code(t, secret))
	if !servertest.OnPage(resp, "/account/security") {
		t.Fatalf("after the step-up: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	hidden, _ = servertest.HiddenFields(servertest.ReadBody(t, old.Get(t, env.URL+"/account/security")), "/account/recovery-codes")
	resp = postForm(t, old, env.URL+"/account/recovery-codes", hidden)
	if resp.StatusCode != http.StatusOK || !strings.Contains(bodyOf(t, resp), `recovery-code`) {
		t.Fatalf("recovery codes after the step-up: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if r, out := optionsCall(t, old, env, "/account/passkeys/options", hidden.Get("csrf_token"), "application/json", "{}"); r.StatusCode != http.StatusOK {
		t.Fatalf("passkey options after the step-up: %d %v", r.StatusCode, out)
	}
}

// postForm posts form from b as a same-origin page would.
func postForm(t *testing.T, b *servertest.Browser, target string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.Do(t, req)
}
