package web

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/server/signin"
)

// checkFlow validates a pending authorization request through the
// authorization endpoint before a page acts on it; an empty flow (a login
// without an application) is valid. On failure it has answered with the
// error page.
func (h *flows) checkFlow(w http.ResponseWriter, r *http.Request, flow string) (signin.Flow, bool) {
	if flow == "" {
		return signin.Flow{}, true
	}
	f, err := h.resumer.Check(r, flow)
	if err != nil {
		h.logger.InfoContext(r.Context(), "page refused an invalid flow", "error", err)
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return signin.Flow{}, false
	}
	return f, true
}

// loginURL is the login page continuing flow.
func loginURL(flow string) string {
	if flow == "" {
		return "/login"
	}
	return "/login?flow=" + url.QueryEscape(flow)
}

// redirectToLogin sends a browser without a session to sign in, keeping
// the flow.
func redirectToLogin(w http.ResponseWriter, r *http.Request, flow string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, loginURL(flow), http.StatusSeeOther)
}
