package web

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/passkeys"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Texts mailed to the person when their passkeys change.
const (
	changePasskeyAdded   = "A passkey was added to your account."
	changePasskeyRemoved = "A passkey was removed from your account."
)

// passkeySection is what templates/section_passkeys.html, the passkeys'
// part of /account/security, shows.
type passkeySection struct {
	CSRFToken string
	Email     string
	HasPass   bool
	Flow      string // the person was sent to set up a factor for an app
	Error     string
	Passkeys  []passkeyRow
}

type passkeyRow struct {
	Handle   string // the credential id, base64url
	Name     string
	Added    string
	LastUsed string // "" when never used
	Synced   bool
}

// passkeyErrorKey carries a passkey action's error to the section.
type passkeyErrorKey struct{}

// securitySection is the passkeys' part of /account/security.
func (h *Passkeys) securitySection() SecuritySection {
	return SecuritySection{
		Template: "section_passkeys",
		Scripts:  []string{passkeyScript},
		Data: func(r *http.Request, cur session.Current, csrfToken string) (any, error) {
			pks, err := h.store.ListPasskeys(r.Context(), cur.User.ID)
			if err != nil {
				return nil, err
			}
			s := passkeySection{CSRFToken: csrfToken, Email: cur.User.Email, HasPass: len(cur.User.PasswordHash) > 0,
				Flow: r.URL.Query().Get("flow")}
			if r.Method == http.MethodPost {
				s.Flow = r.PostForm.Get("flow")
			}
			s.Error, _ = r.Context().Value(passkeyErrorKey{}).(string)
			for _, p := range pks {
				row := passkeyRow{Handle: passkeyHandle(p), Name: p.Name, Added: p.CreatedAt.Format("2 Jan 2006"), Synced: passkeys.Synced(p)}
				if !p.LastUsedAt.IsZero() {
					row.LastUsed = p.LastUsedAt.Format("2 Jan 2006 15:04 MST")
				}
				s.Passkeys = append(s.Passkeys, row)
			}
			return s, nil
		},
	}
}

// passkeyHandle is how a page names a passkey: its credential id,
// base64url.
func passkeyHandle(p storage.Passkey) string {
	return base64.RawURLEncoding.EncodeToString(p.CredentialID)
}

// RegisterOptions serves POST /account/passkeys/options (JSON): the
// options to register a new passkey for the signed-in person.
func (h *Passkeys) RegisterOptions(w http.ResponseWriter, r *http.Request) {
	if !h.optionsRequest(w, r) {
		return
	}
	cur, err := h.sessions.Current(r)
	if errors.Is(err, session.ErrNoSession) {
		writeJSON(w, http.StatusUnauthorized, jsonError{"not_signed_in", MsgPasskeyNotSignedIn})
		return
	}
	if err != nil {
		h.optionsFailed(w, r, "load session", err)
		return
	}
	if ok, err := h.sf.mayChangeFactors(r.Context(), cur); err != nil || !ok {
		if err != nil {
			h.optionsFailed(w, r, "list second factors", err)
			return
		}
		writeJSON(w, http.StatusForbidden, jsonError{"step_up_required", MsgPasskeyStepUp})
		return
	}
	opts, c, err := h.svc.BeginRegistration(r.Context(), cur.User)
	if errors.Is(err, passkeys.ErrLimit) {
		writeJSON(w, http.StatusConflict, jsonError{"limit", MsgPasskeyLimit})
		return
	}
	if err != nil {
		h.optionsFailed(w, r, "begin passkey registration", err)
		return
	}
	h.sendOptions(w, r, opts, c)
}

