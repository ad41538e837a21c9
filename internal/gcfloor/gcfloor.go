// Package gcfloor keeps the Go garbage collector from collecting a small
// heap over and over. After each collection it sets GOGC so that the next
// one starts when the heap reaches a floor, or at the usual GOGC growth
// when that comes later.
//
// Gatehouse keeps little in memory: its live heap is a few MiB, while a
// token request allocates about 30 KiB. With Go's default (GOGC=100) the
// heap is collected each time it has doubled, about ten times a second at
// 1,500 tokens a second. Much of a collection's cost does not depend on
// how much garbage it frees: scanning stacks and globals, write barriers
// while it marks, sweeping. A floor of a few tens of MiB trades that much
// memory for those collections (README, Performance).
//
// The hook that runs after each collection is a cleanup on an object that
// is unreachable at once, re-armed each time: the technique of the "GC
// tuners" that set GOGC from the live heap.
package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent bounds GOGC however small the live heap is.
const maxPercent = 10_000

// Start keeps the heap goal at floor bytes or more from the next
// collection on, until stop is called (which restores the GOGC in force
// before). It does nothing when gogcEnv, the GOGC environment variable, is
// set: an operator who set GOGC has chosen. A memory limit (GOMEMLIMIT)
// still caps the heap: the runtime collects earlier to keep under it.
func Start(floor uint64, gogcEnv string) (stop func()) {
	if gogcEnv != "" || floor == 0 {
		return func() {}
	}
	base := int(read(gogcPercent))
	if base <= 0 {
		base = 100 // Go's default; the metric is missing only on a runtime without it
	}
	t := &tuner{floor: floor, base: base}
	t.arm()
	return t.stop
}

type tuner struct {
	floor uint64
	base  int // GOGC before Start, the least this sets

	mu      sync.Mutex
	stopped bool
}

// sentinel holds a pointer so that it is never packed with other objects
// into a tiny block, whose cleanups may never run.
type sentinel struct{ _ *byte }

// arm attaches the next hook: the sentinel is unreachable at once, so its
// cleanup runs after the next collection.
func (t *tuner) arm() {
	runtime.AddCleanup(&sentinel{}, (*tuner).collected, t)
}

func (t *tuner) collected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	s := []metrics.Sample{{Name: heapLive}, {Name: stackScan}, {Name: globalsScan}}
	metrics.Read(s)
	live, roots := value(s[0]), value(s[1])+value(s[2])
	debug.SetGCPercent(percent(t.floor, live, roots, t.base))
	t.arm()
}

func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.base)
	}
}

// percent is the GOGC, at least base, under which a heap with live bytes
// marked and roots bytes of stacks and globals to scan is next collected at
// floor bytes: the runtime's heap goal is live + (live+roots)*GOGC/100.
func percent(floor, live, roots uint64, base int) int {
	p := base
	if total := live + roots; floor > live && total > 0 {
		p = max(p, int(min((floor-live)*100/total, maxPercent)))
	}
	return p
}

const (
	gogcPercent = "/gc/gogc:percent"
	heapLive    = "/gc/heap/live:bytes"
	stackScan   = "/gc/scan/stack:bytes"
	globalsScan = "/gc/scan/globals:bytes"
)

// read returns one runtime metric of kind uint64.
func read(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return value(s[0])
}

// value is s's value, 0 unless it is a uint64 (a metric this runtime lacks).
func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}
