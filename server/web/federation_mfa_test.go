package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestUpstreamLoginAsksSecondFactor: signing in through an upstream
// provider does not skip a local second factor: after B, A asks for the
// TOTP code, and the session records fed + otp (acr mfa).
func TestUpstreamLoginAsksSecondFactor(t *testing.T) {
	a, b := federated(t)
	b.CreateUser(t, bobEmail, bobPassword, "Bob Upstream")
	br := a.browser(t, false)
	resp, rq := loginAtB(t, a, b, br, bobEmail, bobPassword)
	a.finish(t, br, resp, rq)

	ctx := context.Background()
	user, err := a.Store.GetUserByEmail(ctx, bobEmail)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a.Server.MFA.SetClock(func() time.Time { return now })
	e, err := a.Server.MFA.BeginTOTP(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, now)
	if err := a.Server.MFA.ConfirmTOTP(ctx, user.ID, code); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Second)

	br = a.browser(t, false)
	resp, rq = loginAtB(t, a, b, br, bobEmail, bobPassword)
	if !servertest.OnPage(resp, "/login/mfa") {
		t.Fatalf("after the upstream: %d at %s, want /login/mfa", resp.StatusCode, resp.Request.URL)
	}
	form, ok := servertest.HiddenFields(servertest.ReadBody(t, resp), "/login/mfa")
	if !ok {
		t.Fatal("no code form")
	}
	code, _ = totp.GenerateCode(e.Secret, now)
	form.Set("code", code)
	resp = br.PostForm(t, a.URL+"/login/mfa", form)
	a.finish(t, br, resp, rq)
	sessions, err := a.Store.ListBrowserSessions(ctx, user.ID, time.Now())
	if err != nil || len(sessions) == 0 {
		t.Fatalf("sessions %v, %v", sessions, err)
	}
	last := sessions[len(sessions)-1]
	if last.ACR != "mfa" || len(last.Factors) != 2 || last.Factors[0].Method != "fed" || last.Factors[1].Method != "otp" {
		t.Errorf("session acr %q factors %+v, want mfa [fed otp]", last.ACR, last.Factors)
	}
}
