package ratelimit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/ratelimit/ratelimittest"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "rl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openRedis(t *testing.T) *ratelimit.Redis {
	t.Helper()
	r, err := ratelimit.NewRedis(ratelimittest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r.WithPrefix("gatehouse-test:" + secret.Token(8) + ":")
}

// backends are the counter stores every limiter test runs on.
func backends(t *testing.T) map[string]func(t *testing.T) storage.RateCounters {
	return map[string]func(t *testing.T) storage.RateCounters{
		"sqlite": func(t *testing.T) storage.RateCounters { return openSQLite(t) },
		"redis":  func(t *testing.T) storage.RateCounters { return openRedis(t) },
		"memory": func(t *testing.T) storage.RateCounters { return ratelimit.NewMemory() },
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestCounters(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := open(t)
			ctx := context.Background()
			const w = 15 * time.Minute
			for i := int64(1); i <= 3; i++ {
				n, end, err := c.IncrementCounter(ctx, "k", w, t0.Add(time.Duration(i)*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				if n != i || !end.Equal(t0.Add(time.Minute+w)) {
					t.Fatalf("increment %d: %d until %v", i, n, end)
				}
			}
			if n, end, err := c.GetCounter(ctx, "k", t0.Add(10*time.Minute)); err != nil || n != 3 || !end.Equal(t0.Add(time.Minute+w)) {
				t.Fatalf("get: %d until %v, %v", n, end, err)
			}
			if n, _, err := c.GetCounter(ctx, "k", t0.Add(time.Minute+w)); err != nil || n != 0 {
				t.Fatalf("ended window counts %d, %v", n, err)
			}
			if n, end, err := c.IncrementCounter(ctx, "k", w, t0.Add(time.Minute+w)); err != nil || n != 1 || !end.Equal(t0.Add(time.Minute+2*w)) {
				t.Fatalf("new window: %d until %v, %v", n, end, err)
			}
			if err := c.DeleteCounter(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if n, _, err := c.GetCounter(ctx, "k", t0.Add(time.Minute+w)); err != nil || n != 0 {
				t.Fatalf("deleted counter counts %d, %v", n, err)
			}
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					if _, _, err := c.IncrementCounter(ctx, "c", w, t0); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n, _, err := c.GetCounter(ctx, "c", t0); err != nil || n != 20 {
				t.Fatalf("20 concurrent increments counted %d, %v", n, err)
			}
		})
	}
}

func newLimiter(c storage.RateCounters, clk *clock, log *bytes.Buffer) *ratelimit.Limiter {
	logger := slog.New(slog.NewJSONHandler(log, nil))
	return ratelimit.New(ratelimit.Options{
		Counters:        c,
		Window:          15 * time.Minute,
		AccountFailures: 5,
		IPAttempts:      100,
		Audit:           audit.New(nil, logger).WithClock(clk.Now),
		Logger:          logger,
		Now:             clk.Now,
	})
}

// failLogins makes n allowed, failed sign-ins for alice, advancing clk by
// step after each.
func failLogins(t *testing.T, l *ratelimit.Limiter, clk *clock, n int, step time.Duration) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if err := l.CheckLogin(ctx, "alice@example.com", "u1"); err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		l.LoginFailed(ctx, "alice@example.com")
		clk.Advance(step)
	}
}

func TestAccountLockout(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := &clock{t: t0}
			var log bytes.Buffer
			l := newLimiter(open(t), clk, &log)
			ctx := context.Background()
			failLogins(t, l, clk, 5, time.Minute)
			err := l.CheckLogin(ctx, "alice@example.com", "u1")
			var le *ratelimit.LimitedError
			if !errors.As(err, &le) || !errors.Is(err, ratelimit.ErrLimited) {
				t.Fatalf("6th attempt: %v", err)
			}
			// The window started at the first failure, 5 minutes ago.
			if le.RetryAfter != 10*time.Minute || le.RetryAfterSeconds() != 600 || le.Limit != ratelimit.LimitAccount {
				t.Fatalf("refusal %+v, retry %ds", le, le.RetryAfterSeconds())
			}
			if got := strings.Count(log.String(), `"type":"login.lockout"`); got != 1 {
				t.Fatalf("%d lockout events after the first refusal:\n%s", got, log.String())
			}
			if err := l.CheckLogin(ctx, "alice@example.com", "u1"); err == nil {
				t.Fatal("7th attempt allowed")
			}
			if got := strings.Count(log.String(), `"type":"login.lockout"`); got != 1 {
				t.Fatalf("lockout audited again on the second refusal (%d)", got)
			}
			// Another account from the same IP is not locked.
			if err := l.CheckLogin(ctx, "bob@example.com", ""); err != nil {
				t.Fatalf("other account: %v", err)
			}
			clk.Advance(10 * time.Minute) // the window ends
			if err := l.CheckLogin(ctx, "alice@example.com", "u1"); err != nil {
				t.Fatalf("after the window: %v", err)
			}
		})
	}
}

