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

// RunJanitor runs Cleanup every interval until ctx ends: expired codes,
// tokens, browser sessions, one-time tokens, rate counters and retired
// keys, and audit events older than audit.retention.
func (s *Server) RunJanitor(ctx context.Context, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := Cleanup(ctx, s.Store, time.Now(), s.Config.Audit.Retention.D())
		if err != nil {
			logger.WarnContext(ctx, "janitor: cleanup failed", "error", err)
		}
		if res.Expired > 0 || res.AuditEvents > 0 {
			logger.InfoContext(ctx, "janitor: deleted old rows", "expired", res.Expired, "audit_events", res.AuditEvents)
		}
	}
}

// CleanupResult counts what one Cleanup deleted.
type CleanupResult struct {
	Expired     int64 // expired codes, tokens, sessions, counters, keys
	AuditEvents int64 // audit events past their retention
}

// Cleanup is one janitor pass at now: CollectGarbage, then the audit
// events older than now - retention (none when retention is 0), each in
// bounded batches.
func Cleanup(ctx context.Context, store storage.Store, now time.Time, retention time.Duration) (CleanupResult, error) {
	var res CleanupResult
	var err error
	if res.Expired, err = CollectGarbage(ctx, store, now); err != nil {
		return res, err
	}
	if retention <= 0 {
		return res, nil
	}
	res.AuditEvents, err = inBatches(ctx, func() (int64, error) {
		return store.DeleteAuditEventsBefore(ctx, now.Add(-retention), janitorBatch)
	})
	return res, err
}

// CollectGarbage deletes every row that expired before now, one bounded
// batch at a time so the database is never held for long, and reports how
// many rows went.
func CollectGarbage(ctx context.Context, store storage.Store, now time.Time) (int64, error) {
	return inBatches(ctx, func() (int64, error) { return store.GarbageCollect(ctx, now, janitorBatch) })
}

// inBatches calls batch until it deletes nothing, and sums what it deleted.
func inBatches(ctx context.Context, batch func() (int64, error)) (int64, error) {
	var total int64
	for ctx.Err() == nil {
		n, err := batch()
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, ctx.Err()
}
