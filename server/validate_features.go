package server

import (
	"fmt"
	"net"

	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

var (
	colorRE      = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	providerIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// ProviderTypes are the upstream identity provider types.
var ProviderTypes = []string{"oidc", "google", "github"}

// validateFeatures checks the sections beyond the core: registration,
// mail, branding, providers, rate limits, proxies, CORS, TLS, audit, the
// database pool and the janitor.
func (c *Config) validateFeatures(check func(ok bool, format string, args ...any)) {
	m := c.Mail
	switch m.Driver {
	case "file":
		check(m.Dir != "", "mail.dir: required with mail.driver file")
	case "smtp":
		check(m.Host != "", "mail.host: required with mail.driver smtp")
		check(m.From != "", "mail.from: required with mail.driver smtp")
	default:
		check(false, "mail.driver: %q is not smtp or file", m.Driver)
	}
	check(m.Port > 0 && m.Port < 65536, "mail.port: %d is not a port", m.Port)
	if m.From != "" {
		_, err := mail.ParseAddress(m.From)
		check(err == nil, "mail.from: %q is not an email address", m.From)
	}
	switch m.StartTLS {
	case "mandatory", "opportunistic", "off":
	default:
		check(false, "mail.starttls: %q is not mandatory, opportunistic or off", m.StartTLS)
	}

	b := c.Branding
	check(strings.TrimSpace(b.ProductName) != "", "branding.product_name: required")
	check(colorRE.MatchString(b.PrimaryColor), "branding.primary_color: %q is not a #rgb or #rrggbb colour", b.PrimaryColor)
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		ok := err == nil && ((u.Scheme == "https" && u.Host != "") || (u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/")))
		check(ok, "branding.logo_url: %q is not an https URL or an absolute path", b.LogoURL)
	}

	seen := map[string]bool{}
	for i, p := range c.Providers {
		name := fmt.Sprintf("providers[%d]", i)
		if p.ID != "" {
			name = fmt.Sprintf("providers[%s]", p.ID)
		}
		check(providerIDRE.MatchString(p.ID), "%s.id: %q must be lower-case letters, digits, - or _ (at most 32)", name, p.ID)
		check(!seen[p.ID], "%s.id: %q is used twice", name, p.ID)
		seen[p.ID] = true
		switch p.Type {
		case "oidc":
			u, err := url.Parse(p.Issuer)
			ok := err == nil && u.Host != "" && (u.Scheme == "https" || (u.Scheme == "http" && (c.Dev || isLoopback(u.Hostname()))))
			check(ok, "%s.issuer: %q is not an https URL", name, p.Issuer)
		case "google", "github":
		default:
			check(false, "%s.type: %q is not oidc, google or github", name, p.Type)
		}
		check(p.ClientID != "", "%s.client_id: required", name)
		check(p.ClientSecret != "", "%s.client_secret: required (or set %s)", name, ProviderSecretEnv(p.ID))
		for _, f := range []struct{ key, v string }{{"auth_url", p.AuthURL}, {"token_url", p.TokenURL}, {"api_url", p.APIURL}} {
			if f.v == "" {
				continue
			}
			check(p.Type == "github", "%s.%s: only for type github", name, f.key)
			u, err := url.Parse(f.v)
			check(err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http"), "%s.%s: %q is not an http(s) URL", name, f.key, f.v)
		}
		check(p.HostedDomain == "" || p.Type == "google", "%s.hosted_domain: only for type google", name)
		check(p.Issuer == "" || p.Type == "oidc", "%s.issuer: only for type oidc", name)
		check(p.Timeout.D() >= 0, "%s.timeout: must not be negative", name)
	}

	r := c.RateLimit
	switch r.Store {
	case "", "memory", "database":
	default:
		check(false, "ratelimit.store: %q is not memory or database", r.Store)
	}
	check(r.Window.D() >= time.Second, "ratelimit.window: %s is shorter than 1s", r.Window.D())
	check(r.AccountFailures >= 1, "ratelimit.account_failures: must be at least 1")
	check(r.IPAttempts >= 1, "ratelimit.ip_attempts: must be at least 1")
	check(r.AccountTotalFailures >= 0, "ratelimit.account_total_failures: must not be negative")
	if r.RedisURL != "" {
		u, err := url.Parse(r.RedisURL)
		check(err == nil && (u.Scheme == "redis" || u.Scheme == "rediss") && u.Host != "", "ratelimit.redis_url: %q is not a redis:// or rediss:// URL", RedactDSN(r.RedisURL))
	}

	for _, p := range c.TrustedProxies {
		_, errIP := netip.ParseAddr(p)
		_, errNet := netip.ParsePrefix(p)
		check(errIP == nil || errNet == nil, "trusted_proxies: %q is not an IP address or CIDR range", p)
	}
	for _, o := range c.CORS.AllowedOrigins {
		u, err := url.Parse(o)
		ok := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.Path == "" && u.RawQuery == "" && u.User == nil
		check(ok, "cors.allowed_origins: %q is not an origin like https://app.example.com", o)
	}

	t := c.TLS
	check((t.CertFile == "") == (t.KeyFile == ""), "tls: set both cert_file and key_file, or neither")
	for _, f := range []struct{ key, path string }{{"cert_file", t.CertFile}, {"key_file", t.KeyFile}} {
		if f.path != "" {
			_, err := os.Stat(f.path)
			check(err == nil, "tls.%s: %v", f.key, err)
		}
	}

	check(c.Audit.Retention.D() >= time.Hour, "audit.retention: %s is shorter than 1h", c.Audit.Retention.D())
	p := c.DatabasePool
	check(p.MaxConns >= 1, "database_pool.max_conns: must be at least 1")
	check(p.MinConns >= 0 && p.MinConns <= p.MaxConns, "database_pool.min_conns: %d is not within 0..max_conns", p.MinConns)
	check(p.ConnectTimeout.D() > 0, "database_pool.connect_timeout: must be positive")
	check(p.MaxConnLife.D() >= 0, "database_pool.max_conn_lifetime: must not be negative")
	if c.MetricsListen != "" {
		_, _, err := net.SplitHostPort(c.MetricsListen)
		check(err == nil, "metrics_listen: %q is not host:port", c.MetricsListen)
		check(c.MetricsListen != c.Listen, "metrics_listen: must differ from listen")
	}
	check(c.Janitor.Interval.D() >= time.Second, "janitor.interval: %s is shorter than 1s", c.Janitor.Interval.D())
	for _, l := range []struct {
		name string
		d    Duration
	}{{"lifetimes.password_reset", c.Lifetimes.PasswordReset}, {"lifetimes.email_verification", c.Lifetimes.EmailVerification}} {
		check(l.d.D() >= time.Minute, "%s: %s is shorter than 1m", l.name, l.d.D())
	}
}

// ProviderSecretEnv names the environment variable that carries provider
// id's client secret.
func ProviderSecretEnv(id string) string {
	return "GATEHOUSE_PROVIDERS_" + strings.ToUpper(strings.ReplaceAll(id, "-", "_")) + "_CLIENT_SECRET"
}

// applyProviderSecrets fills each provider's client secret from its
// environment variable (or _FILE), which wins over the file.
func applyProviderSecrets(c *Config, lookup func(string) (string, bool)) Problems {
	var problems Problems
	for i := range c.Providers {
		name := ProviderSecretEnv(c.Providers[i].ID)
		val, ok := lookup(name)
		file, fok := lookup(name + "_FILE")
		switch {
		case ok && fok:
			problems = append(problems, fmt.Errorf("config: both %s and %s_FILE are set; use one", name, name))
		case fok:
			raw, err := os.ReadFile(file)
			if err != nil {
				problems = append(problems, fmt.Errorf("config: %s_FILE: %w", name, err))
				continue
			}
			c.Providers[i].ClientSecret = strings.TrimRight(string(raw), "\r\n")
		case ok:
			c.Providers[i].ClientSecret = val
		}
	}
	return problems
}
