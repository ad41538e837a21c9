package server

import (
	"net/url"
	"time"
)

// validateRateLimit checks the ratelimit section: the store, the window,
// the budgets and the shared Redis URL.
func validateRateLimit(c *Config, k *checker) {
	r := c.RateLimit
	switch r.Store {
	case "", "memory", "database":
	default:
		k.check(false, "ratelimit.store: %q is not memory or database", r.Store)
	}
	k.check(r.Window.D() >= time.Second, "ratelimit.window: %s is shorter than 1s", r.Window.D())
	k.check(r.AccountFailures >= 1, "ratelimit.account_failures: must be at least 1")
	k.check(r.IPAttempts >= 1, "ratelimit.ip_attempts: must be at least 1")
	k.check(r.AccountTotalFailures >= 0, "ratelimit.account_total_failures: must not be negative")
	if r.RedisURL != "" {
		u, err := url.Parse(r.RedisURL)
		k.check(err == nil && (u.Scheme == "redis" || u.Scheme == "rediss") && u.Host != "", "ratelimit.redis_url: %q is not a redis:// or rediss:// URL", RedactDSN(r.RedisURL))
	}
}
