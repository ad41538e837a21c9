package ratelimit

import (
	"context"
	"time"
)

// CheckFailures refuses an attempt at action from ip, with a
// *LimitedError, once the IP's failures at it have used the IP budget
// (ratelimit.ip_attempts per window). Only failures count (see Failed):
// a code entered right is never held against the IP. An empty ip is not
// limited.
func (l *Limiter) CheckFailures(ctx context.Context, action, ip string) error {
	if l == nil || ip == "" {
		return nil
	}
	key := ipKey(action, ip)
	now := l.clock()
	n, end, err := l.o.Counters.GetCounter(ctx, key, now)
	if err != nil {
		l.storeFailed(ctx, err)
		return nil
	}
	if n < int64(l.o.IPAttempts) {
		return nil
	}
	refusals, _, err := l.o.Counters.IncrementCounter(ctx, refusedKey(key), max(end.Sub(now), time.Millisecond), now)
	if err != nil {
		l.storeFailed(ctx, err)
	}
	return l.refuse(ctx, action, LimitIP, refusals == 1, end, "", ip)
}

// Failed counts one failed attempt at action from ip.
func (l *Limiter) Failed(ctx context.Context, action, ip string) {
	if l == nil || ip == "" {
		return
	}
	if _, _, err := l.o.Counters.IncrementCounter(ctx, ipKey(action, ip), l.o.Window, l.clock()); err != nil {
		l.storeFailed(ctx, err)
	}
}
