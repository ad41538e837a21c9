// Package oauth is Gatehouse's fosite glue: the provider composed from
// fosite's handlers, the one storage adapter, the session type, the signer
// over the key manager, and the protocol endpoints (authorize, token,
// introspect, revoke, userinfo, discovery, JWKS).
package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/gatehouse-id/gatehouse/internal/faults"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/secret"
)

// Lifetimes are the token lifespans.
type Lifetimes struct {
	AccessToken   time.Duration
	RefreshToken  time.Duration
	IDToken       time.Duration
	AuthorizeCode time.Duration
	// RefreshReuseGrace is how long after its first use a refresh token
	// may be used again, getting a fresh pair and revoking nothing (two
	// tabs refreshing at once). After it, reuse revokes the family.
	RefreshReuseGrace time.Duration
}

// ProviderOptions configure NewProvider.
type ProviderOptions struct {
	Issuer    string
	Secret    []byte // system secret; HMAC and client-secret keys derive from it
	Lifetimes Lifetimes
	Store     *Store
	Keys      *keys.Manager
	// Faults counts and logs (rate-limited) the requests a database
	// failure answered with 503; nil logs each one.
	Faults *faults.Reporter
	// Resources are the configured RFC 8707 resources.
	Resources []Resource
	// Documents resolves client IDs that are metadata document URLs; nil
	// when client metadata documents are off.
	Documents *MetadataDocuments
	// Grants switch and tune the modern grants (grants.go).
	Grants GrantOptions
}

// Provider is the composed fosite provider plus the pieces endpoints need
// directly.
type Provider struct {
	fosite.OAuth2Provider
	config *fosite.Config
	oidc   *openid.DefaultStrategy
	signer *Signer
	store  *Store
	hmac   *oauth2.HMACSHAStrategy // signatures of codes and refresh tokens
	issuer string
	faults *faults.Reporter
	grants GrantOptions
	// userCodeKey keys the stored hashes of device user codes.
	userCodeKey []byte
	// dpop checks DPoP proofs; nil when DPoP is off.
	dpop *dpopVerifier
}

// NewProvider composes exactly the fosite handlers Gatehouse supports:
// authorization code with mandatory S256 PKCE, refresh with rotation,
// password, client credentials, OpenID Connect (code flow and refresh),
// introspection and revocation. Access tokens are RFC 9068 JWTs.
func NewProvider(o ProviderOptions) *Provider {
	cfg := &fosite.Config{
		AccessTokenLifespan:   o.Lifetimes.AccessToken,
		RefreshTokenLifespan:  o.Lifetimes.RefreshToken,
		IDTokenLifespan:       o.Lifetimes.IDToken,
		AuthorizeCodeLifespan: o.Lifetimes.AuthorizeCode,
		IDTokenIssuer:         o.Issuer,
		AccessTokenIssuer:     o.Issuer,
		TokenURL:              o.Issuer + "/oauth2/token",
		GlobalSecret:          secret.Derive(o.Secret, "fosite-hmac"),
		// PKCE is required of every client but a confidential one
		// registered with PKCE optional: checkPKCE refuses the rest at the
		// authorization endpoint; fosite holds public clients to it and
		// every challenge sent to its verifier.
		EnforcePKCE:                    false,
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		// Audiences match exactly: fosite's default accepts any URL under
		// an allowed one (https://api.example/anything for
		// https://api.example), which could reach a resource nobody
		// registered.
		AudienceMatchingStrategy:   fosite.ExactAudienceMatchingStrategy,
		ClientSecretsHasher:        secret.NewHasher(o.Secret),
		JWKSFetcherStrategy:        fosite.NewDefaultJWKSFetcherStrategy(),
		JWTScopeClaimKey:           jwt.JWTScopeFieldString,
		RefreshTokenScopes:         []string{"offline_access"},
		MinParameterEntropy:        fosite.MinParameterEntropy,
		SanitationWhiteList:        []string{"code", "redirect_uri"},
		AllowedPromptValues:        SupportedPrompts,
		SendDebugMessagesToClients: false,
		// PAR is enforced per client and globally by the authorization
		// endpoint (Authorize.parseRequest), which also lets a pushed flow
		// resume after the login and consent pages: fosite's own switch
		// (IsPushedAuthorizeEnforced) stays off.
		PushedAuthorizeContextLifespan: o.Grants.PARLifetime,
	}
	signer := NewSigner(o.Keys)
	hmacStrategy := compose.NewOAuth2HMACStrategy(cfg)
	oidcStrategy := &openid.DefaultStrategy{Signer: signer, Config: cfg}
	strategy := &compose.CommonStrategy{
		CoreStrategy: &accessTokenStrategy{
			DefaultJWTStrategy: &oauth2.DefaultJWTStrategy{Signer: signer, HMACSHAStrategy: hmacStrategy, Config: cfg},
			signer:             signer,
			now:                time.Now,
			hmacConfig:         cfg,
		},
		OpenIDConnectTokenStrategy: oidcStrategy,
		Signer:                     signer,
	}
	factories := []compose.Factory{
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		//lint:ignore SA1019 fosite marks the password grant deprecated (OAuth 2.1 drops it); it is part of Gatehouse's contract.
		compose.OAuth2ResourceOwnerPasswordCredentialsFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
	}
	if o.Grants.PAR {
		factories = append(factories, compose.PushedAuthorizeHandlerFactory)
	}
	p := compose.Compose(cfg, o.Store, strategy, factories...)
	if f, ok := p.(*fosite.Fosite); ok {
		cfg.ClientAuthenticationStrategy = refusePublicSecrets(f.DefaultClientAuthenticationStrategy)
	}
	exchange := appendGrantHandlers(cfg, o, issuer{config: cfg, strategy: strategy.CoreStrategy, store: o.Store})
	skipOtherGrantsQuietly(cfg)
	o.Store.refreshGrace = o.Lifetimes.RefreshReuseGrace
	o.Store.resources = o.Resources
	o.Store.documents = o.Documents
	o.Store.parLifespan = cfg.GetPushedAuthorizeContextLifespan(context.Background())
	prov := &Provider{OAuth2Provider: p, config: cfg, oidc: oidcStrategy, signer: signer, store: o.Store, hmac: hmacStrategy,
		issuer: o.Issuer, faults: o.Faults, grants: o.Grants, userCodeKey: secret.Derive(o.Secret, "device-user-code")}
	if o.Grants.DPoP {
		prov.dpop = newDPoPVerifier(o.Grants, o.Secret, o.Store.db)
	}
	if exchange != nil {
		exchange.provider = prov
	}
	return prov
}

// revokeRequest revokes every token of one grant (its request ID): the
// refresh tokens become inactive and the access tokens are deleted.
func (p *Provider) revokeRequest(ctx context.Context, requestID string) error {
	return errors.Join(p.store.RevokeRefreshToken(ctx, requestID), p.store.RevokeAccessToken(ctx, requestID))
}

// authenticateClient authenticates the client of a request the way the
// token endpoint does (client_secret_basic, client_secret_post, public
// clients by id alone, public clients sending a secret refused), with the
// hints fosite gives. r's form must be parsed.
func (p *Provider) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
	if p.config.ClientAuthenticationStrategy == nil {
		return nil, fosite.ErrServerError.WithDebug("no client authentication strategy")
	}
	return p.config.ClientAuthenticationStrategy(ctx, r, form)
}
