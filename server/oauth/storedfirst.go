package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
)

// storedFirst holds a token endpoint answer back until the request's
// deferred writes (Store.deferWrites) are stored: no answer, token or
// error, goes out before its token session and audit events are durable.
type storedFirst struct {
	http.ResponseWriter
	ctx    context.Context
	writes *requestWrites
	log    *slog.Logger

	once    sync.Once
	err     error
	checked bool // the caller has seen err
}

// stored waits, once, for the deferred writes and returns their outcome;
// the caller then answers it. It waits even when the client has gone: the
// writes are queued and commit shortly, and a disconnect must not read as
// a failed write (a 503 and a storage failure counted).
func (s *storedFirst) stored() error {
	s.once.Do(func() { s.err = s.writes.Wait(context.WithoutCancel(s.ctx)) })
	s.checked = true
	return s.err
}

// flush waits for the deferred writes before the first byte of an answer;
// a failure nobody checked (an error answer's audit event) is logged.
func (s *storedFirst) flush() {
	checked := s.checked
	if err := s.stored(); err != nil && !checked {
		s.log.ErrorContext(s.ctx, "token request: store audit events", "error", err)
	}
}

// WriteHeader implements http.ResponseWriter.
func (s *storedFirst) WriteHeader(code int) {
	s.flush()
	s.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (s *storedFirst) Write(b []byte) (int, error) {
	s.flush()
	return s.ResponseWriter.Write(b)
}
