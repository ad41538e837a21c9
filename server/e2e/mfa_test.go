package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
)

// TestMFATOTPSignIn: Alice sets up an authenticator app (a wrong first
// code enrols nothing); her next sign-in asks for a code after the
// password, refuses the code already used (replay) and a wrong one, and
// the ID token says amr [pwd otp mfa], acr mfa. The change is mailed and
// audited.
func TestMFATOTPSignIn(t *testing.T) {
	f := newFixture(t)
	env := f.env
	clk := fixMFAClock(env)
	b := env.NewBrowser(t)

	resp := b.Get(t, env.URL+"/account/totp")
	resp = b.Login(t, resp, aliceEmail, alicePassword)
	secret := totpSecret(t, resp)
	wrong := submit(t, env, b, resp, "/account/totp", url.Values{"code": {"000000"}})
	wantText(t, wrong, http.StatusBadRequest, web.MsgWrongCode)
	if again := totpSecret(t, wrong); again != secret {
		t.Errorf("a wrong code changed the secret shown")
	}
	if has, _ := env.Server.MFA.Registry.HasSecondFactor(t.Context(), f.user.ID); has {
		t.Fatal("a wrong code enrolled the app")
	}
	confirmCode := clk.code(t, secret)
	resp = submit(t, env, b, wrong, "/account/totp", url.Values{"code": {confirmCode}})
	wantText(t, resp, http.StatusOK, web.MsgTOTPAdded, "Authenticator app")
	clk.Step()

	// A new browser: password, then the code.
	cfg := f.config("openid", "email")
	nb := env.NewBrowser(t)
	resp, verifier, _ := startFlow(t, nb, cfg)
	resp = nb.Login(t, resp, aliceEmail, alicePassword)
	if !servertest.OnPage(resp, "/login/mfa") {
		t.Fatalf("after the password: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	// The page is not a session: the app cannot be reached yet.
	if r := nb.Get(t, env.URL+"/account"); !servertest.OnPage(r, "/login") {
		t.Fatalf("/account before the second factor: %d at %s", r.StatusCode, r.Request.URL)
	}
	resp = nb.Get(t, resp.Request.URL.String())
	resp = mfaStep(t, env, nb, resp, "123") // wrong
	wantText(t, resp, http.StatusUnauthorized, web.MsgWrongCode)
	// The confirmation's code, replayed later in its window.
	resp = mfaStep(t, env, nb, resp, confirmCode)
	wantText(t, resp, http.StatusUnauthorized, web.MsgWrongCode)
	code := clk.code(t, secret)
	resp = mfaStep(t, env, nb, resp, code)
	tok := finishFlow(t, nb, cfg, resp, verifier)
	c := idFactors(t, env, f.clientID, tok)
	if !slices.Equal(c.AMR, []string{"pwd", "otp", "mfa"}) || c.ACR != "mfa" {
		t.Errorf("ID token amr %v acr %q, want [pwd otp mfa] mfa", c.AMR, c.ACR)
	}

	// The same code once more, in another browser: refused.
	ob := env.NewBrowser(t)
	resp = ob.Login(t, ob.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	resp = mfaStep(t, env, ob, resp, code)
	wantText(t, resp, http.StatusUnauthorized, web.MsgWrongCode)

	bodies := outbox(t, env, aliceEmail, 1)
	if !strings.Contains(strings.Join(bodies, "\n"), "authenticator app was set up") {
		t.Errorf("no mail about the new app")
	}
	wantAudit(t, env, []string{"mfa.enrolled/success", "mfa.success/success", "mfa.failure/failure"}, secret, code)
}

// TestMFARateLimited: wrong codes are limited per account: past the
// budget even the right code is refused (429) until the window ends.
func TestMFARateLimited(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.RateLimit.AccountFailures = 3 }))
	env := f.env
	clk := fixMFAClock(env)
	secret := enrolTOTP(t, env, env.NewBrowser(t), clk, aliceEmail, alicePassword)

	b := env.NewBrowser(t)
	resp := b.Login(t, b.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	for range 3 {
		resp = mfaStep(t, env, b, resp, "999999")
		wantText(t, resp, http.StatusUnauthorized, web.MsgWrongCode)
	}
	resp = submit(t, env, b, resp, "/login/mfa", url.Values{"code": {clk.code(t, secret)}})
	wantText(t, resp, http.StatusTooManyRequests, web.MsgTooManyAttempts)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another browser, with the password again: still limited (per account).
	nb := env.NewBrowser(t)
	resp = nb.Login(t, nb.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	resp = submit(t, env, nb, resp, "/login/mfa", url.Values{"code": {clk.code(t, secret)}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("other browser: %d, want 429", resp.StatusCode)
	}
	// The limiter's window passes: the right code works.
	env.Server.Limiter.SetClock(func() time.Time { return time.Now().Add(time.Hour) })
	resp = submit(t, env, nb, resp, "/login/mfa", url.Values{"code": {clk.code(t, secret)}})
	wantText(t, resp, http.StatusOK, "Signed in")
	wantAudit(t, env, []string{"login.lockout/denied", "mfa.failure/failure"})
}

var recoveryCodeRE = regexp.MustCompile(`<code class="recovery-code">([0-9a-z-]+)</code>`)

// TestMFARecoveryCodes: a set is shown once, each code signs in once
// (audited and mailed), and a new set voids the old.
func TestMFARecoveryCodes(t *testing.T) {
	f := newFixture(t)
	env := f.env
	clk := fixMFAClock(env)
	b := env.NewBrowser(t)
	enrolTOTP(t, env, b, clk, aliceEmail, alicePassword)

	resp := b.Get(t, env.URL+"/account/security")
	resp = submit(t, env, b, resp, "/account/recovery-codes", nil)
	codes := recoveryCodeRE.FindAllStringSubmatch(bodyOf(t, resp), -1)
	if resp.StatusCode != http.StatusOK || len(codes) != 10 {
		t.Fatalf("recovery codes page: %d with %d codes:\n%s", resp.StatusCode, len(codes), bodyOf(t, resp))
	}
	first := codes[0][1]

	nb := env.NewBrowser(t)
	resp = nb.Login(t, nb.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	resp = mfaStep(t, env, nb, resp, strings.ToUpper(first))
	wantText(t, resp, http.StatusOK, "Signed in")
	// Used once: no more.
	ob := env.NewBrowser(t)
	resp = ob.Login(t, ob.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	resp = mfaStep(t, env, ob, resp, first)
	wantText(t, resp, http.StatusUnauthorized, web.MsgWrongCode)
	// A new set voids the old one.
	resp = b.Get(t, env.URL+"/account/security")
	wantText(t, resp, http.StatusOK, "9")
	resp = submit(t, env, b, resp, "/account/recovery-codes", nil)
	if n := len(recoveryCodeRE.FindAllString(bodyOf(t, resp), -1)); n != 10 {
		t.Fatalf("new set: %d codes", n)
	}
	resp = ob.Get(t, env.URL+"/login/mfa")
	resp = mfaStep(t, env, ob, resp, codes[1][1])
	wantText(t, resp, http.StatusUnauthorized, web.MsgWrongCode)

	all := strings.Join(outbox(t, env, aliceEmail, 4), "\n")
	if !strings.Contains(all, "recovery code was used") {
		t.Errorf("no mail about the recovery code used")
	}
	wantAudit(t, env, []string{"mfa.recovery_code_used/success"}, first)
}

// TestMFAPasswordGrantRefused: the password grant cannot ask for a second
// factor, so it is refused (invalid_grant, with a description saying why)
// for a person who has one, also with the right password.
func TestMFAPasswordGrantRefused(t *testing.T) {
	f := newFixture(t)
	env := f.env
	f.passwordTokens(t, "openid") // works before
	clk := fixMFAClock(env)
	enrolTOTP(t, env, env.NewBrowser(t), clk, aliceEmail, alicePassword)
	r := post(t, env, "/oauth2/token", url.Values{
		"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword}, "scope": {"openid"},
	}, f.clientID, f.secret)
	wantJSONError(t, r, http.StatusBadRequest, "invalid_grant")
	if d, _ := r.JSON["error_description"].(string); !strings.Contains(d, "second factor") {
		t.Errorf("error_description %q does not say why", d)
	}
}

// TestMFAStepUp: a session signed in with the password alone gets codes
// with acr pwd; a request with acr_values=mfa asks that session for a
// code first (step-up), and its ID token says mfa. prompt=login and
// max_age=0 ask for both factors again.
func TestMFAStepUp(t *testing.T) {
	f := newFixture(t)
	env := f.env
	clk := fixMFAClock(env)
	cfg := f.config("openid")
	b := env.NewBrowser(t)
	resp, verifier, _ := startFlow(t, b, cfg)
	resp = b.Login(t, resp, aliceEmail, alicePassword)
	tok := finishFlow(t, b, cfg, resp, verifier)
	if c := idFactors(t, env, f.clientID, tok); c.ACR != "pwd" || !slices.Equal(c.AMR, []string{"pwd"}) {
		t.Errorf("password sign-in: amr %v acr %q", c.AMR, c.ACR)
	}
	// Enrol in another browser: this session stays at pwd.
	secret := enrolTOTP(t, env, env.NewBrowser(t), clk, aliceEmail, alicePassword)

	resp, verifier, _ = startFlow(t, b, cfg)
	tok = finishFlow(t, b, cfg, resp, verifier)
	if c := idFactors(t, env, f.clientID, tok); c.ACR != "pwd" {
		t.Errorf("no acr asked: acr %q, want the session's pwd", c.ACR)
	}
	resp, verifier, _ = startFlow(t, b, cfg, oauth2.SetAuthURLParam("acr_values", "mfa"))
	if !servertest.OnPage(resp, "/login/mfa") {
		t.Fatalf("acr_values=mfa: %d at %s, want the step-up", resp.StatusCode, resp.Request.URL)
	}
	wantText(t, resp, http.StatusOK, "Confirm it is you")
	resp = mfaStep(t, env, b, resp, clk.code(t, secret))
	tok = finishFlow(t, b, cfg, resp, verifier)
	if c := idFactors(t, env, f.clientID, tok); c.ACR != "mfa" || !slices.Contains(c.AMR, "otp") {
		t.Errorf("after step-up: amr %v acr %q", c.AMR, c.ACR)
	}
	// phr asked, no passkey: the best the person has (mfa) is enough.
	resp, verifier, _ = startFlow(t, b, cfg, oauth2.SetAuthURLParam("acr_values", "phr"))
	tok = finishFlow(t, b, cfg, resp, verifier)
	if c := idFactors(t, env, f.clientID, tok); c.ACR != "mfa" {
		t.Errorf("acr_values=phr without a passkey: acr %q", c.ACR)
	}
	// prompt=none cannot step up.
	nb := env.NewBrowser(t)
	nb.Login(t, nb.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	clk.Step()
	// (nb is at /login/mfa: not signed in; use b for prompt=login.)
	for _, extra := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
		clk.Step()
		resp, verifier, _ = startFlow(t, b, cfg, extra)
		if !servertest.OnPage(resp, "/login") {
			t.Fatalf("prompt=login / max_age=0: %d at %s", resp.StatusCode, resp.Request.URL)
		}
		resp = b.Login(t, resp, aliceEmail, alicePassword)
		resp = mfaStep(t, env, b, resp, clk.code(t, secret))
		tok = finishFlow(t, b, cfg, resp, verifier)
		if c := idFactors(t, env, f.clientID, tok); c.ACR != "mfa" {
			t.Errorf("after both factors again: acr %q", c.ACR)
		}
	}
}

// TestMFARequiredRoles: with mfa.required_roles [admin], Alice (an admin
// without a second factor) is sent to set one up before any code is
// issued, and the flow then goes on; the password grant is refused.
func TestMFARequiredRoles(t *testing.T) {
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.MFA.RequiredRoles = []string{"admin"} }))
	env := f.env
	clk := fixMFAClock(env)
	cfg := f.config("openid")
	b := env.NewBrowser(t)
	resp, verifier, _ := startFlow(t, b, cfg)
	resp = b.Login(t, resp, aliceEmail, alicePassword)
	if !servertest.OnPage(resp, "/account/security") {
		t.Fatalf("required role without a factor: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	wantText(t, resp, http.StatusOK, "must have a second factor")
	resp = b.Get(t, env.URL+hrefOf(t, resp, "add-totp"))
	secret := totpSecret(t, resp)
	resp = submit(t, env, b, resp, "/account/totp", url.Values{"code": {clk.code(t, secret)}})
	tok := finishFlow(t, b, cfg, resp, verifier)
	if c := idFactors(t, env, f.clientID, tok); c.ACR != "mfa" {
		t.Errorf("after enrolling: acr %q", c.ACR)
	}
	r := post(t, env, "/oauth2/token", url.Values{
		"grant_type": {"password"}, "username": {aliceEmail}, "password": {alicePassword},
	}, f.clientID, f.secret)
	wantJSONError(t, r, http.StatusBadRequest, "invalid_grant")
}

// TestMFAClientRequires: a client registered with require_mfa gets a
// second factor for every person: one without is sent to set it up.
func TestMFAClientRequires(t *testing.T) {
	f := newFixture(t)
	env := f.env
	clk := fixMFAClock(env)
	spec := appLikeSpec("strict")
	spec.RequireMFA = true
	id, sec := env.CreateClient(t, spec)
	strict := env.OAuth2Config(id, sec, redirectURI, "openid")
	b := env.NewBrowser(t)
	// The ordinary app: no second factor asked.
	resp, verifier, _ := startFlow(t, b, f.config("openid"))
	resp = b.Login(t, resp, aliceEmail, alicePassword)
	finishFlow(t, b, f.config("openid"), resp, verifier)
	// The strict one: set one up, then on.
	resp, verifier, _ = startFlow(t, b, strict)
	if !servertest.OnPage(resp, "/account/security") {
		t.Fatalf("require_mfa client: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	resp = b.Get(t, env.URL+hrefOf(t, resp, "add-totp"))
	secret := totpSecret(t, resp)
	resp = submit(t, env, b, resp, "/account/totp", url.Values{"code": {clk.code(t, secret)}})
	tok := finishFlow(t, b, strict, resp, verifier)
	if c := idFactors(t, env, id, tok); c.ACR != "mfa" {
		t.Errorf("require_mfa client: acr %q", c.ACR)
	}
}

// TestMFADiscovery: acr_values_supported lists pwd, mfa, phr.
func TestMFADiscovery(t *testing.T) {
	env := servertest.Start(t)
	r := send(t, env, http.MethodGet, "/.well-known/openid-configuration", "", nil, nil)
	got, _ := r.JSON["acr_values_supported"].([]any)
	if len(got) != 3 || got[0] != "pwd" || got[1] != "mfa" || got[2] != "phr" {
		t.Errorf("acr_values_supported = %v", r.JSON["acr_values_supported"])
	}
}

// hrefOf returns the (unescaped) href of the link with id on the page.
func hrefOf(t *testing.T, resp *http.Response, id string) string {
	t.Helper()
	body := bodyOf(t, resp)
	re := regexp.MustCompile(`href="([^"]+)"[^>]*id="` + regexp.QuoteMeta(id) + `"|id="` + regexp.QuoteMeta(id) + `"[^>]*href="([^"]+)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link #%s on %s:\n%s", id, resp.Request.URL, body)
	}
	h := m[1] + m[2]
	return strings.ReplaceAll(h, "&amp;", "&")
}

// TestMFARemoveNeedsConfirmation: removing the app needs the password or
// a current code; then sign-in asks for the password alone, the recovery
// codes went with the last factor, and the change is mailed and audited.
func TestMFARemoveNeedsConfirmation(t *testing.T) {
	f := newFixture(t)
	env := f.env
	clk := fixMFAClock(env)
	b := env.NewBrowser(t)
	secret := enrolTOTP(t, env, b, clk, aliceEmail, alicePassword)
	resp := b.Get(t, env.URL+"/account/security")
	resp = submit(t, env, b, resp, "/account/recovery-codes", nil)
	codes := recoveryCodeRE.FindAllStringSubmatch(bodyOf(t, resp), -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}

	resp = b.Get(t, env.URL+"/account/security")
	resp = submit(t, env, b, resp, "/account/totp/remove", url.Values{"password": {"not my password"}})
	wantText(t, resp, http.StatusForbidden, web.MsgConfirmIdentity)
	resp = submit(t, env, b, resp, "/account/totp/remove", url.Values{"code": {"000000"}})
	wantText(t, resp, http.StatusForbidden, web.MsgConfirmIdentity)
	if has, _ := env.Server.MFA.Registry.HasSecondFactor(t.Context(), f.user.ID); !has {
		t.Fatal("removed without confirmation")
	}
	resp = submit(t, env, b, resp, "/account/totp/remove", url.Values{"code": {codes[0][1]}})
	wantText(t, resp, http.StatusOK, web.MsgTOTPRemoved, "You have no second factor yet.")
	if n, _ := env.Server.MFA.RecoveryCodesLeft(t.Context(), f.user.ID); n != 0 {
		t.Errorf("%d recovery codes outlived the last factor", n)
	}
	nb := env.NewBrowser(t)
	resp = nb.Login(t, nb.Get(t, env.URL+"/login"), aliceEmail, alicePassword)
	wantText(t, resp, http.StatusOK, "Signed in")
	all := strings.Join(outbox(t, env, aliceEmail, 4), "\n")
	if !strings.Contains(all, "authenticator app was removed") || !strings.Contains(all, "recovery code was used") {
		t.Errorf("no mail about the removal and the recovery code used:\n%s", all)
	}
	wantAudit(t, env, []string{"mfa.removed/success", "mfa.removed/denied", "mfa.recovery_code_used/success"}, secret, codes[0][1])
}

// TestMFAPageWithoutPendingSignIn: /login/mfa without a sign-in waiting
// for it goes to the login page; a signed-in person without a factor goes
// to set one up.
func TestMFAPageWithoutPendingSignIn(t *testing.T) {
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	if resp := b.Get(t, f.env.URL+"/login/mfa"); !servertest.OnPage(resp, "/login") {
		t.Fatalf("no pending sign-in: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	b.Login(t, b.Get(t, f.env.URL+"/login"), aliceEmail, alicePassword)
	if resp := b.Get(t, f.env.URL+"/login/mfa"); !servertest.OnPage(resp, "/account/security") {
		t.Fatalf("signed in without a factor: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	// A forged pending cookie is ignored.
	u, _ := url.Parse(f.env.URL)
	nb := f.env.NewBrowser(t)
	nb.Client.Jar.SetCookies(u, []*http.Cookie{{Name: web.PendingCookieName, Value: "AAAA" + strings.Repeat("x", 60), Path: "/"}})
	if resp := nb.Get(t, f.env.URL+"/login/mfa"); !servertest.OnPage(resp, "/login") {
		t.Fatalf("forged pending cookie: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}
