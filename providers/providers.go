// Package providers defines upstream identity providers (federation):
// Google, GitHub and any OpenID Connect provider that people can sign in
// with. Each implementation turns an upstream login into one normalised
// Identity; the web layer links it to a Gatehouse user. Implementations
// live in sub-packages (oidc, google, github) and are chosen by the
// configuration's type through a plain type -> factory map (Registry).
package providers

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// DefaultTimeout bounds every request to an upstream when Config.Timeout
// is zero.
const DefaultTimeout = 10 * time.Second

// Identity is a person as an upstream provider vouches for them.
type Identity struct {
	Subject       string // stable upstream user id
	Email         string
	EmailVerified bool // the upstream says the person controls Email
	Name          string
	Picture       string
}

// Flow is the per-login state bound to the browser: the state and nonce
// to check on return, and the PKCE verifier sent at the exchange.
type Flow struct {
	State        string
	Nonce        string
	CodeVerifier string
	// ForceLogin asks the upstream to authenticate the person again
	// (prompt=login), where it supports that.
	ForceLogin bool
}

// Provider is one configured upstream.
type Provider interface {
	// ID is the configured id, used in /login/{id} and its callback.
	ID() string
	// Name is the button text on the login page.
	Name() string
	// LoginURL is where to send the browser to start a login. It may
	// reach the upstream (OpenID Connect discovery); failures wrap
	// ErrUnavailable.
	LoginURL(ctx context.Context, f Flow) (string, error)
	// Callback completes the login from the upstream's redirect back to
	// Gatehouse, whose state the caller has already checked against f,
	// and returns the identity it proves. Errors wrap one of the Err
	// values of this package.
	Callback(ctx context.Context, r *http.Request, f Flow) (Identity, error)
}

// Config is one upstream's settings, as the server's configuration gives
// them.
type Config struct {
	ID           string
	Type         string // a key of the Registry: oidc, google, github
	Name         string
	ClientID     string
	ClientSecret string
	Scopes       []string // empty: the type's defaults
	Issuer       string   // oidc (google: defaults to Google's)
	HostedDomain string   // google
	AuthURL      string   // github (Enterprise)
	TokenURL     string   // github (Enterprise)
	APIURL       string   // github (Enterprise)
	// RedirectURL is Gatehouse's callback, {issuer}/login/{id}/callback.
	RedirectURL string
	// Timeout bounds each request to the upstream; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Now is the clock ID tokens are checked against; nil means time.Now.
	Now func() time.Time
}

// HTTPClient returns the client for requests to the upstream, with the
// configured timeout.
func (c Config) HTTPClient() *http.Client {
	t := c.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return &http.Client{Timeout: t}
}

// Factory builds a provider from its settings. It validates them but must
// not reach the network: an upstream that is down when Gatehouse starts
// fails its logins, not the start.
type Factory func(Config) (Provider, error)

// Registry maps a provider type to its factory.
type Registry map[string]Factory

// Open builds every provider in cfgs with the factory of its type.
func (r Registry) Open(cfgs []Config) ([]Provider, error) {
	out := make([]Provider, 0, len(cfgs))
	for _, c := range cfgs {
		f, ok := r[c.Type]
		if !ok {
			return nil, fmt.Errorf("providers: %s: unknown type %q", c.ID, c.Type)
		}
		p, err := f(c)
		if err != nil {
			return nil, fmt.Errorf("providers: %s: %w", c.ID, err)
		}
		out = append(out, p)
	}
	return out, nil
}
