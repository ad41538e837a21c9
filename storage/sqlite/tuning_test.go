package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

func TestSetWriterCacheSize(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetWriterCacheSize(ctx, 4096); err != nil {
		t.Fatal(err)
	}
	var got int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != -4096 {
		t.Fatalf("cache_size = %d, want -4096", got)
	}
	if err := s.SetWriterCacheSize(ctx, 0); err == nil {
		t.Fatal("a zero cache size was accepted")
	}
}

// TestJournalSpill: SQLite took the statement-journal spill threshold
// (spill.go) before any connection initialized it.
func TestJournalSpill(t *testing.T) {
	if spillConfigured != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL) = %d, want 0 (SQLITE_OK)", spillConfigured)
	}
}
