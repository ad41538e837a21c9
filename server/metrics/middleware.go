package metrics

import (
	"context"
	"net/http"
	"strconv"

	"github.com/felixge/httpsnoop"
	"github.com/gorilla/mux"
)

// unmatched labels requests no route matched (404, 405): raw paths would
// give every scanner its own time series.
const unmatched = "unmatched"

type routeKey struct{}

// routeSlot is where the inner middleware leaves the matched route's
// template for the outer one.
type routeSlot struct{ template string }

// Middleware measures every request. It wraps the whole handler (outside
// panic recovery, so a recovered panic counts as its 500); Route, added to
// the router with Use, names the matched route by its template (e.g.
// "/admin/users/{id}"), so the label set stays bounded.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slot := &routeSlot{template: unmatched}
		got := httpsnoop.CaptureMetrics(next, w, r.WithContext(context.WithValue(r.Context(), routeKey{}, slot)))
		m.observe(slot.template, methodLabel(r.Method), got.Code, got.Duration)
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
