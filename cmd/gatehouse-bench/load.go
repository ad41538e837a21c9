package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// op is one request (or one whole flow) of a scenario, run by one worker.
// It returns the HTTP status that ended it and an error when it failed;
// status 0 with an error is a transport failure.
type op func(ctx context.Context) (status int, err error)

// loadSpec says how long to run: for dur, or count operations when count > 0.
type loadSpec struct {
	dur   time.Duration
	count int64
}

// loadResult is what one run of ops at one concurrency measured.
type loadResult struct {
	Requests int64          `json:"requests"`
	Seconds  float64        `json:"seconds"`
	RPS      float64        `json:"rps"`
	P50ms    float64        `json:"p50_ms"`
	P90ms    float64        `json:"p90_ms"`
	P99ms    float64        `json:"p99_ms"`
	Errors   map[string]int `json:"errors"` // by status ("transport" for none)
}

// errorCount is the number of failed operations.
func (r loadResult) errorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// runLoad runs every op in its own goroutine until the spec is met and
// prints a progress line to progress every second.
func runLoad(ctx context.Context, label string, ops []op, spec loadSpec, progress io.Writer) loadResult {
	var (
		started, done, failed atomic.Int64
		mu                    sync.Mutex
		latencies             []time.Duration
		errs                  = map[string]int{}
		wg                    sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	begin := time.Now()
	deadline := begin.Add(spec.dur)
	for _, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			local := map[string]int{}
			for ctx.Err() == nil {
				if spec.count > 0 {
					if started.Add(1) > spec.count {
						break
					}
				} else if time.Now().After(deadline) {
					break
				}
				t0 := time.Now()
				status, err := o(ctx)
				lat = append(lat, time.Since(t0))
				done.Add(1)
				if err != nil {
					failed.Add(1)
					key := "transport"
					if status != 0 {
						key = strconv.Itoa(status)
					}
					local[key]++
				}
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			for k, v := range local {
				errs[k] += v
			}
			mu.Unlock()
		}()
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-tick.C:
				el := time.Since(begin).Seconds()
				fmt.Fprintf(progress, "\r%-28s %5.1fs %8d req %9.1f req/s %6d errors ", label, el, done.Load(), float64(done.Load())/el, failed.Load())
			}
		}
	}()
	wg.Wait()
	elapsed := time.Since(begin)
	close(stopProgress)
	<-progressDone
	fmt.Fprintf(progress, "\r%-28s %5.1fs %8d req %9.1f req/s %6d errors\n", label, elapsed.Seconds(), done.Load(), float64(done.Load())/elapsed.Seconds(), failed.Load())

	slices.Sort(latencies)
	return loadResult{
		Requests: int64(len(latencies)),
		Seconds:  elapsed.Seconds(),
		RPS:      float64(len(latencies)) / elapsed.Seconds(),
		P50ms:    quantile(latencies, 0.50),
		P90ms:    quantile(latencies, 0.90),
		P99ms:    quantile(latencies, 0.99),
		Errors:   errs,
	}
}

// quantile returns the q-quantile of sorted latencies in milliseconds.
func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(int(q*float64(len(sorted))), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}

// newTransport is the HTTP transport one scenario's workers share, keeping
// a connection per worker alive.
func newTransport(concurrency int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = concurrency + 16
	t.MaxIdleConnsPerHost = concurrency + 16
	t.DisableCompression = true
	return t
}
