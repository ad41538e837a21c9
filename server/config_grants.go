package server

import "time"

// DeviceConfig configures the device authorization grant (RFC 8628).
type DeviceConfig struct {
	// Enabled serves /oauth2/device/auth and the /device page and lists
	// the grant in discovery; clients still need the grant registered.
	Enabled bool `yaml:"enabled"`
	// CodeLifetime is how long a device code and its user code live.
	CodeLifetime Duration `yaml:"code_lifetime"`
	// Interval is the polling interval a device starts with; each
	// slow_down raises it by 5s for that device code.
	Interval Duration `yaml:"interval"`
}

// PARConfig configures pushed authorization requests (RFC 9126).
type PARConfig struct {
	// Enabled serves /oauth2/par and lists it in discovery.
	Enabled bool `yaml:"enabled"`
	// RequirePushedAuthorizationRequests makes every client push its
	// authorization requests (a client can also require it for itself).
	RequirePushedAuthorizationRequests bool `yaml:"require_pushed_authorization_requests"`
	// Lifetime is how long a request_uri may be used (once).
	Lifetime Duration `yaml:"lifetime"`
}

// DPoPConfig configures DPoP-bound tokens (RFC 9449).
type DPoPConfig struct {
	// Enabled accepts DPoP proofs at the token endpoint and DPoP-bound
	// tokens at the resource endpoints, and advertises the algorithms.
	Enabled bool `yaml:"enabled"`
	// Algorithms are the proof signature algorithms accepted.
	Algorithms []string `yaml:"algorithms"`
	// ProofMaxAge is how far a proof's iat may be from now, either way.
	ProofMaxAge Duration `yaml:"proof_max_age"`
	// RequireNonce makes every proof carry a server nonce (use_dpop_nonce).
	RequireNonce bool `yaml:"require_nonce"`
}

// TokenExchangeConfig configures the token-exchange grant (RFC 8693).
type TokenExchangeConfig struct {
	// Enabled accepts the grant and lists it in discovery; clients still
	// need the grant registered.
	Enabled bool `yaml:"enabled"`
}

// DPoPAlgorithms are the proof algorithms Gatehouse can verify.
var DPoPAlgorithms = []string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}

// grantDefaults sets the defaults of the grant sections.
func grantDefaults(c *Config) {
	c.Device = DeviceConfig{Enabled: true, CodeLifetime: Duration(10 * time.Minute), Interval: Duration(5 * time.Second)}
	c.PAR = PARConfig{Enabled: true, Lifetime: Duration(time.Minute)}
	c.DPoP = DPoPConfig{Enabled: true, Algorithms: []string{"ES256", "EdDSA", "RS256", "PS256"}, ProofMaxAge: Duration(time.Minute)}
	c.TokenExchange = TokenExchangeConfig{Enabled: true}
}
