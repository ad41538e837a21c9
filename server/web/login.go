package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
)

// LoginForm serves GET /login?flow=… (or ?return_to=/local/path),
// pre-filling the email from the flow's login_hint.
func (h *SignIn) LoginForm(w http.ResponseWriter, r *http.Request) {
	flow := r.URL.Query().Get("flow")
	f, ok := h.checkFlow(w, r, flow)
	if !ok {
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplLogin, h.loginPage(w, r, loginPage{
		Email:    f.LoginHint,
		Flow:     flow,
		ReturnTo: localPath(r.URL.Query().Get("return_to")),
	}))
}

// loginPage completes p with the token and the links every login page has.
func (h *SignIn) loginPage(w http.ResponseWriter, r *http.Request, p loginPage) loginPage {
	p.CSRFToken = h.csrf.token(w, r)
	p.Providers = h.fed.upstreamButtons(p.Flow, p.ReturnTo)
	p.Passkeys = h.passkeys
	if h.accountPages {
		p.ForgotURL = "/forgot-password"
		if p.Email != "" {
			p.ForgotURL += "?" + url.Values{"email": {p.Email}}.Encode()
		}
		if h.registration.Enabled {
			p.RegisterURL = "/register"
			if p.Flow != "" {
				p.RegisterURL += "?" + url.Values{"flow": {p.Flow}}.Encode()
			}
		}
	}
	return p
}

// Login serves POST /login. Every failed sign-in gets the same 401 page
// with MsgLoginFailed; a successful one starts a session and resumes the
// flow, goes to return_to, or shows who is signed in.
func (h *SignIn) Login(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	flow := r.PostForm.Get("flow")
	f, ok := h.checkFlow(w, r, flow)
	if !ok {
		return
	}
	email := r.PostForm.Get("email")
	returnTo := localPath(r.PostForm.Get("return_to"))
	user, err := h.accounts.Authenticate(h.deviceContext(r), email, r.PostForm.Get("password"))
	if errors.Is(err, accounts.ErrInvalidCredentials) {
		h.logFailedLogin(r, email, f.ClientID)
		h.renderer.render(w, r, http.StatusUnauthorized, tmplLogin, h.loginPage(w, r, loginPage{
			Email: email, Flow: flow, ReturnTo: returnTo, Error: MsgLoginFailed,
		}))
		return
	}
	if errors.Is(err, accounts.ErrRateLimited) {
		setRetryAfter(w, err)
		h.renderer.render(w, r, http.StatusTooManyRequests, tmplLogin, h.loginPage(w, r, loginPage{
			Email: email, Flow: flow, ReturnTo: returnTo, Error: MsgTooManyAttempts,
		}))
		return
	}
	if err != nil {
		h.serverError(w, r, "authenticate", err)
		return
	}
	if h.registration.RequireVerifiedEmail && !user.EmailVerified {
		h.audit.RecordRequest(r, audit.LoginFailure, audit.Denied, user.ID, f.ClientID, map[string]string{"reason": "email not verified"})
		h.renderer.render(w, r, http.StatusForbidden, tmplLogin, h.loginPage(w, r, loginPage{
			Email: user.Email, Flow: flow, ReturnTo: returnTo, Error: MsgEmailNotVerified, Unverified: true,
		}))
		return
	}
	if account, err := accounts.NormalizeEmail(email); err == nil {
		h.rememberDevice(w, account) // the account as the limiter names it
	}
	h.signIn(w, r, user, signInEvent{Type: audit.LoginSuccess, ClientID: f.ClientID, Details: map[string]string{"method": "password"}, Method: mfa.AMRPassword}, flow, returnTo)
}

// logFailedLogin records a failed sign-in. The email is logged only when it
// is a well-formed address: people sometimes type their password into the
// email field. The password is never logged.
func (h *SignIn) logFailedLogin(r *http.Request, email, clientID string) {
	normalized, err := accounts.NormalizeEmail(email)
	if err != nil {
		h.logger.InfoContext(r.Context(), "login failed", "email_valid", false)
		h.audit.RecordRequest(r, audit.LoginFailure, audit.Failure, "", clientID, map[string]string{"email_valid": "false"})
		return
	}
	h.logger.InfoContext(r.Context(), "login failed", "email", normalized)
	h.audit.RecordRequest(r, audit.LoginFailure, audit.Failure, "", clientID, map[string]string{"email": normalized})
}

// localPath returns p when it is a path on this server ("/account"), and
// "" for anything a browser could take elsewhere: absolute and
// scheme-relative URLs ("//evil.example"), backslashes, which browsers
// read as slashes, and control characters.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\") {
		return ""
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return p
}
