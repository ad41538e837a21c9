package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// janitorBatch bounds each delete so the janitor never holds the database
// for long.
const janitorBatch = 1000

// RunJanitor deletes expired codes, tokens, browser sessions and retired
// keys every interval until ctx ends, in bounded batches.
func (s *Server) RunJanitor(ctx context.Context, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := CollectGarbage(ctx, s.Store, time.Now())
		if err != nil {
			logger.WarnContext(ctx, "janitor: garbage collection failed", "error", err)
		}
		if n > 0 {
			logger.InfoContext(ctx, "janitor: deleted expired rows", "rows", n)
		}
	}
}

// CollectGarbage deletes every row that expired before now, one bounded
// batch at a time so the database is never held for long, and reports how
// many rows went.
func CollectGarbage(ctx context.Context, store storage.Store, now time.Time) (int64, error) {
	var total int64
	for ctx.Err() == nil {
		n, err := store.GarbageCollect(ctx, now, janitorBatch)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, ctx.Err()
}
