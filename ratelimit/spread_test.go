package ratelimit_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/storage"
)

func spreadLimiter(c storage.RateCounters, clk *clock, log *bytes.Buffer) *ratelimit.Limiter {
	logger := slog.New(slog.NewJSONHandler(log, nil))
	return ratelimit.New(ratelimit.Options{
		Counters:             c,
		Window:               15 * time.Minute,
		AccountFailures:      5,
		AccountTotalFailures: 20,
		IPAttempts:           100,
		DeviceKey:            []byte("0123456789abcdef0123456789abcdef"),
		Audit:                audit.New(nil, logger).WithClock(clk.Now),
		Logger:               logger,
		Now:                  clk.Now,
	})
}

// TestLockoutPerAccountAndIP: failures from one address lock the account
// for that address only; the account's owner elsewhere still gets in.
func TestLockoutPerAccountAndIP(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := &clock{t: t0}
			l := spreadLimiter(open(t), clk, &bytes.Buffer{})
			attacker, owner := ctxWithIP(t, "127.0.0.3"), ctxWithIP(t, "127.0.0.1")
			for i := range 6 {
				if err := l.CheckLogin(attacker, "alice@example.com", "u1"); err != nil {
					if i < 5 {
						t.Fatalf("attempt %d refused: %v", i+1, err)
					}
					break
				}
				if i == 5 {
					t.Fatal("6th failure from one address allowed")
				}
				l.LoginFailed(attacker, "alice@example.com")
			}
			if err := l.CheckLogin(owner, "alice@example.com", "u1"); err != nil {
				t.Fatalf("the owner, elsewhere, is locked out by the attacker: %v", err)
			}
		})
	}
}

// TestSpreadAttackSlowedAndAudited: failures spread over many addresses
// (one each) are refused once the account's total budget is used, the
// refusal audited once; a browser holding the account's device token still
// gets through, and a forged or another account's token does not.
func TestSpreadAttackSlowedAndAudited(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			clk := &clock{t: t0}
			var log bytes.Buffer
			l := spreadLimiter(open(t), clk, &log)
			device := l.DeviceToken("alice@example.com")
			refused := 0
			for i := range 100 {
				ctx := ctxWithIP(t, fmt.Sprintf("10.0.%d.%d", i/250, 1+i%250))
				if err := l.CheckLogin(ctx, "alice@example.com", "u1"); err != nil {
					var le *ratelimit.LimitedError
					if !errors.As(err, &le) || le.Limit != ratelimit.LimitAccountTotal {
						t.Fatalf("attempt %d: %v", i+1, err)
					}
					refused++
					continue
				}
				l.LoginFailed(ctx, "alice@example.com")
			}
			if refused != 80 {
				t.Fatalf("%d of 100 spread attempts refused, want 80", refused)
			}
			if got := strings.Count(log.String(), `"type":"login.lockout"`); got != 1 {
				t.Fatalf("%d lockout events, want 1:\n%s", got, log.String())
			}
			if !strings.Contains(log.String(), `"limit":"account_total"`) {
				t.Fatalf("lockout event does not name the limit:\n%s", log.String())
			}
			owner := ctxWithIP(t, "127.0.0.1")
			if err := l.CheckLogin(owner, "alice@example.com", "u1"); err == nil {
				t.Fatal("a browser never signed in before passes during the attack")
			}
			if err := l.CheckLogin(ratelimit.WithDevice(owner, device), "alice@example.com", "u1"); err != nil {
				t.Fatalf("the owner's known browser is locked out: %v", err)
			}
			for _, bad := range []string{device + "x", l.DeviceToken("bob@example.com"), "", "garbage"} {
				if err := l.CheckLogin(ratelimit.WithDevice(owner, bad), "alice@example.com", "u1"); err == nil {
					t.Fatalf("device token %q passes for alice", bad)
				}
			}
			// The device has its own small budget: a stolen cookie is not a
			// way around the limits.
			ctx := ratelimit.WithDevice(owner, device)
			for range 5 {
				l.LoginFailed(ctx, "alice@example.com")
			}
			if err := l.CheckLogin(ctx, "alice@example.com", "u1"); err == nil {
				t.Fatal("a device with 5 failures still passes")
			}
		})
	}
}
