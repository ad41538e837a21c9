package accounts_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/ratelimit"
)

func limitedService(t *testing.T, failures, cost int) *accounts.Service {
	t.Helper()
	store := openStore(t)
	svc, err := accounts.New(store, cost)
	if err != nil {
		t.Fatal(err)
	}
	svc.LimitLogins(ratelimit.New(ratelimit.Options{Counters: store, AccountFailures: failures}))
	if _, err := svc.CreateUser(context.Background(), accounts.NewUser{Email: "ann@example.com", Password: "the right password", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestAuthenticateLockout: after the failures allowed, the right password
// is refused with ErrRateLimited (a *ratelimit.LimitedError).
func TestAuthenticateLockout(t *testing.T) {
	svc := limitedService(t, 3, 4)
	ctx := context.Background()
	for range 3 {
		if _, err := svc.Authenticate(ctx, "ann@example.com", "wrong password"); !errors.Is(err, accounts.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	_, err := svc.Authenticate(ctx, "ANN@example.com", "the right password")
	var limited *ratelimit.LimitedError
	if !errors.Is(err, accounts.ErrRateLimited) || !errors.As(err, &limited) || limited.RetryAfter <= 0 {
		t.Fatalf("right password during the lockout: %v", err)
	}
}

// TestAuthenticateBurst: a burst of concurrent guesses gets no more than
// one attempt per bcrypt slot past the limit; the rest are refused.
func TestAuthenticateBurst(t *testing.T) {
	const failures, burst = 3, 40
	// Cost 10: each comparison is slow enough that the whole burst has
	// passed the first check before the first failure is counted.
	svc := limitedService(t, failures, 10)
	var wg sync.WaitGroup
	results := make([]error, burst)
	for i := range burst {
		wg.Go(func() { _, results[i] = svc.Authenticate(context.Background(), "ann@example.com", "wrong password") })
	}
	wg.Wait()
	var checked, refused int
	for _, err := range results {
		switch {
		case errors.Is(err, accounts.ErrInvalidCredentials):
			checked++
		case errors.Is(err, accounts.ErrRateLimited):
			refused++
		default:
			t.Fatalf("unexpected result %v", err)
		}
	}
	if limit := failures + runtime.GOMAXPROCS(0) - 1; checked < failures || checked > limit {
		t.Fatalf("%d of %d guesses were checked, want %d..%d", checked, burst, failures, limit)
	}
}

// TestAuthenticateSuccessClears: a success clears the account's failures.
func TestAuthenticateSuccessClears(t *testing.T) {
	svc := limitedService(t, 3, 4)
	ctx := context.Background()
	for range 2 {
		_, _ = svc.Authenticate(ctx, "ann@example.com", "wrong password")
		if _, err := svc.Authenticate(ctx, "ann@example.com", "the right password"); err != nil {
			t.Fatalf("right password: %v", err)
		}
	}
	for range 2 {
		_, _ = svc.Authenticate(ctx, "ann@example.com", "wrong password")
	}
	if _, err := svc.Authenticate(ctx, "ann@example.com", "the right password"); err != nil {
		t.Fatalf("failures before a success still count: %v", err)
	}
}
