// Package keys manages the keys Gatehouse signs tokens with: it generates
// them, keeps their private parts encrypted at rest, rotates them with an
// overlap and publishes their public parts as a JWK Set.
//
// A key's life has three phases, set by two times on its storage row:
//
//   - published, from creation until RetireAt: it is in the JWKS and
//     Verifying accepts it;
//   - signing, from SignFrom: the newest published key whose SignFrom has
//     passed is the one Signing returns;
//   - retired, from RetireAt (zero while it is current): gone from the JWKS,
//     it verifies nothing.
//
// Rotate creates the next key with SignFrom = now + PublishAhead, so clients
// can fetch it before it signs, and gives every older key RetireAt =
// next.SignFrom + RefreshInterval + RetireAfter: once the last token an old
// key signed has expired, even on a node that learnt of the rotation only at
// its next refresh.
//
// Key IDs (kid) are the RFC 7638 JWK thumbprint of the public key: SHA-256,
// unpadded base64url, 43 characters. Private keys are stored as PKCS #8,
// encrypted with AES-256-GCM under secret.Derive(system secret,
// "signing-keys"), with the kid as additional data.
//
// A Manager caches the keys, decrypted once per load, in an immutable
// snapshot behind an atomic pointer, so Signing, Verifying and JWKS neither
// query storage nor allocate while the cache is fresh. The cache is reloaded
// every RefreshInterval, by Reload and Rotate, and on an unknown kid (at most
// once per second). A node therefore learns of a rotation made elsewhere (by
// another node or by `gatehouse keys rotate`) only at its next reload: with
// several processes, set PublishAhead to at least RefreshInterval plus the
// clock skew between machines, so every node publishes the new key before
// any of them signs with it and all switch at its SignFrom.
package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrUnknownKey is returned by Verifying for a kid that is not a published key.
var ErrUnknownKey = errors.New("keys: unknown signing key")

// Store is the storage a Manager needs: the key rows and transactions.
type Store interface {
	storage.Keys
	storage.Tx
}

// SigningKey is the key to sign with. Signer is an *rsa.PrivateKey, an
// *ecdsa.PrivateKey or an ed25519.PrivateKey, shared: do not modify it.
type SigningKey struct {
	ID        string
	Algorithm string
	Signer    crypto.Signer
}

// PublicKey is a published key: an *rsa.PublicKey, an *ecdsa.PublicKey or
// an ed25519.PublicKey.
type PublicKey struct {
	ID        string
	Algorithm string
	Key       crypto.PublicKey
}

// Info describes a key for the CLI and the admin API.
type Info struct {
	ID        string    `json:"id"`
	Algorithm string    `json:"alg"`
	CreatedAt time.Time `json:"created_at"`
	SignFrom  time.Time `json:"sign_from"`
	RetireAt  time.Time `json:"retire_at,omitzero"`
	Current   bool      `json:"current"`
}

// Manager hands out the signing key, the verifying keys and the JWKS. It is
// safe for concurrent use.
type Manager struct {
	store           Store
	sealer          *sealer
	alg             string
	rsaBits         int
	retireAfter     time.Duration
	publishAhead    time.Duration
	refreshInterval time.Duration
	now             func() time.Time
	log             *slog.Logger

	snap       atomic.Pointer[snapshot]
	reloading  chan struct{} // a one-slot semaphore held while reloading
	lastReload atomic.Pointer[time.Time]
}

