package ratelimit_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/ratelimit/ratelimittest"
)

// syncBuffer is a log buffer written by the probe goroutine and read by
// the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// waitFor polls cond (no timing assertion: a slow machine only waits longer).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFailoverRedisOutage stops a real redis-server mid-run and starts it
// again: counting goes on throughout (in process while Redis is down),
// the switch is logged and reported through OnChange, and the counters go
// back to Redis when it answers.
func TestFailoverRedisOutage(t *testing.T) {
	srv := ratelimittest.StartRedis(t)
	r, err := ratelimit.NewRedis(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	var mu sync.Mutex
	var changes []bool
	f := ratelimit.NewFailover(t.Context(), r, ratelimit.FailoverOptions{
		RetryEvery: 50 * time.Millisecond,
		Logger:     slog.New(slog.NewJSONHandler(&log, nil)),
		OnChange:   func(fb bool) { mu.Lock(); changes = append(changes, fb); mu.Unlock() },
	})
	t.Cleanup(func() { f.Close() })
	if f.Fallback() {
		t.Fatal("fallback with Redis up")
	}
	direct, err := ratelimit.NewRedis(srv.URL) // another node's view of Redis
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	ctx := context.Background()
	count := func(c interface {
		GetCounter(context.Context, string, time.Time) (int64, time.Time, error)
	}, key string) int64 {
		t.Helper()
		n, _, err := c.GetCounter(ctx, key, t0)
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		return n
	}
	incr := func(key string, times int) {
		t.Helper()
		for range times {
			if _, _, err := f.IncrementCounter(ctx, key, time.Hour, t0); err != nil {
				t.Fatalf("increment %s: %v", key, err)
			}
		}
	}

	incr("up", 3)
	if n := count(direct, "up"); n != 3 {
		t.Fatalf("Redis holds %d for the key counted with Redis up, want 3", n)
	}

	srv.Stop(t)
	incr("down", 4) // the first failed call moves the counters to memory
	if !f.Fallback() {
		t.Fatal("Fallback() false while Redis is down")
	}
	if n := count(f, "down"); n != 4 {
		t.Errorf("counted %d while Redis was down, want 4 (none lost, none doubled)", n)
	}
	if err := f.DeleteCounter(ctx, "down"); err != nil {
		t.Errorf("delete while Redis is down: %v", err)
	}
	if !strings.Contains(log.String(), "Redis unreachable") {
		t.Errorf("the outage is not logged: %s", log.String())
	}

	srv.Start(t)
	waitFor(t, "counters back in Redis", func() bool { return !f.Fallback() })
	if !strings.Contains(log.String(), "Redis answers again") {
		t.Errorf("the recovery is not logged: %s", log.String())
	}
	incr("again", 2)
	if n := count(direct, "again"); n != 2 {
		t.Errorf("Redis holds %d for the key counted after it came back, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) != 2 || !changes[0] || changes[1] {
		t.Errorf("OnChange calls %v, want [true false]", changes)
	}
}

// TestFailoverRedisDownAtStart: a Redis that does not answer at start
// leaves the limits on, counted in memory, and is used once it answers.
func TestFailoverRedisDownAtStart(t *testing.T) {
	srv := ratelimittest.StartRedis(t)
	srv.Stop(t)
	r, err := ratelimit.NewRedis(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := ratelimit.NewFailover(t.Context(), r, ratelimit.FailoverOptions{RetryEvery: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { f.Close() })
	if !f.Fallback() {
		t.Fatal("Fallback() false with Redis down at start")
	}
	clk := &clock{t: t0}
	l := newLimiter(f, clk, &bytes.Buffer{})
	for range 5 {
		l.LoginFailed(context.Background(), "ann@example.com")
	}
	if err := l.CheckLogin(context.Background(), "ann@example.com", ""); err == nil {
		t.Fatal("sign-ins not limited with Redis down at start")
	}
	srv.Start(t)
	waitFor(t, "counters back in Redis", func() bool { return !f.Fallback() })
}
