package sqlite

import (
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// The WAL is checkpointed in the background (checkpoint.go): these tests
// ask SQLite how much of it waits, as the checkpointer does.

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

// startTestCheckpointer starts a checkpointer on a connection of its own
// to the store at path, with its own thresholds, stopped when the test ends.
func startTestCheckpointer(t *testing.T, s *Store, path string, pages int, poll time.Duration) *checkpointer {
	t.Helper()
	db, err := sql.Open(driverName, dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	c := startCheckpointer(db, s.writer, pages, poll)
	t.Cleanup(func() { c.close() })
	return c
}

// TestCommitLeavesCheckpointToBackground: a commit that takes the WAL past
// SQLite's default threshold (1,000 frames) no longer checkpoints it, and
// the background checkpointer waits for checkpointPages frames.
func TestCommitLeavesCheckpointToBackground(t *testing.T) {
	_, s := openTest(t)
	writeFrames(t, s, 1500)
	pending, err := s.checkpoints.pending()
	if err != nil {
		t.Fatal(err)
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
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	_, s := openTestAt(t, path)
	writeFrames(t, s, 300)
	c := startTestCheckpointer(t, s, path, 200, 10*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, err := c.pending()
		if err == nil && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d frames still wait (%v)", pending, err)
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
	_, s := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// walFrames is the length of s's WAL in frames.
func walFrames(t *testing.T, s *Store) int {
	t.Helper()
	frames, _, err := walStatus(t.Context(), s.reader)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestWALStartsOver: under steady writes, with the background copying
// most of the WAL, the WAL still starts over (by the writer's copy of the
// rest, or at worst at writerAutoCheckpoint frames) instead of growing.
func TestWALStartsOver(t *testing.T) {
	_, s := openTest(t)
	const commit = 400
	longest, restarted := 0, false
	for written := 0; written < 2*writerAutoCheckpoint && !restarted; written += commit {
		before := walFrames(t, s)
		writeFrames(t, s, commit)
		after := walFrames(t, s)
		longest = max(longest, after)
		restarted = after < before
	}
	if !restarted {
		t.Fatalf("the WAL never started over (%d frames)", longest)
	}
	if limit := writerAutoCheckpoint + 2*commit; longest > limit {
		t.Fatalf("the WAL grew to %d frames, want at most %d", longest, limit)
	}
}

// TestWALStartsOverEarly: the writer copies what arrived during the
// background checkpoint, so the WAL starts over near the background's
// threshold, long before the writer's own.
func TestWALStartsOverEarly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	_, s := openTestAt(t, path)
	startTestCheckpointer(t, s, path, 300, 5*time.Millisecond)
	const commit = 100
	longest, restarts := 0, 0
	deadline := time.Now().Add(20 * time.Second)
	for restarts < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL started over %d times (longest %d frames)", restarts, longest)
		}
		before := walFrames(t, s)
		writeFrames(t, s, commit)
		after := walFrames(t, s)
		longest = max(longest, after)
		if after < before {
			restarts++
		}
		time.Sleep(2 * time.Millisecond)
	}
	if longest >= writerAutoCheckpoint/2 {
		t.Fatalf("the WAL grew to %d frames before starting over", longest)
	}
}
