package ratelimit_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/ratelimit"
)

// TestMFAFailures: wrong second-factor codes are limited per user from
// anywhere, a success clears them, the window ends the refusal, and they
// share the client IP's sign-in budget with password failures.
func TestMFAFailures(t *testing.T) {
	clk := &clock{t: t0}
	l := ratelimit.New(ratelimit.Options{Counters: openSQLite(t), AccountFailures: 3, IPAttempts: 5, Now: clk.Now})
	a, b := ctxWithIP(t, "198.51.100.7"), ctxWithIP(t, "203.0.113.9")
	for i := range 2 {
		if err := l.CheckMFA(a, "u1"); err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		l.MFAFailed(a, "u1")
	}
	l.MFASucceeded(a, "u1")
	for range 3 {
		if err := l.CheckMFA(b, "u1"); err != nil {
			t.Fatalf("refused after a success cleared the count: %v", err)
		}
		l.MFAFailed(b, "u1")
	}
	// Over the account's budget, from any address.
	var limited *ratelimit.LimitedError
	if err := l.CheckMFA(ctxWithIP(t, "192.0.2.1"), "u1"); !errors.As(err, &limited) || limited.Action != ratelimit.ActionMFA || limited.Limit != ratelimit.LimitAccount {
		t.Fatalf("CheckMFA over budget = %v", err)
	}
	if err := l.CheckMFA(b, "u2"); err != nil {
		t.Fatalf("another user refused: %v", err)
	}
	// b has 3 failures against its IP budget of 5: two password failures
	// use it up, for sign-ins and codes alike.
	l.LoginFailed(b, "x@example.com")
	l.LoginFailed(b, "y@example.com")
	if err := l.CheckMFA(b, "u3"); !errors.As(err, &limited) || limited.Limit != ratelimit.LimitIP {
		t.Fatalf("CheckMFA from a spent IP = %v", err)
	}
	clk.Advance(16 * time.Minute)
	if err := l.CheckMFA(b, "u1"); err != nil {
		t.Fatalf("refused after the window: %v", err)
	}
}

// TestMFAAttemptsCountedFirst: an attempt counts against the account
// when it is let through, before its code is checked, so codes sent at
// once cannot all pass the check before the first failure is counted:
// of many concurrent attempts, exactly the budget gets through.
func TestMFAAttemptsCountedFirst(t *testing.T) {
	l := ratelimit.New(ratelimit.Options{Counters: openSQLite(t), AccountFailures: 5, IPAttempts: 1000})
	ctx := ctxWithIP(t, "198.51.100.7")
	var passed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if l.CheckMFA(ctx, "u1") == nil {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := passed.Load(); n != 5 {
		t.Fatalf("%d of 50 concurrent attempts got through a budget of 5", n)
	}
	// A success clears the count.
	l.MFASucceeded(ctx, "u1")
	if err := l.CheckMFA(ctx, "u1"); err != nil {
		t.Fatalf("refused after a success: %v", err)
	}
}
