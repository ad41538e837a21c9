package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Redis keeps the counters in Redis, so every node pointed at it shares
// one limit. Each counter is a hash {n: count, e: window end in Unix
// milliseconds} changed by one Lua script, so an increment and its window
// are atomic; the key expires when its window ends. Windows are fixed and
// start at a key's first attempt, as with the database counters, and are
// read against the caller's clock (nodes keep their clocks in sync, as
// token expiry needs anyway).
type Redis struct {
	client *redis.Client
	prefix string
}

var _ storage.RateCounters = (*Redis)(nil)

// incrementScript: KEYS[1] the counter; ARGV[1] now, ARGV[2] window (ms).
var incrementScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'n', 'e')
local n = tonumber(v[1])
local e = tonumber(v[2])
if n == nil or e == nil or e <= now then
  n = 0
  e = now + win
end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'e', e)
redis.call('PEXPIRE', KEYS[1], e - now)
return {n, e}
`)

// NewRedis connects to the redis:// or rediss:// URL (the connection is
// made on first use), with 1s timeouts and one retry unless the URL says
// otherwise. Keys are prefixed "gatehouse:".
func NewRedis(rawURL string) (*Redis, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // uerr names the whole URL, password included
		}
		return nil, fmt.Errorf("ratelimit: redis url: %w", err)
	}
	// Sign-ins wait on these calls: when Redis is down they should fail
	// (open) quickly rather than retry for seconds. The URL's own
	// dial_timeout, read_timeout, write_timeout, max_retries and
	// dialer_retries win.
	if opt.DialTimeout == 0 {
		opt.DialTimeout = time.Second
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = time.Second
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = time.Second
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = 1
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	return &Redis{client: redis.NewClient(opt), prefix: "gatehouse:"}, nil
}

// WithPrefix returns a Redis sharing r's connection under another key
// prefix (tests use one prefix each).
func (r *Redis) WithPrefix(prefix string) *Redis {
	return &Redis{client: r.client, prefix: prefix}
}

// IncrementCounter implements storage.RateCounters.
func (r *Redis) IncrementCounter(ctx context.Context, key string, window time.Duration, now time.Time) (int64, time.Time, error) {
	if window < time.Millisecond {
		return 0, time.Time{}, errors.New("ratelimit: redis: window must be at least 1ms")
	}
	res, err := incrementScript.Run(ctx, r.client, []string{r.prefix + key}, now.UnixMilli(), window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("ratelimit: redis increment: %w", err)
	}
	if len(res) != 2 {
		return 0, time.Time{}, fmt.Errorf("ratelimit: redis increment: unexpected reply %v", res)
	}
	return res[0], time.UnixMilli(res[1]), nil
}

// GetCounter implements storage.RateCounters.
func (r *Redis) GetCounter(ctx context.Context, key string, now time.Time) (int64, time.Time, error) {
	v, err := r.client.HMGet(ctx, r.prefix+key, "n", "e").Result()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("ratelimit: redis get: %w", err)
	}
	n, nok := parseInt(v[0])
	e, eok := parseInt(v[1])
	if !nok || !eok || e <= now.UnixMilli() {
		return 0, time.Time{}, nil
	}
	return n, time.UnixMilli(e), nil
}

// DeleteCounter implements storage.RateCounters.
func (r *Redis) DeleteCounter(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.prefix+key).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis delete: %w", err)
	}
	return nil
}

// Ping checks the connection.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

func parseInt(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// LogRedisTo sends the Redis client's own messages (failed dials and the
// like) to logger as warnings, instead of the standard library's log. The
// client's logger is process-wide: the CLI calls this once at start.
func LogRedisTo(logger *slog.Logger) {
	redis.SetLogger(redisLogger{logger})
}

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
