package manage

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ClientChange is a change to a client's registration; nil fields stay as
// they are, and an empty list takes the default (see clients.Create).
type ClientChange struct {
	Name                   *string   `json:"name"`
	RedirectURIs           *[]string `json:"redirect_uris"`
	PostLogoutRedirectURIs *[]string `json:"post_logout_redirect_uris"`
	GrantTypes             *[]string `json:"grant_types"`
	Scopes                 *[]string `json:"scopes"`
	Audience               *[]string `json:"audience"`
	IntrospectAny          *bool     `json:"introspect_any"`
	RequirePAR             *bool     `json:"require_pushed_authorization_requests"`
	RequireDPoP            *bool     `json:"dpop_bound_access_tokens"`
	AllowImpersonation     *bool     `json:"allow_impersonation"`

	BackchannelLogoutURI             *string `json:"backchannel_logout_uri"`
	BackchannelLogoutSessionRequired *bool   `json:"backchannel_logout_session_required"`
	RequireMFA                       *bool   `json:"require_mfa"`
	PKCE                             *string `json:"pkce"`
}

// apply writes the set fields into spec and returns their names.
func (ch ClientChange) apply(spec *clients.Spec) []string {
	var fields []string
	if ch.Name != nil {
		spec.Name, fields = *ch.Name, append(fields, "name")
	}
	if ch.IntrospectAny != nil {
		spec.IntrospectAny, fields = *ch.IntrospectAny, append(fields, "introspect_any")
	}
	if ch.BackchannelLogoutURI != nil {
		spec.BackchannelLogoutURI, fields = *ch.BackchannelLogoutURI, append(fields, "backchannel_logout_uri")
	}
	if ch.BackchannelLogoutSessionRequired != nil {
		spec.BackchannelLogoutSessionRequired = *ch.BackchannelLogoutSessionRequired
		fields = append(fields, "backchannel_logout_session_required")
	}
	if ch.RequireMFA != nil {
		spec.RequireMFA, fields = *ch.RequireMFA, append(fields, "require_mfa")
	}
	if ch.PKCE != nil {
		spec.PKCE, fields = *ch.PKCE, append(fields, "pkce")
	}
	for _, f := range []struct {
		name     string
		from, to *bool
	}{
		{"require_pushed_authorization_requests", ch.RequirePAR, &spec.RequirePAR},
		{"dpop_bound_access_tokens", ch.RequireDPoP, &spec.RequireDPoP},
		{"allow_impersonation", ch.AllowImpersonation, &spec.AllowImpersonation},
	} {
		if f.from != nil {
			*f.to, fields = *f.from, append(fields, f.name)
		}
	}
	for _, f := range []struct {
		name string
		from *[]string
		to   *[]string
	}{
		{"redirect_uris", ch.RedirectURIs, &spec.RedirectURIs},
		{"post_logout_redirect_uris", ch.PostLogoutRedirectURIs, &spec.PostLogoutRedirectURIs},
		{"grant_types", ch.GrantTypes, &spec.GrantTypes},
		{"scopes", ch.Scopes, &spec.Scopes},
		{"audience", ch.Audience, &spec.Audience},
	} {
		if f.from != nil {
			*f.to, fields = *f.from, append(fields, f.name)
		}
	}
	return fields
}

// CreateClient registers a client (see clients.Create) and returns it with
// its plain secret, to be shown once.
func (s *Service) CreateClient(ctx context.Context, a Actor, spec clients.Spec) (storage.Client, string, error) {
	c, plain, err := clients.Create(ctx, s.Store, s.Hasher, spec, s.now())
	if err != nil {
		return storage.Client{}, "", err
	}
	s.record(ctx, a, audit.ClientCreated, "", c.ID, map[string]string{
		"grant_types":    strings.Join(c.GrantTypes, " "),
		"scopes":         strings.Join(c.Scopes, " "),
		"introspect_any": strconv.FormatBool(c.IntrospectAny),
		"require_mfa":    strconv.FormatBool(c.RequireMFA),
		"pkce":           clients.SpecOf(c).PKCE,
	})
	return c, plain, nil
}

// UpdateClient changes a client's registration (see clients.Update).
func (s *Service) UpdateClient(ctx context.Context, a Actor, id string, ch ClientChange) (storage.Client, error) {
	var fields []string
	c, err := clients.Update(ctx, s.Store, id, func(spec *clients.Spec) error {
		fields = ch.apply(spec)
		return nil
	}, s.now())
	if err != nil {
		return storage.Client{}, err
	}
	s.record(ctx, a, audit.ClientUpdated, "", c.ID, map[string]string{"fields": strings.Join(fields, " ")})
	return c, nil
}

// RotateClientSecret gives a confidential client a new secret and returns
// it, to be shown once (see clients.RotateSecret).
func (s *Service) RotateClientSecret(ctx context.Context, a Actor, id string) (storage.Client, string, error) {
	c, plain, err := clients.RotateSecret(ctx, s.Store, s.Hasher, id, s.now())
	if err != nil {
		return storage.Client{}, "", err
	}
	s.record(ctx, a, audit.ClientSecretRotated, "", c.ID, nil)
	return c, plain, nil
}

// DeleteClient deletes a client with its consents and tokens;
// clients.ErrConfigManaged for a client declared in the configuration.
func (s *Service) DeleteClient(ctx context.Context, a Actor, id string) error {
	c, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return err
	}
	if c.ConfigManaged {
		return clients.ErrConfigManaged
	}
	if err := s.Store.DeleteClient(ctx, id); err != nil {
		return err
	}
	s.record(ctx, a, audit.ClientDeleted, "", id, nil)
	return nil
}

// ClientView is how clients are shown: never a secret hash; the plain
// secret only right after it was generated.
type ClientView struct {
	clients.Spec
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ConfigManaged: declared in the configuration file, read-only here.
	// Disabled: its entry left the configuration file.
	ConfigManaged bool `json:"config_managed"`
	Disabled      bool `json:"disabled"`
	// Origin labels who registered the client: "operator", "dynamic"
	// (it registered itself, RFC 7591) or "metadata_document" (known by
	// its client ID metadata document). Nobody vetted the last two.
	Origin string `json:"origin"`
	// LastUsedAt is when a self-registered client was last issued a token.
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// OriginOperator is ClientView.Origin of a client an operator registered.
const OriginOperator = "operator"

// ViewClient returns the view of c, with plainSecret when not empty.
func ViewClient(c storage.Client, plainSecret string) ClientView {
	spec := clients.SpecOf(c)
	spec.Secret = plainSecret
	for _, l := range []*[]string{&spec.RedirectURIs, &spec.PostLogoutRedirectURIs, &spec.GrantTypes, &spec.Scopes, &spec.Audience} {
		*l = nonNil(*l)
	}
	v := ClientView{Spec: spec, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Origin: c.Origin,
		ConfigManaged: c.ConfigManaged, Disabled: c.Disabled}
	if v.Origin == storage.ClientOriginOperator {
		v.Origin = OriginOperator
	}
	if !c.LastUsedAt.IsZero() {
		t := c.LastUsedAt
		v.LastUsedAt = &t
	}
	return v
}
