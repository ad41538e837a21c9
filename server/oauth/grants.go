package oauth

import (
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/clients"
)

// GrantOptions configure the modern grants: pushed authorization
// requests, device authorization, DPoP and token exchange. A grant that
// is off is neither served nor advertised.
type GrantOptions struct {
	// PAR serves the pushed authorization request endpoint (RFC 9126);
	// RequirePAR makes every client push; PARLifetime bounds a request_uri.
	PAR         bool
	RequirePAR  bool
	PARLifetime time.Duration

	// Device serves the device authorization endpoint and grant
	// (RFC 8628): codes live DeviceCodeLifetime, polling starts at
	// DeviceInterval.
	Device             bool
	DeviceCodeLifetime time.Duration
	DeviceInterval     time.Duration

	// DPoP accepts proofs of possession (RFC 9449) signed with one of
	// DPoPAlgorithms and at most DPoPMaxAge away from now; DPoPNonce
	// makes every proof carry a server nonce.
	DPoP           bool
	DPoPAlgorithms []string
	DPoPMaxAge     time.Duration
	DPoPNonce      bool

	// TokenExchange accepts the token-exchange grant (RFC 8693).
	TokenExchange bool
}

// grantTypes are the grant types the token endpoint accepts with these
// options, which discovery lists.
func (g GrantOptions) grantTypes() []string {
	var out []string
	for _, gt := range clients.GrantTypes {
		switch {
		case gt == clients.GrantDeviceCode && !g.Device, gt == clients.GrantTokenExchange && !g.TokenExchange:
			continue
		}
		out = append(out, gt)
	}
	return out
}

// GrantMetadata returns the discovery members of the grants that are on:
// the grant types accepted, and each grant's endpoints and settings.
func (p *Provider) GrantMetadata() map[string]any {
	g := p.grants
	m := map[string]any{"grant_types_supported": g.grantTypes()}
	if g.Device {
		m["device_authorization_endpoint"] = p.issuer + PathDeviceAuthorization
	}
	if p.dpop != nil {
		m["dpop_signing_alg_values_supported"] = p.dpop.algorithms()
	}
	if g.PAR {
		m["pushed_authorization_request_endpoint"] = p.issuer + PathPAR
		m["require_pushed_authorization_requests"] = g.RequirePAR
	}
	return m
}

// Grants returns the grant options the provider was built with.
func (p *Provider) Grants() GrantOptions { return p.grants }

// appendGrantHandlers adds Gatehouse's own token-endpoint handlers of the
// grants that are on, after fosite's, and returns the token-exchange
// handler (nil when off), which needs the provider once built.
func appendGrantHandlers(cfg *fosite.Config, o ProviderOptions, iss issuer) *exchangeHandler {
	if o.Grants.Device {
		cfg.TokenEndpointHandlers.Append(&deviceGrantHandler{issuer: iss, db: o.Store.db, now: time.Now})
	}
	if !o.Grants.TokenExchange {
		return nil
	}
	ex := &exchangeHandler{issuer: iss}
	cfg.TokenEndpointHandlers.Append(ex)
	return ex
}
