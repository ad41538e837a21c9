package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Most of the WAL is copied back into the database file (checkpointed) in
// the background, on a connection of its own. Before, the commit that
// took the WAL past SQLite's threshold (1,000 frames) ran the checkpoint
// and its two fsyncs while holding the one writer, so every write queued
// behind it; a PASSIVE checkpoint on another connection runs beside the
// writer and the readers without blocking either. Checkpoints also copy
// larger windows of the WAL: a page written many times in between (the
// newest page of each index, and an index leaf that two random keys land
// on) is copied once. At 8,000 frames rather than 3,000, a client-
// credentials token under load cost about half a WAL read (pread) and
// half a database write (pwrite) fewer (README, Performance).
//
// SQLite starts the WAL over only when a write begins with every frame
// copied, and under steady writes some always arrive during a background
// checkpoint. So once the background is done, the writer copies what
// arrived meanwhile (a few hundred frames), between two of its
// transactions, and the next write starts the WAL over: it stays near
// checkpointPages frames. Should that fail, a commit checkpoints once the
// WAL holds writerAutoCheckpoint frames (wal_autocheckpoint), about 64 MiB
// with 4 KiB pages (README, Performance).
const (
	// checkpointPages is how many frames wait before the background
	// checkpoint copies them.
	checkpointPages = 8000
	// checkpointPoll is how often the checkpointer looks at the WAL.
	checkpointPoll = 100 * time.Millisecond
	// writerAutoCheckpoint is the WAL length, in frames, at which a
	// commit checkpoints after all.
	writerAutoCheckpoint = 16000
)

// checkpointer runs PASSIVE checkpoints on db (one connection of its
// own) whenever the WAL holds checkpointPages frames not yet copied, and
// then one on writer (the store's writer) for the frames that arrived
// meanwhile.
type checkpointer struct {
	db     *sql.DB
	writer *sql.DB
	pages  int
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	err    error
}

func startCheckpointer(db, writer *sql.DB, pages int, poll time.Duration) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, writer: writer, pages: pages, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go c.run(poll)
	return c
}

func (c *checkpointer) run(poll time.Duration) {
	defer close(c.done)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		if pending, err := c.pending(); err != nil || pending < c.pages {
			continue
		}
		// PASSIVE never waits for a lock. An error (the file
		// unwritable, say) leaves the checkpoint to the writer at
		// writerAutoCheckpoint frames, as SQLite would at 1,000.
		if _, err := c.db.ExecContext(c.ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			continue
		}
		// The writer's connection is free only between transactions
		// (it waits its turn like any write), so no commit is under way
		// and the WAL is copied to its end.
		_, _ = c.writer.ExecContext(c.ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// pending is how many frames of the WAL are not yet copied.
func (c *checkpointer) pending() (int, error) {
	frames, copied, err := walStatus(c.ctx, c.db)
	return max(frames-copied, 0), err
}

// walStatus is the WAL's length in frames and how many of them are
// copied into the file, from a NOOP checkpoint (which copies nothing and
// only reports).
func walStatus(ctx context.Context, db *sql.DB) (frames, copied int, err error) {
	var busy int
	err = db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(NOOP)").Scan(&busy, &frames, &copied)
	return frames, copied, err
}

// close stops the checkpointer, interrupting a checkpoint under way, and
// closes its connection; calls after the first return the first's error.
func (c *checkpointer) close() error {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}
