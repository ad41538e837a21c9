package server

import (
	"net"
	"net/url"
	"strings"
	"unicode"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// validateAgents checks the sections for clients that register themselves
// and agents: resources, dynamic_registration, client_metadata_documents.
func validateAgents(c *Config, k *checker) {
	seen := map[string]bool{}
	for i, r := range c.Resources {
		u, err := url.Parse(r.URI)
		// RFC 8707 section 2: an absolute URI without a fragment.
		k.check(err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(r.URI, "#"),
			"resources[%d].uri: %q is not an absolute URI without a fragment", i, r.URI)
		k.check(!seen[r.URI], "resources[%d].uri: %q is listed twice", i, r.URI)
		seen[r.URI] = true
		for _, s := range r.Scopes {
			k.check(validScopeToken(s), "resources[%d].scopes: %q is not a scope", i, s)
			k.check(s != oauth.ScopeAdmin, "resources[%d].scopes: %s is never granted for a resource", i, oauth.ScopeAdmin)
		}
	}

	d := c.DynamicRegistration
	for _, s := range d.AllowedScopes {
		k.check(validScopeToken(s), "dynamic_registration.allowed_scopes: %q is not a scope", s)
		k.check(s != oauth.ScopeAdmin, "dynamic_registration.allowed_scopes: %s is never given to a self-registered client", oauth.ScopeAdmin)
	}
	k.check(d.RateLimit > 0, "dynamic_registration.rate_limit: must be at least 1 registration per hour")
	k.check(d.DeleteUnusedAfter.D() >= 0, "dynamic_registration.delete_unused_after: must not be negative")

	m := c.ClientMetadataDocuments
	for _, s := range m.AllowedScopes {
		k.check(validScopeToken(s), "client_metadata_documents.allowed_scopes: %q is not a scope", s)
		k.check(s != oauth.ScopeAdmin, "client_metadata_documents.allowed_scopes: %s is never given to such a client", oauth.ScopeAdmin)
	}
	for _, h := range m.AllowedHTTPHosts {
		k.check((h != "" && !strings.ContainsAny(h, "/:@ ")) || net.ParseIP(h) != nil,
			"client_metadata_documents.allowed_http_hosts: %q is not a host name or IP address (no scheme or port)", h)
	}
	for _, list := range []struct {
		key   string
		hosts []string
	}{{"allowed_hosts", m.AllowedHosts}, {"blocked_hosts", m.BlockedHosts}} {
		for _, h := range list.hosts {
			k.check(clients.ValidHostPattern(h),
				"client_metadata_documents.%s: %q is not a host name, an IP address or *.example.com (no scheme, port or path)", list.key, h)
		}
	}
	k.check(m.Timeout.D() > 0, "client_metadata_documents.timeout: must be positive")
	k.check(m.MaxCacheAge.D() > 0, "client_metadata_documents.max_cache_age: must be positive")
	k.check(m.DeleteUnusedAfter.D() >= 0, "client_metadata_documents.delete_unused_after: must not be negative")
	k.check(m.RateLimit > 0, "client_metadata_documents.rate_limit: must be at least 1 new client per hour")
}

// validScopeToken reports whether s is an RFC 6749 section 3.3 scope token.
func validScopeToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\\' || r < 0x21 || r > 0x7e })
}
