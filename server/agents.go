package server

import "github.com/gatehouse-id/gatehouse/server/oauth"

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
