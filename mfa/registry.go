package mfa

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Factor kinds built into this package. Passkeys register their own kind
// (KindPasskey) through Registry.Register.
const (
	KindTOTP     = "totp"
	KindRecovery = "recovery_codes"
	KindPasskey  = "passkey"
)

// Factor is one second factor a person has, as the account page and the
// admin listings show it: never a secret.
type Factor struct {
	Kind string // KindTOTP, KindPasskey, KindRecovery…
	// ID tells factors of one kind apart (a passkey's credential id);
	// "" for kinds a person has at most one of.
	ID   string
	Name string // what the person called it, or a description
	// ACR is the class a sign-in with a first factor and this one
	// reaches: ACRMFA, or ACRPhishingResistant for a passkey.
	ACR string
	// Backup: recovery codes; they stand in for a factor, they are not
	// one (a person with only backups has no second factor).
	Backup     bool
	Count      int // recovery codes left; 0 for other kinds
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}

// Provider is one kind of second factor. This package provides TOTP and
// recovery codes; another package adds passkeys with Registry.Register.
type Provider interface {
	// Kind names the kind (KindTOTP, KindPasskey…).
	Kind() string
	// Factors lists the user's usable factors of this kind (confirmed
	// enrolments only).
	Factors(ctx context.Context, userID string) ([]Factor, error)
	// RemoveAll deletes every factor of this kind the user has (an
	// administrator's reset); having none is not an error.
	RemoveAll(ctx context.Context, userID string) error
}

// Registry is the one list of factor kinds: "does this person have a
// second factor", what the listings show and what a reset removes all
// come from it. It is safe for concurrent use; register providers at
// start, before serving.
type Registry struct {
	mu        sync.RWMutex
	providers []Provider
}

// Register adds p. Registering a kind twice panics: a wiring mistake.
func (r *Registry) Register(p Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.providers {
		if q.Kind() == p.Kind() {
			panic("mfa: factor kind " + p.Kind() + " registered twice")
		}
	}
	r.providers = append(r.providers, p)
}

// Providers returns the registered providers in registration order.
func (r *Registry) Providers() []Provider {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]Provider(nil), r.providers...)
}

// Factors lists every factor of the user, kind by kind in registration
// order, backups included.
func (r *Registry) Factors(ctx context.Context, userID string) ([]Factor, error) {
	var out []Factor
	for _, p := range r.Providers() {
		fs, err := p.Factors(ctx, userID)
		if err != nil {
			return nil, fmt.Errorf("mfa: list %s factors: %w", p.Kind(), err)
		}
		out = append(out, fs...)
	}
	return out, nil
}

// HasSecondFactor reports whether the user has a second factor (backups
// do not count).
func (r *Registry) HasSecondFactor(ctx context.Context, userID string) (bool, error) {
	best, err := r.BestACR(ctx, userID)
	return best != "", err
}

// BestACR returns the highest class the user can reach with a first
// factor and one of their second factors: ACRPhishingResistant with a
// passkey, ACRMFA with another factor, "" with none.
func (r *Registry) BestACR(ctx context.Context, userID string) (string, error) {
	fs, err := r.Factors(ctx, userID)
	if err != nil {
		return "", err
	}
	best := ""
	for _, f := range fs {
		if !f.Backup {
			best = Higher(best, f.ACR)
		}
	}
	return best, nil
}

// RemoveAll removes every factor of every kind, backups included (an
// administrator's reset), going on past a failure and reporting them all.
func (r *Registry) RemoveAll(ctx context.Context, userID string) error {
	var errs []error
	for _, p := range r.Providers() {
		if err := p.RemoveAll(ctx, userID); err != nil {
			errs = append(errs, fmt.Errorf("mfa: remove %s factors: %w", p.Kind(), err))
		}
	}
	return errors.Join(errs...)
}
