package sqlite

import (
	"context"
	"errors"
	"fmt"
)

// SetWriterCacheSize sets the page cache of the writer connection to kib
// KiB (SQLite's default is 2 MiB). Bulk loads into a large database, such
// as the benchmark's seeding, spend most of their time re-reading index
// pages that a bigger cache keeps; the server keeps the default so its
// memory stays small. The writer is a single connection that is never
// closed while the store is open, so the setting lasts.
func (s *Store) SetWriterCacheSize(ctx context.Context, kib int) error {
	if kib <= 0 {
		return errors.New("sqlite: cache size must be positive")
	}
	if _, err := s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", kib)); err != nil {
		return fmt.Errorf("sqlite: set cache size: %w", mapErr(err))
	}
	return nil
}
