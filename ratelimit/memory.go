package ratelimit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Memory keeps counters in this process: the default for a single node
// (SQLite), where nothing needs sharing and a failed login should not cost
// a database write. Counters are lost on restart. Memory implements
// storage.RateCounters and is safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	counters map[string]memoryCounter
	// sweepAt is the map size at which ended windows are swept out, so
	// memory stays bounded by the keys of one window.
	sweepAt int
}

type memoryCounter struct {
	count int64
	end   time.Time
}

// minSweep is the smallest map worth sweeping.
const minSweep = 1024

// NewMemory returns an empty in-process counter store.
func NewMemory() *Memory {
	return &Memory{counters: map[string]memoryCounter{}, sweepAt: minSweep}
}

// IncrementCounter implements storage.RateCounters.
func (m *Memory) IncrementCounter(_ context.Context, key string, window time.Duration, now time.Time) (int64, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, errors.New("ratelimit: memory: window must be positive")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok || !c.end.After(now) {
		c = memoryCounter{end: now.Add(window)}
	}
	c.count++
	m.counters[key] = c
	if len(m.counters) >= m.sweepAt {
		m.sweep(now)
	}
	return c.count, c.end, nil
}

// sweep drops ended windows and sets the next sweep at twice what is left,
// so sweeping costs amortised O(1) per increment.
func (m *Memory) sweep(now time.Time) {
	for k, c := range m.counters {
		if !c.end.After(now) {
			delete(m.counters, k)
		}
	}
	m.sweepAt = max(2*len(m.counters), minSweep)
}

// GetCounter implements storage.RateCounters.
func (m *Memory) GetCounter(_ context.Context, key string, now time.Time) (int64, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok || !c.end.After(now) {
		return 0, time.Time{}, nil
	}
	return c.count, c.end, nil
}

// DeleteCounter implements storage.RateCounters.
func (m *Memory) DeleteCounter(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.counters, key)
	return nil
}

// Len reports how many counters are held (ended windows not yet swept
// included); for tests.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.counters)
}
