//go:build linux

package main

import (
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The load generator runs under SCHED_BATCH, threads it starts later
// included, while the server child it started before keeps the default.
func TestBatchSchedulingLeavesServerAlone(t *testing.T) {
	// An earlier test's run may have left this process under SCHED_BATCH;
	// the real command starts under the default.
	if err := setPolicy(unix.SCHED_NORMAL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = setPolicy(unix.SCHED_NORMAL) })
	tgt, err := spawn(t.TempDir(), childSpec{Algorithm: "ES256", BcryptCost: 4}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.stop()
	if err := batchScheduling(); err != nil {
		t.Fatal(err)
	}
	// Goroutines locked to threads of their own force new threads.
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			runtime.LockOSThread()
			<-release
		})
	}
	time.Sleep(50 * time.Millisecond)
	mine, err := schedPolicies(0)
	close(release)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 || mine[unix.SCHED_BATCH] < 5 {
		t.Errorf("load generator's threads by policy: %v, want all SCHED_BATCH (%d)", mine, unix.SCHED_BATCH)
	}
	child, err := schedPolicies(tgt.pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(child) != 1 || child[unix.SCHED_NORMAL] == 0 {
		t.Errorf("server's threads by policy: %v, want all SCHED_NORMAL", child)
	}
}

// The flood runs under the default policy, and SCHED_BATCH comes back
// after it.
func TestWithDefaultScheduling(t *testing.T) {
	if err := batchScheduling(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = setPolicy(unix.SCHED_NORMAL) })
	var during map[int]int
	if err := withDefaultScheduling(true, func() { during, _ = schedPolicies(0) }); err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 || during[unix.SCHED_NORMAL] == 0 {
		t.Errorf("threads by policy during the flood: %v, want all SCHED_NORMAL", during)
	}
	after, err := schedPolicies(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[unix.SCHED_BATCH] == 0 {
		t.Errorf("threads by policy after the flood: %v, want all SCHED_BATCH", after)
	}
}

// schedPolicies counts the threads of process pid (0: this one) by
// scheduling policy.
func schedPolicies(pid int) (map[int]int, error) {
	tids, err := threads(pid)
	if err != nil {
		return nil, err
	}
	count := map[int]int{}
	for _, tid := range tids {
		if attr, err := unix.SchedGetAttr(tid, 0); err == nil {
			count[int(attr.Policy)]++
		}
	}
	return count, nil
}
