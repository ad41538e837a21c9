package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/passkeys"
)

// LoginOptions serves POST /login/passkey/options (JSON): the options of a
// sign-in with a discoverable passkey, user verification required.
func (h *Passkeys) LoginOptions(w http.ResponseWriter, r *http.Request) {
	if !h.optionsRequest(w, r) {
		return
	}
	opts, c, err := h.svc.BeginLogin()
	if err != nil {
		h.optionsFailed(w, r, "begin passkey login", err)
		return
	}
	h.sendOptions(w, r, opts, c)
}

// Login serves POST /login/passkey {credential, flow, return_to}: the
// browser's answer to LoginOptions. A verified passkey signs its owner in,
// no password asked: the passkey is something the person has, and the
// user verification it required something they know or are, so the
// session holds two factors (amr [hwk|swk, user, mfa], acr phr). The
// ending is SecondFactor.SignInWith's (audit login.success, method
// passkey).
func (h *Passkeys) Login(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	flow := r.PostForm.Get("flow")
	f, ok := h.checkFlow(w, r, flow)
	if !ok {
		return
	}
	returnTo := localPath(r.PostForm.Get("return_to"))
	fail := func(status int, msg string) {
		h.signInPages.renderer.render(w, r, status, tmplLogin, h.signInPages.loginPage(w, r, loginPage{
			Flow: flow, ReturnTo: returnTo, Error: msg,
		}))
	}
	cred, ok := h.credentialField(w, r)
	if !ok {
		return
	}
	c, ok, err := h.takeCeremony(w, r, passkeys.KindLogin)
	if err != nil {
		h.serverError(w, r, "spend passkey ceremony", err)
		return
	}
	if !ok {
		fail(http.StatusBadRequest, MsgPasskeyExpired)
		return
	}
	res, err := h.svc.FinishLogin(r.Context(), c, cred)
	if err != nil {
		status, msg, reason := passkeyFailure(err)
		if status == 0 {
			h.serverError(w, r, "verify passkey", err)
			return
		}
		h.logger.InfoContext(r.Context(), "passkey sign-in refused", "reason", err.Error())
		h.audit.RecordRequest(r, audit.LoginFailure, audit.Failure, "", f.ClientID, map[string]string{"method": "passkey", "reason": reason})
		fail(status, msg)
		return
	}
	if h.signInPages.registration.RequireVerifiedEmail && !res.User.EmailVerified {
		h.audit.RecordRequest(r, audit.LoginFailure, audit.Denied, res.User.ID, f.ClientID, map[string]string{"method": "passkey", "reason": "email not verified"})
		fail(http.StatusForbidden, MsgEmailNotVerified)
		return
	}
	h.sf.SignInWith(w, r, res.User, mfa.KindPasskey, []string{res.Method(), mfa.AMRUser}, flow, returnTo)
}

// SecondFactorOptions serves POST /login/mfa/passkey/options (JSON): the
// options to confirm the sign-in waiting on /login/mfa (or a step-up of
// the session) with one of the person's passkeys.
func (h *Passkeys) SecondFactorOptions(w http.ResponseWriter, r *http.Request) {
	if !h.optionsRequest(w, r) {
		return
	}
	p, err := h.sf.Pending(r)
	if errors.Is(err, ErrNoPendingSignIn) {
		writeJSON(w, http.StatusConflict, jsonError{"no_pending_sign_in", MsgPasskeyNoPending})
		return
	}
	if err != nil {
		h.optionsFailed(w, r, "load pending sign-in", err)
		return
	}
	opts, c, err := h.svc.BeginSecondFactor(r.Context(), p.User)
	if errors.Is(err, passkeys.ErrNone) {
		writeJSON(w, http.StatusConflict, jsonError{"no_passkey", MsgPasskeyNone})
		return
	}
	if err != nil {
		h.optionsFailed(w, r, "begin passkey second factor", err)
		return
	}
	h.sendOptions(w, r, opts, c)
}

// SecondFactor serves POST /login/mfa/passkey {credential, flow,
// return_to}: the browser's answer to SecondFactorOptions. A verified
// passkey completes the sign-in (amr [pwd, hwk|swk, mfa], acr phr); a
// refused one shows /login/mfa again.
func (h *Passkeys) SecondFactor(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	p, ok := h.sf.pendingOrLogin(w, r)
	if !ok {
		return
	}
	cred, ok := h.credentialField(w, r)
	if !ok {
		return
	}
	c, ok, err := h.takeCeremony(w, r, passkeys.KindSecondFactor)
	if err != nil {
		h.serverError(w, r, "spend passkey ceremony", err)
		return
	}
	if !ok {
		h.sf.Fail(r, p, mfa.KindPasskey, "ceremony expired")
		h.sf.showMFA(w, r, p, http.StatusBadRequest, MsgPasskeyExpired)
		return
	}
	res, err := h.svc.FinishSecondFactor(r.Context(), p.User, c, cred)
	if err != nil {
		status, msg, reason := passkeyFailure(err)
		if status == 0 {
			h.serverError(w, r, "verify passkey", err)
			return
		}
		h.logger.InfoContext(r.Context(), "passkey second factor refused", "reason", err.Error())
		h.sf.Fail(r, p, mfa.KindPasskey, reason)
		h.sf.showMFA(w, r, p, status, msg)
		return
	}
	h.sf.Complete(w, r, p, mfa.KindPasskey, res.Method())
}

// passkeyFailure maps a refusal of package passkeys to the page's status,
// message and the audit reason; status 0 for anything else (a server
// error).
func passkeyFailure(err error) (status int, msg, reason string) {
	switch {
	case errors.Is(err, passkeys.ErrMalformed):
		return http.StatusBadRequest, MsgPasskeyInvalid, "malformed response"
	case errors.Is(err, passkeys.ErrExpired):
		return http.StatusBadRequest, MsgPasskeyExpired, "ceremony expired"
	case errors.Is(err, passkeys.ErrCloned):
		return http.StatusUnauthorized, MsgPasskeyFailed, "signature counter did not advance"
	case errors.Is(err, passkeys.ErrRejected):
		return http.StatusUnauthorized, MsgPasskeyFailed, "verification failed"
	case errors.Is(err, passkeys.ErrDuplicate):
		return http.StatusConflict, MsgPasskeyDuplicate, "already registered"
	case errors.Is(err, passkeys.ErrLimit):
		return http.StatusConflict, MsgPasskeyLimit, "too many passkeys"
	}
	return 0, "", ""
}
