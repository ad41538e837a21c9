package server

import (
	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/providers/github"
	"github.com/gatehouse-id/gatehouse/providers/google"
	"github.com/gatehouse-id/gatehouse/providers/oidc"
)

// ProviderRegistry maps each providers[].type to its implementation.
var ProviderRegistry = providers.Registry{
	"oidc":   oidc.New,
	"google": google.New,
	"github": github.New,
}

// defaultNames are the button texts of providers configured without a name.
var defaultNames = map[string]string{"google": "Google", "github": "GitHub"}

// UpstreamConfigs converts the configured providers to the providers
// package's settings, with Gatehouse's callback as the redirect URL.
func UpstreamConfigs(cfg Config) []providers.Config {
	out := make([]providers.Config, 0, len(cfg.Providers))
	for _, p := range cfg.Providers {
		name := p.Name
		if name == "" {
			name = defaultNames[p.Type]
		}
		if name == "" {
			name = p.ID
		}
		out = append(out, providers.Config{
			ID:           p.ID,
			Type:         p.Type,
			Name:         name,
			ClientID:     p.ClientID,
			ClientSecret: p.ClientSecret,
			Scopes:       p.Scopes,
			Issuer:       p.Issuer,
			HostedDomain: p.HostedDomain,
			AuthURL:      p.AuthURL,
			TokenURL:     p.TokenURL,
			APIURL:       p.APIURL,
			RedirectURL:  cfg.Issuer + "/login/" + p.ID + "/callback",
			Timeout:      p.Timeout.D(),
		})
	}
	return out
}

// noEmailLinking lists the providers configured with link_by_email: false.
func noEmailLinking(ps []ProviderConfig) map[string]bool {
	out := map[string]bool{}
	for _, p := range ps {
		if p.LinkByEmail != nil && !*p.LinkByEmail {
			out[p.ID] = true
		}
	}
	return out
}
