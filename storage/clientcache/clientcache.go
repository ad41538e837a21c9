// Package clientcache keeps client records in memory for a short time in
// front of a storage.Store. Every token, introspection and revocation
// request reads its client (often twice: the caller's and the token's),
// and that read is a large part of what these cheap requests cost.
//
// A client changed through the wrapped store (this node's admin API, its
// console, its config reconciliation) is dropped from the cache at once. A
// change made elsewhere (another node, the CLI on the same database) takes
// effect within the TTL: Gatehouse uses one second.
package clientcache

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Store is a storage.Store whose GetClient answers from memory for up to
// TTL after it read the client.
type Store struct {
	storage.Store
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by every client write through this Store
	entries map[string]entry
}

type entry struct {
	client  storage.Client
	fetched time.Time
}

// maxEntries bounds the cache: past it, the cache starts over (a
// deployment has tens of clients; self-registered ones can be many more).
const maxEntries = 10000

// Wrap returns s with its clients cached for ttl; ttl <= 0 returns s.
func Wrap(s storage.Store, ttl time.Duration) storage.Store {
	if ttl <= 0 {
		return s
	}
	return &Store{Store: s, ttl: ttl, now: time.Now, entries: map[string]entry{}}
}

// txKey marks contexts that carry a transaction begun through this Store:
// reads in them see the transaction's own writes, which must not be cached
// (the transaction may roll back), and the cache must not answer them. The
// clients the transaction writes are dropped again when it commits, since
// a reader outside it may have cached the old row in between.
type txKey struct{}

type txState struct {
	mu      sync.Mutex
	written []string
}

// BeginTx begins a transaction on the wrapped store and marks its context.
func (s *Store) BeginTx(ctx context.Context) (context.Context, error) {
	txCtx, err := s.Store.BeginTx(ctx)
	if err != nil || txCtx.Value(txKey{}) != nil {
		return txCtx, err
	}
	return context.WithValue(txCtx, txKey{}, &txState{}), nil
}

// Commit commits the transaction in ctx and drops the clients it wrote.
func (s *Store) Commit(ctx context.Context) error {
	err := s.Store.Commit(ctx)
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.mu.Lock()
		ids := st.written
		st.mu.Unlock()
		for _, id := range ids {
			s.invalidate(id)
		}
	}
	return err
}

// GetClient answers from the cache when it read the client less than TTL
// ago, else reads it and remembers it. Not found is not cached.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	if ctx.Value(txKey{}) != nil {
		return s.Store.GetClient(ctx, id)
	}
	now := s.now()
	s.mu.Lock()
	e, ok := s.entries[id]
	gen := s.gen
	s.mu.Unlock()
	if ok && now.Sub(e.fetched) < s.ttl {
		return clone(e.client), nil
	}
	c, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return c, err
	}
	s.mu.Lock()
	// A write since the read began may have changed what was read.
	if s.gen == gen {
		if len(s.entries) >= maxEntries {
			s.entries = map[string]entry{}
		}
		s.entries[id] = entry{client: clone(c), fetched: now}
	}
	s.mu.Unlock()
	return c, nil
}

// CreateClient creates the client and drops the cached one.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	defer s.written(ctx, c.ID)
	return s.Store.CreateClient(ctx, c)
}

// UpdateClient updates the client and drops the cached one.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(*storage.Client) error) error {
	s.invalidate(id) // readers from now on do not cache what they read before the write
	defer s.written(ctx, id)
	return s.Store.UpdateClient(ctx, id, fn)
}

// DeleteClient deletes the client and drops the cached one.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	s.invalidate(id)
	defer s.written(ctx, id)
	return s.Store.DeleteClient(ctx, id)
}

// written drops client id now and, in a transaction, again at its commit.
func (s *Store) written(ctx context.Context, id string) {
	s.invalidate(id)
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.mu.Lock()
		st.written = append(st.written, id)
		st.mu.Unlock()
	}
}

func (s *Store) invalidate(id string) {
	s.mu.Lock()
	s.gen++
	delete(s.entries, id)
	s.mu.Unlock()
}

// clone copies c's slices, so a caller that changes its copy does not
// change the cached one.
func clone(c storage.Client) storage.Client {
	c.SecretHash = append([]byte(nil), c.SecretHash...)
	c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	c.PostLogoutRedirectURIs = append([]string(nil), c.PostLogoutRedirectURIs...)
	c.GrantTypes = append([]string(nil), c.GrantTypes...)
	c.ResponseTypes = append([]string(nil), c.ResponseTypes...)
	c.Scopes = append([]string(nil), c.Scopes...)
	c.Audience = append([]string(nil), c.Audience...)
	return c
}
