//go:build !linux

package main

import "errors"

// batchScheduling is Linux-only: elsewhere the load generator keeps the
// default scheduling.
func batchScheduling() error { return errors.New("SCHED_BATCH: Linux only") }

// defaultScheduling is Linux-only.
func defaultScheduling() error { return nil }
