package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// rotate is key rotation as a compare-and-swap: every key that is not
// retired yet retires, and a new key id, not retired, is added.
func rotate(id string, signFrom time.Time) func([]storage.Key) ([]storage.Key, error) {
	return func(old []storage.Key) ([]storage.Key, error) {
		next := make([]storage.Key, 0, len(old)+1)
		for _, k := range old {
			if k.RetireAt.IsZero() {
				k.RetireAt = signFrom.Add(time.Hour)
			}
			next = append(next, k)
		}
		return append(next, newKey(id, signFrom)), nil
	}
}

var keyUpdateTests = []test{
	{"CreateReplaceDelete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		k1, k2 := newKey("k1", t0), newKey("k2", at(time.Hour))
		must(t, s.CreateKey(ctx, k1))
		must(t, s.CreateKey(ctx, k2))
		k2.RetireAt = at(2 * time.Hour)
		k3 := newKey("k3", at(3*time.Hour))
		must(t, s.UpdateKeys(ctx, func(old []storage.Key) ([]storage.Key, error) {
			wantEqual(t, old, []storage.Key{k1, newKey("k2", at(time.Hour))})
			return []storage.Key{k3, k2}, nil // k1 goes, k2 changes, k3 is new
		}))
		got, err := s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k2, k3})
	}},
	{"FnErrorChangesNothing", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		k1 := newKey("k1", t0)
		must(t, s.CreateKey(ctx, k1))
		boom := errors.New("boom")
		wantErr(t, s.UpdateKeys(ctx, func([]storage.Key) ([]storage.Key, error) {
			return nil, boom
		}), boom)
		got, err := s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k1})
	}},
	{"DuplicateInNewSetChangesNothing", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		k1 := newKey("k1", t0)
		must(t, s.CreateKey(ctx, k1))
		err := s.UpdateKeys(ctx, func([]storage.Key) ([]storage.Key, error) {
			return []storage.Key{newKey("k2", t0), newKey("k2", at(time.Hour))}, nil
		})
		wantErr(t, err, storage.ErrAlreadyExists)
		got, err := s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k1})
	}},
	{"ConcurrentRotationsSerialize", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		must(t, s.CreateKey(ctx, newKey("k0", t0)))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.UpdateKeys(ctx, rotate(fmt.Sprintf("k%d", i+1), at(time.Duration(i+1)*time.Minute)))
			}()
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		got, err := s.ListKeys(ctx)
		must(t, err)
		if len(got) != n+1 {
			t.Fatalf("got %d keys after %d rotations of one, want %d: %v", len(got), n, n+1, got)
		}
		seen, next := map[string]bool{}, 0
		for _, k := range got {
			if seen[k.ID] {
				t.Errorf("key %s twice", k.ID)
			}
			seen[k.ID] = true
			if k.RetireAt.IsZero() {
				next++
			}
		}
		if next != 1 {
			t.Errorf("%d keys not retired after concurrent rotations, want exactly 1: %v", next, got)
		}
	}},
}