func TestSuccessClearsFailures(t *testing.T) {
	clk := &clock{t: t0}
	l := newLimiter(openSQLite(t), clk, &bytes.Buffer{})
	ctx := context.Background()
	for range 4 {
		l.LoginFailed(ctx, "a@example.com")
	}
	l.LoginSucceeded(ctx, "a@example.com")
	for range 4 {
		l.LoginFailed(ctx, "a@example.com")
	}
	if err := l.CheckLogin(ctx, "a@example.com", ""); err != nil {
		t.Fatalf("failures before a success still count: %v", err)
	}
}

func TestIPBudget(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := &clock{t: t0}
			var log bytes.Buffer
			l := ratelimit.New(ratelimit.Options{Counters: open(t), Window: time.Hour, IPAttempts: 3, Now: clk.Now,
				Audit: audit.New(nil, slog.New(slog.NewJSONHandler(&log, nil)))})
			ctx := context.Background()
			for i := range 3 {
				if err := l.Allow(ctx, ratelimit.ActionRegister, "192.0.2.1"); err != nil {
					t.Fatalf("attempt %d: %v", i+1, err)
				}
			}
			clk.Advance(20 * time.Minute)
			var le *ratelimit.LimitedError
			if err := l.Allow(ctx, ratelimit.ActionRegister, "192.0.2.1"); !errors.As(err, &le) || le.Limit != ratelimit.LimitIP || le.RetryAfterSeconds() != 2400 {
				t.Fatalf("4th attempt: %v", err)
			}
			if !strings.Contains(log.String(), `"ip":"192.0.2.1"`) || !strings.Contains(log.String(), `"action":"register"`) {
				t.Fatalf("lockout event lacks ip or action:\n%s", log.String())
			}
			if err := l.Allow(ctx, ratelimit.ActionRegister, "192.0.2.2"); err != nil {
				t.Fatalf("other IP: %v", err)
			}
			if err := l.Allow(ctx, ratelimit.ActionForgotPassword, "192.0.2.1"); err != nil {
				t.Fatalf("other action: %v", err)
			}
			clk.Advance(40 * time.Minute)
			if err := l.Allow(ctx, ratelimit.ActionRegister, "192.0.2.1"); err != nil {
				t.Fatalf("after the window: %v", err)
			}
		})
	}
}

// A counter store that fails lets attempts through and logs why.
func TestStoreFailureFailsOpen(t *testing.T) {
	s := openSQLite(t)
	var log bytes.Buffer
	l := ratelimit.New(ratelimit.Options{Counters: s, AccountFailures: 1, Logger: slog.New(slog.NewJSONHandler(&log, nil))})
	s.Close()
	ctx := context.Background()
	l.LoginFailed(ctx, "a@example.com")
	if err := l.CheckLogin(ctx, "a@example.com", ""); err != nil {
		t.Fatalf("closed store refused: %v", err)
	}
	if !strings.Contains(log.String(), "counter store failed") {
		t.Fatalf("failure not logged:\n%s", log.String())
	}
}

func TestNilLimiterAllows(t *testing.T) {
	var l *ratelimit.Limiter
	ctx := context.Background()
	l.LoginFailed(ctx, "a")
	l.LoginSucceeded(ctx, "a")
	if l.CheckLogin(ctx, "a", "") != nil || l.Allow(ctx, "x", "1.2.3.4") != nil {
		t.Fatal("nil limiter refused")
	}
}

// ctxWithIP is a request context as clientip.Middleware leaves it.
func ctxWithIP(t *testing.T, ip string) context.Context {
	t.Helper()
	var ctx context.Context
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = ip + ":4321"
	(&clientip.Resolver{}).Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ctx = r.Context()
	})).ServeHTTP(httptest.NewRecorder(), r)
	return ctx
}

// Credential stuffing: one IP failing across many accounts is refused once
// its budget is used, even for an account it has not tried; successes do
// not count.
func TestLoginIPBudget(t *testing.T) {
	clk := &clock{t: t0}
	l := ratelimit.New(ratelimit.Options{Counters: openSQLite(t), AccountFailures: 5, IPAttempts: 3, Now: clk.Now})
	ctx := ctxWithIP(t, "198.51.100.7")
	for range 10 {
		if err := l.CheckLogin(ctx, "ok@example.com", ""); err != nil {
			t.Fatalf("successful sign-ins refused: %v", err)
		}
		l.LoginSucceeded(ctx, "ok@example.com")
	}
	for i := range 3 {
		account := fmt.Sprintf("victim%d@example.com", i)
		if err := l.CheckLogin(ctx, account, ""); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		l.LoginFailed(ctx, account)
	}
	var le *ratelimit.LimitedError
	if err := l.CheckLogin(ctx, "fresh@example.com", ""); !errors.As(err, &le) || le.Limit != ratelimit.LimitIP {
		t.Fatalf("4th failure from one IP: %v", err)
	}
	if err := l.CheckLogin(ctxWithIP(t, "198.51.100.8"), "fresh@example.com", ""); err != nil {
		t.Fatalf("another IP: %v", err)
	}
}

