package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/storage"
)

// readyProbeKey is the rate counter /readyz writes to learn that the
// database takes writes (a full disk, a read-only replica or file).
const readyProbeKey = "readyz:write-probe"

// readyCacheFor is how long one database check answers /readyz: a load
// balancer polling every node often costs the database one write a
// second per node at most.
const readyCacheFor = time.Second

// readiness answers /readyz: 200 once the database answers and takes a
// write and a signing key is loaded; 503 with the reason otherwise. The
// rate limiter's degraded state (Redis unreachable, in-process counters
// in use) is reported in "degraded" with a 200: the node serves.
type readiness struct {
	store    storage.Store
	keys     *keys.Manager
	degraded func() []string // may be nil
	logger   *slog.Logger
	now      func() time.Time

	mu        sync.Mutex
	checkedAt time.Time
	dbErr     *readyProblem // nil when the database was fine at checkedAt
}

// readyProblem is why the database is not ready.
type readyProblem struct {
	reason, detail string
}

func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if p := rd.database(ctx); p != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": p.reason, "detail": p.detail})
		return
	}
	if _, err := rd.keys.Signing(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "keys", "detail": "no signing key is loaded"})
		return
	}
	body := map[string]any{"status": "ready"}
	if rd.degraded != nil {
		if d := rd.degraded(); len(d) > 0 {
			body["degraded"] = d
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// database pings the database and writes the probe counter, at most once
// per readyCacheFor; concurrent callers share one check.
func (rd *readiness) database(ctx context.Context) *readyProblem {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	now := rd.now()
	if !rd.checkedAt.IsZero() && now.Sub(rd.checkedAt) < readyCacheFor && now.After(rd.checkedAt) {
		return rd.dbErr
	}
	var p *readyProblem
	if err := rd.store.Ping(ctx); err != nil {
		p = &readyProblem{"database", "the database does not answer"}
		rd.logTransition(ctx, p, err)
	} else if _, _, err := rd.store.IncrementCounter(ctx, readyProbeKey, time.Minute, now); err != nil {
		p = &readyProblem{"database", "the database does not take writes (disk full or read-only?)"}
		rd.logTransition(ctx, p, err)
	} else if rd.dbErr != nil {
		rd.logger.InfoContext(ctx, "readyz: database ready again")
	}
	rd.checkedAt, rd.dbErr = rd.now(), p
	return p
}

// logTransition logs a failed check once, when the database stops being
// ready, not on every poll.
func (rd *readiness) logTransition(ctx context.Context, p *readyProblem, err error) {
	if rd.dbErr != nil && rd.dbErr.detail == p.detail {
		return
	}
	rd.logger.ErrorContext(ctx, "readyz: not ready: "+p.detail, "error", err)
}
