package oauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/mfa"
)

// Endpoint paths, part of the external contract.
const (
	PathAuthorize  = "/oauth2/auth"
	PathToken      = "/oauth2/token"
	PathIntrospect = "/oauth2/introspect"
	PathRevoke     = "/oauth2/revoke"
	PathUserInfo   = "/userinfo"
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/.well-known/jwks.json"
	// PathServerMetadata is RFC 8414 authorization server metadata: the
	// same document as PathDiscovery.
	PathServerMetadata = "/.well-known/oauth-authorization-server"
	// PathRegister is dynamic client registration (RFC 7591); a client's
	// configuration (RFC 7592) is under it.
	PathRegister = "/oauth2/register"
)

// SupportedScopes are the scopes with a defined meaning.
var SupportedScopes = []string{"openid", "profile", "email", "offline_access"}

// Discovery serves the server's metadata, the same document at
// /.well-known/openid-configuration (OpenID Connect Discovery) and
// /.well-known/oauth-authorization-server (RFC 8414). The document is
// built once: nothing in it changes while the server runs.
type Discovery struct {
	body []byte
}

// DiscoveryOption adds what an optional capability advertises to the
// metadata document.
type DiscoveryOption func(doc map[string]any)

// WithMetadata sets one metadata field.
func WithMetadata(key string, value any) DiscoveryOption {
	return func(doc map[string]any) { doc[key] = value }
}

// WithFields adds or replaces every member of fields (for example the
// modern grants' members, Provider.GrantMetadata).
func WithFields(fields map[string]any) DiscoveryOption {
	return func(doc map[string]any) {
		for k, v := range fields {
			doc[k] = v
		}
	}
}

// NewDiscovery builds the metadata document for issuer, advertising
// exactly what Gatehouse supports, plus what opts add.
func NewDiscovery(issuer, signingAlg string, opts ...DiscoveryOption) (*Discovery, error) {
	body, err := json.Marshal(Metadata(issuer, signingAlg, opts...))
	if err != nil {
		return nil, fmt.Errorf("oauth: discovery document: %w", err)
	}
	return &Discovery{body: body}, nil
}

// Metadata is the one metadata document both well-known paths serve.
func Metadata(issuer, signingAlg string, opts ...DiscoveryOption) map[string]any {
	doc := map[string]any{
		"issuer":                                        issuer,
		"authorization_endpoint":                        issuer + PathAuthorize,
		"token_endpoint":                                issuer + PathToken,
		"userinfo_endpoint":                             issuer + PathUserInfo,
		"jwks_uri":                                      issuer + PathJWKS,
		"introspection_endpoint":                        issuer + PathIntrospect,
		"revocation_endpoint":                           issuer + PathRevoke,
		"end_session_endpoint":                          issuer + PathEndSession,
		"scopes_supported":                              SupportedScopes,
		"response_types_supported":                      SupportedResponseTypes,
		"response_modes_supported":                      SupportedResponseModes,
		"grant_types_supported":                         SupportedGrantTypes,
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         []string{signingAlg},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"introspection_endpoint_auth_methods_supported": IntrospectionAuthMethods,
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":              []string{"S256"},
		"prompt_values_supported":                       SupportedPrompts,
		"acr_values_supported":                          mfa.ACRValues,
		"claims_supported": append([]string{
			"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"email", "email_verified", "roles", "sid", "acr", "amr",
		}, ProfileClaims...),
		"claims_parameter_supported":       false,
		"request_parameter_supported":      false,
		"request_uri_parameter_supported":  false,
		"require_request_uri_registration": false,
		// OpenID Connect Back-Channel Logout 1.0 (server/backchannel).
		"backchannel_logout_supported":         true,
		"backchannel_logout_session_supported": true,
		// RFC 9207: every authorization response carries iss.
		"authorization_response_iss_parameter_supported": true,
	}
	for _, o := range opts {
		o(doc)
	}
	return doc
}

// ServeHTTP writes the prebuilt document.
func (d *Discovery) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(d.body)
}

// JWKS serves the public signing keys. The key manager rebuilds the bytes
// only when the key set changes.
type JWKS struct {
	Keys   *keys.Manager
	MaxAge int // Cache-Control max-age in seconds
	Logger *slog.Logger
}

// ServeHTTP writes the current JWK Set.
func (j *JWKS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := j.Keys.JWKS(r.Context())
	if err != nil {
		j.Logger.ErrorContext(r.Context(), "jwks", "error", err)
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", j.MaxAge))
	_, _ = w.Write(body)
}
