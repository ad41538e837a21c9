package server

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

var providerIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ProviderTypes are the upstream identity provider types.
var ProviderTypes = []string{"oidc", "google", "github"}

// validateProviders checks each upstream identity provider: a unique id,
// a known type with only the fields that type uses, and its credentials.
func validateProviders(c *Config, k *checker) {
	seen := map[string]bool{}
	for i, p := range c.Providers {
		name := fmt.Sprintf("providers[%d]", i)
		if p.ID != "" {
			name = fmt.Sprintf("providers[%s]", p.ID)
		}
		k.check(providerIDRE.MatchString(p.ID), "%s.id: %q must be lower-case letters, digits, - or _ (at most 32)", name, p.ID)
		k.check(!seen[p.ID], "%s.id: %q is used twice", name, p.ID)
		seen[p.ID] = true
		switch p.Type {
		case "oidc":
			u, err := url.Parse(p.Issuer)
			ok := err == nil && u.Host != "" && (u.Scheme == "https" || (u.Scheme == "http" && (c.Dev || isLoopback(u.Hostname()))))
			k.check(ok, "%s.issuer: %q is not an https URL", name, p.Issuer)
		case "google", "github":
		default:
			k.check(false, "%s.type: %q is not oidc, google or github", name, p.Type)
		}
		k.check(p.ClientID != "", "%s.client_id: required", name)
		k.check(p.ClientSecret != "", "%s.client_secret: required (or set %s)", name, ProviderSecretEnv(p.ID))
		for _, f := range []struct{ key, v string }{{"auth_url", p.AuthURL}, {"token_url", p.TokenURL}, {"api_url", p.APIURL}} {
			if f.v == "" {
				continue
			}
			k.check(p.Type == "github", "%s.%s: only for type github", name, f.key)
			u, err := url.Parse(f.v)
			k.check(err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http"), "%s.%s: %q is not an http(s) URL", name, f.key, f.v)
		}
		k.check(p.HostedDomain == "" || p.Type == "google", "%s.hosted_domain: only for type google", name)
		k.check(p.Issuer == "" || p.Type == "oidc", "%s.issuer: only for type oidc", name)
		k.check(p.Timeout.D() >= 0, "%s.timeout: must not be negative", name)
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
		problems = append(problems, secretFromEnv(ProviderSecretEnv(c.Providers[i].ID), lookup, &c.Providers[i].ClientSecret)...)
	}
	return problems
}

// secretFromEnv sets *dst from the environment variable name, or from the
// file name_FILE names (its trailing newline dropped), when either is set;
// both set is a problem.
func secretFromEnv(name string, lookup func(string) (string, bool), dst *string) Problems {
	val, ok := lookup(name)
	file, fok := lookup(name + "_FILE")
	switch {
	case ok && fok:
		return Problems{fmt.Errorf("config: both %s and %s_FILE are set; use one", name, name)}
	case fok:
		raw, err := os.ReadFile(file)
		if err != nil {
			return Problems{fmt.Errorf("config: %s_FILE: %w", name, err)}
		}
		*dst = strings.TrimRight(string(raw), "\r\n")
	case ok:
		*dst = val
	}
	return nil
}
