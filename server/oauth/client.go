package oauth

import (
	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Grant types and response types Gatehouse supports.
var (
	SupportedGrantTypes    = []string{"authorization_code", "refresh_token", "client_credentials", "password"}
	SupportedResponseTypes = []string{"code"}
)

// toFositeClient turns a stored client into the client fosite checks.
// It is deliberately a fosite.DefaultClient, not an OpenIDConnectClient:
// that interface pins one token-endpoint auth method per client, and
// Gatehouse accepts both client_secret_basic and client_secret_post.
func toFositeClient(c storage.Client) *fosite.DefaultClient {
	responseTypes := c.ResponseTypes
	if len(responseTypes) == 0 {
		responseTypes = SupportedResponseTypes
	}
	return &fosite.DefaultClient{
		ID:            c.ID,
		Secret:        c.SecretHash,
		RedirectURIs:  c.RedirectURIs,
		GrantTypes:    c.GrantTypes,
		ResponseTypes: responseTypes,
		Scopes:        c.Scopes,
		Audience:      c.Audience,
		Public:        c.Public,
	}
}
