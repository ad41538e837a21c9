package web

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/passkeys"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Audit event types of second factors (CONTRACT-NEXT.md); Details
// ["factor"] is "passkey" for the events of this file.
const (
	auditMFAEnrolled = "mfa.enrolled"
	auditMFARemoved  = "mfa.removed"
	auditMFASuccess  = "mfa.success"
	auditMFAFailure  = "mfa.failure"
)

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

// Register serves POST /account/passkeys {credential, name}: the
// browser's answer to RegisterOptions.
func (h *Passkeys) Register(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.account.accountAction(w, r)
	if !ok {
		return
	}
	name, ok := passkeys.CleanName(r.PostForm.Get("name"))
	if !ok {
		h.showSecurity(w, r, cur, http.StatusBadRequest, fieldErrors{"passkey_name": MsgPasskeyName})
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
		h.showSecurity(w, r, cur, http.StatusBadRequest, fieldErrors{"passkey": MsgPasskeyExpired})
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
		h.audit.RecordRequest(r, auditMFAEnrolled, audit.Failure, cur.User.ID, "", map[string]string{"factor": "passkey", "reason": reason})
		h.showSecurity(w, r, cur, status, fieldErrors{"passkey": msg})
		return
	}
	h.audit.RecordRequest(r, auditMFAEnrolled, audit.Success, cur.User.ID, "", map[string]string{"factor": "passkey", "passkey": p.Name})
	h.securityDone(w, r, "passkey-added")
}

// Rename serves POST /account/passkeys/rename {passkey, name}.
func (h *Passkeys) Rename(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.account.accountAction(w, r)
	if !ok {
		return
	}
	name, ok := passkeys.CleanName(r.PostForm.Get("name"))
	if !ok {
		h.showSecurity(w, r, cur, http.StatusBadRequest, fieldErrors{"passkey_name": MsgPasskeyName})
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
	h.securityDone(w, r, "passkey-renamed")
}

// Remove serves POST /account/passkeys/remove {passkey, password}: the
// person confirms with their password.
func (h *Passkeys) Remove(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.account.accountAction(w, r)
	if !ok {
		return
	}
	id, ok := h.ownPasskey(w, r, cur)
	if !ok {
		return
	}
	if !h.confirmRemoval(w, r, cur) {
		return
	}
	err := h.store.DeletePasskey(r.Context(), cur.User.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		h.securityDone(w, r, "passkey-removed") // gone already
		return
	}
	if err != nil {
		h.serverError(w, r, "remove passkey", err)
		return
	}
	h.audit.RecordRequest(r, auditMFARemoved, audit.Success, cur.User.ID, "", map[string]string{"factor": "passkey"})
	h.securityDone(w, r, "passkey-removed")
}

// confirmRemoval checks the password the person typed to remove a factor.
// On failure it has answered.
func (h *Passkeys) confirmRemoval(w http.ResponseWriter, r *http.Request, cur session.Current) bool {
	_, err := h.accounts.Authenticate(r.Context(), cur.User.Email, r.PostForm.Get("password"))
	switch {
	case errors.Is(err, accounts.ErrInvalidCredentials):
		h.audit.RecordRequest(r, auditMFARemoved, audit.Failure, cur.User.ID, "", map[string]string{"factor": "passkey", "reason": "wrong password"})
		h.showSecurity(w, r, cur, http.StatusForbidden, fieldErrors{"passkey": MsgCurrentPassword})
		return false
	case errors.Is(err, accounts.ErrRateLimited):
		h.tooManyAttempts(w, r, err)
		return false
	case err != nil:
		h.serverError(w, r, "authenticate", err)
		return false
	}
	return true
}

// ownPasskey returns the credential id the form names, answering 400 when
// it is not an id at all. Whether it is the person's is left to storage,
// which only touches the person's own passkeys.
func (h *Passkeys) ownPasskey(w http.ResponseWriter, r *http.Request, cur session.Current) ([]byte, bool) {
	id, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get("passkey"))
	if err != nil || len(id) == 0 || len(id) > 1023 {
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return nil, false
	}
	p, err := h.store.GetPasskey(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && p.UserID != cur.User.ID) {
		h.securityDone(w, r, "") // not (or no longer) the person's: nothing to do
		return nil, false
	}
	if err != nil {
		h.serverError(w, r, "load passkey", err)
		return nil, false
	}
	return id, true
}

// securityPath is the page that lists the person's passkeys.
const securityPath = accountPath

// showSecurity renders the page listing the passkeys with field errors.
func (h *Passkeys) showSecurity(w http.ResponseWriter, r *http.Request, cur session.Current, status int, errs fieldErrors) {
	h.account.showAccount(w, r, cur, status, "", errs)
}

// securityDone redirects to the page listing the passkeys, showing the
// notice of key ("" for none).
func (h *Passkeys) securityDone(w http.ResponseWriter, r *http.Request, key string) {
	if key == "" {
		http.Redirect(w, r, securityPath, http.StatusSeeOther)
		return
	}
	done(w, r, key)
}

// listPasskeys returns the person's passkeys as the page shows them.
func (h *Account) listPasskeys(ctx context.Context, userID string) ([]accountPasskey, error) {
	pks, err := h.store.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]accountPasskey, 0, len(pks))
	for _, p := range pks {
		ap := accountPasskey{Handle: passkeyHandle(p), Name: p.Name, Created: p.CreatedAt.Format("2 Jan 2006"), Synced: passkeys.Synced(p)}
		if !p.LastUsedAt.IsZero() {
			ap.LastUsed = p.LastUsedAt.Format("2 Jan 2006 15:04 MST")
		}
		out = append(out, ap)
	}
	return out, nil
}
