package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/internal/safetext"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// PathEndSession is the RP-initiated logout endpoint, served by the pages
// (server/web) and advertised here as end_session_endpoint.
const PathEndSession = signin.PathEndSession

// signingAlgs are the algorithms Gatehouse signs ID tokens with.
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// EndSession validates RP-initiated logout requests (OpenID Connect
// RP-Initiated Logout 1.0 section 2): the id_token_hint must be an ID
// token this issuer signed (expired ones are accepted, as section 4 of the
// spec allows), client_id must agree with its audience, and a
// post_logout_redirect_uri must be registered for the client, exactly.
type EndSession struct {
	Issuer  string
	Keys    *keys.Manager
	Clients storage.Clients
}

var _ signin.LogoutParser = (*EndSession)(nil)

// ParseLogout implements signin.LogoutParser.
func (e *EndSession) ParseLogout(ctx context.Context, params url.Values) (signin.LogoutRequest, error) {
	req := signin.LogoutRequest{ClientID: params.Get("client_id"), State: params.Get("state")}
	if !safetext.Storable(req.ClientID) {
		// No client has such an id (and PostgreSQL refuses to look it up).
		return signin.LogoutRequest{}, fmt.Errorf("%w: client_id is not text", signin.ErrLogoutClient)
	}
	if hint := params.Get("id_token_hint"); hint != "" {
		claims, err := e.verifyHint(ctx, hint)
		if err != nil {
			return signin.LogoutRequest{}, fmt.Errorf("%w: %w", signin.ErrLogoutHint, err)
		}
		switch {
		case req.ClientID != "" && !slices.Contains(claims.Audience, req.ClientID):
			return signin.LogoutRequest{}, fmt.Errorf("%w: client_id is not the hint's audience", signin.ErrLogoutClient)
		case req.ClientID == "" && claims.AuthorizedParty != "":
			req.ClientID = claims.AuthorizedParty
		case req.ClientID == "" && len(claims.Audience) == 1:
			req.ClientID = claims.Audience[0]
		}
		req.HasHint, req.Subject = true, claims.Subject
	}
	redirect := params.Get("post_logout_redirect_uri")
	if req.ClientID == "" {
		if redirect != "" {
			return signin.LogoutRequest{}, fmt.Errorf("%w: no client to check it against", signin.ErrLogoutRedirect)
		}
		return req, nil
	}
	c, err := e.Clients.GetClient(ctx, req.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		return signin.LogoutRequest{}, fmt.Errorf("%w: %q", signin.ErrLogoutClient, safetext.Param(req.ClientID))
	}
	if err != nil {
		return signin.LogoutRequest{}, fmt.Errorf("oauth: logout: load client: %w", err)
	}
	req.ClientName = c.Name
	if strings.TrimSpace(c.Name) == "" {
		req.ClientName = c.ID
	}
	if redirect != "" {
		if !slices.Contains(c.PostLogoutRedirectURIs, redirect) {
			return signin.LogoutRequest{}, fmt.Errorf("%w: %q for client %q", signin.ErrLogoutRedirect, safetext.Param(redirect), c.ID)
		}
		req.RedirectURI = redirect
	}
	return req, nil
}

// hintClaims are the ID-token claims logout needs.
type hintClaims struct {
	Issuer          string   `json:"iss"`
	Subject         string   `json:"sub"`
	Audience        audience `json:"aud"`
	AuthorizedParty string   `json:"azp"`
}

// audience is a JWT aud: one string or an array.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// verifyHint checks the hint's signature with the published key its kid
// names and its issuer, and refuses access tokens. Expiry is not checked.
func (e *EndSession) verifyHint(ctx context.Context, raw string) (hintClaims, error) {
	if isAccessToken(raw) {
		return hintClaims{}, errors.New("an access token, not an ID token")
	}
	jws, err := jose.ParseSignedCompact(raw, signingAlgs)
	if err != nil {
		return hintClaims{}, fmt.Errorf("parse: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return hintClaims{}, errors.New("not exactly one signature")
	}
	h := jws.Signatures[0].Header
	if h.KeyID == "" {
		return hintClaims{}, errors.New("no kid")
	}
	k, err := e.Keys.Verifying(ctx, h.KeyID)
	if err != nil {
		return hintClaims{}, err
	}
	if h.Algorithm != k.Algorithm {
		return hintClaims{}, fmt.Errorf("alg %q does not match the key's %q", h.Algorithm, k.Algorithm)
	}
	payload, err := jws.Verify(k.Key)
	if err != nil {
		return hintClaims{}, fmt.Errorf("signature: %w", err)
	}
	var c hintClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return hintClaims{}, fmt.Errorf("claims: %w", err)
	}
	if c.Issuer != e.Issuer {
		return hintClaims{}, fmt.Errorf("issuer %q", safetext.Param(c.Issuer))
	}
	if c.Subject == "" || len(c.Audience) == 0 {
		return hintClaims{}, errors.New("no sub or aud")
	}
	return c, nil
}
