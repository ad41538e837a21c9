package server

import (
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/internal/safefetch"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/oauth"
	"github.com/gatehouse-id/gatehouse/server/registration"
	"github.com/gatehouse-id/gatehouse/storage"
)

// agentMetadata is what dynamic registration and client ID metadata
// documents add to the metadata document, as configured.
func agentMetadata(cfg Config) []oauth.DiscoveryOption {
	opts := []oauth.DiscoveryOption{
		oauth.WithMetadata("client_id_metadata_document_supported", cfg.ClientMetadataDocuments.Enabled),
	}
	if cfg.DynamicRegistration.Enabled {
		opts = append(opts, oauth.WithMetadata("registration_endpoint", cfg.Issuer+oauth.PathRegister))
	}
	return opts
}

// agentResources are the configured RFC 8707 resources.
func agentResources(cfg Config) []oauth.Resource {
	out := make([]oauth.Resource, 0, len(cfg.Resources))
	for _, r := range cfg.Resources {
		out = append(out, oauth.Resource{URI: r.URI, Scopes: r.Scopes})
	}
	return out
}

// newRegistration is the dynamic registration endpoint, nil when it is
// off.
func newRegistration(cfg Config, store storage.Store, auditLog *audit.Recorder, limiter *ratelimit.Limiter, logger *slog.Logger) *registration.Handler {
	d := cfg.DynamicRegistration
	if !d.Enabled {
		return nil
	}
	return registration.New(registration.Options{
		Store:     store,
		Hasher:    secret.NewHasher([]byte(cfg.Secret)),
		Audit:     auditLog,
		Limiter:   limiter,
		RateLimit: d.RateLimit,
		Policy:    clients.DynamicPolicy{AllowedScopes: d.AllowedScopes},
		Open:      d.Open,
		ClientURI: func(id string) string { return cfg.Issuer + oauth.PathRegister + "/" + url.PathEscape(id) },
		Logger:    logger,
	})
}

// registrationRoutes are the routes of dynamic registration, when on.
func registrationRoutes(h *registration.Handler) []route {
	if h == nil {
		return nil
	}
	return []route{
		{methods: []string{http.MethodPost}, path: oauth.PathRegister, handler: h.Register, guard: crossSite,
			reason: "clients register themselves from wherever they run (RFC 7591); unless registration is open an initial access token is " +
				"required, registrations are rate limited per IP, and a registered client gets nothing without a person's consent"},
		{methods: []string{http.MethodGet, http.MethodHead}, path: oauth.PathRegister + "/{id}", handler: h.Read, guard: bearer},
		{methods: []string{http.MethodPut}, path: oauth.PathRegister + "/{id}", handler: h.Update, guard: bearer},
		{methods: []string{http.MethodDelete}, path: oauth.PathRegister + "/{id}", handler: h.Delete, guard: bearer},
	}
}

// newMetadataDocuments resolves metadata document client IDs, nil when
// client metadata documents are off.
func newMetadataDocuments(cfg Config, store storage.Store, logger *slog.Logger) *oauth.MetadataDocuments {
	m := cfg.ClientMetadataDocuments
	if !m.Enabled {
		return nil
	}
	return &oauth.MetadataDocuments{
		Fetcher:      safefetch.New(safefetch.Options{Timeout: m.Timeout.D(), AllowedHTTPHosts: m.AllowedHTTPHosts}),
		Policy:       clients.DynamicPolicy{AllowedScopes: m.AllowedScopes},
		Store:        store,
		MaxCacheAge:  m.MaxCacheAge.D(),
		Logger:       logger,
		AllowedHosts: clients.NewHostPatterns(m.AllowedHosts...),
		BlockedHosts: clients.NewHostPatterns(m.BlockedHosts...),
	}
}
