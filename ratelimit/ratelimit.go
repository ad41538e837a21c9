// Package ratelimit bounds password guessing and credential stuffing with
// fixed-window counters: failed sign-ins per account and client IP (a
// small budget), per account from everywhere (a larger one, against an
// attacker spread over many addresses) and per device (a browser that
// signed in before, see DeviceToken), and attempts per client IP, per
// action (login, register, forgot_password, resend_verification). The counters (storage.RateCounters) live in this
// process (NewMemory, for a single node), in the database (shared by every
// node on it) or in Redis (NewRedis, shared by every node pointed at it).
//
// A refused attempt is a *LimitedError carrying how long until the window
// ends (the Retry-After). The first refusal of a key in each window is an
// audit event (audit.Lockout). When the counter store fails the limiter
// logs the failure and lets the attempt through: an outage of Redis must
// not lock every person out, and bcrypt's bounded pool still caps the
// guessing rate.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Actions that are limited. Each has its own per-IP budget (per /64 for
// IPv6).
const (
	ActionLogin          = "login" // the login page and the password grant
	ActionRegister       = "register"
	ActionForgotPassword = "forgot_password"
	// ActionResendVerification: asking for another email-verification link.
	ActionResendVerification = "resend_verification"
	// ActionClientRegistration: dynamic client registration (RFC 7591),
	// with its own budget (AllowWithin).
	ActionClientRegistration = "client_registration"
	// ActionClientMetadataDocument: naming a client ID metadata document
	// the server has not seen before (its own budget, AllowWithin).
	ActionClientMetadataDocument = "client_metadata_document"
	// ActionDeviceCode: entering a device's user code on /device.
	ActionDeviceCode = "device_code"
)

// Which limit refused an attempt (LimitedError.Limit, metric label).
const (
	// LimitAccount: the account's failures from this client IP (or from
	// this device, for a browser with a device token).
	LimitAccount = "account"
	// LimitAccountTotal: the account's failures from everywhere.
	LimitAccountTotal = "account_total"
	LimitIP           = "ip"
)

// ErrLimited is matched (errors.Is) by every *LimitedError.
var ErrLimited = errors.New("ratelimit: too many attempts")

// LimitedError refuses an attempt until the window ends.
type LimitedError struct {
	Action     string
	Limit      string // LimitAccount, LimitAccountTotal or LimitIP
	RetryAfter time.Duration
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("ratelimit: too many %s attempts (%s limit); retry after %s", e.Action, e.Limit, e.RetryAfter)
}

// Is makes errors.Is(err, ErrLimited) true.
func (e *LimitedError) Is(target error) bool { return target == ErrLimited }

