package e2e

import (
	"fmt"
	"html"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/ratelimit/ratelimittest"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/server/web"
	"github.com/gatehouse-id/gatehouse/storage"
)

// testClock is a settable clock for the rate limiter of a running server.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func passwordForm(email, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}, "scope": {"openid"}}
}

// TestPasswordGrantRateLimit: five wrong passwords lock the account for
// the rest of the window (15 minutes from the first failure): the right
// password gets 429 invalid_grant with Retry-After, one lockout event is
// stored, and once the window ends the right password works again.
func TestPasswordGrantRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	clk := newTestClock()
	f.env.Server.Limiter.SetClock(clk.Now)

	for i := range 5 {
		r := post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, "wrong password "+string(rune('a'+i))), f.clientID, f.secret)
		wantJSONError(t, r, http.StatusBadRequest, "invalid_grant")
		clk.Advance(time.Minute)
	}
	r := post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, alicePassword), f.clientID, f.secret)
	wantJSONError(t, r, http.StatusTooManyRequests, "invalid_grant")
	if got := r.Header.Get("Retry-After"); got != "600" {
		t.Errorf("Retry-After %q, want 600 (10 of the 15 minutes left)", got)
	}
	if d, _ := r.JSON["error_description"].(string); !strings.Contains(d, "Too many") {
		t.Errorf("error_description %q", d)
	}
	if _, ok := r.JSON["access_token"]; ok {
		t.Fatal("tokens issued during the lockout")
	}

	events, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: audit.Lockout})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].UserID != f.user.ID || events[0].IP != "127.0.0.1" || events[0].Details["limit"] != "account" {
		t.Fatalf("lockout events %+v", events)
	}

	// Another account from the same client is not locked.
	f.env.CreateUser(t, "bob@example.com", "bobs secret password", "Bob")
	if r := post(t, f.env, "/oauth2/token", passwordForm("bob@example.com", "bobs secret password"), f.clientID, f.secret); r.Status != http.StatusOK {
		t.Fatalf("other account: %d %s", r.Status, r.Body)
	}

	clk.Advance(10 * time.Minute) // the window ends
	if r := post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, alicePassword), f.clientID, f.secret); r.Status != http.StatusOK {
		t.Fatalf("after the window: %d %s", r.Status, r.Body)
	}
}

// TestLoginPageRateLimit: the login page shows the friendly message with
// 429 and Retry-After once the account is locked, even for the right
// password, and signs in after the window.
func TestLoginPageRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) { c.RateLimit.AccountFailures = 3 }))
	clk := newTestClock()
	f.env.Server.Limiter.SetClock(clk.Now)
	b := f.env.NewBrowser(t)
	authURL := f.config("openid").AuthCodeURL(servertest.RandomString(t), pkceOptions()...)
	page := b.Authorize(t, authURL)
	for range 3 {
		page = b.Login(t, page, aliceEmail, "not the password")
		if page.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: status %d", page.StatusCode)
		}
	}
	page = b.Login(t, page, aliceEmail, alicePassword)
	body := string(servertest.ReadBody(t, page))
	if page.StatusCode != http.StatusTooManyRequests || !strings.Contains(html.UnescapeString(body), web.MsgTooManyAttempts) {
		t.Fatalf("locked account: status %d\n%s", page.StatusCode, body)
	}
	if got := page.Header.Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After %q, want 900", got)
	}
	clk.Advance(15 * time.Minute)
	page = b.Login(t, b.Authorize(t, authURL), aliceEmail, alicePassword)
	if !servertest.OnPage(page, "/consent") {
		t.Fatalf("after the window: status %d, not the consent page", page.StatusCode)
	}
}

