package server

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-id/gatehouse/keys"
)

// MinSecretLength is the shortest system secret accepted: the key
// manager's own minimum, since the secret encrypts the signing keys.
const MinSecretLength = keys.MinSecretLength

// Validate checks the whole configuration and reports every problem at
// once, one per line. In dev mode a missing secret is allowed (Serve
// generates and persists one).
func (c *Config) Validate() error {
	k := &checker{}
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

	for _, l := range []struct {
		name string
		d    Duration
		min  time.Duration
	}{
		{"lifetimes.access_token", c.Lifetimes.AccessToken, time.Minute},
		{"lifetimes.refresh_token", c.Lifetimes.RefreshToken, time.Minute},
		{"lifetimes.id_token", c.Lifetimes.IDToken, time.Minute},
		{"lifetimes.authorize_code", c.Lifetimes.AuthorizeCode, 10 * time.Second},
		{"lifetimes.browser_session", c.Lifetimes.BrowserSession, time.Minute},
	} {
		check(l.d.D() >= l.min, "%s: %s is shorter than %s", l.name, l.d.D(), l.min)
	}
	check(c.Lifetimes.AuthorizeCode.D() <= time.Hour, "lifetimes.authorize_code: %s is longer than 1h", c.Lifetimes.AuthorizeCode.D())
	check(c.Lifetimes.RefreshReuseGrace.D() >= 0 && c.Lifetimes.RefreshReuseGrace.D() <= maxRefreshReuseGrace,
		"lifetimes.refresh_reuse_grace: %s is not between 0s and %s", c.Lifetimes.RefreshReuseGrace.D(), maxRefreshReuseGrace)

	switch c.Keys.Algorithm {
	case "RS256", "ES256":
	case "EdDSA":
		// fosite v0.49 computes the code flow's at_hash with SHA-256 for
		// every algorithm but RSxxx/ESxxx 384/512, while relying parties
		// expect SHA-512 for EdDSA: ID tokens would fail at_hash checks.
		check(false, "keys.algorithm: EdDSA is not supported yet (its at_hash would be wrong); use RS256 or ES256")
	default:
		check(false, "keys.algorithm: %q is not RS256 or ES256", c.Keys.Algorithm)
	}
	check(c.Keys.PublishAhead.D() >= 0, "keys.publish_ahead: must not be negative")
	check(c.Keys.PublishAhead.D() == 0 || c.Keys.PublishAhead.D() >= c.Keys.RefreshInterval.D(),
		"keys.publish_ahead: %s is shorter than keys.refresh_interval (%s): other nodes would sign with a key before they publish it (use 0 to sign at once)",
		c.Keys.PublishAhead.D(), c.Keys.RefreshInterval.D())
	check(c.Keys.RefreshInterval.D() >= time.Second, "keys.refresh_interval: %s is shorter than 1s", c.Keys.RefreshInterval.D())
	for _, validate := range sectionValidators() {
		validate(c, k)
	}

	return errors.Join(k.errs...)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxRefreshReuseGrace bounds lifetimes.refresh_reuse_grace: the window is
// for concurrent requests of one client (two tabs), not a second life for
// a stolen token.
const maxRefreshReuseGrace = 5 * time.Minute
