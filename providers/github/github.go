// Package github is the upstream identity provider for GitHub OAuth apps,
// which are not OpenID Connect: the code is exchanged for an access token
// (with PKCE), then the profile (GET /user) and the primary email with its
// verification status (GET /user/emails) are read from the GitHub API.
// The URLs are configurable for GitHub Enterprise Server.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/providers"
)

// GitHub.com's endpoints, used when the configuration names none.
const (
	DefaultAuthURL  = "https://github.com/login/oauth/authorize"
	DefaultTokenURL = "https://github.com/login/oauth/access_token"
	DefaultAPIURL   = "https://api.github.com"
)

// DefaultScopes read the profile and the email addresses.
var DefaultScopes = []string{"read:user", "user:email"}

// maxResponseBytes bounds what is read from the API.
const maxResponseBytes = 1 << 20

// New returns the GitHub provider for cfg.
func New(cfg providers.Config) (providers.Provider, error) {
	switch {
	case cfg.ClientID == "":
		return nil, errors.New("github: client_id is required")
	case cfg.RedirectURL == "":
		return nil, errors.New("github: redirect URL is required")
	}
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = slices.Clone(DefaultScopes)
	}
	p := &provider{
		id:     cfg.ID,
		name:   cfg.Name,
		api:    strings.TrimRight(orDefault(cfg.APIURL, DefaultAPIURL), "/"),
		client: cfg.HTTPClient(),
		oauth2: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:   orDefault(cfg.AuthURL, DefaultAuthURL),
				TokenURL:  orDefault(cfg.TokenURL, DefaultTokenURL),
				AuthStyle: oauth2.AuthStyleInParams,
			},
			RedirectURL: cfg.RedirectURL,
			Scopes:      scopes,
		},
	}
	return p, nil
}

type provider struct {
	id, name string
	api      string
	client   *http.Client
	oauth2   *oauth2.Config
}

var _ providers.Provider = (*provider)(nil)

func (p *provider) ID() string   { return p.id }
func (p *provider) Name() string { return p.name }

// LoginURL is GitHub's authorization page with state and an S256 PKCE
// challenge. GitHub has no nonce: nothing it returns is a signed token.
func (p *provider) LoginURL(_ context.Context, f providers.Flow) (string, error) {
	return p.oauth2.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.CodeVerifier)), nil
}

// Callback exchanges the code and reads the person from the API.
func (p *provider) Callback(ctx context.Context, r *http.Request, f providers.Flow) (providers.Identity, error) {
	code, err := providers.CallbackCode(r)
	if err != nil {
		return providers.Identity{}, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := p.oauth2.Exchange(ctx, code, oauth2.VerifierOption(f.CodeVerifier))
	if err != nil {
		return providers.Identity{}, providers.ExchangeError(err)
	}
	var u user
	if err := p.get(ctx, tok.AccessToken, "/user", &u); err != nil {
		return providers.Identity{}, err
	}
	if u.ID <= 0 {
		return providers.Identity{}, fmt.Errorf("%w: github: the user has no id", providers.ErrInvalidIdentity)
	}
	var emails []email
	if err := p.get(ctx, tok.AccessToken, "/user/emails", &emails); err != nil {
		return providers.Identity{}, err
	}
	id := providers.Identity{
		Subject: strconv.FormatInt(u.ID, 10),
		Name:    orDefault(strings.TrimSpace(u.Name), u.Login),
		Picture: u.AvatarURL,
	}
	for _, e := range emails {
		if e.Primary {
			id.Email, id.EmailVerified = e.Email, e.Verified && e.Email != ""
			break
		}
	}
	return id, nil
}

// user is the part of GET /user Gatehouse reads. The id is the stable
// subject: logins can be renamed.
type user struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
}

// email is one entry of GET /user/emails.
type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// get reads one API resource into v.
func (p *provider) get(ctx context.Context, token, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.api+path, nil)
	if err != nil {
		return fmt.Errorf("%w: github: %v", providers.ErrUpstream, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: github: GET %s: %v", providers.ErrUnavailable, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("%w: github: GET %s: %v", providers.ErrUnavailable, path, err)
	}
	switch {
	case resp.StatusCode >= 500:
		return fmt.Errorf("%w: github: GET %s: HTTP %d", providers.ErrUnavailable, path, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: github: GET %s: HTTP %d", providers.ErrUpstream, path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: github: GET %s: %v", providers.ErrUpstream, path, err)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
