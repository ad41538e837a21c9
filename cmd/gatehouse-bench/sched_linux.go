//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// batchScheduling puts every thread of this process (the load generator)
// under SCHED_BATCH, so that a worker woken by a response does not preempt
// the server on its core: the kernel then switches to it when the running
// thread's time slice ends or it blocks. On a machine whose cores the
// generator shares with the server, each such preemption otherwise costs
// the server a context switch and its caches in the middle of a signature,
// a cost that clients on other machines do not impose. Threads started
// later inherit the policy of the thread that starts them; the server
// child, started before, keeps its own.
func batchScheduling() error { return setPolicy(unix.SCHED_BATCH) }

// defaultScheduling puts every thread of this process back under the
// default policy, for measurements of latency while the server saturates
// the cores: there a worker's wait for a core would count as the server's.
func defaultScheduling() error { return setPolicy(unix.SCHED_NORMAL) }

// setPolicy sets the scheduling policy of every thread of this process.
func setPolicy(policy uint32) error {
	for range 3 { // again while threads start meanwhile
		tids, err := threads(0)
		if err != nil {
			return fmt.Errorf("scheduling policy: %w", err)
		}
		changed := false
		for _, tid := range tids {
			attr, err := unix.SchedGetAttr(tid, 0)
			if errors.Is(err, unix.ESRCH) {
				continue // the thread has ended
			}
			if err != nil {
				return fmt.Errorf("scheduling policy: thread %d: %w", tid, err)
			}
			if attr.Policy == policy {
				continue
			}
			attr.Policy, attr.Flags = policy, 0
			if err := unix.SchedSetAttr(tid, attr, 0); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("scheduling policy %d: thread %d: %w", policy, tid, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return nil
}

// threads lists the thread ids of process pid (0: this one).
func threads(pid int) ([]int, error) {
	dir := "/proc/self/task"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid) + "/task"
	}
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(tasks))
	for _, task := range tasks {
		if tid, err := strconv.Atoi(task.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
