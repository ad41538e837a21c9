package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"os"
	"sync"
	"time"
)

// The WAL is copied back into the database file (checkpointed) in the
// background, on a connection of its own, rather than by whichever commit
// crosses SQLite's threshold. That commit ran the checkpoint, and its two
// fsyncs, while holding the one writer, so every write queued behind it;
// a PASSIVE checkpoint on another connection runs beside the writer and
// the readers without blocking either. It also runs less often: a page
// written many times between two checkpoints (the newest page of each
// index, the pages of a busy token index) is copied once, so a token
// costs fewer reads of the WAL and writes to the file (README,
// Performance).
const (
	// checkpointPages is how many WAL frames wait before the background
	// checkpoint copies them (SQLite's own default is 1,000): 32 MiB of
	// WAL with 4 KiB pages.
	checkpointPages = 8000
	// checkpointPoll is how often the WAL's length is looked at.
	checkpointPoll = 250 * time.Millisecond
	// writerAutoCheckpoint is the WAL length, in frames, at which a
	// commit checkpoints after all (wal_autocheckpoint): a backstop for
	// when the background checkpoint cannot run or keep up.
	writerAutoCheckpoint = 4 * checkpointPages
)

// checkpointer runs PASSIVE checkpoints on db (one connection of its
// own) whenever the WAL holds checkpointPages frames not yet copied.
type checkpointer struct {
	db      *sql.DB
	shmPath string
	pages   uint32
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	err     error
}

func startCheckpointer(db *sql.DB, shmPath string, pages uint32, poll time.Duration) *checkpointer {
	c := &checkpointer{db: db, shmPath: shmPath, pages: pages, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run(poll)
	return c
}

func (c *checkpointer) run(poll time.Duration) {
	defer close(c.done)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if pending, ok := c.pending(); ok && pending < c.pages {
			continue
		}
		// PASSIVE never waits for a lock: with a checkpoint of another
		// process under way it does what it can, and an error (the
		// file unwritable, say) leaves the writer's own checkpoint at
		// writerAutoCheckpoint frames to do it.
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// pending reads how many frames of the WAL are not yet checkpointed from
// the wal-index header in the -shm file (https://sqlite.org/walformat.html:
// mxFrame at offset 16, nBackfill at offset 96, in the machine's byte
// order). Read without SQLite's locks, it may be a moment stale, which is
// all a trigger needs; ok is false when the file cannot be read.
func (c *checkpointer) pending() (uint32, bool) {
	f, err := os.Open(c.shmPath)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var hdr [100]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return 0, false
	}
	mxFrame := binary.NativeEndian.Uint32(hdr[16:20])
	backfilled := binary.NativeEndian.Uint32(hdr[96:100])
	if backfilled >= mxFrame {
		return 0, true
	}
	return mxFrame - backfilled, true
}

// close stops the checkpointer, waits for a checkpoint under way and
// closes its connection; calls after the first return the first's error.
func (c *checkpointer) close() error {
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}
