package server

import (
	"context"
	"log/slog"
	"time"
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
		var total int64
		for ctx.Err() == nil {
			n, err := s.Store.GarbageCollect(ctx, time.Now(), janitorBatch)
			if err != nil {
				logger.WarnContext(ctx, "janitor: garbage collection failed", "error", err)
				break
			}
			total += n
			if n == 0 {
				break
			}
		}
		if total > 0 {
			logger.InfoContext(ctx, "janitor: deleted expired rows", "rows", total)
		}
	}
}