// TestRedisRateLimitShared: two servers on one Redis share the limit.
// Failures on either count for the account on both.
func TestRedisRateLimitShared(t *testing.T) {
	t.Parallel()
	redisURL := ratelimittest.RedisURL(t)
	opts := []servertest.Option{servertest.WithConfig(func(c *server.Config) {
		c.RateLimit.RedisURL = redisURL
		c.TrustedProxies = []string{"127.0.0.1"}
	})}
	a := servertest.Start(t, opts...)
	b := servertest.Start(t, append(opts, servertest.WithHost("127.0.0.2"))...)
	// Unique account and client IP, so runs and other tests never share a
	// counter in the one Redis.
	email := "shared-" + servertest.RandomString(t)[:12] + "@example.com"
	ip := fmt.Sprintf("10.%d.%d.%d", rand.IntN(256), rand.IntN(256), 1+rand.IntN(254))
	spec := clients.Spec{ID: "app", GrantTypes: []string{"password"}, Scopes: []string{"openid"}}
	var creds [2][2]string
	for i, env := range []*servertest.Env{a, b} {
		creds[i][0], creds[i][1] = env.CreateClient(t, spec)
		env.CreateUser(t, email, alicePassword, "Shared")
	}
	try := func(i int, password string) apiResponse {
		env := []*servertest.Env{a, b}[i]
		return send(t, env, http.MethodPost, "/oauth2/token", "application/x-www-form-urlencoded",
			strings.NewReader(passwordForm(email, password).Encode()), func(r *http.Request) {
				r.SetBasicAuth(creds[i][0], creds[i][1])
				r.Header.Set("X-Forwarded-For", ip)
			})
	}
	for i := range 5 {
		wantJSONError(t, try(i%2, "wrong password"), http.StatusBadRequest, "invalid_grant")
	}
	for i := range 2 {
		r := try(i, alicePassword)
		wantJSONError(t, r, http.StatusTooManyRequests, "invalid_grant")
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("server %d: no Retry-After", i)
		}
	}
}

// TestRedisDownFallsBackToMemory: with Redis unreachable from the start,
// sign-ins still work (and fail) normally and the limits still hold,
// counted in this process; the server says so.
func TestRedisDownFallsBackToMemory(t *testing.T) {
	t.Parallel()
	var log logBuffer
	f := newFixture(t,
		servertest.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))),
		servertest.WithConfig(func(c *server.Config) { c.RateLimit.RedisURL = "redis://127.0.0.1:1/0" }))
	f.passwordTokens(t, "openid")
	for range 5 {
		wantJSONError(t, post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, "wrong"), f.clientID, f.secret), http.StatusBadRequest, "invalid_grant")
	}
	wantJSONError(t, post(t, f.env, "/oauth2/token", passwordForm(aliceEmail, alicePassword), f.clientID, f.secret), http.StatusTooManyRequests, "invalid_grant")
	if out := log.String(); !strings.Contains(out, "Redis unreachable") {
		t.Fatalf("no error about the unreachable Redis:\n%s", out)
	}
}

// TestRegisterRateLimit: one client IP may register ip_attempts times per
// window; then /register answers the friendly 429 page with Retry-After.
func TestRegisterRateLimit(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.RateLimit.IPAttempts = 2 }))
	env.Server.Limiter.SetClock(newTestClock().Now)
	register := func(i int) *http.Response {
		b := env.NewBrowser(t)
		return submit(t, env, b, b.Get(t, env.URL+"/register"), "/register", url.Values{
			"email": {fmt.Sprintf("new%d@example.com", i)}, "password": {"a long enough password"}, "name": {"New"},
		})
	}
	for i := range 2 {
		if resp := register(i); resp.StatusCode != http.StatusOK {
			t.Fatalf("registration %d: status %d\n%s", i+1, resp.StatusCode, servertest.ReadBody(t, resp))
		}
	}
	resp := register(2)
	wantText(t, resp, http.StatusTooManyRequests, web.MsgTooManyAttempts)
	if got := resp.Header.Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After %q, want 900", got)
	}
	if _, err := env.Store.GetUserByEmail(t.Context(), "new2@example.com"); err == nil {
		t.Error("the refused registration created an account")
	}
}

// TestForgotPasswordRateLimit: reset mail to one address is capped at 3
// per window (the page answers the same, without mail), and one client IP
// may ask ip_attempts times before the 429 page.
func TestForgotPasswordRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.WithConfig(func(c *server.Config) {
		c.RateLimit.IPAttempts = 5
	}))
	f.env.Server.Limiter.SetClock(newTestClock().Now)
	b := f.env.NewBrowser(t)
	ask := func() *http.Response {
		return submit(t, f.env, b, b.Get(t, f.env.URL+"/forgot-password"), "/forgot-password", url.Values{"email": {aliceEmail}})
	}
	for range 5 {
		wantText(t, ask(), http.StatusOK, web.MsgForgotSent)
	}
	resp := ask()
	wantText(t, resp, http.StatusTooManyRequests, web.MsgTooManyAttempts)
	if resp.Header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q, want 900", resp.Header.Get("Retry-After"))
	}
	f.env.Server.Close() // drains the mail queue
	if n := len(readOutbox(t, f.env.Config.Mail.Dir, aliceEmail)); n != 3 {
		t.Errorf("%d reset mails to one address, want 3 (the per-address mail cap)", n)
	}
}
