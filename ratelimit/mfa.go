package ratelimit

import (
	"context"
	"errors"

	"github.com/gatehouse-id/gatehouse/internal/clientip"
)

// ActionMFA is guessing a second factor (a TOTP or recovery code) after
// the first factor: its failures count against the account (by user id)
// and against the client IP's sign-in budget, which it shares with
// ActionLogin.
const ActionMFA = "mfa"

// CheckMFA is called before a second-factor code is checked. It refuses
// the attempt, whatever the code, once the account has had
// ratelimit.account_failures attempts not followed by a success in the
// window (from anywhere: whoever is guessing already has the first
// factor), or the client IP has used its sign-in budget. An attempt let
// through counts against the account at once, before its code is
// checked, so codes sent at the same moment cannot all pass before the
// first failure is counted; MFASucceeded clears the count.
func (l *Limiter) CheckMFA(ctx context.Context, userID string) error {
	if l == nil {
		return nil
	}
	ip := clientip.FromContext(ctx)
	if ip != "" {
		if err := l.checkAction(ctx, ActionMFA, LimitIP, ipKey(ActionLogin, ip), int64(l.o.IPAttempts), userID, ip); err != nil {
			return err
		}
	}
	return l.reserve(ctx, ActionMFA, LimitAccount, accountKey(ActionMFA, userID), int64(l.o.AccountFailures), userID, ip)
}

// MFAFailed counts a wrong second-factor code against the client IP (the
// account counted the attempt in CheckMFA).
func (l *Limiter) MFAFailed(ctx context.Context, userID string) {
	if l == nil {
		return
	}
	if ip := clientip.FromContext(ctx); ip != "" {
		if _, _, err := l.o.Counters.IncrementCounter(ctx, ipKey(ActionLogin, ip), l.o.Window, l.clock()); err != nil {
			l.storeFailed(ctx, err)
		}
	}
}

// MFASucceeded clears the account's wrong codes.
func (l *Limiter) MFASucceeded(ctx context.Context, userID string) {
	if l == nil {
		return
	}
	key := accountKey(ActionMFA, userID)
	n, _, err := l.o.Counters.GetCounter(ctx, key, l.clock())
	if err == nil && n > 0 {
		err = errors.Join(l.o.Counters.DeleteCounter(ctx, key), l.o.Counters.DeleteCounter(ctx, refusedKey(key)))
	}
	if err != nil {
		l.storeFailed(ctx, err)
	}
}
