package clients

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrConfigManaged refuses, through the admin API, the console or the
// CLI, a change to a client declared in the configuration file.
var ErrConfigManaged = errors.New("this client is declared in the configuration file (clients:); change it there")

// Check validates spec with the rules of Create and returns it with the
// defaults applied, storing nothing. A refusal matches ErrInvalid.
func Check(spec Spec) (Spec, error) {
	err := spec.normalize()
	return spec, err
}

// Declared is what Declare did to a client.
type Declared string

// What Declare did.
const (
	DeclaredCreated   Declared = "created"
	DeclaredUpdated   Declared = "updated"
	DeclaredUnchanged Declared = "unchanged"
)

// Declare makes the stored client match spec, a client declared in the
// configuration file: created when missing, otherwise its whole
// registration replaced (secret and public included), in both cases
// marked config-managed and enabled. A confidential client's secret is
// spec.Secret, which is then required.
func Declare(ctx context.Context, store storage.Clients, h Hasher, spec Spec, now time.Time) (storage.Client, Declared, error) {
	if err := spec.normalize(); err != nil {
		return storage.Client{}, "", err
	}
	if !spec.Public && spec.Secret == "" {
		return storage.Client{}, "", invalidError{errors.New("a confidential client declared in the configuration needs its secret")}
	}
	var hash []byte
	if !spec.Public {
		var err error
		if hash, err = h.Hash(ctx, []byte(spec.Secret)); err != nil {
			return storage.Client{}, "", fmt.Errorf("hash client secret: %w", err)
		}
	}
	want := storage.Client{
		ID:                     spec.ID,
		Name:                   spec.Name,
		SecretHash:             hash,
		Public:                 spec.Public,
		RedirectURIs:           spec.RedirectURIs,
		PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs,
		GrantTypes:             spec.GrantTypes,
		ResponseTypes:          responseTypes(spec.GrantTypes),
		Scopes:                 spec.Scopes,
		Audience:               spec.Audience,
		IntrospectAny:          spec.IntrospectAny,
		BackchannelLogoutURI:   spec.BackchannelLogoutURI,
		RequirePAR:             spec.RequirePAR,
		RequireDPoP:            spec.RequireDPoP,
		AllowImpersonation:     spec.AllowImpersonation,
		ConfigManaged:          true,
		CreatedAt:              now.UTC(),
		UpdatedAt:              now.UTC(),

		BackchannelLogoutSessionRequired: spec.BackchannelLogoutSessionRequired,
	}
	// Another node starting at the same moment may create it between the
	// update and the create: then the update again.
	for try := 0; ; try++ {
		var out storage.Client
		what := DeclaredUnchanged
		err := store.UpdateClient(ctx, spec.ID, func(c *storage.Client) error {
			w := want
			w.CreatedAt, w.UpdatedAt = c.CreatedAt, c.UpdatedAt
			if !sameClient(*c, w) {
				w.UpdatedAt = now.UTC()
				what = DeclaredUpdated
			}
			*c, out = w, w
			return nil
		})
		if errors.Is(err, storage.ErrNotFound) {
			if err = store.CreateClient(ctx, want); err == nil {
				return want, DeclaredCreated, nil
			}
			if errors.Is(err, storage.ErrAlreadyExists) && try == 0 {
				continue
			}
		}
		if err != nil {
			return storage.Client{}, "", fmt.Errorf("declare client %q: %w", spec.ID, err)
		}
		return out, what, nil
	}
}

// sameClient reports whether a and b register the same client.
func sameClient(a, b storage.Client) bool {
	lists := func(c storage.Client) [][]string {
		return [][]string{c.RedirectURIs, c.PostLogoutRedirectURIs, c.GrantTypes, c.ResponseTypes, c.Scopes, c.Audience}
	}
	la, lb := lists(a), lists(b)
	for i := range la {
		if !slices.Equal(la[i], lb[i]) {
			return false
		}
	}
	a.RedirectURIs, a.PostLogoutRedirectURIs, a.GrantTypes, a.ResponseTypes, a.Scopes, a.Audience = nil, nil, nil, nil, nil, nil
	b.RedirectURIs, b.PostLogoutRedirectURIs, b.GrantTypes, b.ResponseTypes, b.Scopes, b.Audience = nil, nil, nil, nil, nil, nil
	if !bytes.Equal(a.SecretHash, b.SecretHash) {
		return false
	}
	a.SecretHash, b.SecretHash = nil, nil
	return a.ID == b.ID && a.Name == b.Name && a.Public == b.Public && a.IntrospectAny == b.IntrospectAny &&
		a.BackchannelLogoutURI == b.BackchannelLogoutURI &&
		a.BackchannelLogoutSessionRequired == b.BackchannelLogoutSessionRequired &&
		a.ConfigManaged == b.ConfigManaged && a.Disabled == b.Disabled &&
		a.RequirePAR == b.RequirePAR && a.RequireDPoP == b.RequireDPoP && a.AllowImpersonation == b.AllowImpersonation
}

// Undeclare disables every config-managed client whose id is not in
// declared (its entry left the configuration file) and returns their ids.
// The clients stay stored, disabled: their tokens stop working, and
// declaring one again enables it.
func Undeclare(ctx context.Context, store storage.Clients, declared []string, now time.Time) ([]string, error) {
	var disabled []string
	const page = 1000
	for offset := 0; ; offset += page {
		list, err := store.ListClients(ctx, storage.ListOptions{Limit: page, Offset: offset})
		if err != nil {
			return disabled, fmt.Errorf("list clients: %w", err)
		}
		for _, c := range list {
			if !c.ConfigManaged || c.Disabled || slices.Contains(declared, c.ID) {
				continue
			}
			err := store.UpdateClient(ctx, c.ID, func(c *storage.Client) error {
				c.Disabled, c.UpdatedAt = true, now.UTC()
				return nil
			})
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return disabled, fmt.Errorf("disable client %q: %w", c.ID, err)
			}
			disabled = append(disabled, c.ID)
		}
		if len(list) < page {
			return disabled, nil
		}
	}
}
