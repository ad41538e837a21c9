// Package faults reports failures of the database that requests run into:
// each is counted, and logged at ERROR at most once a second per surface,
// with how many were not logged since, so a database outage under load
// fills neither the log nor the disk.
package faults

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Reporter counts and logs database failures. The zero value logs to
// slog.Default and counts nothing; a nil *Reporter does nothing but log
// each failure to slog.Default.
type Reporter struct {
	// Logger receives the log lines (slog.Default when nil).
	Logger *slog.Logger
	// Count, when set, counts one failure on surface (a metric).
	Count func(surface string)
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}

// Every is how often at most one surface's failures are logged.
const Every = time.Second

// Report records that a request on surface ("protocol", "pages",
// "admin") failed because of the database while doing what.
func (r *Reporter) Report(ctx context.Context, surface, what string, err error) {
	if r == nil {
		slog.Default().ErrorContext(ctx, "database failure", "surface", surface, "what", what, "error", err)
		return
	}
	if r.Count != nil {
		r.Count(surface)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	t := now()
	r.mu.Lock()
	if r.last == nil {
		r.last, r.suppressed = map[string]time.Time{}, map[string]int{}
	}
	if last, ok := r.last[surface]; ok && t.Sub(last) < Every {
		r.suppressed[surface]++
		r.mu.Unlock()
		return
	}
	n := r.suppressed[surface]
	r.last[surface], r.suppressed[surface] = t, 0
	r.mu.Unlock()
	logger := r.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.ErrorContext(ctx, "database failure; answering 503", "surface", surface, "what", what, "error", err,
		"not_logged_since_last", n)
}
