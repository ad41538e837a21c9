package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// mfaClock is the second-factor service's clock in a test: codes are
// computed for its time, which moves only when the test says, so nothing
// depends on where the wall clock is in its 30-second step.
type mfaClock struct {
	mu sync.Mutex
	t  time.Time
}

// fixMFAClock sets env's second-factor clock to now and returns it.
func fixMFAClock(env *servertest.Env) *mfaClock {
	c := &mfaClock{t: time.Now()}
	env.Server.MFA.SetClock(c.Now)
	return c
}

func (c *mfaClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Step moves the clock on one TOTP step.
func (c *mfaClock) Step() { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(30 * time.Second) }

// code is the TOTP code of secret at the clock's time.
func (c *mfaClock) code(t *testing.T, secret string) string {
	t.Helper()
	s, err := totp.GenerateCode(secret, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var totpSecretRE = regexp.MustCompile(`<code id="totp-secret"[^>]*>([A-Z2-7]+)</code>`)

// totpSecret reads the secret off the enrolment page, as a person would
// type it into an app.
func totpSecret(t *testing.T, resp *http.Response) string {
	t.Helper()
	m := totpSecretRE.FindStringSubmatch(bodyOf(t, resp))
	if m == nil {
		t.Fatalf("no #totp-secret on %s (%d):\n%s", resp.Request.URL, resp.StatusCode, bodyOf(t, resp))
	}
	return m[1]
}

// enrolTOTP signs b in (when it is not) and sets up an authenticator app
// for the account, returning the secret; the clock then moves one step, so
// the next code is not the confirmation's.
func enrolTOTP(t *testing.T, env *servertest.Env, b *servertest.Browser, clk *mfaClock, email, password string) string {
	t.Helper()
	resp := b.Get(t, env.URL+"/account/totp")
	if servertest.OnPage(resp, "/login") {
		resp = b.Login(t, resp, email, password)
	}
	if !servertest.OnPage(resp, "/account/totp") {
		t.Fatalf("expected the enrolment page, got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, bodyOf(t, resp))
	}
	secret := totpSecret(t, resp)
	resp = submit(t, env, b, resp, "/account/totp", url.Values{"code": {clk.code(t, secret)}})
	if resp.Request.URL.Path != "/account/security" || resp.StatusCode != http.StatusOK {
		t.Fatalf("confirming the app: %d at %s:\n%s", resp.StatusCode, resp.Request.URL, bodyOf(t, resp))
	}
	clk.Step()
	return secret
}

// mfaIDClaims are the ID token's second-factor claims.
type mfaIDClaims struct {
	AMR []string `json:"amr"`
	ACR string   `json:"acr"`
}

// idFactors verifies the ID token of tok and returns its amr and acr.
func idFactors(t *testing.T, env *servertest.Env, clientID string, tok *oauth2.Token) mfaIDClaims {
	t.Helper()
	id, _ := verifyIDToken(t, env, clientID, idToken(tok))
	var c mfaIDClaims
	if err := id.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// startFlow opens an authorization request for cfg in b and returns the
// response and what the exchange needs.
func startFlow(t *testing.T, b *servertest.Browser, cfg *oauth2.Config, extra ...oauth2.AuthCodeOption) (*http.Response, string, string) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := servertest.RandomString(t)
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", servertest.RandomString(t))}, extra...)
	return b.Authorize(t, cfg.AuthCodeURL(state, opts...)), verifier, state
}

// finishFlow consents when asked, expects the redirect to the client and
// redeems the code.
func finishFlow(t *testing.T, b *servertest.Browser, cfg *oauth2.Config, resp *http.Response, verifier string) *oauth2.Token {
	t.Helper()
	if servertest.OnPage(resp, "/consent") {
		resp = b.Consent(t, resp, "allow")
	}
	q := servertest.ClientRedirect(t, resp, cfg.RedirectURL).Query()
	if q.Get("error") != "" {
		t.Fatalf("authorization failed: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// mfaStep answers the /login/mfa page resp with code.
func mfaStep(t *testing.T, env *servertest.Env, b *servertest.Browser, resp *http.Response, code string) *http.Response {
	t.Helper()
	if !servertest.OnPage(resp, "/login/mfa") {
		t.Fatalf("expected /login/mfa, got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, bodyOf(t, resp))
	}
	return submit(t, env, b, resp, "/login/mfa", url.Values{"code": {code}})
}
