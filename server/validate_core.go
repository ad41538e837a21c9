package server

import (
	"net"
	"net/url"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// validateCore checks the top-level keys every server needs: issuer,
// listen, debug_listen, database, secret, bcrypt_cost and log_level.
func validateCore(c *Config, k *checker) {
	check := k.check
	u, err := url.Parse(c.Issuer)
	switch {
	case c.Issuer == "":
		check(false, "issuer: required")
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		check(false, "issuer: %q is not an absolute http(s) URL", c.Issuer)
	case u.Hostname() == "" || u.Port() == "0":
		check(false, "issuer: %q has no usable host and port", c.Issuer)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		check(false, "issuer: %q must not have a query, fragment or user info", c.Issuer)
	case u.Scheme == "http" && !c.Dev && !isLoopback(u.Hostname()):
		check(false, "issuer: %q uses http on a non-loopback host; use https (or dev: true for local testing)", c.Issuer)
	}
	check(c.Listen != "", "listen: required")
	if c.Listen != "" {
		_, _, err := net.SplitHostPort(c.Listen)
		check(err == nil, "listen: %q is not host:port", c.Listen)
	}
	if c.DebugListen != "" {
		_, _, err := net.SplitHostPort(c.DebugListen)
		check(err == nil, "debug_listen: %q is not host:port", c.DebugListen)
	}
	check(c.Database != "", "database: required")
	if !c.Dev || c.Secret != "" {
		check(len(c.Secret) >= MinSecretLength, "secret: must be at least %d bytes (set GATEHOUSE_SECRET; got %d)", MinSecretLength, len(c.Secret))
	}
	check(c.BcryptCost >= bcrypt.MinCost && c.BcryptCost <= bcrypt.MaxCost, "bcrypt_cost: %d is outside %d..%d", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	check(c.BcryptCost >= 10 || c.Dev, "bcrypt_cost: %d is too low outside dev mode (at least 10)", c.BcryptCost)
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		check(false, "log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
}
