package web

import (
	"errors"
	"net/http"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/server/session"
)

// loginForm serves GET /login?flow=…, pre-filling the email from the
// flow's login_hint.
func (h *Handlers) loginForm(w http.ResponseWriter, r *http.Request) {
	flow := r.URL.Query().Get("flow")
	f, ok := h.checkFlow(w, r, flow)
	if !ok {
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplLogin, loginPage{
		Email:     f.LoginHint,
		Flow:      flow,
		CSRFToken: h.csrf.token(w, r),
		Providers: h.upstreamButtons(flow),
	})
}

// login serves POST /login. Every failed sign-in gets the same 401 page
// with MsgLoginFailed; a successful one starts a session and resumes the
// flow, or shows who is signed in when there is none.
func (h *Handlers) login(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	flow := r.PostForm.Get("flow")
	if _, ok := h.checkFlow(w, r, flow); !ok {
		return
	}
	email := r.PostForm.Get("email")
	user, err := h.accounts.Authenticate(r.Context(), email, r.PostForm.Get("password"))
	if errors.Is(err, accounts.ErrInvalidCredentials) {
		h.logFailedLogin(r, email)
		h.renderer.render(w, r, http.StatusUnauthorized, tmplLogin, loginPage{
			Email:     email,
			Flow:      flow,
			CSRFToken: h.csrf.token(w, r),
			Error:     MsgLoginFailed,
			Providers: h.upstreamButtons(flow),
		})
		return
	}
	if errors.Is(err, accounts.ErrRateLimited) {
		setRetryAfter(w, err)
		h.renderer.render(w, r, http.StatusTooManyRequests, tmplLogin, loginPage{
			Email:     email,
			Flow:      flow,
			CSRFToken: h.csrf.token(w, r),
			Error:     MsgTooManyAttempts,
		})
		return
	}
	if err != nil {
		h.serverError(w, r, "authenticate", err)
		return
	}
	signedIn, err := h.sessions.Start(w, r, user)
	if err != nil {
		h.serverError(w, r, "start session", err)
		return
	}
	h.logger.InfoContext(r.Context(), "login", "user", user.ID)
	if flow == "" {
		h.renderer.render(w, r, http.StatusOK, tmplSignedIn, signedInPage{Name: user.Name, Email: user.Email})
		return
	}
	h.resumer.Resume(w, signedIn, flow, session.Step{Authenticated: true})
}

// logFailedLogin records a failed sign-in. The email is logged only when it
// is a well-formed address: people sometimes type their password into the
// email field. The password is never logged.
func (h *Handlers) logFailedLogin(r *http.Request, email string) {
	if normalized, err := accounts.NormalizeEmail(email); err == nil {
		h.logger.InfoContext(r.Context(), "login failed", "email", normalized)
		return
	}
	h.logger.InfoContext(r.Context(), "login failed", "email_valid", false)
}
