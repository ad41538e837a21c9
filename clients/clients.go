// Package clients holds the rules for registering OAuth2 clients: which
// redirect URIs, grant types and scopes are acceptable, and how secrets
// are generated and hashed. The CLI and the admin API both register
// clients through it.
package clients

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Grant types of RFC 8628 (device authorization) and RFC 8693 (token
// exchange), registered per client like the others.
const (
	GrantDeviceCode    = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// Grant types a client may be registered for.
var GrantTypes = []string{"authorization_code", "refresh_token", "client_credentials", "password",
	GrantDeviceCode, GrantTokenExchange}

// Defaults for fields left empty.
var (
	DefaultGrantTypes = []string{"authorization_code", "refresh_token"}
	DefaultScopes     = []string{"openid", "profile", "email", "offline_access"}
)

// ErrExists is returned when the client id is taken.
var ErrExists = errors.New("a client with this id already exists")

// Spec describes a client to register. Its JSON form is the body of the
// admin API's POST /admin/clients and, with the secret only right after it
// was generated, how clients are shown.
type Spec struct {
	ID                     string   `json:"client_id"`
	Name                   string   `json:"name"`
	Secret                 string   `json:"client_secret,omitempty"` // empty: generate one (unless Public)
	Public                 bool     `json:"public"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	GrantTypes             []string `json:"grant_types"`
	Scopes                 []string `json:"scopes"`
	Audience               []string `json:"audience"`
	// IntrospectAny registers a resource server, which may introspect any
	// token; other clients only the tokens issued to them.
	IntrospectAny bool `json:"introspect_any"`
	// BackchannelLogoutURI receives a logout token when a browser session
	// the client got tokens in ends (OpenID Connect Back-Channel Logout
	// 1.0); BackchannelLogoutSessionRequired says the client needs the
	// sid claim in it (Gatehouse always sends one).
	BackchannelLogoutURI             string `json:"backchannel_logout_uri,omitempty"`
	BackchannelLogoutSessionRequired bool   `json:"backchannel_logout_session_required"`
	// RequireMFA: every person signing in to this client must use a
	// second factor (as if every request asked for acr "mfa").
	RequireMFA bool `json:"require_mfa"`
	// PKCE is PKCERequired (the default when empty) or PKCEOptional,
	// which only a confidential client may be.
	PKCE string `json:"pkce,omitempty"`
	// RequirePAR: every authorization request must be pushed (RFC 9126).
	RequirePAR bool `json:"require_pushed_authorization_requests"`
	// RequireDPoP: every token request must carry a DPoP proof (RFC 9449
	// client metadata dpop_bound_access_tokens).
	RequireDPoP bool `json:"dpop_bound_access_tokens"`
	// AllowImpersonation lets a token-exchange client get tokens that
	// act as the subject with no actor (RFC 8693 impersonation).
	AllowImpersonation bool `json:"allow_impersonation"`
}

// PKCE settings of a client (Spec.PKCE).
const (
	// PKCERequired: every authorization request sends an S256 challenge.
	PKCERequired = "required"
	// PKCEOptional: a confidential client may leave PKCE out (for relying
	// parties that cannot send it); a request that sends a challenge is
	// still held to it at the token endpoint.
	PKCEOptional = "optional"
)

// Hasher hashes client secrets (secret.Hasher).
type Hasher interface {
	Hash(ctx context.Context, data []byte) ([]byte, error)
}

// Create validates spec and stores the client. It returns the client and
// its plain secret, which is shown once and never stored.
func Create(ctx context.Context, store storage.Clients, h Hasher, spec Spec, now time.Time) (storage.Client, string, error) {
	return Register(ctx, store, h, spec, Registration{}, now)
}

// Registration is how a client came to be, beyond its Spec: an
// operator's (the zero value), or one that registered itself.
type Registration struct {
	Origin    string // storage.Client.Origin
	TokenHash []byte // storage.Client.RegistrationTokenHash
	Metadata  []byte // storage.Client.Metadata
}

// Register is Create for a client of reg's origin.
func Register(ctx context.Context, store storage.Clients, h Hasher, spec Spec, reg Registration, now time.Time) (storage.Client, string, error) {
	if err := spec.normalize(); err != nil {
		return storage.Client{}, "", err
	}
	plain := spec.Secret
	if !spec.Public && plain == "" {
		plain = secret.Token(32) // 256 bits
	}
	var hash []byte
	if !spec.Public {
		var err error
		if hash, err = h.Hash(ctx, []byte(plain)); err != nil {
			return storage.Client{}, "", fmt.Errorf("hash client secret: %w", err)
		}
	}
	c := spec.record(hash, now)
	c.Origin, c.RegistrationTokenHash, c.Metadata = reg.Origin, reg.TokenHash, reg.Metadata
	if err := store.CreateClient(ctx, c); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return storage.Client{}, "", fmt.Errorf("%w: %q", ErrExists, spec.ID)
		}
		return storage.Client{}, "", fmt.Errorf("store client: %w", err)
	}
	return c, plain, nil
}

func responseTypes(grants []string) []string {
	if slices.Contains(grants, "authorization_code") {
		return []string{"code"}
	}
	return []string{}
}

// normalize applies defaults and checks every field, reporting the first
// problem in a sentence an operator can act on (matching ErrInvalid).
func (s *Spec) normalize() error {
	if err := s.check(); err != nil {
		return invalidError{err}
	}
	return nil
}

func (s *Spec) check() error {
	s.ID = strings.TrimSpace(s.ID)
	if err := validID(s.ID); err != nil {
		return err
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	if s.Public && s.Secret != "" {
		return errors.New("a public client has no secret: give --secret or --public, not both")
	}
	if s.Secret != "" && len(s.Secret) < secret.MinClientSecretLength {
		return fmt.Errorf("client secret must be at least %d characters (omit it to generate a 256-bit one)", secret.MinClientSecretLength)
	}
	if len(s.GrantTypes) == 0 {
		s.GrantTypes = DefaultGrantTypes
	}
	s.GrantTypes = dedupe(s.GrantTypes)
	for _, g := range s.GrantTypes {
		if !slices.Contains(GrantTypes, g) {
			return fmt.Errorf("unknown grant type %q (supported: %s)", g, strings.Join(GrantTypes, ", "))
		}
	}
	if s.Public && s.IntrospectAny {
		return errors.New("a public client cannot introspect tokens: --introspect-any needs a confidential client")
	}
	switch s.PKCE {
	case "":
		s.PKCE = PKCERequired
	case PKCERequired:
	case PKCEOptional:
		if s.Public {
			return errors.New("a public client must use PKCE: --pkce optional needs a confidential client")
		}
	default:
		return fmt.Errorf("pkce %q is not %s or %s", s.PKCE, PKCERequired, PKCEOptional)
	}
	if s.Public && slices.Contains(s.GrantTypes, "client_credentials") {
		return errors.New("a public client cannot use the client_credentials grant")
	}
	if s.Public && slices.Contains(s.GrantTypes, GrantTokenExchange) {
		return errors.New("a public client cannot use the token-exchange grant")
	}
	if s.AllowImpersonation && !slices.Contains(s.GrantTypes, GrantTokenExchange) {
		return errors.New("--allow-impersonation needs the token-exchange grant")
	}
	if slices.Contains(s.GrantTypes, "authorization_code") && len(s.RedirectURIs) == 0 {
		return errors.New("the authorization_code grant needs at least one redirect URI")
	}
	for _, u := range s.RedirectURIs {
		if err := validRedirectURI(u); err != nil {
			return fmt.Errorf("redirect URI %q: %w", u, err)
		}
	}
	for _, u := range s.PostLogoutRedirectURIs {
		if err := validRedirectURI(u); err != nil {
			return fmt.Errorf("post-logout redirect URI %q: %w", u, err)
		}
	}
	s.RedirectURIs = dedupe(s.RedirectURIs)
	s.PostLogoutRedirectURIs = dedupe(s.PostLogoutRedirectURIs)
	if len(s.Scopes) == 0 {
		s.Scopes = DefaultScopes
	}
	s.Scopes = dedupe(s.Scopes)
	for _, sc := range s.Scopes {
		if sc == "" || strings.ContainsFunc(sc, func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\\' || r < 0x21 || r > 0x7e }) {
			return fmt.Errorf("scope %q is not a valid scope token", sc)
		}
	}
	for _, a := range s.Audience {
		if strings.TrimSpace(a) == "" {
			return errors.New("audience entries must not be empty")
		}
	}
	return s.checkBackchannel()
}

func validID(id string) error {
	if id == "" {
		return errors.New("client id is required")
	}
	if len(id) > 128 {
		return errors.New("client id is longer than 128 characters")
	}
	if _, err := uuid.Parse(id); err == nil {
		// User ids are UUIDs and a client-credentials token's subject is
		// the client id: the two must never collide (RFC 9068 section 5).
		return fmt.Errorf("client id %q has the form of a user id (a UUID); choose another", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return fmt.Errorf("client id %q may contain only letters, digits and - . _ ~", id)
		}
	}
	return nil
}

// validRedirectURI accepts absolute URIs without a fragment; plain http
// only on loopback hosts (OAuth 2.1); custom schemes for native apps.
func validRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return errors.New("must be an absolute URL")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not contain a fragment")
	}
	if err := CheckRedirectURIShape(raw); err != nil {
		return err
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return errors.New("must have a host")
		}
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return errors.New("http is allowed only for loopback hosts; use https")
		}
	case "javascript", "data", "file", "vbscript":
		return fmt.Errorf("scheme %q is not allowed", u.Scheme)
	}
	return nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// record is the stored client spec describes, with the secret's hash.
// Every client setting is copied here, the one place: creation, config
// declaration and updates all build the row from it.
func (spec Spec) record(hash []byte, now time.Time) storage.Client {
	return storage.Client{
		ID:                               spec.ID,
		Name:                             spec.Name,
		SecretHash:                       hash,
		Public:                           spec.Public,
		RedirectURIs:                     spec.RedirectURIs,
		PostLogoutRedirectURIs:           spec.PostLogoutRedirectURIs,
		GrantTypes:                       spec.GrantTypes,
		ResponseTypes:                    responseTypes(spec.GrantTypes),
		Scopes:                           spec.Scopes,
		Audience:                         spec.Audience,
		IntrospectAny:                    spec.IntrospectAny,
		PKCEOptional:                     spec.PKCE == PKCEOptional,
		RequireMFA:                       spec.RequireMFA,
		RequirePAR:                       spec.RequirePAR,
		RequireDPoP:                      spec.RequireDPoP,
		AllowImpersonation:               spec.AllowImpersonation,
		BackchannelLogoutURI:             spec.BackchannelLogoutURI,
		BackchannelLogoutSessionRequired: spec.BackchannelLogoutSessionRequired,
		CreatedAt:                        now.UTC(),
		UpdatedAt:                        now.UTC(),
	}
}
