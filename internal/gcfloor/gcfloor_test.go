package gcfloor

import (
	"runtime"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name              string
		floor, live, root uint64
		base, want        int
	}{
		{"small heap: the goal is the floor", 32 * mib, 4 * mib, 1 * mib, 100, 560},
		{"live heap past half the floor: GOGC's growth comes later", 32 * mib, 20 * mib, 1 * mib, 100, 100},
		{"live heap past the floor", 32 * mib, 40 * mib, 1 * mib, 100, 100},
		{"a higher base stays", 32 * mib, 8 * mib, 0, 400, 400},
		{"a tiny heap is bounded", 1 << 40, 1, 0, 100, maxPercent},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := percent(c.floor, c.live, c.root, c.base)
			if got != c.want {
				t.Fatalf("percent = %d, want %d", got, c.want)
			}
			if goal := c.live + (c.live+c.root)*uint64(got)/100; got > c.base && got < maxPercent && goal > c.floor {
				t.Fatalf("goal %d passes the floor %d", goal, c.floor)
			}
		})
	}
}

// TestStart raises the runtime's heap goal to the floor after a
// collection, and stop puts GOGC back.
func TestStart(t *testing.T) {
	const floor = 256 << 20 // far above this test's heap
	base := read(gogcPercent)
	stop := Start(floor, "")
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for read(gogcPercent) == base {
		if time.Now().After(deadline) {
			t.Fatal("GOGC never raised after collections")
		}
		runtime.GC() // the hook runs on the cleanup goroutine after it
		time.Sleep(10 * time.Millisecond)
	}
	if goal := read("/gc/heap/goal:bytes"); goal < floor*9/10 {
		t.Fatalf("heap goal %d MiB, want about the floor, %d MiB", goal>>20, floor>>20)
	}
	stop()
	if p := read(gogcPercent); p != base {
		t.Fatalf("GOGC after stop = %d, want %d", p, base)
	}
	// Stopped: later collections leave GOGC alone.
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if p := read(gogcPercent); p != base {
		t.Fatalf("GOGC after a collection past stop = %d, want %d", p, base)
	}
}

// TestStartLeavesGOGC: an operator's GOGC wins.
func TestStartLeavesGOGC(t *testing.T) {
	base := read(gogcPercent)
	stop := Start(256<<20, "100")
	defer stop()
	for range 3 {
		runtime.GC()
	}
	time.Sleep(50 * time.Millisecond)
	if p := read(gogcPercent); p != base {
		t.Fatalf("GOGC = %d with GOGC set in the environment, want %d", p, base)
	}
}
