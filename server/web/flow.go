package web

import (
	"net/http"
	"net/url"
)

// parseFlow parses a pending authorization request's query. An empty flow
// parses to no values.
func parseFlow(flow string) (url.Values, bool) {
	q, err := url.ParseQuery(flow)
	return q, err == nil
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
