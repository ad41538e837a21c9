package server

import (
	"net"
	"strconv"
	"time"
)

// validateOps checks the runtime settings: the listen ports' range, the
// janitor's batches and the database timeouts.
func validateOps(c *Config, k *checker) {
	check := k.check
	for _, l := range []struct{ key, addr string }{
		{"listen", c.Listen}, {"metrics_listen", c.MetricsListen}, {"debug_listen", c.DebugListen},
	} {
		if _, port, err := net.SplitHostPort(l.addr); err == nil {
			n, err := strconv.Atoi(port)
			check(err == nil && n >= 0 && n <= 65535, "%s: port %q is not a number in 0..65535", l.key, port)
		}
	}
	j := c.Janitor
	check(j.BatchSize >= 1 && j.BatchSize <= 100000, "janitor.batch_size: %d is outside 1..100000", j.BatchSize)
	check(j.BatchPause.D() >= 0, "janitor.batch_pause: must not be negative")
	check(j.PassTimeout.D() >= time.Second, "janitor.pass_timeout: %s is shorter than 1s", j.PassTimeout.D())
	p := c.DatabasePool
	check(p.StatementTimeout.D() == 0 || p.StatementTimeout.D() >= 100*time.Millisecond,
		"database_pool.statement_timeout: %s is shorter than 100ms (0 turns it off)", p.StatementTimeout.D())
	check(p.LockTimeout.D() == 0 || p.LockTimeout.D() >= 10*time.Millisecond,
		"database_pool.lock_timeout: %s is shorter than 10ms (0 turns it off)", p.LockTimeout.D())
}
