package groupcommit_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage/groupcommit"
)

// BenchmarkTokenWrites is a token request's writes on SQLite: a token
// session's stand-in and an audit event, handed over together (Defer,
// Expect, Wait) by many requests at once, with the server's delay or none.
// commits/op is how many commits one request costs.
func BenchmarkTokenWrites(b *testing.B) {
	for _, delay := range []time.Duration{0, 3 * time.Millisecond, 10 * time.Millisecond} {
		b.Run("delay="+delay.String(), func(b *testing.B) {
			s := &countingTx{Store: open(b, filepath.Join(b.TempDir(), "gatehouse.db"))}
			c := groupcommit.New(s, groupcommit.Options{Delay: delay})
			defer c.Close()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				n := 0
				for pb.Next() {
					ctx, p := c.Defer(context.Background())
					p.Expect()
					for range 2 {
						n++
						if err := c.Do(ctx, func(ctx context.Context) error { return s.AppendAuditEvent(ctx, event(n)) }); err != nil {
							b.Error(err)
						}
					}
					if err := p.Wait(ctx); err != nil {
						b.Error(err)
					}
				}
			})
			b.ReportMetric(float64(s.commits.Load())/float64(b.N), "commits/op")
		})
	}
}
