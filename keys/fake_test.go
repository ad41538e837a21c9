package keys_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/storage"
)

// memStore is an in-memory keys.Store for unit tests, standing in for the
// SQLite backend: one writer transaction at a time (like SQLite), whose
// writes are applied on Commit and dropped on Rollback; nested BeginTx
// joins the outer transaction.
type memStore struct {
	mu   sync.Mutex
	keys map[string]storage.Key

	writer   chan struct{} // one-slot semaphore: the single writer
	lists    atomic.Int64  // ListKeys calls
	failList atomic.Bool   // make ListKeys fail
}

var _ keys.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{keys: map[string]storage.Key{}, writer: make(chan struct{}, 1)}
}

type txCtxKey struct{}

type memTx struct {
	keys   map[string]storage.Key
	nested bool
}

func (s *memStore) BeginTx(ctx context.Context) (context.Context, error) {
	if tx, ok := ctx.Value(txCtxKey{}).(*memTx); ok {
		return context.WithValue(ctx, txCtxKey{}, &memTx{keys: tx.keys, nested: true}), nil
	}
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return context.WithValue(ctx, txCtxKey{}, &memTx{keys: maps.Clone(s.keys)}), nil
}

func (s *memStore) end(ctx context.Context, commit bool) error {
	tx, ok := ctx.Value(txCtxKey{}).(*memTx)
	if !ok {
		return errors.New("memstore: no transaction")
	}
	if tx.nested {
		return nil
	}
	if commit {
		s.mu.Lock()
		s.keys = tx.keys
		s.mu.Unlock()
	}
	<-s.writer
	return nil
}

func (s *memStore) Commit(ctx context.Context) error   { return s.end(ctx, true) }
func (s *memStore) Rollback(ctx context.Context) error { return s.end(ctx, false) }

// data runs fn on the rows ctx sees: its transaction's, or the committed ones.
func (s *memStore) data(ctx context.Context, fn func(map[string]storage.Key) error) error {
	if tx, ok := ctx.Value(txCtxKey{}).(*memTx); ok {
		return fn(tx.keys)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(s.keys)
}

func clone(k storage.Key) storage.Key {
	k.PrivateKey = bytes.Clone(k.PrivateKey)
	k.PublicJWK = bytes.Clone(k.PublicJWK)
	return k
}

func (s *memStore) CreateKey(ctx context.Context, k storage.Key) error {
	return s.data(ctx, func(m map[string]storage.Key) error {
		if _, ok := m[k.ID]; ok {
			return storage.ErrAlreadyExists
		}
		m[k.ID] = clone(k)
		return nil
	})
}

func (s *memStore) ListKeys(ctx context.Context) ([]storage.Key, error) {
	s.lists.Add(1)
	if s.failList.Load() {
		return nil, errors.New("memstore: database is down")
	}
	var out []storage.Key
	err := s.data(ctx, func(m map[string]storage.Key) error {
		for _, k := range m {
			out = append(out, clone(k))
		}
		return nil
	})
	slices.SortFunc(out, func(a, b storage.Key) int { return a.SignFrom.Compare(b.SignFrom) })
	return out, err
}

func (s *memStore) UpdateKey(ctx context.Context, id string, fn func(*storage.Key) error) error {
	return s.data(ctx, func(m map[string]storage.Key) error {
		k, ok := m[id]
		if !ok {
			return storage.ErrNotFound
		}
		k = clone(k)
		if err := fn(&k); err != nil {
			return err
		}
		m[id] = k
		return nil
	})
}

func (s *memStore) UpdateKeys(ctx context.Context, fn func([]storage.Key) ([]storage.Key, error)) error {
	if s.failList.Load() {
		return errors.New("memstore: database is down")
	}
	return s.data(ctx, func(m map[string]storage.Key) error {
		var old []storage.Key
		for _, k := range m {
			old = append(old, clone(k))
		}
		slices.SortFunc(old, func(a, b storage.Key) int { return a.SignFrom.Compare(b.SignFrom) })
		next, err := fn(old)
		if err != nil {
			return err
		}
		clear(m)
		for _, k := range next {
			m[k.ID] = clone(k)
		}
		return nil
	})
}

func (s *memStore) DeleteKey(ctx context.Context, id string) error {
	return s.data(ctx, func(m map[string]storage.Key) error {
		if _, ok := m[id]; !ok {
			return storage.ErrNotFound
		}
		delete(m, id)
		return nil
	})
}

// rows returns the committed rows, oldest SignFrom first.
func (s *memStore) rows() []storage.Key {
	out, _ := s.ListKeys(context.Background())
	s.lists.Add(-1)
	return out
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
