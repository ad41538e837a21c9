package clients

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Metadata is the client metadata of RFC 7591 section 2 (and RFC 7592's
// answers) that Gatehouse reads. Unknown fields are ignored, as section
// 3.1 asks; jwks and jwks_uri are, because no method using them is
// accepted.
type Metadata struct {
	ClientID                string   `json:"client_id,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	Contacts                []string `json:"contacts,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	SoftwareID              string   `json:"software_id,omitempty"`
	SoftwareVersion         string   `json:"software_version,omitempty"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
}

// Token endpoint authentication methods a self-registered client may use.
const (
	AuthNone        = "none"
	AuthSecretBasic = "client_secret_basic"
	AuthSecretPost  = "client_secret_post"
)

// DynamicGrantTypes are the only grants a self-registered client gets.
var DynamicGrantTypes = []string{"authorization_code", "refresh_token"}

// MetadataError refuses client metadata with RFC 7591 section 3.2.2's
// error code and a description of the field at fault.
type MetadataError struct {
	Code        string // ErrCodeRedirectURI or ErrCodeMetadata
	Description string
}

// RFC 7591 error codes.
const (
	ErrCodeRedirectURI = "invalid_redirect_uri"
	ErrCodeMetadata    = "invalid_client_metadata"
)

func (e *MetadataError) Error() string { return e.Code + ": " + e.Description }

func badMetadata(format string, args ...any) error {
	return &MetadataError{Code: ErrCodeMetadata, Description: fmt.Sprintf(format, args...)}
}

func badRedirect(format string, args ...any) error {
	return &MetadataError{Code: ErrCodeRedirectURI, Description: fmt.Sprintf(format, args...)}
}

// Bounds of self-registered metadata.
const (
	maxRedirectURIs = 10
	maxTextRunes    = 100
	maxURIBytes     = 2000
	maxContacts     = 5
)

// DynamicPolicy is what a client that registers itself may have.
type DynamicPolicy struct {
	// AllowedScopes bound the scopes (never ScopeAdmin, which the
	// configuration refuses).
	AllowedScopes []string
}

// Normalize checks m as a self-registration: authorization_code (and
// refresh_token) with the code response type only, redirect URIs that are
// https, loopback http or private-use schemes, an accepted token endpoint
// auth method, allowed scopes, and well-formed descriptive fields. It
// fills the defaults (RFC 7591 section 2: client_secret_basic, code) and
// returns the metadata as registered. Every refusal is a *MetadataError.
func (p DynamicPolicy) Normalize(m Metadata) (Metadata, error) {
	if len(m.RedirectURIs) == 0 {
		return m, badRedirect("redirect_uris is required: at least one redirect URI")
	}
	if len(m.RedirectURIs) > maxRedirectURIs || len(m.PostLogoutRedirectURIs) > maxRedirectURIs {
		return m, badRedirect("at most %d redirect URIs", maxRedirectURIs)
	}
	for _, u := range m.RedirectURIs {
		if err := SelfRegisteredRedirectURI(u); err != nil {
			return m, badRedirect("redirect URI %q %v", clip(u), err)
		}
	}
	for _, u := range m.PostLogoutRedirectURIs {
		if err := SelfRegisteredRedirectURI(u); err != nil {
			return m, badRedirect("post-logout redirect URI %q %v", clip(u), err)
		}
	}
	m.RedirectURIs, m.PostLogoutRedirectURIs = dedupe(m.RedirectURIs), dedupe(m.PostLogoutRedirectURIs)
	switch m.TokenEndpointAuthMethod {
	case "":
		m.TokenEndpointAuthMethod = AuthSecretBasic
	case AuthNone, AuthSecretBasic, AuthSecretPost:
	default:
		return m, badMetadata("token_endpoint_auth_method %q is not supported (use none, client_secret_basic or client_secret_post)", clip(m.TokenEndpointAuthMethod))
	}
	if len(m.GrantTypes) == 0 {
		m.GrantTypes = slices.Clone(DynamicGrantTypes)
	}
	m.GrantTypes = dedupe(m.GrantTypes)
	for _, g := range m.GrantTypes {
		if !slices.Contains(DynamicGrantTypes, g) {
			return m, badMetadata("grant type %q is not available to a self-registered client (only authorization_code and refresh_token)", clip(g))
		}
	}
	if !slices.Contains(m.GrantTypes, "authorization_code") {
		return m, badMetadata("grant_types must include authorization_code")
	}
	if len(m.ResponseTypes) == 0 {
		m.ResponseTypes = []string{"code"}
	}
	if m.ResponseTypes = dedupe(m.ResponseTypes); !slices.Equal(m.ResponseTypes, []string{"code"}) {
		return m, badMetadata("response_types must be [\"code\"]")
	}
	scopes := strings.Fields(m.Scope)
	if len(scopes) == 0 {
		scopes = p.AllowedScopes
	}
	for _, s := range scopes {
		if !slices.Contains(p.AllowedScopes, s) {
			return m, badMetadata("scope %q is not available to a self-registered client (allowed: %s)", clip(s), strings.Join(p.AllowedScopes, " "))
		}
	}
	m.Scope = strings.Join(dedupe(scopes), " ")
	if err := checkDescriptive(&m); err != nil {
		return m, err
	}
	return m, nil
}

// checkDescriptive checks the fields shown to people and operators.
func checkDescriptive(m *Metadata) error {
	for _, f := range []struct {
		name string
		v    *string
	}{{"client_name", &m.ClientName}, {"software_id", &m.SoftwareID}, {"software_version", &m.SoftwareVersion}} {
		*f.v = strings.TrimSpace(*f.v)
		if !utf8.ValidString(*f.v) || strings.ContainsFunc(*f.v, unicode.IsControl) || utf8.RuneCountInString(*f.v) > maxTextRunes {
			return badMetadata("%s must be text on one line of at most %d characters", f.name, maxTextRunes)
		}
	}
	for _, f := range []struct{ name, v string }{{"client_uri", m.ClientURI}, {"logo_uri", m.LogoURI}, {"tos_uri", m.TOSURI}, {"policy_uri", m.PolicyURI}} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(f.v) > maxURIBytes {
			return badMetadata("%s must be an https URL", f.name)
		}
	}
	if len(m.Contacts) > maxContacts {
		return badMetadata("contacts: at most %d", maxContacts)
	}
	for _, c := range m.Contacts {
		if a, err := mail.ParseAddress(c); err != nil || a.Name != "" || len(c) > 254 {
			return badMetadata("contacts: %q is not an email address", clip(c))
		}
	}
	return nil
}

// SelfRegisteredRedirectURI accepts the redirect URIs a client nobody
// vetted may register: https with a host, plain http on a loopback host
// (RFC 8252 section 7.3), or a private-use scheme in reverse domain form
// such as com.example.app:/callback (section 7.1). Never a fragment or
// user information.
func SelfRegisteredRedirectURI(raw string) error {
	if len(raw) > maxURIBytes {
		return errors.New("is too long")
	}
	if err := validRedirectURI(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	switch {
	case u.Scheme == "https":
		return nil
	case IsLoopbackHTTP(u):
		return nil
	case u.Scheme == "http":
		return errors.New("must use https (plain http only on a loopback address)")
	case strings.Contains(u.Scheme, "."):
		return nil
	}
	return errors.New("must use https, loopback http or a private-use scheme such as com.example.app")
}

// clip shortens a value quoted in an error description.
func clip(s string) string {
	if len(s) <= 100 {
		return s
	}
	r := []rune(s)
	if len(r) > 100 {
		r = r[:100]
	}
	return string(r) + "…"
}

// Spec is the registration of normalized metadata m (Normalize) under id.
func (m Metadata) Spec(id string) Spec {
	return Spec{
		ID:                     id,
		Name:                   m.ClientName,
		Public:                 m.TokenEndpointAuthMethod == AuthNone,
		RedirectURIs:           m.RedirectURIs,
		PostLogoutRedirectURIs: m.PostLogoutRedirectURIs,
		GrantTypes:             m.GrantTypes,
		Scopes:                 strings.Fields(m.Scope),
		PKCE:                   PKCERequired,
	}
}
