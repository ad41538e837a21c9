package clientcache_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/clientcache"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
	"github.com/gatehouse-id/gatehouse/storage/storagetest"
)

func openSQLite(t *testing.T) storage.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestConformance: the wrapped store behaves as a store, whatever the
// conformance suite writes and reads back through it.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return clientcache.Wrap(openSQLite(t), time.Hour)
	})
}

func client(id string, scopes ...string) storage.Client {
	now := time.Now().UTC().Truncate(time.Second)
	return storage.Client{ID: id, Name: id, Scopes: scopes, CreatedAt: now, UpdatedAt: now}
}

func scopesOf(t *testing.T, s storage.Store, id string) []string {
	t.Helper()
	return scopesIn(t.Context(), t, s, id)
}

func scopesIn(ctx context.Context, t *testing.T, s storage.Store, id string) []string {
	t.Helper()
	c, err := s.GetClient(ctx, id)
	if err != nil {
		t.Fatalf("GetClient %s: %v", id, err)
	}
	return c.Scopes
}

func setScopes(scopes ...string) func(*storage.Client) error {
	return func(c *storage.Client) error { c.Scopes = scopes; return nil }
}

// TestCache: reads are answered from memory for the TTL; a change made
// behind the cache's back (another node) shows after the TTL, one made
// through it at once; transactions neither read nor fill the cache.
func TestCache(t *testing.T) {
	ctx := t.Context()
	raw := openSQLite(t)
	cached := clientcache.Wrap(raw, time.Second)
	var clock atomic.Int64 // nanoseconds past t0
	t0 := time.Now()
	clientcache.SetClock(cached, func() time.Time { return t0.Add(time.Duration(clock.Load())) })
	if err := cached.CreateClient(ctx, client("app", "a")); err != nil {
		t.Fatal(err)
	}
	scopesOf(t, cached, "app")

	// Another node changes the client: this one answers from memory...
	if err := raw.UpdateClient(ctx, "app", setScopes("b")); err != nil {
		t.Fatal(err)
	}
	if got := scopesOf(t, cached, "app"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("within the TTL: scopes %v, want the cached [a]", got)
	}
	// ...until the TTL has passed.
	clock.Add(int64(time.Second))
	if got := scopesOf(t, cached, "app"); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after the TTL: scopes %v, want [b]", got)
	}

	// A change through the cache shows at once; so does a delete.
	if err := cached.UpdateClient(ctx, "app", setScopes("c")); err != nil {
		t.Fatal(err)
	}
	if got := scopesOf(t, cached, "app"); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("after an update through the cache: scopes %v, want [c]", got)
	}
	if err := cached.DeleteClient(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := cached.GetClient(ctx, "app"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("after a delete through the cache: %v, want ErrNotFound", err)
	}

	// A transaction's own uncommitted write is read in it, never cached.
	if err := cached.CreateClient(ctx, client("tx", "d")); err != nil {
		t.Fatal(err)
	}
	err := storage.InTx(ctx, cached, func(ctx context.Context) error {
		if err := cached.UpdateClient(ctx, "tx", setScopes("uncommitted")); err != nil {
			return err
		}
		if got := scopesIn(ctx, t, cached, "tx"); !slices.Equal(got, []string{"uncommitted"}) {
			t.Errorf("in the transaction: scopes %v, want its own write", got)
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("InTx did not fail")
	}
	if got := scopesOf(t, cached, "tx"); !slices.Equal(got, []string{"d"}) {
		t.Fatalf("after the rollback: scopes %v, want [d]", got)
	}

	// A committed transaction's write shows at once after the commit.
	if err := storage.InTx(ctx, cached, func(ctx context.Context) error {
		return cached.UpdateClient(ctx, "tx", setScopes("e"))
	}); err != nil {
		t.Fatal(err)
	}
	if got := scopesOf(t, cached, "tx"); !slices.Equal(got, []string{"e"}) {
		t.Fatalf("after the commit: scopes %v, want [e]", got)
	}

	// A caller changing its copy does not change the cached one.
	c, _ := cached.GetClient(ctx, "tx")
	c.Scopes[0] = "mutated"
	if got := scopesOf(t, cached, "tx"); !slices.Equal(got, []string{"e"}) {
		t.Fatalf("a caller's change leaked into the cache: %v", got)
	}

	if clientcache.Wrap(raw, 0) != raw {
		t.Error("Wrap with TTL 0 should return the store itself")
	}
}
