package server

import (
	"errors"
	"net"
	"strings"
	"time"
)

// validateBackchannel checks the backchannel_logout section.
func validateBackchannel(c *Config, k *checker) {
	b := c.BackchannelLogout
	k.check(b.Timeout.D() > 0 && b.Timeout.D() <= time.Minute, "backchannel_logout.timeout: must be more than 0 and at most 1m")
	k.check(b.Interval.D() > 0 && b.Interval.D() <= time.Minute, "backchannel_logout.interval: must be more than 0 and at most 1m")
	k.check(b.RetryFor.D() >= b.Timeout.D() && b.RetryFor.D() <= 7*24*time.Hour, "backchannel_logout.retry_for: must be at least the timeout and at most 168h")
	for _, h := range b.AllowedHosts {
		k.check(validHostName(h) == nil, "backchannel_logout.allowed_hosts: %q is not a host name or IP address (no scheme, port or path)", h)
	}
}

// validHostName accepts a DNS host name or an IP address (IPv6 with or
// without brackets).
func validHostName(h string) error {
	if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
		return nil
	}
	if h == "" || len(h) > 253 || strings.ContainsAny(h, "/:@ ?#") {
		return errors.New("not a host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("not a host name")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return errors.New("not a host name")
			}
		}
	}
	return nil
}
