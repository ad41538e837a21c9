package keys

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// minReloadGap bounds how often the cache is reloaded on its own (unknown
// kid, stale cache after a failed reload): at most once per second, so
// requests with made-up kids cannot turn into database load.
const minReloadGap = time.Second

// entry is one loaded key: its storage row, with PublicJWK replaced by the
// JWK we publish, and the parsed key pair. Entries are never modified.
type entry struct {
	key    storage.Key
	signer crypto.Signer
	public crypto.PublicKey
}

// retired reports whether a key with this RetireAt is retired at now.
func retired(retireAt, now time.Time) bool {
	return !retireAt.IsZero() && !now.Before(retireAt)
}

func (e *entry) retired(now time.Time) bool { return retired(e.key.RetireAt, now) }

func (e *entry) info(current bool) Info {
	return Info{
		ID:        e.key.ID,
		Algorithm: e.key.Algorithm,
		CreatedAt: e.key.CreatedAt,
		SignFrom:  e.key.SignFrom,
		RetireAt:  e.key.RetireAt,
		Current:   current,
	}
}

// sortEntries orders entries from oldest to newest, whatever order the
// backend listed them in: by SignFrom, then, for keys with the same SignFrom
// (a rotation within the clock's or the database's time resolution), by
// RetireAt with zero last, because Rotate retires every older key and
// leaves the newest one without a RetireAt; then by CreatedAt and ID.
func sortEntries(entries []*entry) {
	slices.SortStableFunc(entries, func(a, b *entry) int {
		if c := a.key.SignFrom.Compare(b.key.SignFrom); c != 0 {
			return c
		}
		if c := compareRetireAt(a.key.RetireAt, b.key.RetireAt); c != 0 {
			return c
		}
		if c := a.key.CreatedAt.Compare(b.key.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.key.ID, b.key.ID)
	})
}

// compareRetireAt compares two RetireAt times, zero (never) being the latest.
func compareRetireAt(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// current returns the key that signs at now: the newest (by SignFrom)
// unretired key whose SignFrom has passed. When no key has reached its
// SignFrom yet, which only happens right after the first key was created by
// a node whose clock runs ahead, it falls back to the unretired key with the
// earliest SignFrom. nil when every key is retired. entries must be sorted.
//
// A key that a rotation has not retired (RetireAt zero) wins over retiring
// ones whatever their SignFrom: when two processes rotate with skewed
// clocks, the retiring key may carry the later SignFrom, and letting it
// sign would put tokens in the world signed by a key about to leave the
// JWKS.
func current(entries []*entry, now time.Time) *entry {
	var cur, open, first *entry
	for _, e := range entries {
		if e.retired(now) {
			continue
		}
		if first == nil {
			first = e
		}
		if !e.key.SignFrom.After(now) {
			cur = e
			if e.key.RetireAt.IsZero() {
				open = e
			}
		}
	}
	switch {
	case open != nil:
		return open
	case cur != nil:
		return cur
	}
	return first
}

// snapshot is an immutable view of the published keys, replaced as a whole.
type snapshot struct {
	entries  []*entry // published (not retired) keys, sorted by SignFrom
	byID     map[string]*entry
	loadedAt time.Time // when entries were read from storage
	jwks     []byte    // the JWK Set of entries; shared, never modified
	// validUntil is the earliest RetireAt among entries: from then on the
	// snapshot must be rebuilt without that key. Zero: no key retires.
	validUntil time.Time
}

// build returns the snapshot of the entries not retired at now. It reuses
// the JWKS bytes of prev when the published key set has not changed.
func build(entries []*entry, prev *snapshot, loadedAt, now time.Time) *snapshot {
	s := &snapshot{
		entries:  make([]*entry, 0, len(entries)),
		byID:     make(map[string]*entry, len(entries)),
		loadedAt: loadedAt,
	}
	for _, e := range entries {
		if e.retired(now) {
			continue
		}
		s.entries = append(s.entries, e)
		s.byID[e.key.ID] = e
		if r := e.key.RetireAt; !r.IsZero() && (s.validUntil.IsZero() || r.Before(s.validUntil)) {
			s.validUntil = r
		}
	}
	if prev != nil && sameKeys(prev.entries, s.entries) {
		s.jwks = prev.jwks
	} else {
		s.jwks = buildJWKS(s.entries)
	}
	return s
}

// sameKeys reports whether a and b list the same key IDs in the same order.
func sameKeys(a, b []*entry) bool {
	return slices.EqualFunc(a, b, func(x, y *entry) bool { return x.key.ID == y.key.ID })
}

// mayReload reports whether the last reload attempt is at least
// minReloadGap before now.
func (m *Manager) mayReload(now time.Time) bool {
	last := m.lastReload.Load()
	return last == nil || now.Sub(*last) >= minReloadGap
}

// fresh returns a snapshot valid at now, and now. When the snapshot is
// older than RefreshInterval one caller reloads it from storage while the
// others keep using the old one; a failed reload is logged and the old
// snapshot kept. When a cached key has retired since the snapshot was built,
// the snapshot is rebuilt from memory.
func (m *Manager) fresh(ctx context.Context) (*snapshot, time.Time) {
	now := m.now()
	s := m.snap.Load()
	if now.Sub(s.loadedAt) >= m.refreshInterval && m.mayReload(now) {
		select {
		case m.reloading <- struct{}{}:
			s = m.refreshLocked(ctx)
			<-m.reloading
		default: // another goroutine is reloading
		}
	}
	if !s.validUntil.IsZero() && !now.Before(s.validUntil) {
		ns := build(s.entries, s, s.loadedAt, now)
		m.snap.CompareAndSwap(s, ns)
		s = ns
	}
	return s, now
}

// refreshLocked reloads a stale snapshot, unless another caller did so
// meanwhile. The caller holds m.reloading.
func (m *Manager) refreshLocked(ctx context.Context) *snapshot {
	s := m.snap.Load()
	now := m.now()
	if now.Sub(s.loadedAt) < m.refreshInterval || !m.mayReload(now) {
		return s
	}
	ns, err := m.reloadLocked(ctx)
	if err != nil {
		m.log.WarnContext(ctx, "keys: reload failed, keeping cached signing keys",
			"error", err, "cached_since", s.loadedAt)
		return s
	}
	return ns
}

// reloadLocked reads every key from storage, decrypts the ones it has not
// decrypted before, and installs the new snapshot. The caller holds
// m.reloading.
func (m *Manager) reloadLocked(ctx context.Context) (*snapshot, error) {
	now := m.now()
	m.lastReload.Store(&now)
	rows, err := m.store.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("keys: list signing keys: %w", err)
	}
	prev := m.snap.Load()
	entries := make([]*entry, 0, len(rows))
	for _, k := range rows {
		if retired(k.RetireAt, now) {
			continue // never needed again: not decrypted
		}
		if prev != nil {
			if old := prev.byID[k.ID]; old != nil && old.key.Algorithm == k.Algorithm &&
				bytes.Equal(old.key.PrivateKey, k.PrivateKey) {
				e := *old
				e.key = k
				e.key.PublicJWK = old.key.PublicJWK
				entries = append(entries, &e)
				continue
			}
		}
		e, err := parseKey(m.sealer, k)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		entries = append(entries, e)
	}
	sortEntries(entries)
	s := build(entries, prev, now, now)
	m.snap.Store(s)
	m.log.DebugContext(ctx, "keys: signing keys loaded", "published", len(s.entries))
	return s, nil
}
