package clients

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// CheckRedirectURIShape refuses what a redirect URI must never hold,
// registered or requested: userinfo ("http://evil@127.0.0.1/cb", which
// shows the person a host that is not the one reached), a port outside
// 1..65535, and, on a loopback http URI, a percent-encoded path. A loopback
// redirect URI matches the registered one on any port (RFC 8252 section
// 7.3) by its decoded path, so "/%63allback" would stand for "/callback".
// The authorization endpoint applies it to the requested redirect_uri too.
func CheckRedirectURIShape(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("must be an absolute URL")
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return errors.New("must not contain user information (user@host)")
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New("must have a port from 1 to 65535")
		}
	}
	if IsLoopbackHTTP(u) && (strings.Contains(u.RawPath, "%") || strings.Contains(u.EscapedPath(), "%") || strings.Contains(u.Opaque, "%")) {
		return errors.New("a loopback redirect URI must not contain a percent-encoded path")
	}
	return nil
}

// IsLoopbackHTTP reports whether u is a plain-http URI on a loopback host.
func IsLoopbackHTTP(u *url.URL) bool {
	if u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
