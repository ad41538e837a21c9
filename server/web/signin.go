package web

import (
	"net/http"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// signInEvent is how a person proved who they are, for the audit log.
type signInEvent struct {
	Type     string // audit.LoginSuccess, audit.UpstreamLogin
	ClientID string
	Details  map[string]string
}

// signIn is the one way a page signs a person in: a session with a fresh
// id (any previous one ends, so a planted id never becomes authenticated),
// the audit event, and then on to where the person was going: the pending
// authorization request (flow), else a local path (returnTo, already
// checked by localPath), else the signed-in page.
func (h *flows) signIn(w http.ResponseWriter, r *http.Request, user storage.User, ev signInEvent, flow, returnTo string) {
	signedIn, err := h.sessions.Start(w, r, user)
	if err != nil {
		h.serverError(w, r, "start session", err)
		return
	}
	h.audit.RecordRequest(r, ev.Type, audit.Success, user.ID, ev.ClientID, ev.Details)
	h.logger.InfoContext(r.Context(), "login", "user", user.ID, "event", ev.Type)
	switch {
	case flow != "":
		h.resumer.Resume(w, signedIn, flow, signin.Step{Authenticated: true})
	case returnTo != "":
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
	default:
		h.renderer.render(w, r, http.StatusOK, tmplSignedIn, signedInPage{Name: user.Name, Email: user.Email})
	}
}
