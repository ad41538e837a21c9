package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/safetext"
	"github.com/gatehouse-id/gatehouse/providers"
	"github.com/gatehouse-id/gatehouse/storage"
)

// linkRefusal is a verified upstream identity that may not sign in: the
// reason goes to the audit log, the message to the person.
type linkRefusal struct {
	reason  string
	message string
}

func (e *linkRefusal) Error() string { return "web: upstream sign-in refused: " + e.reason }

var (
	refuseDisabled        = &linkRefusal{"account_disabled", MsgUpstreamAccountDisabled}
	refuseUnverified      = &linkRefusal{"email_unverified", MsgUpstreamEmailUnverified}
	refuseLocalUnverified = &linkRefusal{"account_email_unverified", MsgUpstreamAccountUnverified}
	refuseNoAccount       = &linkRefusal{"registration_closed", MsgUpstreamNoAccount}
	refuseNoEmailLinking  = &linkRefusal{"email_linking_off", MsgUpstreamAccountExists}
)

// errLinkRace means another request linked or created the account first.
var errLinkRace = errors.New("web: the account was linked concurrently")

// resolve returns the user an upstream identity signs in, linking or
// creating one as the rules allow:
//
//  1. an identity linked before signs in its user (unless disabled);
//  2. otherwise an email the upstream has verified that belongs to a local
//     account whose email is verified too links to that account (unless
//     the provider is configured with link_by_email: false);
//  3. otherwise, with registration enabled, a new account is created for
//     the verified email, with the identity linked in the same transaction.
//
// An email the upstream has not verified never links and never creates an
// account: whoever typed it need not own it, and an account created for it
// would squat the address and later be linked to its real owner.
func (f *federation) resolve(r *http.Request, provider string, id providers.Identity) (storage.User, error) {
	u, err := f.resolveOnce(r, provider, id)
	if errors.Is(err, errLinkRace) {
		// The identity or the email is now taken: the rules decide again.
		u, err = f.resolveOnce(r, provider, id)
	}
	return u, err
}

func (f *federation) resolveOnce(r *http.Request, provider string, id providers.Identity) (storage.User, error) {
	ctx := r.Context()
	known, err := f.Store.GetIdentity(ctx, provider, id.Subject)
	switch {
	case err == nil:
		return f.signInKnown(ctx, known, id)
	case !errors.Is(err, storage.ErrNotFound):
		return storage.User{}, fmt.Errorf("get identity: %w", err)
	}
	email, err := accounts.NormalizeEmail(id.Email)
	if err != nil || !id.EmailVerified {
		return storage.User{}, refuseUnverified
	}
	local, err := f.Store.GetUserByEmail(ctx, email)
	switch {
	case err == nil:
		return f.linkExisting(r, provider, id, local)
	case !errors.Is(err, storage.ErrNotFound):
		return storage.User{}, fmt.Errorf("get user by email: %w", err)
	case !f.Registration:
		return storage.User{}, refuseNoAccount
	}
	return f.createLinked(r, provider, id, email)
}

// signInKnown signs in the user of an identity linked before.
func (f *federation) signInKnown(ctx context.Context, known storage.Identity, id providers.Identity) (storage.User, error) {
	u, err := f.Store.GetUser(ctx, known.UserID)
	if err != nil {
		return storage.User{}, fmt.Errorf("get linked user: %w", err)
	}
	if u.Disabled {
		return storage.User{}, refuseDisabled
	}
	if err := f.Store.TouchIdentity(ctx, known.Provider, known.Subject, id.Email, f.Now().UTC()); err != nil {
		return storage.User{}, fmt.Errorf("touch identity: %w", err)
	}
	return u, nil
}

// linkExisting links the identity to the local account with its verified
// email. A local account whose own email is unverified is not linked: its
// owner may not own the address (an attacker can register a victim's email
// and wait for the victim's first upstream login).
func (f *federation) linkExisting(r *http.Request, provider string, id providers.Identity, u storage.User) (storage.User, error) {
	switch {
	case u.Disabled:
		return storage.User{}, refuseDisabled
	case !u.EmailVerified:
		return storage.User{}, refuseLocalUnverified
	case f.NoEmailLinking[provider]:
		return storage.User{}, refuseNoEmailLinking
	}
	err := f.Store.CreateIdentity(r.Context(), f.identity(provider, id, u.ID))
	if errors.Is(err, storage.ErrAlreadyExists) {
		return storage.User{}, errLinkRace
	}
	if err != nil {
		return storage.User{}, fmt.Errorf("link identity: %w", err)
	}
	f.Audit.RecordRequest(r, audit.IdentityLinked, audit.Success, u.ID, "", map[string]string{"provider": provider})
	return u, nil
}

// createLinked creates an account without a password for the verified
// email and links the identity to it, in one transaction: either both
// exist afterwards or neither does.
func (f *federation) createLinked(r *http.Request, provider string, id providers.Identity, email string) (storage.User, error) {
	var u storage.User
	err := storage.InTx(r.Context(), f.Store, func(ctx context.Context) error {
		var err error
		u, err = f.accounts.CreateUser(ctx, accounts.NewUser{
			Email:         email,
			Name:          displayName(id.Name, email),
			EmailVerified: true,
		})
		if err != nil {
			return err
		}
		return f.Store.CreateIdentity(ctx, f.identity(provider, id, u.ID))
	})
	if errors.Is(err, accounts.ErrEmailTaken) || errors.Is(err, storage.ErrAlreadyExists) {
		return storage.User{}, errLinkRace
	}
	if err != nil {
		return storage.User{}, fmt.Errorf("create user with identity: %w", err)
	}
	details := map[string]string{"provider": provider}
	f.Audit.RecordRequest(r, audit.Registered, audit.Success, u.ID, "", details)
	f.Audit.RecordRequest(r, audit.IdentityLinked, audit.Success, u.ID, "", details)
	return u, nil
}

func (f *federation) identity(provider string, id providers.Identity, userID string) storage.Identity {
	now := f.Now().UTC()
	return storage.Identity{
		Provider:    provider,
		Subject:     id.Subject,
		UserID:      userID,
		Email:       id.Email,
		CreatedAt:   now,
		LastLoginAt: now,
	}
}

// displayName is the upstream's name for the person, or the local part of
// their email when it sent none.
func displayName(name, email string) string {
	// The same rules as a typed name (accounts.NormalizeName): one line of text.
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, safetext.Clip(name, 4*accounts.MaxNameRunes))
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > accounts.MaxNameRunes {
		name = strings.TrimSpace(string(r[:accounts.MaxNameRunes]))
	}
	if name != "" {
		return name
	}
	local, _, _ := strings.Cut(email, "@")
	return local
}
