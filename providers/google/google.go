// Package google is the upstream identity provider for Google accounts: the
// OpenID Connect provider preset for https://accounts.google.com with the
// scopes openid, email and profile, and optionally restricted to one Google
// Workspace domain (hosted_domain).
package google

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/providers/oidc"
)

// Issuer is Google's OpenID Connect issuer.
const Issuer = "https://accounts.google.com"

// New returns the Google provider. cfg.Issuer defaults to Issuer (tests
// point it elsewhere). With cfg.HostedDomain set, Google is asked to offer
// only accounts of that domain (hd parameter) and, because that parameter
// is only a hint the person can edit, the ID token's hd claim must name
// the domain.
func New(cfg providers.Config) (providers.Provider, error) {
	if cfg.Issuer == "" {
		cfg.Issuer = Issuer
	}
	var o oidc.Options
	if hd := strings.ToLower(strings.TrimSpace(cfg.HostedDomain)); hd != "" {
		o.AuthParams = url.Values{"hd": {hd}}
		o.Check = func(c oidc.Claims) error {
			if !strings.EqualFold(c.HostedDomain, hd) {
				return fmt.Errorf("google: hosted domain %q, want %q", c.HostedDomain, hd)
			}
			return nil
		}
	}
	return oidc.NewWithOptions(cfg, o)
}
