package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gatehouse-id/gatehouse/internal/faults"
	"github.com/gatehouse-id/gatehouse/storage"
)

// base is what every page group shares: rendering, the CSRF token, form
// parsing and the fixed-text error pages.
type base struct {
	renderer *Renderer
	csrf     *csrf
	// cop refuses cross-origin form posts (see Handlers.CrossOrigin).
	cop    *http.CrossOriginProtection
	logger *slog.Logger
	// faults counts and logs (rate-limited) database failures.
	faults *faults.Reporter
}

func newBase(renderer *Renderer, c *csrf, logger *slog.Logger) *base {
	b := &base{renderer: renderer, csrf: c, logger: logger, cop: http.NewCrossOriginProtection()}
	b.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.renderer.Error(w, r, http.StatusForbidden, MsgCSRF)
	}))
	return b
}

// parseForm limits and parses a POST body. On failure it has answered.
func (h *base) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.renderer.Error(w, r, http.StatusRequestEntityTooLarge, MsgInvalidRequest)
			return false
		}
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return false
	}
	return true
}

// checkCSRF answers 403 and returns false when the form's token is bad.
func (h *base) checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	if h.csrf.valid(r) {
		return true
	}
	h.logger.InfoContext(r.Context(), "web: csrf check failed", "path", r.URL.Path)
	h.renderer.Error(w, r, http.StatusForbidden, MsgCSRF)
	return false
}

// serverError answers an unexpected failure with the fixed text: a failed
// database with 503 and Retry-After ("try again in a moment" is then the
// truth), counted and logged by faults; anything else logged and 500.
func (h *base) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if storage.Failed(err) {
		h.faults.Report(r.Context(), "pages", "web: "+what, err)
		w.Header().Set("Retry-After", "5")
		h.renderer.Error(w, r, http.StatusServiceUnavailable, MsgServer)
		return
	}
	h.logger.ErrorContext(r.Context(), "web: "+what, "path", r.URL.Path, "err", err)
	h.renderer.Error(w, r, http.StatusInternalServerError, MsgServer)
}
