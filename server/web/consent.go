package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// scopeDescriptions says what each well-known scope lets the client do.
// Other scopes are shown verbatim.
var scopeDescriptions = map[string]string{
	"openid":         "Confirm your identity",
	"profile":        "Your name",
	"email":          "Your email address",
	"offline_access": "Stay signed in to this app (refresh tokens)",
}

// describeScopes turns scopes into plain words, in request order, without
// duplicates.
func describeScopes(scopes []string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, s := range scopes {
		if seen[s] {
			continue
		}
		seen[s] = true
		if d, ok := scopeDescriptions[s]; ok {
			s = d
		}
		out = append(out, s)
	}
	return out
}

// consentRequest returns the signed-in person and the checked pending
// request of a consent page. On failure it has answered: the error page,
// or the login page (keeping the flow) for a browser without a session.
func (h *SignIn) consentRequest(w http.ResponseWriter, r *http.Request, flow string) (session.Current, signin.Flow, bool) {
	if flow == "" {
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return session.Current{}, signin.Flow{}, false
	}
	cur, err := h.sessions.Current(r)
	if errors.Is(err, session.ErrNoSession) {
		redirectToLogin(w, r, flow)
		return cur, signin.Flow{}, false
	}
	if err != nil {
		h.serverError(w, r, "load session", err)
		return cur, signin.Flow{}, false
	}
	f, ok := h.checkFlow(w, r, flow)
	return cur, f, ok
}

// ConsentForm serves GET /consent?flow=…: who is asking, for what.
func (h *SignIn) ConsentForm(w http.ResponseWriter, r *http.Request) {
	flow := r.URL.Query().Get("flow")
	cur, f, ok := h.consentRequest(w, r, flow)
	if !ok {
		return
	}
	client, err := h.clients.GetClient(r.Context(), f.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		h.renderer.Error(w, r, http.StatusBadRequest, MsgUnknownClient)
		return
	}
	if err != nil {
		h.serverError(w, r, "load client", err)
		return
	}
	name := client.Name
	if strings.TrimSpace(name) == "" {
		name = clientName(f)
	}
	h.renderer.render(w, r, http.StatusOK, tmplConsent, consentPage{
		ClientName:   name,
		Unverified:   f.Unverified,
		RedirectHost: f.RedirectHost,
		UserEmail:    cur.User.Email,
		Scopes:       describeScopes(f.Scopes),
		Flow:         flow,
		CSRFToken:    h.csrf.token(w, r),
		SwitchURL:    loginURL(flow),
	})
}

// Consent serves POST /consent: the person's answer, handed to the
// authorization endpoint.
func (h *SignIn) Consent(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	decision := signin.Decision(r.PostForm.Get("decision"))
	if decision != signin.DecisionAllow && decision != signin.DecisionDeny {
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return
	}
	// The flow is checked before the answer is recorded: an audit event
	// names the client and scopes of a request the endpoint accepts, not
	// whatever a form post claimed.
	cur, f, ok := h.consentRequest(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	flow := r.PostForm.Get("flow")
	h.logger.InfoContext(r.Context(), "consent", "user", cur.User.ID, "decision", string(decision))
	outcome := audit.Success
	if decision == signin.DecisionDeny {
		outcome = audit.Denied
	}
	h.audit.RecordRequest(r, audit.ConsentGranted, outcome, cur.User.ID, f.ClientID, map[string]string{"scope": strings.Join(f.Scopes, " ")})
	h.resumer.Resume(w, r, flow, signin.Step{Consent: decision})
}
