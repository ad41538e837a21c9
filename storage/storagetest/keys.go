package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newKey(id string, signFrom time.Time) storage.Key {
	return storage.Key{
		ID:         id,
		Algorithm:  "RS256",
		PrivateKey: []byte("sealed-private-" + id),
		PublicJWK:  []byte(`{"kty":"RSA","kid":"` + id + `"}`),
		CreatedAt:  signFrom.Add(-time.Hour),
		SignFrom:   signFrom,
	}
}

var keyTests = []test{
	{"CreateListOldestFirst", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		got, err := s.ListKeys(ctx)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("fresh store has keys: %v", got)
		}
		next := newKey("k3", at(48*time.Hour))
		current := newKey("k2", at(24*time.Hour))
		retired := newKey("k1", t0)
		retired.RetireAt = at(72 * time.Hour)
		for _, k := range []storage.Key{next, current, retired} {
			must(t, s.CreateKey(ctx, k))
		}
		got, err = s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{retired, current, next})
	}},
	{"Duplicate", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		must(t, s.CreateKey(ctx, newKey("k1", t0)))
		wantErr(t, s.CreateKey(ctx, newKey("k1", at(time.Hour))), storage.ErrAlreadyExists)
	}},
	{"Update", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		k := newKey("k1", t0)
		must(t, s.CreateKey(ctx, k))
		must(t, s.UpdateKey(ctx, "k1", func(got *storage.Key) error {
			wantEqual(t, *got, k)
			got.RetireAt = at(time.Hour)
			return nil
		}))
		k.RetireAt = at(time.Hour)
		got, err := s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k})
		// And back to "not retired".
		must(t, s.UpdateKey(ctx, "k1", func(got *storage.Key) error { got.RetireAt = time.Time{}; return nil }))
		k.RetireAt = time.Time{}
		got, err = s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k})
	}},
	{"UpdateNotFound", func(t *testing.T, s storage.Store) {
		wantErr(t, s.UpdateKey(ctxFor(t), "nope", func(*storage.Key) error { return nil }), storage.ErrNotFound)
	}},
	{"UpdateFnError", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		k := newKey("k1", t0)
		must(t, s.CreateKey(ctx, k))
		boom := errors.New("boom")
		wantErr(t, s.UpdateKey(ctx, "k1", func(k *storage.Key) error { k.Algorithm = "ES256"; return boom }), boom)
		got, err := s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k})
	}},
	{"UpdateCannotChangeID", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		k := newKey("k1", t0)
		must(t, s.CreateKey(ctx, k))
		if err := s.UpdateKey(ctx, "k1", func(k *storage.Key) error { k.ID = "k2"; return nil }); err == nil {
			t.Fatal("UpdateKey let fn change the id")
		}
		got, err := s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k})
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		must(t, s.CreateKey(ctx, newKey("k1", t0)))
		k2 := newKey("k2", at(time.Hour))
		must(t, s.CreateKey(ctx, k2))
		must(t, s.DeleteKey(ctx, "k1"))
		wantErr(t, s.DeleteKey(ctx, "k1"), storage.ErrNotFound)
		got, err := s.ListKeys(ctx)
		must(t, err)
		wantEqual(t, got, []storage.Key{k2})
	}},
}
