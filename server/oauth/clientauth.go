package oauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"
)

// checkClientAuth enforces at the token and revocation endpoints what
// fosite lets through: a well-formed HTTP Basic header (a malformed one is
// a failed client authentication, 401), one authentication method only
// (RFC 6749 section 2.3), and some client identification at all. r's form
// must be parsed.
func checkClientAuth(r *http.Request) error {
	header := r.Header.Get("Authorization")
	formID := r.PostForm.Get("client_id")
	if scheme, _, _ := strings.Cut(header, " "); strings.EqualFold(scheme, "Basic") {
		id, secret, ok := r.BasicAuth()
		if !ok {
			return fosite.ErrInvalidClient.WithHint("The Authorization header is not valid HTTP Basic authentication.")
		}
		uid, err := url.QueryUnescape(id)
		if _, serr := url.QueryUnescape(secret); err != nil || serr != nil {
			return fosite.ErrInvalidClient.WithHint("The HTTP Basic credentials are not form-encoded correctly.")
		}
		if r.PostForm.Has("client_secret") || r.PostForm.Has("client_assertion") {
			return fosite.ErrInvalidRequest.WithHint("The client used more than one authentication method.")
		}
		if formID != "" && formID != uid {
			return fosite.ErrInvalidRequest.WithHint("The client_id in the body does not match the HTTP Basic credentials.")
		}
		return nil
	}
	if formID == "" {
		return fosite.ErrInvalidClient.WithHint("The client did not authenticate: use HTTP Basic, client_secret_post, or client_id for a public client.")
	}
	return nil
}

// checkSingleValues rejects a request that repeats a parameter (RFC 6749
// section 3.1: parameters must not be included more than once), but for
// resource, which RFC 8707 repeats for several resources.
func checkSingleValues(form url.Values) error {
	for name, values := range form {
		if len(values) > 1 && name != resourceParam {
			return fosite.ErrInvalidRequest.WithHintf("The parameter %q is included more than once.", name)
		}
	}
	return nil
}

// refusePublicSecrets wraps fosite's client authentication, which takes a
// public client at its word and ignores any secret sent with it: a public
// client has no secret, so one that sends a secret (client_secret_post,
// or a password in HTTP Basic) is misconfigured or impersonated, and is
// refused with invalid_client at every endpoint that authenticates
// clients (token, revocation, introspection).
func refusePublicSecrets(next fosite.ClientAuthenticationStrategy) fosite.ClientAuthenticationStrategy {
	return func(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
		c, err := next(ctx, r, form)
		if err != nil || !c.IsPublic() {
			return c, err
		}
		_, basicSecret, _ := r.BasicAuth()
		if form.Get("client_secret") != "" || basicSecret != "" {
			return nil, fosite.ErrInvalidClient.WithHint("A public client has no secret: it must not send one.")
		}
		return c, nil
	}
}
