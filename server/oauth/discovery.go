package oauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gatehouse-id/gatehouse/keys"
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
)

// SupportedScopes are the scopes with a defined meaning.
var SupportedScopes = []string{"openid", "profile", "email", "offline_access"}

// Discovery serves /.well-known/openid-configuration. The document is
// built once: nothing in it changes while the server runs.
type Discovery struct {
	body []byte
}

// NewDiscovery builds the discovery document for issuer, advertising
// exactly what Gatehouse supports. Each of extra (Provider.GrantMetadata)
// adds or replaces members.
func NewDiscovery(issuer, signingAlg string, extra ...map[string]any) (*Discovery, error) {
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
		"prompt_values_supported":                       []string{"none", "login", "consent"},
		"claims_supported": []string{
			"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"email", "email_verified", "name", "roles", "sid",
		},
		"claims_parameter_supported":       false,
		"request_parameter_supported":      false,
		"request_uri_parameter_supported":  false,
		"require_request_uri_registration": false,
		// OpenID Connect Back-Channel Logout 1.0 (server/backchannel).
		"backchannel_logout_supported":         true,
		"backchannel_logout_session_supported": true,
	}
	for _, e := range extra {
		for k, v := range e {
			doc[k] = v
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("oauth: discovery document: %w", err)
	}
	return &Discovery{body: body}, nil
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
