package sqlite

import (
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// The WAL is checkpointed in the background (checkpoint.go): these tests
// read how much of it waits from the wal-index, as the checkpointer does.

// writeFrames commits, in one transaction on s's writer, about n pages of
// incompressible rows to a table of their own.
func writeFrames(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.writer.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS filler (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	row := make([]byte, 3500) // one row per 4 KiB page
	for range n {
		rand.Read(row)
		if _, err := tx.ExecContext(ctx, "INSERT INTO filler (b) VALUES (?)", row); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func openForCheckpoints(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// TestCommitLeavesCheckpointToBackground: a commit that takes the WAL past
// SQLite's default threshold (1,000 frames) no longer checkpoints it, and
// the background checkpointer waits for checkpointPages frames.
func TestCommitLeavesCheckpointToBackground(t *testing.T) {
	s, _ := openForCheckpoints(t)
	writeFrames(t, s, 1500)
	pending, ok := s.checkpoints.pending()
	if !ok {
		t.Fatal("cannot read the wal-index")
	}
	if pending < 1500 || pending >= checkpointPages {
		t.Fatalf("%d frames wait after the commit, want 1500-%d (the commit checkpointed?)", pending, checkpointPages)
	}
	var auto int
	if err := s.writer.QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != writerAutoCheckpoint {
		t.Fatalf("writer's wal_autocheckpoint = %d, want %d", auto, writerAutoCheckpoint)
	}
	time.Sleep(3 * checkpointPoll)
	if again, _ := s.checkpoints.pending(); again < pending {
		t.Fatalf("checkpointed below the threshold: %d frames wait, %d before", again, pending)
	}
}

// TestBackgroundCheckpoint: once enough frames wait, the checkpointer
// copies them while the store stays open, and the store keeps working.
func TestBackgroundCheckpoint(t *testing.T) {
	s, path := openForCheckpoints(t)
	writeFrames(t, s, 300)
	db, err := sql.Open(driverName, "file:"+path+"?"+dsnOptions)
	if err != nil {
		t.Fatal(err)
	}
	c := startCheckpointer(db, path+"-shm", 200, 10*time.Millisecond)
	defer c.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, ok := c.pending()
		if ok && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d frames still wait (readable %t)", pending, ok)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var n int
	if err := s.reader.QueryRowContext(t.Context(), "SELECT count(*) FROM filler").Scan(&n); err != nil || n != 300 {
		t.Fatalf("after the checkpoint: %d rows, %v", n, err)
	}
	writeFrames(t, s, 10)
	if pending, _ := c.pending(); pending == 0 {
		t.Fatal("no frames wait after a new commit")
	}
}

// TestCloseTwice: a store closed twice (a test's cleanup after its own
// Close) returns rather than panics.
func TestCloseTwice(t *testing.T) {
	s, _ := openForCheckpoints(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
