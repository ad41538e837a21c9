package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Failover keeps the counters in Redis while Redis answers and in this
// process (a Memory) while it does not: an unreachable Redis, at start or
// later, costs the limits their sharing between nodes, never the limits
// themselves. The switch to memory is made on the first failed call (that
// call is counted in memory) and logged; a background probe pings Redis
// every FailoverOptions.RetryEvery and switches back when it answers.
// Counts made in memory during an outage are not carried over to Redis.
// Failover implements storage.RateCounters; it only selects the store, the
// counting rules are the Limiter's.
type Failover struct {
	redis    *Redis
	memory   *Memory
	logger   *slog.Logger
	onChange func(fallback bool)
	every    time.Duration

	fallback atomic.Bool
	wake     chan struct{} // a failure tells the probe to start
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

var _ storage.RateCounters = (*Failover)(nil)

// FailoverOptions configure NewFailover.
type FailoverOptions struct {
	// RetryEvery is how often Redis is pinged while it is down (2s when 0).
	RetryEvery time.Duration
	Logger     *slog.Logger
	// OnChange, when set, is called with true when the counters move to
	// memory and false when they are back in Redis (metrics).
	OnChange func(fallback bool)
}

// NewFailover returns counters on r, falling back to an in-process store.
// It pings r once (bounded by ctx) and starts in memory when that fails.
// Close stops the probe and closes r.
func NewFailover(ctx context.Context, r *Redis, o FailoverOptions) *Failover {
	if o.RetryEvery <= 0 {
		o.RetryEvery = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	f := &Failover{
		redis: r, memory: NewMemory(), logger: o.Logger, onChange: o.OnChange, every: o.RetryEvery,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go f.probe()
	if err := r.Ping(ctx); err != nil {
		f.failed(ctx, err)
	}
	return f
}

// Fallback reports whether the counters are in memory (Redis unreachable).
func (f *Failover) Fallback() bool { return f.fallback.Load() }

// failed moves the counters to memory, once per outage.
func (f *Failover) failed(ctx context.Context, err error) {
	if !f.fallback.CompareAndSwap(false, true) {
		return
	}
	f.logger.ErrorContext(ctx, "ratelimit: Redis unreachable; counting in this process until it answers (limits are per node meanwhile)", "error", err)
	if f.onChange != nil {
		f.onChange(true)
	}
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// probe pings Redis while the counters are in memory and moves them back
// when it answers.
func (f *Failover) probe() {
	defer close(f.done)
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-f.wake:
		case <-t.C:
		}
		if !f.fallback.Load() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := f.redis.Ping(ctx)
		cancel()
		if err == nil && f.fallback.CompareAndSwap(true, false) {
			f.logger.Info("ratelimit: Redis answers again; counters back in Redis")
			if f.onChange != nil {
				f.onChange(false)
			}
		}
	}
}

// use runs op on Redis unless the counters are in memory; when Redis fails
// (not because ctx ended) it falls back and runs op on memory.
func (f *Failover) use(ctx context.Context, op func(storage.RateCounters) error) error {
	if !f.fallback.Load() {
		err := op(f.redis)
		if err == nil || ctx.Err() != nil {
			return err
		}
		f.failed(ctx, err)
	}
	return op(f.memory)
}

// IncrementCounter implements storage.RateCounters.
func (f *Failover) IncrementCounter(ctx context.Context, key string, window time.Duration, now time.Time) (n int64, end time.Time, err error) {
	err = f.use(ctx, func(c storage.RateCounters) error {
		n, end, err = c.IncrementCounter(ctx, key, window, now)
		return err
	})
	return n, end, err
}

// GetCounter implements storage.RateCounters.
func (f *Failover) GetCounter(ctx context.Context, key string, now time.Time) (n int64, end time.Time, err error) {
	err = f.use(ctx, func(c storage.RateCounters) error {
		n, end, err = c.GetCounter(ctx, key, now)
		return err
	})
	return n, end, err
}

// DeleteCounter implements storage.RateCounters.
func (f *Failover) DeleteCounter(ctx context.Context, key string) error {
	return f.use(ctx, func(c storage.RateCounters) error { return c.DeleteCounter(ctx, key) })
}

// Close stops the probe and closes the Redis connection.
func (f *Failover) Close() error {
	f.once.Do(func() { close(f.stop) })
	<-f.done
	return f.redis.Close()
}
