// Package providers defines upstream identity providers (federation):
// Google, GitHub and any OpenID Connect provider that people can sign in
// with. Each implementation turns an upstream login into one normalised
// Identity; the web layer links it to a Gatehouse user. Implementations
// live in sub-packages (oidc, google, github) and are chosen by the
// configuration's type through a plain type -> factory map.
package providers

import (
	"context"
	"net/http"
)

// Identity is a person as an upstream provider vouches for them.
type Identity struct {
	Subject       string // stable upstream user id
	Email         string
	EmailVerified bool
	Name          string
	Picture       string
}

// Flow is the per-login state bound to the browser session: state and
// nonce to check on return, and the PKCE verifier sent at the exchange.
type Flow struct {
	State        string
	Nonce        string
	CodeVerifier string
}

// Provider is one configured upstream.
type Provider interface {
	// ID is the configured id, used in /login/{id} and its callback.
	ID() string
	// Name is the button text on the login page.
	Name() string
	// LoginURL is where to send the browser to start a login.
	LoginURL(f Flow) string
	// Callback verifies the upstream's answer against f and returns the
	// identity it proves.
	Callback(ctx context.Context, r *http.Request, f Flow) (Identity, error)
}
