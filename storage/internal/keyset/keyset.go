// Package keyset applies a new signing-key set over the stored one: the
// part of storage.Keys.UpdateKeys that is the same for every backend. The
// backend provides the transaction and the lock; Apply the writes.
package keyset

import (
	"context"
	"fmt"
	"reflect"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Writer is the part of a backend Apply writes through, inside the
// backend's transaction.
type Writer interface {
	CreateKey(ctx context.Context, k storage.Key) error
	UpdateKey(ctx context.Context, id string, fn func(*storage.Key) error) error
	DeleteKey(ctx context.Context, id string) error
}

// Apply turns the stored set old into next: keys only in next are
// created, keys in both that differ are replaced, keys only in old are
// deleted. An id twice in next is an error, and nothing is written.
func Apply(ctx context.Context, w Writer, old, next []storage.Key) error {
	was := make(map[string]storage.Key, len(old))
	for _, k := range old {
		was[k.ID] = k
	}
	keep := make(map[string]bool, len(next))
	for _, k := range next {
		if k.ID == "" {
			return fmt.Errorf("update keys: a key without an id")
		}
		if keep[k.ID] {
			return fmt.Errorf("update keys: key %q twice in the new set: %w", k.ID, storage.ErrAlreadyExists)
		}
		keep[k.ID] = true
	}
	for _, k := range old {
		if !keep[k.ID] {
			if err := w.DeleteKey(ctx, k.ID); err != nil {
				return fmt.Errorf("update keys: %w", err)
			}
		}
	}
	for _, k := range next {
		prev, ok := was[k.ID]
		switch {
		case !ok:
			if err := w.CreateKey(ctx, k); err != nil {
				return fmt.Errorf("update keys: %w", err)
			}
		case !reflect.DeepEqual(prev, k):
			err := w.UpdateKey(ctx, k.ID, func(cur *storage.Key) error { *cur = k; return nil })
			if err != nil {
				return fmt.Errorf("update keys: %w", err)
			}
		}
	}
	return nil
}
