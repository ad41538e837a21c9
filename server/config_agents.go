package server

import "time"

// DynamicRegistrationConfig is dynamic client registration (RFC 7591) and
// management (RFC 7592) at /oauth2/register.
type DynamicRegistrationConfig struct {
	Enabled bool `yaml:"enabled"`
	// Open lets anyone register; otherwise a bearer initial access token
	// (`gatehouse clients initial-token`) is needed.
	Open bool `yaml:"open"`
	// AllowedScopes are the most a registered client may be allowed.
	AllowedScopes []string `yaml:"allowed_scopes"`
	// RateLimit is how many registrations one client IP may make per
	// hour (per /64 for IPv6).
	RateLimit int `yaml:"rate_limit"`
	// DeleteUnusedAfter: the janitor deletes a registered client issued
	// no token for this long (0: never).
	DeleteUnusedAfter Duration `yaml:"delete_unused_after"`
}

// ClientMetadataDocumentsConfig is client ID metadata documents: a
// client_id that is an https URL is fetched for the client's metadata.
type ClientMetadataDocumentsConfig struct {
	Enabled bool `yaml:"enabled"`
	// AllowedHTTPHosts may be fetched over plain http and on loopback or
	// private addresses: for development and tests only.
	AllowedHTTPHosts []string `yaml:"allowed_http_hosts"`
	// AllowedHosts, when not empty, are the only hosts whose documents
	// are clients; BlockedHosts never are (checked first). An entry is a
	// host name or IP address, or "*.example.com" for every host below
	// example.com. A client stored from a host no longer accepted is
	// refused, and so are its tokens.
	AllowedHosts []string `yaml:"allowed_hosts"`
	BlockedHosts []string `yaml:"blocked_hosts"`
	// AllowedScopes are the most such a client may be allowed.
	AllowedScopes []string `yaml:"allowed_scopes"`
	// Timeout bounds one fetch; MaxCacheAge how long a document is used
	// before it is fetched again, whatever its Cache-Control says.
	Timeout     Duration `yaml:"timeout"`
	MaxCacheAge Duration `yaml:"max_cache_age"`
	// DeleteUnusedAfter: the janitor forgets a metadata-document client
	// (its consents and tokens) issued no token for this long (0: never).
	DeleteUnusedAfter Duration `yaml:"delete_unused_after"`
	// RateLimit is how many documents this server has not seen before one
	// client IP may introduce per hour (per /64 for IPv6): each is fetched
	// and stored as a client, on an anonymous request.
	RateLimit int `yaml:"rate_limit"`
}

// ResourceConfig is one protected resource (RFC 8707) any client may ask
// tokens for: its URI becomes the access token's aud.
type ResourceConfig struct {
	URI string `yaml:"uri"`
	// Scopes, when set, are the only scopes a token for it may carry.
	Scopes []string `yaml:"scopes"`
}

// Defaults of the agents sections.
var (
	defaultRegistrationScopes = []string{"openid", "profile", "email", "offline_access"}
)

func agentDefaults(c *Config) {
	c.DynamicRegistration = DynamicRegistrationConfig{
		AllowedScopes:     defaultRegistrationScopes,
		RateLimit:         10,
		DeleteUnusedAfter: Duration(30 * 24 * time.Hour),
	}
	c.ClientMetadataDocuments = ClientMetadataDocumentsConfig{
		AllowedScopes:     defaultRegistrationScopes,
		Timeout:           Duration(5 * time.Second),
		MaxCacheAge:       Duration(24 * time.Hour),
		DeleteUnusedAfter: Duration(30 * 24 * time.Hour),
		RateLimit:         10,
	}
}