// Register serves POST /account/passkeys {credential, name, flow}: the
// browser's answer to RegisterOptions. The registration proved the person
// holds the passkey, so the session records it as a factor (acr phr), as
// enrolling an authenticator app does; a person sent here by an
// application that needs a second factor goes on to it.
func (h *Passkeys) Register(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	flow := r.PostForm.Get("flow")
	if _, ok := h.checkFlow(w, r, flow); !ok {
		return
	}
	if !h.sf.gateFactorChange(w, r, cur, PathSecurity) {
		return
	}
	name, ok := passkeys.CleanName(r.PostForm.Get("name"))
	if !ok {
		h.showSecurity(w, r, cur, http.StatusBadRequest, MsgPasskeyName)
		return
	}
	cred, ok := h.credentialField(w, r)
	if !ok {
		return
	}
	c, ok, err := h.takeCeremony(w, r, passkeys.KindRegister)
	if err != nil {
		h.serverError(w, r, "spend passkey ceremony", err)
		return
	}
	if !ok {
		h.showSecurity(w, r, cur, http.StatusBadRequest, MsgPasskeyExpired)
		return
	}
	p, err := h.svc.FinishRegistration(r.Context(), cur.User, c, name, cred)
	if err != nil {
		status, msg, reason := passkeyFailure(err)
		if status == 0 {
			h.serverError(w, r, "register passkey", err)
			return
		}
		h.logger.InfoContext(r.Context(), "passkey registration refused", "reason", err.Error())
		h.audit.RecordRequest(r, audit.MFAFailure, audit.Failure, cur.User.ID, "", map[string]string{"factor": mfa.KindPasskey, "reason": reason, "step": "enrol"})
		h.showSecurity(w, r, cur, status, msg)
		return
	}
	h.audit.RecordRequest(r, audit.MFAEnrolled, audit.Success, cur.User.ID, "", map[string]string{"factor": mfa.KindPasskey, "passkey": p.Name})
	h.sf.Notify(cur.User, changePasskeyAdded)
	pending := PendingSignIn{User: cur.User, Factors: sessionFactors(cur.Session), StepUp: true, Flow: flow}
	if flow == "" {
		pending.ReturnTo = PathSecurity + "?done=passkey-added"
	}
	h.sf.Complete(w, r, pending, mfa.KindPasskey, passkeys.Method(p))
}

// Rename serves POST /account/passkeys/rename {passkey, name}.
func (h *Passkeys) Rename(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	name, ok := passkeys.CleanName(r.PostForm.Get("name"))
	if !ok {
		h.showSecurity(w, r, cur, http.StatusBadRequest, MsgPasskeyName)
		return
	}
	id, ok := h.ownPasskey(w, r, cur)
	if !ok {
		return
	}
	err := h.store.UpdatePasskey(r.Context(), id, func(p *storage.Passkey) error {
		p.Name = name
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.serverError(w, r, "rename passkey", err)
		return
	}
	securityDone(w, r, "passkey-renamed")
}

// Remove serves POST /account/passkeys/remove {passkey, password | code}:
// the person confirms with their password or a current code
// (SecondFactor.ConfirmIdentity).
func (h *Passkeys) Remove(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.accountAction(w, r)
	if !ok {
		return
	}
	id, ok := h.ownPasskey(w, r, cur)
	if !ok {
		return
	}
	if !h.sf.confirmed(w, r, cur, mfa.KindPasskey) {
		return
	}
	ctx := r.Context()
	err := h.store.DeletePasskey(ctx, cur.User.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		securityDone(w, r, "passkey-removed") // gone already
		return
	}
	if err == nil {
		err = h.sf.Service().CleanUpBackups(ctx, cur.User.ID)
	}
	if err != nil {
		h.serverError(w, r, "remove passkey", err)
		return
	}
	h.audit.RecordRequest(r, audit.MFARemoved, audit.Success, cur.User.ID, "", map[string]string{"factor": mfa.KindPasskey})
	h.sf.Notify(cur.User, changePasskeyRemoved)
	securityDone(w, r, "passkey-removed")
}

// accountAction checks an account form post and returns the person.
func (h *Passkeys) accountAction(w http.ResponseWriter, r *http.Request) (session.Current, bool) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return session.Current{}, false
	}
	return h.sf.signedIn(w, r, PathSecurity)
}

// ownPasskey returns the credential id the form names when it is one of
// the person's passkeys. Otherwise it has answered: 400 for what is no id
// at all, back to the security page for a passkey that is not (or no
// longer) the person's.
func (h *Passkeys) ownPasskey(w http.ResponseWriter, r *http.Request, cur session.Current) ([]byte, bool) {
	id, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get("passkey"))
	if err != nil || len(id) == 0 || len(id) > 1023 {
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return nil, false
	}
	p, err := h.store.GetPasskey(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && p.UserID != cur.User.ID) {
		securityDone(w, r, "")
		return nil, false
	}
	if err != nil {
		h.serverError(w, r, "load passkey", err)
		return nil, false
	}
	return id, true
}

// showSecurity renders the security page with msg in the passkeys'
// section.
func (h *Passkeys) showSecurity(w http.ResponseWriter, r *http.Request, cur session.Current, status int, msg string) {
	r = r.WithContext(context.WithValue(r.Context(), passkeyErrorKey{}, msg))
	h.sf.showSecurity(w, r, cur, status, r.PostForm.Get("flow"), "", nil)
}

// securityDone redirects to the security page, showing the notice of key
// ("" for none).
func securityDone(w http.ResponseWriter, r *http.Request, key string) {
	target := PathSecurity
	if key != "" {
		target += "?done=" + key
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
