package server

import (
	"net"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/accounts"
)

// maxRecoveryCodes bounds mfa.recovery_codes: a set is shown on one page.
const maxRecoveryCodes = 50

// reservedProviderIDs are provider ids whose /login/{id} is a page of its
// own.
var reservedProviderIDs = []string{"mfa", "passkey"}

// validateMFA checks the mfa section: the relying-party id against the
// issuer, the required roles and the size of a recovery-code set.
func validateMFA(c *Config, k *checker) {
	m := c.MFA
	k.check(m.RecoveryCodes >= 1 && m.RecoveryCodes <= maxRecoveryCodes,
		"mfa.recovery_codes: %d is not between 1 and %d", m.RecoveryCodes, maxRecoveryCodes)
	for _, role := range m.RequiredRoles {
		k.check(accounts.ValidRole(role), "mfa.required_roles: %q is not a valid role name", role)
	}
	k.check(len(m.RequiredRoles) == 0 || m.TOTP || m.Passkeys,
		"mfa.required_roles: set, but both mfa.totp and mfa.passkeys are off: nobody could enrol")
	if m.RPID != "" {
		k.check(validRPID(m.RPID), "mfa.rp_id: %q is not a host name (no scheme, port or path)", m.RPID)
		k.check(net.ParseIP(m.RPID) == nil, "mfa.rp_id: %q is an IP address, which browsers refuse for passkeys; use a host name", m.RPID)
		if u, err := url.Parse(c.Issuer); err == nil && u.Hostname() != "" && validRPID(m.RPID) {
			host := strings.ToLower(u.Hostname())
			rp := strings.ToLower(m.RPID)
			k.check(host == rp || strings.HasSuffix(host, "."+rp),
				"mfa.rp_id: %q is neither the issuer's host %q nor a parent domain of it", m.RPID, host)
		}
	}
	for _, p := range c.Providers {
		for _, reserved := range reservedProviderIDs {
			k.check(p.ID != reserved, "providers[%s].id: %q is reserved (/login/%s is a page of its own)", p.ID, p.ID, p.ID)
		}
	}
}

// validRPID reports whether s is a bare host name: no scheme, port, path
// or brackets.
func validRPID(s string) bool {
	if s == "" || strings.ContainsAny(s, ":/?#@[] ") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return false
	}
	u, err := url.Parse("https://" + s)
	return err == nil && u.Hostname() == s
}
