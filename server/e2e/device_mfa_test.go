package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestDeviceApprovalNeedsSecondFactor: approving a device for a client
// registered with require_mfa follows the authorization endpoint's rule.
// A person with no second factor is sent to set one up; a session that has
// not used the person's factor (one from before she set it up) is sent to
// /login/mfa, also when it posts the approval directly; after the code it
// is back on the device page, and the device's ID token says acr mfa.
func TestDeviceApprovalNeedsSecondFactor(t *testing.T) {
	f := newFixture(t)
	env := f.env
	clk := fixMFAClock(env)
	spec := tvSpec("tv")
	spec.RequireMFA = true
	id, _ := env.CreateClient(t, spec)
	old := env.NewBrowser(t)
	old.Login(t, old.Get(t, env.URL+"/login"), aliceEmail, alicePassword)

	start := deviceStart(t, env, id, "openid email")
	complete, _ := start["verification_uri_complete"].(string)
	userCode, _ := start["user_code"].(string)
	if resp := old.Get(t, complete); !servertest.OnPage(resp, "/account/security") {
		t.Fatalf("device page for a require_mfa client, no factor yet: %d at %s, want /account/security", resp.StatusCode, resp.Request.URL)
	}

	secret := enrolTOTP(t, env, env.NewBrowser(t), clk, aliceEmail, alicePassword)
	resp := old.Get(t, complete)
	if !servertest.OnPage(resp, "/login/mfa") {
		t.Fatalf("device page from a password-only session: %d at %s, want /login/mfa", resp.StatusCode, resp.Request.URL)
	}
	hidden, _ := servertest.HiddenFields(servertest.ReadBody(t, old.Get(t, env.URL+"/account/security")), "/account/recovery-codes")
	direct := postForm(t, old, env.URL+"/device", url.Values{"csrf_token": {hidden.Get("csrf_token")}, "user_code": {userCode}, "decision": {"allow"}})
	if !servertest.OnPage(direct, "/login/mfa") {
		t.Fatalf("approval posted from a password-only session: %d at %s, want /login/mfa", direct.StatusCode, direct.Request.URL)
	}
	code, _ := start["device_code"].(string)

	resp = mfaStep(t, env, old, old.Get(t, resp.Request.URL.String()), clk.code(t, secret))
	if !servertest.OnPage(resp, "/device") {
		t.Fatalf("after the code: %d at %s, want back on /device", resp.StatusCode, resp.Request.URL)
	}
	form, ok := servertest.HiddenFields(servertest.ReadBody(t, resp), "/device")
	if !ok {
		t.Fatal("no confirmation form after the step-up")
	}
	form.Set("decision", "allow")
	old.PostForm(t, env.URL+"/device", form)
	tok := devicePoll(t, env, id, code)
	if tok.Status != http.StatusOK {
		t.Fatalf("poll after approval: %d %s", tok.Status, tok.Body)
	}
	idt, _ := tok.JSON["id_token"].(string)
	claims := jwtClaims(t, idt)
	if claims["acr"] != "mfa" {
		t.Errorf("device ID token acr %v, want mfa (claims %v)", claims["acr"], claims)
	}
}
