package server

import (
	"net/netip"
	"net/url"
	"os"
)

// validateNetwork checks what faces the network around the listener:
// trusted proxies, CORS origins and the TLS certificate files.
func validateNetwork(c *Config, k *checker) {
	for _, p := range c.TrustedProxies {
		_, errIP := netip.ParseAddr(p)
		_, errNet := netip.ParsePrefix(p)
		k.check(errIP == nil || errNet == nil, "trusted_proxies: %q is not an IP address or CIDR range", p)
	}
	for _, o := range c.CORS.AllowedOrigins {
		u, err := url.Parse(o)
		ok := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.Path == "" && u.RawQuery == "" && u.User == nil
		k.check(ok, "cors.allowed_origins: %q is not an origin like https://app.example.com", o)
	}

	t := c.TLS
	k.check((t.CertFile == "") == (t.KeyFile == ""), "tls: set both cert_file and key_file, or neither")
	for _, f := range []struct{ key, path string }{{"cert_file", t.CertFile}, {"key_file", t.KeyFile}} {
		if f.path != "" {
			_, err := os.Stat(f.path)
			k.check(err == nil, "tls.%s: %v", f.key, err)
		}
	}
}
