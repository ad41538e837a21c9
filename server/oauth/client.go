package oauth

import (
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Grant types and response types Gatehouse supports.
var (
	SupportedGrantTypes    = clients.GrantTypes
	SupportedResponseTypes = []string{"code"}
)

// toFositeClient turns a stored client into the client fosite checks.
// It is deliberately a fosite.DefaultClient, not an OpenIDConnectClient:
// that interface pins one token-endpoint auth method per client, and
// Gatehouse accepts both client_secret_basic and client_secret_post.
func toFositeClient(c storage.Client, resources []Resource) fosite.Client {
	responseTypes := c.ResponseTypes
	if len(responseTypes) == 0 {
		responseTypes = SupportedResponseTypes
	}
	// A client is always an allowed audience of its own tokens: grantAudience
	// grants the client id when no audience is requested (RFC 9068 needs an
	// aud), and fosite's refresh handler checks the granted audience against
	// this list, so without it every refresh fails.
	// The configured resources are allowed audiences of every client
	// (RFC 8707; requested exactly, checkResources).
	audience := slices.Clone(c.Audience)
	if !slices.Contains(audience, c.ID) {
		audience = append(audience, c.ID)
	}
	for _, r := range resources {
		if !slices.Contains(audience, r.URI) {
			audience = append(audience, r.URI)
		}
	}
	return &client{lastUsed: c.LastUsedAt, registeredAudience: c.Audience, introspectAny: c.IntrospectAny, requireMFA: c.RequireMFA,
		pkceOptional: c.PKCEOptional, origin: c.Origin, name: c.Name,
		requirePAR: c.RequirePAR, requireDPoP: c.RequireDPoP, allowImpersonation: c.AllowImpersonation,
		DefaultClient: &fosite.DefaultClient{
			ID:            c.ID,
			Secret:        c.SecretHash,
			RedirectURIs:  c.RedirectURIs,
			GrantTypes:    c.GrantTypes,
			ResponseTypes: responseTypes,
			Scopes:        c.Scopes,
			Audience:      audience,
			Public:        c.Public,
		}}
}

// client is a fosite client that also accepts the query and form_post
// response modes.
type client struct {
	*fosite.DefaultClient
	// introspectAny marks a resource server, which may introspect tokens
	// issued to any client (storage.Client.IntrospectAny).
	introspectAny bool
	// requireMFA: every request is treated as asking for acr mfa
	// (storage.Client.RequireMFA).
	requireMFA bool
	// pkceOptional lets a confidential client leave PKCE out
	// (storage.Client.PKCEOptional).
	pkceOptional bool
	// origin is who registered the client (storage.Client.Origin); name
	// its display name.
	origin, name string
	// registeredAudience is the client's own audience, without the client
	// id and configured resources fosite's list has.
	registeredAudience []string
	// lastUsed is storage.Client.LastUsedAt.
	lastUsed time.Time
	// requirePAR, requireDPoP and allowImpersonation are the client's
	// settings of the same names in storage.Client.
	requirePAR, requireDPoP, allowImpersonation bool
}

// unvetted reports whether nobody vetted the client: it registered itself
// or is known by its metadata document.
func (c *client) unvetted() bool { return c.origin != "" }

// isUnvetted reports whether fosite client c is one nobody vetted.
func isUnvetted(c fosite.Client) bool {
	gc, ok := c.(*client)
	return ok && gc.unvetted()
}

// mayIntrospect reports whether caller may learn about a token issued to
// owner: its own tokens, or any token for a resource server.
func mayIntrospect(caller, owner fosite.Client) bool {
	if c, ok := caller.(*client); ok && c.introspectAny {
		return true
	}
	return owner != nil && owner.GetID() == caller.GetID()
}

var _ fosite.ResponseModeClient = (*client)(nil)

// SupportedResponseModes are the response modes every client may request.
var SupportedResponseModes = []fosite.ResponseModeType{fosite.ResponseModeQuery, fosite.ResponseModeFormPost}

// GetResponseModes implements fosite.ResponseModeClient.
func (c *client) GetResponseModes() []fosite.ResponseModeType {
	return append([]fosite.ResponseModeType{fosite.ResponseModeDefault}, SupportedResponseModes...)
}
