package clients

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrInvalid is matched (errors.Is) by every error that refuses a
// registration because of what it asks for; the message says why.
var ErrInvalid = errors.New("invalid client registration")

// ErrPublicClient is returned when a secret is asked of a public client.
var ErrPublicClient = invalidError{errors.New("a public client has no secret")}

// invalidError keeps the reason's message and matches ErrInvalid.
type invalidError struct{ error }

func (e invalidError) Is(target error) bool { return target == ErrInvalid }
func (e invalidError) Unwrap() error        { return e.error }

// SpecOf returns the registration of c as a Spec (without a secret).
func SpecOf(c storage.Client) Spec {
	return Spec{
		ID:                     c.ID,
		Name:                   c.Name,
		Public:                 c.Public,
		RedirectURIs:           c.RedirectURIs,
		PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		GrantTypes:             c.GrantTypes,
		Scopes:                 c.Scopes,
		Audience:               c.Audience,
		IntrospectAny:          c.IntrospectAny,

		BackchannelLogoutURI:             c.BackchannelLogoutURI,
		BackchannelLogoutSessionRequired: c.BackchannelLogoutSessionRequired,
		RequireMFA:                       c.RequireMFA,
		PKCE:                             pkceOf(c),
		RequirePAR:                       c.RequirePAR,
		RequireDPoP:                      c.RequireDPoP,
		AllowImpersonation:               c.AllowImpersonation,
	}
}

func pkceOf(c storage.Client) string {
	if c.PKCEOptional {
		return PKCEOptional
	}
	return PKCERequired
}

// Update applies fn to the client's registration, checks the result with
// the rules of Create (empty lists take the defaults) and stores it. The
// id, the secret and whether the client is public do not change.
// storage.ErrNotFound when there is no such client, ErrConfigManaged for a
// client declared in the configuration file.
func Update(ctx context.Context, store storage.Clients, id string, fn func(*Spec) error, now time.Time) (storage.Client, error) {
	var out storage.Client
	err := store.UpdateClient(ctx, id, func(c *storage.Client) error {
		if c.ConfigManaged {
			return ErrConfigManaged
		}
		spec := SpecOf(*c)
		if err := fn(&spec); err != nil {
			return err
		}
		spec.ID, spec.Public, spec.Secret = c.ID, c.Public, ""
		if err := spec.normalize(); err != nil {
			return err
		}
		c.Name = spec.Name
		c.RedirectURIs, c.PostLogoutRedirectURIs = spec.RedirectURIs, spec.PostLogoutRedirectURIs
		c.GrantTypes, c.ResponseTypes = spec.GrantTypes, responseTypes(spec.GrantTypes)
		c.Scopes, c.Audience = spec.Scopes, spec.Audience
		c.IntrospectAny = spec.IntrospectAny
		c.BackchannelLogoutURI = spec.BackchannelLogoutURI
		c.BackchannelLogoutSessionRequired = spec.BackchannelLogoutSessionRequired
		c.RequireMFA = spec.RequireMFA
		c.PKCEOptional = spec.PKCE == PKCEOptional
		c.RequirePAR, c.RequireDPoP, c.AllowImpersonation = spec.RequirePAR, spec.RequireDPoP, spec.AllowImpersonation
		c.UpdatedAt = now.UTC()
		out = *c
		return nil
	})
	if err != nil {
		return storage.Client{}, wrap("update client", id, err)
	}
	return out, nil
}

// RotateSecret gives a confidential client a new generated 256-bit secret
// and returns it; it is shown once and never stored. The old secret stops
// working at once. ErrPublicClient for a public client, storage.ErrNotFound
// when there is no such client.
func RotateSecret(ctx context.Context, store storage.Clients, h Hasher, id string, now time.Time) (storage.Client, string, error) {
	plain := secret.Token(32)
	hash, err := h.Hash(ctx, []byte(plain))
	if err != nil {
		return storage.Client{}, "", fmt.Errorf("hash client secret: %w", err)
	}
	var out storage.Client
	err = store.UpdateClient(ctx, id, func(c *storage.Client) error {
		if c.ConfigManaged {
			return ErrConfigManaged
		}
		if c.Public {
			return ErrPublicClient
		}
		c.SecretHash = hash
		c.UpdatedAt = now.UTC()
		out = *c
		return nil
	})
	if err != nil {
		return storage.Client{}, "", wrap("rotate the secret of client", id, err)
	}
	return out, plain, nil
}

// wrap adds context to storage errors; a refusal's message stays the
// plain reason.
func wrap(what, id string, err error) error {
	if errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("%s %q: %w", what, id, err)
}
