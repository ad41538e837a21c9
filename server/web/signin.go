package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// signInEvent is how a person proved who they are, for the audit log.
type signInEvent struct {
	Type     string // audit.LoginSuccess, audit.UpstreamLogin, audit.MFASuccess
	ClientID string
	Details  map[string]string
	// Method is the first factor's amr value (mfa.AMRPassword,
	// mfa.AMRFederated); the session records it.
	Method string
}

// signIn is the one way a page signs a person in after a first factor
// (password, upstream provider, registration). A person with a second
// factor is not signed in yet: the browser gets the pending sign-in
// (mfa_pending.go) and goes on to /login/mfa. Everyone else gets a session
// (startSession).
func (h *flows) signIn(w http.ResponseWriter, r *http.Request, user storage.User, ev signInEvent, flow, returnTo string) {
	method := ev.Method
	if method == "" {
		method = mfa.AMRPassword
	}
	factors := []storage.SessionFactor{{Method: method, At: h.clock().UTC()}}
	if h.mfa != nil {
		has, err := h.mfa.Registry.HasSecondFactor(r.Context(), user.ID)
		if err != nil {
			h.serverError(w, r, "list second factors", err)
			return
		}
		if has {
			details := map[string]string{"second_factor": "required"}
			for k, v := range ev.Details {
				details[k] = v
			}
			h.audit.RecordRequest(r, ev.Type, audit.Success, user.ID, ev.ClientID, details)
			h.pending.set(w, user.ID, factors)
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, mfaURL(flow, returnTo), http.StatusSeeOther)
			return
		}
		if flow == "" && returnTo == "" && h.mustEnrol(user) {
			returnTo = PathSecurity
		}
	}
	h.startSession(w, r, user, factors, ev, flow, returnTo)
}

// startSession signs user in with a session recording factors: a fresh id
// (any previous session ends, so a planted id never becomes
// authenticated), the audit event, and then on to where the person was
// going: the pending authorization request (flow), else a local path
// (returnTo, already checked by localPath), else the signed-in page.
func (h *flows) startSession(w http.ResponseWriter, r *http.Request, user storage.User, factors []storage.SessionFactor, ev signInEvent, flow, returnTo string) {
	signedIn, err := h.sessions.StartAuth(w, r, user, session.Auth{Factors: factors, ACR: mfa.ACRFor(factors)})
	if err != nil {
		h.serverError(w, r, "start session", err)
		return
	}
	if h.pending != nil {
		if _, ok := h.pending.get(r); ok {
			h.pending.clear(w)
		}
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

// mustEnrol reports whether user holds one of mfa.required_roles (and so
// must set up a second factor before any code is issued).
func (h *flows) mustEnrol(user storage.User) bool {
	for _, role := range user.Roles {
		if slices.Contains(h.requiredRoles, role) {
			return true
		}
	}
	return false
}

func (h *flows) clock() time.Time {
	if h.timeNow == nil {
		return time.Now()
	}
	return h.timeNow()
}
