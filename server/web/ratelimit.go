package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/ratelimit"
)

// allow counts an attempt at action (ratelimit.ActionRegister,
// ratelimit.ActionForgotPassword, ratelimit.ActionResendVerification) from
// the client IP. When the IP is over
// its budget it has answered 429 with MsgTooManyAttempts and returns false.
func (h *mailLinks) allow(w http.ResponseWriter, r *http.Request, action string) bool {
	err := h.limiter.Allow(r.Context(), action, clientip.FromRequest(r))
	if err == nil {
		return true
	}
	h.tooManyAttempts(w, r, err)
	return false
}

// tooManyAttempts answers a *ratelimit.LimitedError with the friendly 429
// page and a Retry-After header.
func (h *base) tooManyAttempts(w http.ResponseWriter, r *http.Request, err error) {
	setRetryAfter(w, err)
	h.renderer.Error(w, r, http.StatusTooManyRequests, MsgTooManyAttempts)
}

// setRetryAfter sets Retry-After from a *ratelimit.LimitedError.
func setRetryAfter(w http.ResponseWriter, err error) {
	var limited *ratelimit.LimitedError
	if errors.As(err, &limited) {
		w.Header().Set("Retry-After", strconv.Itoa(limited.RetryAfterSeconds()))
	}
}
