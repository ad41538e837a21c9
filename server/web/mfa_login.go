package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/ratelimit"
)

// mfaPage is /login/mfa.
type mfaPage struct {
	CSRFToken string
	Flow      string
	ReturnTo  string
	Email     string
	// TOTP and Recovery: the person has an authenticator app / recovery
	// codes, so the code form is offered.
	TOTP     bool
	Recovery bool
	// Passkey: the person has a passkey (the passkeys' part of the page
	// offers it); WantPasskey: the application asks for one (acr phr), so
	// a code would not do.
	Passkey     bool
	WantPasskey bool
	StepUp      bool
	Error       string
}

// LoginMFAForm serves GET /login/mfa: the second step of a sign-in, or a
// step-up of a signed-in session. Without either it goes back to the
// login page.
func (h *SecondFactor) LoginMFAForm(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pendingOrLogin(w, r)
	if !ok {
		return
	}
	h.showMFA(w, r, p, http.StatusOK, "")
}

// LoginMFA serves POST /login/mfa {code}: a TOTP code or a recovery code.
// A wrong code shows the form again (401); too many wrong codes for the
// account are refused (429) until the window ends.
func (h *SecondFactor) LoginMFA(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	p, ok := h.pendingOrLogin(w, r)
	if !ok {
		return
	}
	used, err := h.mfa.Verify(r.Context(), p.User.ID, r.PostForm.Get("code"))
	switch {
	case errors.Is(err, ratelimit.ErrLimited):
		h.Fail(r, p, "code", "rate_limited")
		setRetryAfter(w, err)
		h.showMFA(w, r, p, http.StatusTooManyRequests, MsgTooManyAttempts)
		return
	case errors.Is(err, mfa.ErrWrongCode):
		reason := "wrong_code"
		if errors.Is(err, mfa.ErrReplayed) {
			reason = "replayed"
		}
		h.Fail(r, p, "code", reason)
		h.showMFA(w, r, p, http.StatusUnauthorized, MsgWrongCode)
		return
	case err != nil:
		h.serverError(w, r, "verify second factor", err)
		return
	}
	if used.Kind == mfa.KindRecovery {
		h.audit.RecordRequest(r, audit.MFARecoveryCodeUsed, audit.Success, p.User.ID, flowClient(p.Flow),
			map[string]string{"codes_left": itoa(used.CodesLeft)})
		h.notify(p.User, changeRecoveryCodeUsed)
	}
	h.Complete(w, r, p, used.Kind, used.Method)
}

// pendingOrLogin returns the pending sign-in with its flow checked, or
// answers: back to the login page when there is none.
func (h *SecondFactor) pendingOrLogin(w http.ResponseWriter, r *http.Request) (PendingSignIn, bool) {
	p, err := h.Pending(r)
	if errors.Is(err, ErrNoPendingSignIn) {
		if p.ReturnTo = localPath(formOrQuery(r, "return_to")); p.ReturnTo != "" && formOrQuery(r, "flow") == "" {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/login?return_to="+p.ReturnTo, http.StatusSeeOther)
			return p, false
		}
		redirectToLogin(w, r, formOrQuery(r, "flow"))
		return p, false
	}
	if err != nil {
		h.serverError(w, r, "load pending sign-in", err)
		return p, false
	}
	f, ok := h.checkFlow(w, r, p.Flow)
	if !ok {
		return p, false
	}
	p.ClientID, p.Want = f.ClientID, f.ACR
	return p, true
}

// showMFA renders /login/mfa for p.
func (h *SecondFactor) showMFA(w http.ResponseWriter, r *http.Request, p PendingSignIn, status int, msg string) {
	factors, err := h.mfa.Registry.Factors(r.Context(), p.User.ID)
	if err != nil {
		h.serverError(w, r, "list second factors", err)
		return
	}
	page := mfaPage{
		CSRFToken: h.csrf.token(w, r), Flow: p.Flow, ReturnTo: p.ReturnTo, Email: p.User.Email,
		StepUp: p.StepUp, WantPasskey: p.Want == mfa.ACRPhishingResistant, Error: msg,
	}
	page.TOTP = slices.ContainsFunc(factors, func(f mfa.Factor) bool { return f.Kind == mfa.KindTOTP })
	page.Recovery = slices.ContainsFunc(factors, func(f mfa.Factor) bool { return f.Kind == mfa.KindRecovery })
	page.Passkey = slices.ContainsFunc(factors, func(f mfa.Factor) bool { return f.Kind == mfa.KindPasskey })
	if page.WantPasskey && !page.Passkey {
		page.WantPasskey = false // asked for more than the person has: a code it is
	}
	if !page.TOTP && !page.Recovery && !page.Passkey {
		// No factor to ask for (removed meanwhile, or a signed-in person
		// who has none): set one up, or sign in again.
		w.Header().Set("Cache-Control", "no-store")
		if p.StepUp {
			http.Redirect(w, r, PathSecurity, http.StatusSeeOther)
			return
		}
		h.pending.clear(w)
		redirectToLogin(w, r, p.Flow)
		return
	}
	h.renderer.render(w, r, status, tmplLoginMFA, page)
}
