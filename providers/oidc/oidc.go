// Package oidc is an upstream identity provider for any OpenID Connect
// provider, found by its issuer URL: discovery, the JWKS and ID-token
// verification (signature, iss, aud, exp, nonce) through
// github.com/coreos/go-oidc, the code exchange with PKCE (S256) through
// golang.org/x/oauth2.
package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/providers"
)

// DefaultScopes are requested when the configuration names none.
var DefaultScopes = []string{gooidc.ScopeOpenID, "email", "profile"}

// Claims are the ID token claims Gatehouse reads.
type Claims struct {
	Subject       string   `json:"sub"`
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	Name          string   `json:"name"`
	Picture       string   `json:"picture"`
	HostedDomain  string   `json:"hd"` // Google Workspace domain
}

// Options tailor the generic provider to one upstream (see the google
// preset).
type Options struct {
	// AuthParams are added to the authorization request.
	AuthParams url.Values
	// Check, when set, vets the verified claims.
	Check func(Claims) error
}

// New returns the provider for cfg.Issuer. Discovery happens at the first
// login, and again at the next one for as long as it fails, so an
// upstream that is down when Gatehouse starts does not stop it starting.
func New(cfg providers.Config) (providers.Provider, error) {
	return NewWithOptions(cfg, Options{})
}

// NewWithOptions is New with upstream-specific options.
func NewWithOptions(cfg providers.Config, o Options) (providers.Provider, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("oidc: issuer is required")
	case cfg.ClientID == "":
		return nil, errors.New("oidc: client_id is required")
	case cfg.RedirectURL == "":
		return nil, errors.New("oidc: redirect URL is required")
	}
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = slices.Clone(DefaultScopes)
	}
	if !slices.Contains(scopes, gooidc.ScopeOpenID) {
		scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	}
	return &provider{cfg: cfg, opts: o, scopes: scopes, client: cfg.HTTPClient()}, nil
}

type provider struct {
	cfg    providers.Config
	opts   Options
	scopes []string
	client *http.Client

	mu       sync.Mutex
	upstream *gooidc.Provider // nil until discovery succeeds
	inflight *discovery       // the discovery under way, if any
}

// discovery is one fetch of the discovery document, shared by every login
// that needs it while it runs.
type discovery struct {
	done chan struct{} // closed when up and err are set
	up   *gooidc.Provider
	err  error
}

var _ providers.Provider = (*provider)(nil)

func (p *provider) ID() string   { return p.cfg.ID }
func (p *provider) Name() string { return p.cfg.Name }

// LoginURL is the upstream's authorization endpoint with state, nonce and
// an S256 PKCE challenge.
func (p *provider) LoginURL(ctx context.Context, f providers.Flow) (string, error) {
	up, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{
		gooidc.Nonce(f.Nonce),
		oauth2.S256ChallengeOption(f.CodeVerifier),
	}
	if f.ForceLogin {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
	}
	for k, vs := range p.opts.AuthParams {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	return p.oauth2Config(up).AuthCodeURL(f.State, opts...), nil
}

// Callback exchanges the code (with the PKCE verifier), verifies the ID
// token and its nonce and returns the identity it carries.
func (p *provider) Callback(ctx context.Context, r *http.Request, f providers.Flow) (providers.Identity, error) {
	code, err := providers.CallbackCode(r)
	if err != nil {
		return providers.Identity{}, err
	}
	up, err := p.discover(ctx)
	if err != nil {
		return providers.Identity{}, err
	}
	ctx = p.clientContext(ctx)
	tok, err := p.oauth2Config(up).Exchange(ctx, code, oauth2.VerifierOption(f.CodeVerifier))
	if err != nil {
		return providers.Identity{}, providers.ExchangeError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return providers.Identity{}, fmt.Errorf("%w: no id_token in the token response", providers.ErrInvalidIdentity)
	}
	idt, err := up.VerifierContext(ctx, &gooidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("%w: %v", providers.ErrInvalidIdentity, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 || f.Nonce == "" {
		return providers.Identity{}, fmt.Errorf("%w: the ID token's nonce does not match", providers.ErrInvalidIdentity)
	}
	var c Claims
	if err := idt.Claims(&c); err != nil {
		return providers.Identity{}, fmt.Errorf("%w: claims: %v", providers.ErrInvalidIdentity, err)
	}
	if c.Subject == "" {
		return providers.Identity{}, fmt.Errorf("%w: the ID token has no subject", providers.ErrInvalidIdentity)
	}
	if p.opts.Check != nil {
		if err := p.opts.Check(c); err != nil {
			return providers.Identity{}, fmt.Errorf("%w: %v", providers.ErrInvalidIdentity, err)
		}
	}
	return providers.Identity{
		Subject:       c.Subject,
		Email:         c.Email,
		EmailVerified: bool(c.EmailVerified) && c.Email != "",
		Name:          c.Name,
		Picture:       c.Picture,
	}, nil
}

// discover fetches the upstream's discovery document once it is reachable.
// Logins that need it while a fetch runs wait for that one fetch, each only
// as long as its own context allows, so a hanging upstream does not queue
// them one timeout after another. Failures are not remembered: the next
// login tries again.
func (p *provider) discover(ctx context.Context) (*gooidc.Provider, error) {
	p.mu.Lock()
	if p.upstream != nil {
		defer p.mu.Unlock()
		return p.upstream, nil
	}
	d := p.inflight
	if d == nil {
		d = &discovery{done: make(chan struct{})}
		p.inflight = d
		go p.fetchDiscovery(d)
	}
	p.mu.Unlock()
	select {
	case <-d.done:
		return d.up, d.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: discovery of %s: %v", providers.ErrUnavailable, p.cfg.Issuer, ctx.Err())
	}
}

// fetchDiscovery runs d, bounded by the provider's HTTP client timeout
// rather than by the context of the login that started it.
func (p *provider) fetchDiscovery(d *discovery) {
	up, err := gooidc.NewProvider(p.clientContext(context.Background()), p.cfg.Issuer)
	if err != nil {
		err = fmt.Errorf("%w: discovery of %s: %v", providers.ErrUnavailable, p.cfg.Issuer, err)
	}
	p.mu.Lock()
	if err == nil {
		p.upstream = up
	}
	p.inflight = nil
	p.mu.Unlock()
	d.up, d.err = up, err
	close(d.done)
}

// clientContext makes go-oidc and x/oauth2 use the provider's HTTP client,
// with its timeout.
func (p *provider) clientContext(ctx context.Context) context.Context {
	ctx = gooidc.ClientContext(ctx, p.client)
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

func (p *provider) oauth2Config(up *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     up.Endpoint(),
		RedirectURL:  p.cfg.RedirectURL,
		Scopes:       p.scopes,
	}
}
