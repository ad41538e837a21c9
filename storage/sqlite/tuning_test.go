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

// TestWriterJournalsInMemory: the writer keeps its statement and savepoint
// journals in memory (temp_store MEMORY). Every transaction after the
// first of a shared commit is a savepoint, and with the default a
// savepoint's journal spilled to a temporary file: a refresh wrote three
// times as many pages there as to the WAL. The readers keep the default,
// so that a large sort still spills to disk rather than to memory.
func TestWriterJournalsInMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var writer, reader int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&writer); err != nil {
		t.Fatal(err)
	}
	if err := s.reader.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&reader); err != nil {
		t.Fatal(err)
	}
	if writer != 2 {
		t.Errorf("writer temp_store = %d, want 2 (MEMORY)", writer)
	}
	if reader != 0 {
		t.Errorf("reader temp_store = %d, want 0 (the default)", reader)
	}
}
