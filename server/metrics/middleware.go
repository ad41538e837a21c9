package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
)

// unmatched labels requests no route matched (404, 405): raw paths would
// give every scanner its own time series.
const unmatched = "unmatched"

type routeKey struct{}

// routeSlot is where the inner middleware leaves the matched route's
// template for the outer one.
type routeSlot struct{ template string }

// Middleware measures every request. It wraps the whole router; Route,
// added to the router with Use, names the matched route by its template
// (e.g. "/admin/users/{id}"), so the label set stays bounded.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		slot := &routeSlot{template: unmatched}
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			m.observe(slot.template, methodLabel(r.Method), rec.status, time.Since(start))
		}()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), routeKey{}, slot)))
	})
}

// Route is the router middleware (mux.Router.Use) that records the
// matched route's template for Middleware.
func Route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slot, ok := r.Context().Value(routeKey{}).(*routeSlot); ok {
			if route := mux.CurrentRoute(r); route != nil {
				if t, err := route.GetPathTemplate(); err == nil {
					slot.template = t
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// methodLabel bounds the method label to the methods Gatehouse serves.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

func codeLabel(code int) string { return strconv.Itoa(code) }

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
