package main

import (
	"testing"
	"time"
)

// A row's limit is the mean of the measurements before and after it; a
// kind measured only once keeps its one value.
func TestSampleMean(t *testing.T) {
	before := sample{"sign": {perSec: 2000, cpu: time.Millisecond}, "commits": {perSec: 9000}}
	after := sample{"sign": {perSec: 1800, cpu: 1200 * time.Microsecond}}
	got := before.mean(after)
	if want := (measured{perSec: 1900, cpu: 1100 * time.Microsecond}); got["sign"] != want {
		t.Errorf("sign: %+v, want %+v", got["sign"], want)
	}
	if want := (measured{perSec: 9000}); got["commits"] != want {
		t.Errorf("commits: %+v, want %+v", got["commits"], want)
	}
}
