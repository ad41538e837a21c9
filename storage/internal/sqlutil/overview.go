package sqlutil

import (
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
)

// CheckHistogram refuses a histogram no backend should run: no step, or
// a number of buckets outside 1 to storage.MaxHistogramBuckets.
func CheckHistogram(h storage.AuditHistogram) error {
	if h.Step <= 0 {
		return errors.New("count audit events: step must be positive")
	}
	if h.Buckets < 1 || h.Buckets > storage.MaxHistogramBuckets {
		return fmt.Errorf("count audit events: buckets must be from 1 to %d", storage.MaxHistogramBuckets)
	}
	return nil
}

// Histogram collects the rows (type, bucket, count) of a backend's query
// into CountAuditEvents' answer: a slice per asked type, rows outside the
// buckets ignored.
type Histogram struct {
	h   storage.AuditHistogram
	out map[string][]int64
}

// NewHistogram returns an empty answer for h, every type present.
func NewHistogram(h storage.AuditHistogram) *Histogram {
	out := make(map[string][]int64, len(h.Types))
	for _, t := range h.Types {
		out[t] = make([]int64, h.Buckets)
	}
	return &Histogram{h: h, out: out}
}

// Add records n events of typ in bucket b.
func (c *Histogram) Add(typ string, b, n int64) {
	counts, ok := c.out[typ]
	if !ok || b < 0 || b >= int64(len(counts)) {
		return
	}
	counts[b] += n
}

// Result is the answer.
func (c *Histogram) Result() map[string][]int64 { return c.out }
