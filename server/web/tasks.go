package web

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Background work queue bounds: at most taskQueue jobs wait, run by
// taskWorkers goroutines, each job bounded by taskTimeout.
const (
	taskQueue   = 256
	taskWorkers = 2
	taskTimeout = time.Minute
)

// tasks runs work off the request path: the lookups, token writes and mail
// of the forgot-password and verification pages, so that the answer takes
// the same time whether or not the account exists, and a slow mail server
// never holds up a page. A full queue drops the job, logged.
type tasks struct {
	logger *slog.Logger
	mu     sync.Mutex
	closed bool
	ch     chan func(context.Context)
	wg     sync.WaitGroup // the workers
	jobs   sync.WaitGroup // queued and running jobs
}

func newTasks(logger *slog.Logger) *tasks {
	t := &tasks{logger: logger, ch: make(chan func(context.Context), taskQueue)}
	for range taskWorkers {
		t.wg.Add(1)
		go t.run()
	}
	return t
}

func (t *tasks) run() {
	defer t.wg.Done()
	for job := range t.ch {
		ctx, cancel := context.WithTimeout(context.Background(), taskTimeout)
		job(ctx)
		cancel()
		t.jobs.Done()
	}
}

// do queues job; it never blocks.
func (t *tasks) do(what string, job func(context.Context)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		t.logger.Warn("web: background work after shutdown dropped", "task", what)
		return
	}
	t.jobs.Add(1)
	select {
	case t.ch <- job:
	default:
		t.jobs.Done()
		t.logger.Warn("web: background queue full; task dropped", "task", what)
	}
}

// idle waits until every job queued so far has run.
func (t *tasks) idle() {
	t.jobs.Wait()
}

// close runs the queued jobs to the end and stops the workers.
func (t *tasks) close() {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.ch)
	}
	t.mu.Unlock()
	t.wg.Wait()
}