// The in-memory store sweeps ended windows, so a spray of keys (many IPs or
// emails) does not grow it for ever.
func TestMemorySweepsEndedWindows(t *testing.T) {
	m := ratelimit.NewMemory()
	ctx := context.Background()
	for i := range 5000 {
		if _, _, err := m.IncrementCounter(ctx, fmt.Sprintf("old%d", i), time.Minute, t0); err != nil {
			t.Fatal(err)
		}
	}
	later := t0.Add(time.Hour)
	for i := range 5000 {
		if _, _, err := m.IncrementCounter(ctx, fmt.Sprintf("new%d", i), time.Minute, later); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Len(); n > 5000+2*1024 {
		t.Fatalf("%d counters held after 5000 ended and 5000 live, want ended ones swept", n)
	}
	if n, _, _ := m.GetCounter(ctx, "new4999", later); n != 1 {
		t.Fatalf("a live counter was lost: %d", n)
	}
}

// An IPv6 client is counted by its /64: stepping through the addresses of
// its block does not give it a fresh budget, while another /64 has its own.
func TestIPv6CountedPer64(t *testing.T) {
	clk := &clock{t: t0}
	l := ratelimit.New(ratelimit.Options{Counters: ratelimit.NewMemory(), AccountFailures: 100, IPAttempts: 3, Now: clk.Now})
	ctx := context.Background()
	for i := range 3 {
		if err := l.Allow(ctx, ratelimit.ActionRegister, fmt.Sprintf("2001:db8:1:2::%x", i+1)); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if err := l.Allow(ctx, ratelimit.ActionRegister, "2001:db8:1:2:ffff::9"); !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("4th attempt from the same /64: %v", err)
	}
	if err := l.Allow(ctx, ratelimit.ActionRegister, "2001:db8:1:3::1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
	for i := range 3 {
		account := fmt.Sprintf("victim%d@example.com", i)
		lctx := ctxWithIP(t, fmt.Sprintf("2001:db8:5:6::%x", i+1))
		if err := l.CheckLogin(lctx, account, ""); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
		l.LoginFailed(lctx, account)
	}
	if err := l.CheckLogin(ctxWithIP(t, "2001:db8:5:6:abcd::1"), "fresh@example.com", ""); !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("4th failed sign-in from the same /64: %v", err)
	}
}

// A Redis URL that does not parse is refused without repeating its
// password (the error is logged and printed by the CLI).
func TestNewRedisErrorHidesPassword(t *testing.T) {
	for _, u := range []string{"redis://user:s3cretpw@host:bad/0", "redis://:s3cretpw@ho st/0"} {
		_, err := ratelimit.NewRedis(u)
		if err == nil || strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("NewRedis(%q): %v", u, err)
		}
	}
}

// A burst of guesses that pass the check together takes the failures past
// the budget before anything is refused; the first refusal is still
// audited, once.
func TestBurstLockoutAudited(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := &clock{t: t0}
			var log bytes.Buffer
			l := newLimiter(open(t), clk, &log)
			ctx := context.Background()
			failLogins(t, l, clk, 4, 0)
			// Two guesses checked at once (two bcrypt slots), both wrong.
			for i := range 2 {
				if err := l.CheckLogin(ctx, "alice@example.com", "u1"); err != nil {
					t.Fatalf("concurrent attempt %d refused: %v", i+1, err)
				}
			}
			l.LoginFailed(ctx, "alice@example.com")
			l.LoginFailed(ctx, "alice@example.com")
			for i := range 3 {
				if err := l.CheckLogin(ctx, "alice@example.com", "u1"); !errors.Is(err, ratelimit.ErrLimited) {
					t.Fatalf("refusal %d: %v", i+1, err)
				}
			}
			if got := strings.Count(log.String(), `"type":"login.lockout"`); got != 1 {
				t.Fatalf("%d lockout events, want 1:\n%s", got, log.String())
			}
		})
	}
}

// A success that clears an account's failures (a right password checked
// during the burst that locked it) clears its refusals too: the next
// lockout in the same window is audited again.
func TestSuccessAfterLockoutAuditsNextLockout(t *testing.T) {
	clk := &clock{t: t0}
	var log bytes.Buffer
	l := newLimiter(ratelimit.NewMemory(), clk, &log)
	ctx := context.Background()
	lockout := func() {
		t.Helper()
		for range 5 {
			l.LoginFailed(ctx, "alice@example.com")
		}
		if err := l.CheckLogin(ctx, "alice@example.com", "u1"); !errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("after 5 failures: %v", err)
		}
	}
	lockout()
	l.LoginSucceeded(ctx, "alice@example.com")
	lockout()
	if got := strings.Count(log.String(), `"type":"login.lockout"`); got != 2 {
		t.Fatalf("%d lockout events for two lockouts, want 2:\n%s", got, log.String())
	}
}