// New validates opts and loads the keys. When there is no unretired key (a
// new installation) it generates the first one, signing from now; that
// happens in a transaction that lists the keys again, so two processes
// starting together create only one. A key that does not decrypt fails New.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s, err := newSealer(opts.Secret)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	m := &Manager{
		store:           opts.Store,
		sealer:          s,
		alg:             opts.Algorithm,
		rsaBits:         opts.RSABits,
		retireAfter:     opts.RetireAfter,
		publishAhead:    opts.PublishAhead,
		refreshInterval: opts.RefreshInterval,
		now:             opts.Now,
		log:             opts.Logger,
		reloading:       make(chan struct{}, 1),
	}
	if err := m.Reload(ctx); err != nil {
		return nil, err
	}
	if len(m.snap.Load().entries) > 0 {
		return m, nil
	}
	if err := m.createFirst(ctx); err != nil {
		return nil, err
	}
	if err := m.Reload(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// createFirst stores a first key unless another process did so meanwhile.
// The key is generated before the transaction, which then stays short.
func (m *Manager) createFirst(ctx context.Context) error {
	now := m.now().UTC()
	k, err := newKey(m.sealer, m.alg, m.rsaBits, now, now)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	created := false
	err = m.store.UpdateKeys(ctx, func(rows []storage.Key) ([]storage.Key, error) {
		created = false
		for _, r := range rows {
			if !retired(r.RetireAt, now) {
				return rows, nil // another process was first
			}
		}
		created = true
		return append(rows, k), nil
	})
	if err != nil {
		return fmt.Errorf("keys: create first signing key: %w", err)
	}
	if created {
		m.log.InfoContext(ctx, "keys: generated the first signing key", "kid", k.ID, "alg", k.Algorithm)
	}
	return nil
}

// Signing returns the key to sign with now: the newest published key whose
// SignFrom has passed.
func (m *Manager) Signing(ctx context.Context) (SigningKey, error) {
	s, now := m.fresh(ctx)
	e := current(s.entries, now)
	if e == nil {
		return SigningKey{}, errors.New("keys: no signing key: every key is retired")
	}
	return SigningKey{ID: e.key.ID, Algorithm: e.key.Algorithm, Signer: e.signer}, nil
}

// Verifying returns the published key with the given kid. An unknown kid
// reloads the keys from storage first (at most once per second); when it
// is still unknown, or the key has retired, the error wraps ErrUnknownKey.
func (m *Manager) Verifying(ctx context.Context, kid string) (PublicKey, error) {
	s, now := m.fresh(ctx)
	if e := s.byID[kid]; e != nil {
		return published(e, now)
	}
	if !m.mayReload(now) {
		return PublicKey{}, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
	}
	select {
	case m.reloading <- struct{}{}:
		defer func() { <-m.reloading }()
	case <-ctx.Done():
		return PublicKey{}, fmt.Errorf("keys: verifying key %q: %w", kid, ctx.Err())
	}
	now = m.now()
	if e := m.snap.Load().byID[kid]; e != nil { // reloaded while we waited
		return published(e, now)
	}
	if !m.mayReload(now) {
		return PublicKey{}, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
	}
	s, err := m.reloadLocked(ctx)
	if err != nil {
		return PublicKey{}, fmt.Errorf("keys: verifying key %q: %w", kid, err)
	}
	if e := s.byID[kid]; e != nil {
		return published(e, now)
	}
	return PublicKey{}, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
}

// published returns the public key of e unless it has retired at now.
func published(e *entry, now time.Time) (PublicKey, error) {
	if e.retired(now) {
		return PublicKey{}, fmt.Errorf("%w: %q retired", ErrUnknownKey, e.key.ID)
	}
	return PublicKey{ID: e.key.ID, Algorithm: e.key.Algorithm, Key: e.public}, nil
}

// JWKS returns the JWK Set of every published key, including keys whose
// SignFrom is still ahead: public parts only, each with kid, alg, use "sig"
// and kty. The bytes are cached and shared: callers must not modify them.
func (m *Manager) JWKS(ctx context.Context) ([]byte, error) {
	s, _ := m.fresh(ctx)
	return s.jwks, nil
}

// Rotate creates a new key that signs from now + PublishAhead and retires
// every older key RetireAfter after that, in one transaction, then reloads
// the cache. The old key keeps signing until the new key's SignFrom. A
// failed reload after a committed rotation is logged, not returned: the
// cache catches up at its next refresh.
func (m *Manager) Rotate(ctx context.Context) (Info, error) {
	now := m.now().UTC()
	signFrom := now.Add(m.publishAhead)
	// Other processes may keep signing with the old key until their next
	// refresh, so it stays published that much longer.
	retireAt := signFrom.Add(m.refreshInterval).Add(m.retireAfter)
	k, err := newKey(m.sealer, m.alg, m.rsaBits, now, signFrom)
	if err != nil {
		return Info{}, fmt.Errorf("keys: rotate: %w", err)
	}
	var retiring []string
	err = m.store.UpdateKeys(ctx, func(rows []storage.Key) ([]storage.Key, error) {
		retiring = retiring[:0]
		next := make([]storage.Key, 0, len(rows)+1)
		for _, r := range rows {
			if r.RetireAt.IsZero() {
				r.RetireAt = retireAt
				retiring = append(retiring, r.ID)
			}
			next = append(next, r)
		}
		return append(next, k), nil
	})
	if err != nil {
		return Info{}, fmt.Errorf("keys: rotate: %w", err)
	}
	m.log.InfoContext(ctx, "keys: rotated signing key", "kid", k.ID, "alg", k.Algorithm,
		"sign_from", signFrom, "retiring", retiring, "retire_at", retireAt)
	if err := m.Reload(ctx); err != nil {
		m.log.WarnContext(ctx, "keys: reload after rotation failed", "error", err)
	}
	return Info{
		ID:        k.ID,
		Algorithm: k.Algorithm,
		CreatedAt: k.CreatedAt,
		SignFrom:  k.SignFrom,
		Current:   !signFrom.After(m.now()),
	}, nil
}

// List returns every key in storage, retired ones included, oldest SignFrom
// first, marking the one that signs now. It reads storage, not the cache.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	rows, err := m.store.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: list signing keys: %w", err)
	}
	entries := make([]*entry, len(rows))
	for i, r := range rows {
		entries[i] = &entry{key: r}
	}
	sortEntries(entries)
	cur := current(entries, m.now())
	infos := make([]Info, len(entries))
	for i, e := range entries {
		infos[i] = e.info(e == cur)
	}
	return infos, nil
}

// Reload reads the keys from storage now, whatever the cache's age.
func (m *Manager) Reload(ctx context.Context) error {
	select {
	case m.reloading <- struct{}{}:
		defer func() { <-m.reloading }()
	case <-ctx.Done():
		return fmt.Errorf("keys: reload: %w", ctx.Err())
	}
	_, err := m.reloadLocked(ctx)
	return err
}

// Key states, as Info.State names them.
const (
	StateNext     = "next"     // published, not signing yet
	StateActive   = "active"   // signing now
	StateRetiring = "retiring" // no longer signing, still published until RetireAt
)

// State names where the key is in its life at now: next, active or
// retiring.
func (i Info) State(now time.Time) string {
	switch {
	case i.Current:
		return StateActive
	case i.SignFrom.After(now):
		return StateNext
	}
	return StateRetiring
}
