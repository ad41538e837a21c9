package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
)

// logoutDecision is the value of the confirmation button.
const logoutDecision = "logout"

// endSessionParams are the RP-initiated logout parameters carried through
// the confirmation form.
var endSessionParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "logout_hint", "ui_locales"}

// LogoutForm serves GET /logout: a confirmation, so that a link or image
// elsewhere cannot sign anyone out.
func (h *SignIn) LogoutForm(w http.ResponseWriter, r *http.Request) {
	cur, err := h.sessions.Current(r)
	if errors.Is(err, session.ErrNoSession) {
		h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{Title: "Signed out", Message: MsgNotSignedIn, LinkURL: "/login", LinkText: "Sign in"})
		return
	}
	if err != nil {
		h.serverError(w, r, "load session", err)
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplLogout, logoutPage{Action: "/logout", CSRFToken: h.csrf.token(w, r), Email: cur.User.Email})
}

// Logout serves POST /logout: it ends this browser's session.
func (h *SignIn) Logout(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	if !h.endBrowserSession(w, r, "") {
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{Title: "Signed out", Message: MsgSignedOut, LinkURL: "/login", LinkText: "Sign in again"})
}

// endBrowserSession signs this browser out, recording who left.
func (h *SignIn) endBrowserSession(w http.ResponseWriter, r *http.Request, clientID string) bool {
	cur, err := h.sessions.Current(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		h.serverError(w, r, "load session", err)
		return false
	}
	if err := h.sessions.End(w, r); err != nil {
		h.serverError(w, r, "end session", err)
		return false
	}
	if cur.User.ID != "" {
		h.audit.RecordRequest(r, audit.Logout, audit.Success, cur.User.ID, clientID, nil)
	}
	return true
}

// EndSession serves the RP-initiated logout endpoint (GET or POST). The
// request is validated first: a bad id_token_hint, an unknown client or an
// unregistered post_logout_redirect_uri gets a page and changes nothing.
// A signed-in person is asked to confirm unless a valid id_token_hint
// names them; then the session ends and the browser goes to the
// registered post_logout_redirect_uri with the state, or sees a page.
func (h *SignIn) EndSession(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if !h.parseForm(w, r) {
			return
		}
		params = r.Form
	}
	confirmed := params.Get("decision") == logoutDecision
	if confirmed && !h.checkCSRF(w, r) {
		return
	}
	clean := url.Values{}
	for _, k := range endSessionParams {
		if v := params.Get(k); v != "" {
			clean.Set(k, v)
		}
	}
	req, err := h.logout.ParseLogout(r.Context(), clean)
	switch {
	case errors.Is(err, signin.ErrLogoutHint):
		h.logger.InfoContext(r.Context(), "rp logout refused", "err", err)
		h.renderer.Error(w, r, http.StatusBadRequest, MsgLogoutInvalid)
		return
	case errors.Is(err, signin.ErrLogoutClient):
		h.logger.InfoContext(r.Context(), "rp logout refused", "err", err)
		h.renderer.Error(w, r, http.StatusBadRequest, MsgUnknownClient)
		return
	case errors.Is(err, signin.ErrLogoutRedirect):
		h.logger.InfoContext(r.Context(), "rp logout refused", "err", err)
		h.renderer.Error(w, r, http.StatusBadRequest, MsgLogoutBadRedirect)
		return
	case err != nil:
		h.serverError(w, r, "rp logout", err)
		return
	}
	cur, err := h.sessions.Current(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		h.serverError(w, r, "load session", err)
		return
	}
	signedIn := err == nil
	if signedIn && !confirmed && !(req.HasHint && req.Subject == cur.User.ID) {
		page := logoutPage{Action: PathEndSession, CSRFToken: h.csrf.token(w, r), Email: cur.User.Email, Client: req.ClientName}
		for _, k := range endSessionParams {
			if v := clean.Get(k); v != "" {
				page.Fields = append(page.Fields, hiddenField{k, v})
			}
		}
		h.renderer.render(w, r, http.StatusOK, tmplLogout, page)
		return
	}
	if signedIn && !h.endBrowserSession(w, r, req.ClientID) {
		return
	}
	if req.RedirectURI == "" {
		h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{Title: "Signed out", Message: MsgSignedOut, LinkURL: "/login", LinkText: "Sign in again"})
		return
	}
	to, err := url.Parse(req.RedirectURI)
	if err != nil {
		h.serverError(w, r, "parse registered post-logout URI", err)
		return
	}
	if req.State != "" {
		q := to.Query()
		q.Set("state", req.State)
		to.RawQuery = q.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to.String(), http.StatusSeeOther)
}
