package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// janitorBatch bounds each delete of Cleanup so the janitor never holds
// the database for long.
const janitorBatch = 1000

// RunJanitor runs a janitor pass every interval until ctx ends: expired
// codes, tokens, browser sessions, one-time tokens, rate counters and
// retired keys, and audit events older than audit.retention, deleted in
// batches of janitor.batch_size with janitor.batch_pause between them, each
// pass ending after janitor.pass_timeout.
func (s *Server) RunJanitor(ctx context.Context, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	j := NewJanitor(s.Store, s.Config)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := j.Pass(ctx, time.Now())
		if err != nil {
			logger.WarnContext(ctx, "janitor: cleanup failed", "error", err)
		}
		if res.Expired > 0 || res.AuditEvents > 0 || res.UnusedClients > 0 || res.Unfinished {
			logger.InfoContext(ctx, "janitor: deleted old rows", "expired", res.Expired, "audit_events", res.AuditEvents,
				"unused_clients", res.UnusedClients, "unfinished", res.Unfinished)
		}
	}
}

// CleanupResult counts what one Cleanup deleted.
type CleanupResult struct {
	Expired     int64 // expired codes, tokens, sessions, counters, keys
	AuditEvents int64 // audit events past their retention
	// UnusedClients counts self-registered and metadata-document clients
	// deleted after janitor-configured disuse.
	UnusedClients int64
	// Unfinished is set when the pass reached its deadline with rows
	// left: the next pass goes on.
	Unfinished bool
}

// Janitor deletes what has expired in small batches, pausing between
// them, within a deadline per pass, so that a backlog (say 300,000 rows)
// is worked off over a few passes instead of holding the database for
// seconds.
type Janitor struct {
	Store     storage.Store
	Retention time.Duration // audit events older than this go (0: kept)
	Batch     int           // rows per table per delete
	Pause     time.Duration // between deletes
	Deadline  time.Duration // per pass (0: none)
	// UnusedClients deletes the clients of each origin (dynamic,
	// metadata_document) issued no token for that long (0 or absent:
	// never).
	UnusedClients map[string]time.Duration
}

// NewJanitor is the janitor cfg describes.
func NewJanitor(store storage.Store, cfg Config) Janitor {
	return Janitor{
		Store:     store,
		Retention: cfg.Audit.Retention.D(),
		Batch:     cfg.Janitor.BatchSize,
		Pause:     cfg.Janitor.BatchPause.D(),
		Deadline:  cfg.Janitor.PassTimeout.D(),
		UnusedClients: map[string]time.Duration{
			storage.ClientOriginDynamic:          cfg.DynamicRegistration.DeleteUnusedAfter.D(),
			storage.ClientOriginMetadataDocument: cfg.ClientMetadataDocuments.DeleteUnusedAfter.D(),
		},
	}
}

// Pass is one janitor pass at now: garbage collection, then the audit
// events older than now - Retention. A pass that reaches its deadline
// stops between batches and reports Unfinished, not an error.
func (j Janitor) Pass(ctx context.Context, now time.Time) (CleanupResult, error) {
	passCtx := ctx
	if j.Deadline > 0 {
		var cancel context.CancelFunc
		passCtx, cancel = context.WithTimeout(ctx, j.Deadline)
		defer cancel()
	}
	batch := j.Batch
	if batch <= 0 {
		batch = janitorBatch
	}
	var res CleanupResult
	var err error
	res.Expired, err = j.inBatches(passCtx, func() (int64, error) { return j.Store.GarbageCollect(passCtx, now, batch) })
	if err == nil && j.Retention > 0 {
		res.AuditEvents, err = j.inBatches(passCtx, func() (int64, error) {
			return j.Store.DeleteAuditEventsBefore(passCtx, now.Add(-j.Retention), batch)
		})
	}
	for _, origin := range []string{storage.ClientOriginDynamic, storage.ClientOriginMetadataDocument} {
		if age := j.UnusedClients[origin]; err == nil && age > 0 {
			var n int64
			n, err = j.inBatches(passCtx, func() (int64, error) {
				return j.Store.DeleteUnusedClients(passCtx, origin, now.Add(-age), batch)
			})
			res.UnusedClients += n
		}
	}
	if err != nil && ctx.Err() == nil && passCtx.Err() != nil {
		// The deadline, not a failure: whatever the statement it cut
		// short reported.
		res.Unfinished, err = true, nil
	}
	return res, err
}

// inBatches calls batch until it deletes nothing, pausing between calls,
// and sums what it deleted.
func (j Janitor) inBatches(ctx context.Context, batch func() (int64, error)) (int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := batch()
		total += n
		if err != nil || n == 0 {
			return total, err
		}
		if j.Pause > 0 {
			t := time.NewTimer(j.Pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return total, ctx.Err()
			case <-t.C:
			}
		}
	}
}

// Cleanup is one janitor pass at now without pauses or deadline: every
// expired row and every audit event older than now - retention (none when
// retention is 0) goes, in bounded batches.
func Cleanup(ctx context.Context, store storage.Store, now time.Time, retention time.Duration) (CleanupResult, error) {
	return Janitor{Store: store, Retention: retention, Batch: janitorBatch}.Pass(ctx, now)
}

// CollectGarbage deletes every row that expired before now, one bounded
// batch at a time so the database is never held for long, and reports how
// many rows went.
func CollectGarbage(ctx context.Context, store storage.Store, now time.Time) (int64, error) {
	res, err := Cleanup(ctx, store, now, 0)
	return res.Expired, err
}
