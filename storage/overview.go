package storage

import (
	"context"
	"time"
)

// Counts are the sizes the admin console's dashboard shows.
type Counts struct {
	Users   int64
	Clients int64
	// ActiveSessions are the browser sessions unexpired at the time asked.
	ActiveSessions int64
}

// AuditHistogram asks for the number of audit events of each of Types in
// Buckets consecutive intervals of Step, the first starting at Since
// (inclusive); events outside them are not counted.
type AuditHistogram struct {
	Types   []string
	Since   time.Time
	Step    time.Duration
	Buckets int
}

// MaxHistogramBuckets bounds AuditHistogram.Buckets.
const MaxHistogramBuckets = 1000

// Overview answers the admin console's dashboard without reading every
// row into the application.
type Overview interface {
	// Count returns how many users and clients exist and how many browser
	// sessions are unexpired at now.
	Count(ctx context.Context, now time.Time) (Counts, error)
	// CountAuditEvents returns, for each of h.Types, the number of events
	// in each bucket (a slice of h.Buckets counts, every type present even
	// with no event). A Step of zero or less, or Buckets outside 1 to
	// MaxHistogramBuckets, is an error.
	CountAuditEvents(ctx context.Context, h AuditHistogram) (map[string][]int64, error)
}

// Until is the end of the histogram's last bucket (exclusive).
func (h AuditHistogram) Until() time.Time {
	return h.Since.Add(time.Duration(h.Buckets) * h.Step)
}