// RetryAfterSeconds is the Retry-After header value: whole seconds,
// rounded up, at least 1.
func (e *LimitedError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// Observer is told of refusals and failed sign-ins (metrics). Optional.
type Observer interface {
	RateLimited(action, limit string)
	LoginFailed()
}

// Options configure a Limiter. Counters is required; the limits default
// to 5 failures per account and client IP, 50 per account in all, and 100
// IP attempts per 15 minutes.
type Options struct {
	Counters storage.RateCounters
	Window   time.Duration
	// AccountFailures is the budget of an account's failures from one
	// client IP (or one device).
	AccountFailures int
	// AccountTotalFailures is the budget of an account's failures from
	// everywhere; once used, only browsers with a device token get in.
	AccountTotalFailures int
	IPAttempts           int
	// DeviceKey signs device tokens (DeviceToken); none are issued or
	// accepted without it.
	DeviceKey []byte
	Audit     *audit.Recorder
	Observer  Observer
	Logger    *slog.Logger
	// Now is the clock (time.Now when nil); tests inject their own.
	Now func() time.Time
}

// Limiter enforces the limits. A nil *Limiter allows everything.
type Limiter struct {
	o   Options
	now atomic.Pointer[func() time.Time]
}

// New returns a Limiter.
func New(o Options) *Limiter {
	if o.Counters == nil {
		panic("ratelimit: New: Options.Counters is nil")
	}
	if o.Window <= 0 {
		o.Window = 15 * time.Minute
	}
	if o.AccountFailures <= 0 {
		o.AccountFailures = 5
	}
	if o.IPAttempts <= 0 {
		o.IPAttempts = 100
	}
	if o.AccountTotalFailures <= 0 {
		o.AccountTotalFailures = max(50, 10*o.AccountFailures)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	l := &Limiter{o: o}
	l.SetClock(o.Now)
	return l
}

// SetClock replaces the clock (time.Now when nil); tests of a running
// server use it to move past a window without sleeping.
func (l *Limiter) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	l.now.Store(&now)
}

func (l *Limiter) clock() time.Time { return (*l.now.Load())() }

// CheckLogin is called before a password is verified. It refuses the
// attempt, whatever the password, once the client IP (from the context,
// see clientip.FromContext) has made ratelimit.ip_attempts failed sign-ins
// in the window, or the account has had ratelimit.account_failures from
// this IP, or ratelimit.account_total_failures from everywhere. A browser
// holding a valid device token for the account (see WithDevice) is judged
// by its own failures instead of the account's, so an attack from
// elsewhere does not lock the owner out.
// Only failures count for sign-ins, so a busy NAT or a backend using the
// password grant for many people is not throttled by its successes.
// userID ("" when no such account) only goes into the audit event.
func (l *Limiter) CheckLogin(ctx context.Context, account, userID string) error {
	if l == nil {
		return nil
	}
	ip := clientip.FromContext(ctx)
	if ip != "" {
		if err := l.check(ctx, LimitIP, ipKey(ActionLogin, ip), int64(l.o.IPAttempts), userID, ip); err != nil {
			return err
		}
	}
	if id, ok := l.device(ctx, account); ok {
		return l.check(ctx, LimitAccount, deviceKey(account, id), int64(l.o.AccountFailures), userID, ip)
	}
	if err := l.check(ctx, LimitAccount, pairKey(account, ip), int64(l.o.AccountFailures), userID, ip); err != nil {
		return err
	}
	return l.check(ctx, LimitAccountTotal, accountKey(ActionLogin, account), int64(l.o.AccountTotalFailures), userID, ip)
}

// check refuses a sign-in when key's failures have reached budget.
func (l *Limiter) check(ctx context.Context, limit, key string, budget int64, userID, ip string) error {
	return l.checkAction(ctx, ActionLogin, limit, key, budget, userID, ip)
}

// checkAction refuses an attempt at action when key's failures have
// reached budget.
func (l *Limiter) checkAction(ctx context.Context, action, limit, key string, budget int64, userID, ip string) error {
	now := l.clock()
	n, end, err := l.o.Counters.GetCounter(ctx, key, now)
	if err != nil {
		l.storeFailed(ctx, err)
		return nil
	}
	if n < budget {
		return nil
	}
	return l.refused(ctx, action, limit, key, end, now, userID, ip)
}

// reserve counts an attempt at action against key first and refuses it
// when that takes key past budget: of attempts made at once, exactly
// budget get through (checkAction's read, then a later count, lets
// every concurrent attempt through).
func (l *Limiter) reserve(ctx context.Context, action, limit, key string, budget int64, userID, ip string) error {
	now := l.clock()
	n, end, err := l.o.Counters.IncrementCounter(ctx, key, l.o.Window, now)
	if err != nil {
		l.storeFailed(ctx, err)
		return nil
	}
	if n <= budget {
		return nil
	}
	return l.refused(ctx, action, limit, key, end, now, userID, ip)
}

// refused refuses an attempt at action over key's budget, until end.
// Refusals are counted apart, in a window that ends with key's, so the
// first refusal of the window is known (and audited once) however far
// concurrent attempts took key's count past its budget.
func (l *Limiter) refused(ctx context.Context, action, limit, key string, end, now time.Time, userID, ip string) error {
	refusals, _, err := l.o.Counters.IncrementCounter(ctx, refusedKey(key), max(end.Sub(now), time.Millisecond), now)
	if err != nil {
		l.storeFailed(ctx, err)
	}
	return l.refuse(ctx, action, limit, refusals == 1, end, userID, ip)
}

// LoginFailed counts a failed sign-in against the client IP and the
// account: from this IP and in total, or, for a browser with a valid
// device token, against that device only.
func (l *Limiter) LoginFailed(ctx context.Context, account string) {
	if l == nil {
		return
	}
	if l.o.Observer != nil {
		l.o.Observer.LoginFailed()
	}
	ip := clientip.FromContext(ctx)
	var keys []string
	if id, ok := l.device(ctx, account); ok {
		keys = append(keys, deviceKey(account, id))
	} else {
		keys = append(keys, pairKey(account, ip), accountKey(ActionLogin, account))
	}
	if ip != "" {
		keys = append(keys, ipKey(ActionLogin, ip))
	}
	for _, key := range keys {
		if _, _, err := l.o.Counters.IncrementCounter(ctx, key, l.o.Window, l.clock()); err != nil {
			l.storeFailed(ctx, err)
		}
	}
}

// LoginSucceeded clears the account's failures from this client IP (or
// this device). The account's total is left to its window: the owner
// signing in must not hand a spread attack a fresh budget.
func (l *Limiter) LoginSucceeded(ctx context.Context, account string) {
	if l == nil {
		return
	}
	key := pairKey(account, clientip.FromContext(ctx))
	if id, ok := l.device(ctx, account); ok {
		key = deviceKey(account, id)
	}
	// A read first: most sign-ins follow no failure, and need no write.
	n, _, err := l.o.Counters.GetCounter(ctx, key, l.clock())
	if err == nil && n > 0 {
		err = errors.Join(l.o.Counters.DeleteCounter(ctx, key), l.o.Counters.DeleteCounter(ctx, refusedKey(key)))
	}
	if err != nil {
		l.storeFailed(ctx, err)
	}
}

// Allow counts one attempt at action from ip and refuses it, with a
// *LimitedError, once the IP has used its budget (ratelimit.ip_attempts
// per window). Pages call it for registration and forgot-password:
//
//	if err := limiter.Allow(r.Context(), ratelimit.ActionRegister, clientip.FromRequest(r)); err != nil { ... 429 ... }
//
// An empty ip is not limited.
func (l *Limiter) Allow(ctx context.Context, action, ip string) error {
	if l == nil || ip == "" {
		return nil
	}
	n, end, err := l.o.Counters.IncrementCounter(ctx, ipKey(action, ip), l.o.Window, l.clock())
	if err != nil {
		l.storeFailed(ctx, err)
		return nil
	}
	if budget := int64(l.o.IPAttempts); n > budget {
		return l.refuse(ctx, action, LimitIP, n == budget+1, end, "", ip)
	}
	return nil
}

// AllowWithin is Allow with its own budget per window instead of
// ratelimit.ip_attempts per ratelimit.window.
func (l *Limiter) AllowWithin(ctx context.Context, action, ip string, budget int, window time.Duration) error {
	if l == nil || ip == "" {
		return nil
	}
	n, end, err := l.o.Counters.IncrementCounter(ctx, ipKey(action, ip), window, l.clock())
	if err != nil {
		l.storeFailed(ctx, err)
		return nil
	}
	if b := int64(budget); n > b {
		return l.refuse(ctx, action, LimitIP, n == b+1, end, "", ip)
	}
	return nil
}

// refuse builds the error for an attempt refused until end, auditing the
// first refusal of the window.
func (l *Limiter) refuse(ctx context.Context, action, limit string, first bool, end time.Time, userID, ip string) error {
	retry := end.Sub(l.clock())
	if end.IsZero() || retry <= 0 {
		retry = time.Second
	}
	if l.o.Observer != nil {
		l.o.Observer.RateLimited(action, limit)
	}
	if first {
		l.o.Audit.Record(ctx, storage.AuditEvent{
			Type:    audit.Lockout,
			Outcome: audit.Denied,
			UserID:  userID,
			IP:      ip,
			Details: map[string]string{"action": action, "limit": limit, "until": end.UTC().Format(time.RFC3339)},
		})
	}
	return &LimitedError{Action: action, Limit: limit, RetryAfter: retry}
}

func (l *Limiter) storeFailed(ctx context.Context, err error) {
	l.o.Logger.ErrorContext(ctx, "ratelimit: counter store failed; attempt allowed", "error", err)
}

// ipKey names the counter of a client IP. An IPv6 client is counted by
// its /64, the block one subscriber or host is given (RFC 6177): counting
// each address apart would let it pick a fresh one from 2^64 for every
// attempt.
func ipKey(action, ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
		ip = netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
	}
	return "rl:" + action + ":ip:" + ip
}

// pairKey names the counter of an account's failures from one client IP
// (per /64 for IPv6, like ipKey).
func pairKey(account, ip string) string {
	return accountKey(ActionLogin, account) + ":" + ipKey(ActionLogin, ip)
}

// refusedKey names the counter of key's refusals.
func refusedKey(key string) string { return key + ":refused" }

// accountKey names an account's counter by a hash of the account (the
// normalised email), so no address is stored in the counters.
func accountKey(action, account string) string {
	return "rl:" + action + ":acct:" + secret.SHA256Hex(account)
}
