package web

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/server/session"
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

// withNewSession returns r carrying the session cookie that
// session.Manager.Start has just set on w. The Resumer finds the person with
// sessions.Current(r), which reads the request's cookie; without this it
// would see the browser's old session, or none, in the request that signed
// the person in.
func withNewSession(w http.ResponseWriter, r *http.Request) *http.Request {
	value := ""
	for _, line := range w.Header().Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil || c.Name != session.CookieName {
			continue
		}
		value = c.Value // the last one wins, as in the browser; "" when cleared
	}
	if value == "" {
		return r
	}
	r2 := r.Clone(r.Context())
	cookies := r2.Cookies()
	r2.Header.Del("Cookie")
	for _, c := range cookies {
		if c.Name != session.CookieName {
			r2.AddCookie(c)
		}
	}
	r2.AddCookie(&http.Cookie{Name: session.CookieName, Value: value})
	return r2
}
