package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Messages of the /device page.
const (
	MsgDeviceCodeUnknown = "That code does not match a waiting device. Check it and try again; codes expire after a few minutes and work once."
	MsgDeviceScope       = "This device asks for access your account cannot grant."
	MsgDeviceApproved    = "Your device is connected"
	MsgDeviceDenied      = "The device was not connected"
)

// Device serves /device, where a signed-in person enters the user code a
// device shows (RFC 8628 section 3.3), sees which client asks for which
// scopes, and allows or denies it (devicecode.go).
type Device struct {
	*base
	sessions *session.Manager
	approver signin.DeviceApprover
	clients  ClientGetter
	limiter  *ratelimit.Limiter
	audit    *audit.Recorder
}

type devicePage struct {
	UserEmail  string
	UserCode   string
	ClientName string
	Scopes     []string
	Error      string
	Done       string
	CSRFToken  string
}

// DeviceForm serves GET /device[?user_code=…]: the code entry form, or,
// with a code (verification_uri_complete), the request to confirm.
func (h *Device) DeviceForm(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	typed := r.URL.Query().Get("user_code")
	if typed == "" {
		h.render(w, r, http.StatusOK, devicePage{UserEmail: cur.User.Email})
		return
	}
	h.confirm(w, r, cur, typed)
}

// Device serves POST /device: a typed code (shown for confirmation) or
// the decision on a confirmed one.
func (h *Device) Device(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	cur, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	typed := r.PostForm.Get("user_code")
	decision := signin.Decision(r.PostForm.Get("decision"))
	switch decision {
	case signin.DecisionNone:
		h.confirm(w, r, cur, typed)
		return
	case signin.DecisionAllow, signin.DecisionDeny:
	default:
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return
	}
	if !h.allow(w, r) {
		return
	}
	req, err := h.approver.Decide(r.Context(), typed, cur.User, cur.Session, decision == signin.DecisionAllow)
	var stepUp *signin.StepUpError
	switch {
	case errors.As(err, &stepUp):
		http.Redirect(w, r, stepUp.To, http.StatusSeeOther)
		return
	case errors.Is(err, signin.ErrUnknownUserCode):
		h.failed(w, r, cur, typed)
		return
	case errors.Is(err, signin.ErrDeviceScopeRefused):
		h.audit.RecordRequest(r, audit.PermissionDenied, audit.Denied, cur.User.ID, req.ClientID, map[string]string{"scope": strings.Join(req.Scopes, " ")})
		h.renderer.Error(w, r, http.StatusForbidden, MsgDeviceScope)
		return
	case err != nil:
		h.serverError(w, r, "device decision", err)
		return
	}
	typ, outcome, done := audit.DeviceApproved, audit.Success, MsgDeviceApproved
	if decision == signin.DecisionDeny {
		typ, outcome, done = audit.DeviceDenied, audit.Denied, MsgDeviceDenied
	}
	h.audit.RecordRequest(r, typ, outcome, cur.User.ID, req.ClientID, map[string]string{"scope": strings.Join(req.Scopes, " ")})
	h.render(w, r, http.StatusOK, devicePage{UserEmail: cur.User.Email, Done: done})
}

// confirm looks typed up and shows the request to allow or deny.
func (h *Device) confirm(w http.ResponseWriter, r *http.Request, cur session.Current, typed string) {
	if !h.allow(w, r) {
		return
	}
	req, err := h.approver.Lookup(r.Context(), typed)
	if errors.Is(err, signin.ErrUnknownUserCode) {
		h.failed(w, r, cur, typed)
		return
	}
	if err != nil {
		h.serverError(w, r, "device lookup", err)
		return
	}
	// A client or role that needs a second factor: use it (or set one
	// up) before the request is even shown.
	to, err := h.approver.StepUp(r.Context(), typed, cur.User, cur.Session)
	if err != nil && !errors.Is(err, signin.ErrUnknownUserCode) {
		h.serverError(w, r, "device step-up", err)
		return
	}
	if to != "" {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	client, err := h.clients.GetClient(r.Context(), req.ClientID)
	if errors.Is(err, storage.ErrNotFound) {
		h.failed(w, r, cur, typed)
		return
	}
	if err != nil {
		h.serverError(w, r, "load client", err)
		return
	}
	name := client.Name
	if strings.TrimSpace(name) == "" {
		name = client.ID
	}
	h.render(w, r, http.StatusOK, devicePage{UserEmail: cur.User.Email, UserCode: req.UserCode, ClientName: name, Scopes: describeScopes(req.Scopes)})
}

// failed answers a code that matched nothing: counted against the IP,
// audited (guessing shows), and the entry form again with the message.
func (h *Device) failed(w http.ResponseWriter, r *http.Request, cur session.Current, typed string) {
	h.limiter.Failed(r.Context(), ratelimit.ActionDeviceCode, clientip.FromRequest(r))
	h.audit.RecordRequest(r, audit.DeviceCodeFailure, audit.Failure, cur.User.ID, "", nil)
	if len(typed) > 16 {
		typed = typed[:16]
	}
	h.render(w, r, http.StatusBadRequest, devicePage{UserEmail: cur.User.Email, UserCode: typed, Error: MsgDeviceCodeUnknown})
}

// allow checks, before a user code is looked up, that the client IP has
// not used its budget of wrong codes; over it, it has answered 429.
func (h *Device) allow(w http.ResponseWriter, r *http.Request) bool {
	err := h.limiter.CheckFailures(r.Context(), ratelimit.ActionDeviceCode, clientip.FromRequest(r))
	if err == nil {
		return true
	}
	h.tooManyAttempts(w, r, err)
	return false
}

// signedIn returns the signed-in person, or sends the browser to sign in
// and come back here (with the code it came with).
func (h *Device) signedIn(w http.ResponseWriter, r *http.Request) (session.Current, bool) {
	cur, err := h.sessions.Current(r)
	if errors.Is(err, session.ErrNoSession) {
		back := signin.PathDevice
		if code := r.URL.Query().Get("user_code"); code != "" && len(code) <= 16 {
			back += "?" + url.Values{"user_code": {code}}.Encode()
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/login?"+url.Values{"return_to": {back}}.Encode(), http.StatusSeeOther)
		return cur, false
	}
	if err != nil {
		h.serverError(w, r, "load session", err)
		return cur, false
	}
	return cur, true
}

func (h *Device) render(w http.ResponseWriter, r *http.Request, status int, p devicePage) {
	p.CSRFToken = h.csrf.token(w, r)
	h.renderer.render(w, r, status, tmplDevice, p)
}
