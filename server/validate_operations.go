package server

import (
	"net"
	"time"
)

// validateOperations checks the sections that run the server rather than
// the protocol: audit retention, the database pool, the metrics listener,
// the janitor and the lifetimes of mailed links.
func validateOperations(c *Config, k *checker) {
	k.check(c.Audit.Retention.D() >= time.Hour, "audit.retention: %s is shorter than 1h", c.Audit.Retention.D())
	p := c.DatabasePool
	k.check(p.MaxConns >= 1, "database_pool.max_conns: must be at least 1")
	k.check(p.MinConns >= 0 && p.MinConns <= p.MaxConns, "database_pool.min_conns: %d is not within 0..max_conns", p.MinConns)
	k.check(p.ConnectTimeout.D() > 0, "database_pool.connect_timeout: must be positive")
	k.check(p.MaxConnLife.D() >= 0, "database_pool.max_conn_lifetime: must not be negative")
	if c.MetricsListen != "" {
		_, _, err := net.SplitHostPort(c.MetricsListen)
		k.check(err == nil, "metrics_listen: %q is not host:port", c.MetricsListen)
		k.check(c.MetricsListen != c.Listen, "metrics_listen: must differ from listen")
	}
	k.check(c.Janitor.Interval.D() >= time.Second, "janitor.interval: %s is shorter than 1s", c.Janitor.Interval.D())
	for _, l := range []struct {
		name string
		d    Duration
	}{{"lifetimes.password_reset", c.Lifetimes.PasswordReset}, {"lifetimes.email_verification", c.Lifetimes.EmailVerification}} {
		k.check(l.d.D() >= time.Minute, "%s: %s is shorter than 1m", l.name, l.d.D())
	}
}
