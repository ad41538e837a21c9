package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ory/fosite"
)

// Resource is a protected resource (RFC 8707) any client may ask tokens
// for: its URI becomes the access token's aud.
type Resource struct {
	URI string
	// Scopes, when set, are the only scopes besides the OpenID Connect
	// ones (IdentityScopes) a request for the resource may ask.
	Scopes []string
}

// IdentityScopes concern the person and the ID token rather than a
// resource: a request for a resource may always ask for them.
var IdentityScopes = []string{"openid", "profile", "email", "offline_access"}

// ErrInvalidTarget is RFC 8707's error for a resource the client may not
// have a token for.
var ErrInvalidTarget = &fosite.RFC6749Error{
	ErrorField:       "invalid_target",
	DescriptionField: "The requested resource is invalid, missing, unknown, or malformed.",
	CodeField:        http.StatusBadRequest,
}

// resourceParam is RFC 8707's parameter; it may be repeated.
const resourceParam = "resource"

// requestedResources returns the resource values of form, each checked
// to be an absolute URI without a fragment (RFC 8707 section 2), and
// refuses a request that also sends fosite's own audience parameter.
func requestedResources(form url.Values) ([]string, error) {
	values := form[resourceParam]
	if len(values) == 0 {
		return nil, nil
	}
	if form.Has("audience") {
		return nil, fosite.ErrInvalidRequest.WithHint("Send resource or audience, not both.")
	}
	var out []string
	for _, v := range values {
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(v, "#") {
			return nil, ErrInvalidTarget.WithHintf("The resource %q is not an absolute URI without a fragment.", v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// checkResources refuses a resource the client may not ask for: neither a
// configured resource nor one of the client's own audiences (exact
// match), and scopes a requested resource does not accept: a configured
// resource with a scope list takes only those scopes (and the identity
// scopes), whatever else is requested with it.
func (p *Provider) checkResources(c fosite.Client, resources, scopes []string) error {
	for _, res := range resources {
		i := slices.IndexFunc(p.store.resources, func(r Resource) bool { return r.URI == res })
		switch {
		case i >= 0 && len(p.store.resources[i].Scopes) > 0:
			for _, s := range scopes {
				if !slices.Contains(IdentityScopes, s) && !slices.Contains(p.store.resources[i].Scopes, s) {
					return fosite.ErrInvalidScope.WithHintf("The scope %q is not one the resource %q accepts.", s, res)
				}
			}
		case i >= 0, res == c.GetID(), slices.Contains(ownAudience(c), res):
		default:
			return ErrInvalidTarget.WithHintf("The resource %q is not one this client may ask for.", res)
		}
	}
	return nil
}

// requestedTargets are the resources a request names: its resource
// parameters, else fosite's audience parameter, held to the same rules
// (an audience must not reach a resource, or skip its scope list, that
// resource could not).
func requestedTargets(form url.Values, audience []string) ([]string, error) {
	resources, err := requestedResources(form)
	if err != nil || len(resources) > 0 {
		return resources, err
	}
	return audience, nil
}

// ownAudience is the client's registered audience (the client's own id
// and the configured resources are added for fosite, not listed here).
func ownAudience(c fosite.Client) []string {
	if gc, ok := c.(*client); ok {
		return gc.registeredAudience
	}
	return c.GetAudience()
}

// authorizeResources applies the resource parameters of an authorization
// request fosite has parsed: they become its requested audience.
func (p *Provider) authorizeResources(ar fosite.AuthorizeRequester) error {
	resources, err := requestedTargets(ar.GetRequestForm(), ar.GetRequestedAudience())
	if err != nil || len(resources) == 0 {
		return err
	}
	if err := p.checkResources(ar.GetClient(), resources, ar.GetRequestedScopes()); err != nil {
		return err
	}
	ar.SetRequestedAudience(resources)
	return nil
}

// narrowAudienceKey carries, from a code exchange with resource
// parameters to the adapter, the audience the access token gets.
type narrowAudienceKey struct{}

// tokenResources applies the resource parameters of a token request for
// a grant that carries an earlier grant's audience (code, refresh): each
// must be among granted, and the access token gets just them (RFC 8707
// section 2.2). It returns nil when the request names no resource.
func tokenResources(form url.Values, granted []string) ([]string, error) {
	resources, err := requestedResources(form)
	if err != nil || len(resources) == 0 {
		return nil, err
	}
	for _, r := range resources {
		if !slices.Contains(granted, r) {
			return nil, ErrInvalidTarget.WithHintf("The resource %q was not granted.", r)
		}
	}
	return resources, nil
}

// withNarrowAudience returns the context under which the adapter loads a
// code's request with just audience granted (applyNarrowAudience).
func withNarrowAudience(ctx context.Context, audience []string) context.Context {
	return context.WithValue(ctx, narrowAudienceKey{}, audience)
}

// applyNarrowAudience grants a code's request only the audience of
// withNarrowAudience, when ctx carries one: fosite grants the access token
// of a code what the code's stored request was granted.
func applyNarrowAudience(ctx context.Context, req *fosite.Request) {
	if aud, ok := ctx.Value(narrowAudienceKey{}).([]string); ok {
		req.GrantedAudience = slices.Clone(aud)
	}
}
