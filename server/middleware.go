package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/safetext"
	"github.com/gatehouse-id/gatehouse/storage"
)

// withMiddleware wraps h with panic recovery, request logging and the
// headers every response carries.
func withMiddleware(h http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rec.Header().Set("X-Content-Type-Options", "nosniff")
		ctx, rollbackOpen := storage.WithTxGuard(r.Context())
		r = r.WithContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				logger.ErrorContext(r.Context(), "panic serving request", "path", safetext.Bound(r.URL.Path, 2*safetext.MaxValue), "panic", p)
				if !rec.wrote {
					writeJSON(rec, http.StatusInternalServerError, map[string]string{"error": "server_error"})
				}
			}
			// A transaction the handler left open (a panic inside one)
			// would keep its connection and locks: roll it back.
			if n := rollbackOpen(); n > 0 {
				logger.ErrorContext(r.Context(), "request left transactions open; rolled back", "path", safetext.Bound(r.URL.Path, 2*safetext.MaxValue), "transactions", n)
			}
			// Only the path is logged: queries and bodies may carry codes,
			// tokens or passwords.
			logger.InfoContext(r.Context(), "request", "method", safetext.Param(r.Method), "path", safetext.Bound(r.URL.Path, 2*safetext.MaxValue),
				"status", rec.status, "duration_ms", time.Since(start).Milliseconds())
		}()
		h.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.wrote = true
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
