package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// nameProblem returns what is wrong with a person's (trimmed) name, or ""
// when nothing is: empty, too long, or not printable text (invalid UTF-8
// or control characters, which no store keeps as typed).
func nameProblem(name string) string {
	switch _, err := accounts.NormalizeName(name); {
	case errors.Is(err, accounts.ErrNameRequired):
		return MsgNameRequired
	case errors.Is(err, accounts.ErrNameInvalid):
		return MsgNameInvalid
	case errors.Is(err, accounts.ErrNameTooLong):
		return MsgNameTooLong
	}
	return ""
}

// RegisterForm serves GET /register?flow=….
func (h *SignUp) RegisterForm(w http.ResponseWriter, r *http.Request) {
	if !h.registration.Enabled {
		h.renderer.Error(w, r, http.StatusNotFound, MsgRegistrationClosed)
		return
	}
	flow := r.URL.Query().Get("flow")
	f, ok := h.checkFlow(w, r, flow)
	if !ok {
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplRegister, registerPage{
		Email: f.LoginHint, Flow: flow, CSRFToken: h.csrf.token(w, r), LoginURL: loginURL(flow),
	})
}

// Register serves POST /register: it creates the account, mails the
// verification link and, unless verified email is required first, signs
// the person in and resumes the flow.
func (h *SignUp) Register(w http.ResponseWriter, r *http.Request) {
	if !h.registration.Enabled {
		h.renderer.Error(w, r, http.StatusNotFound, MsgRegistrationClosed)
		return
	}
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	flow := r.PostForm.Get("flow")
	f, ok := h.checkFlow(w, r, flow)
	if !ok {
		return
	}
	if !h.allow(w, r, ratelimit.ActionRegister) {
		return
	}
	page := registerPage{
		Email:    strings.TrimSpace(r.PostForm.Get("email")),
		Name:     strings.TrimSpace(r.PostForm.Get("name")),
		Flow:     flow,
		LoginURL: loginURL(flow),
		Errors:   fieldErrors{},
	}
	password := r.PostForm.Get("password")
	email, err := accounts.NormalizeEmail(page.Email)
	if err != nil {
		page.Errors["email"] = MsgEmailInvalid
	}
	if msg := h.registration.checkPassword(password); msg != "" {
		page.Errors["password"] = msg
	}
	if msg := nameProblem(page.Name); msg != "" {
		page.Errors["name"] = msg
	}
	var user storage.User
	if len(page.Errors) == 0 {
		user, err = h.accounts.CreateUser(r.Context(), accounts.NewUser{Email: email, Password: password, Name: page.Name})
		switch {
		case errors.Is(err, accounts.ErrEmailTaken) && h.registration.RequireVerifiedEmail:
			// The page a new account gets, after the same work (the
			// password was hashed either way), so that registration
			// does not tell who has an account; the owner is told by
			// mail instead.
			h.audit.RecordRequest(r, audit.Registered, audit.Denied, "", "", map[string]string{"reason": "email taken"})
			h.tasks.do("registration attempt", func(ctx context.Context) { h.mailAccountExists(ctx, email) })
			h.renderer.render(w, r, http.StatusOK, tmplNotice, verifySentPage(flow))
			return
		case errors.Is(err, accounts.ErrEmailTaken):
			// Without required verification the new account would be
			// signed in at once, so the answer cannot hide that it
			// exists.
			page.Errors["email"] = MsgEmailTaken
		case err != nil:
			h.serverError(w, r, "create user", err)
			return
		}
	}
	if len(page.Errors) > 0 {
		page.CSRFToken = h.csrf.token(w, r)
		h.renderer.render(w, r, http.StatusBadRequest, tmplRegister, page)
		return
	}
	h.audit.RecordRequest(r, audit.Registered, audit.Success, user.ID, "", nil)
	h.logger.InfoContext(r.Context(), "registered", "user", user.ID)
	h.queueVerification(user, flow)

	if h.registration.RequireVerifiedEmail {
		h.renderer.render(w, r, http.StatusOK, tmplNotice, verifySentPage(flow))
		return
	}
	h.signIn(w, r, user, signInEvent{Type: audit.LoginSuccess, ClientID: f.ClientID, Details: map[string]string{"method": "registration"}, Method: mfa.AMRPassword}, flow, accountPath)
}

// verifySentPage is the answer to a registration that waits for the email
// address to be confirmed.
func verifySentPage(flow string) noticePage {
	return noticePage{Title: "Check your email", Message: MsgVerifySent, LinkURL: loginURL(flow), LinkText: "Back to sign in"}
}

// accountExistsPurpose counts the mails of mailAccountExists.
const accountExistsPurpose storage.Purpose = "account_exists"

// mailAccountExists tells the owner of email that someone tried to
// Register it again.
func (h *SignUp) mailAccountExists(ctx context.Context, email string) {
	u, err := h.store.GetUserByEmail(ctx, email)
	if err != nil || u.Disabled || !h.mailAllowed(ctx, accountExistsPurpose, u.Email) {
		return
	}
	h.sendMail(ctx, mailAccountExists, u.Email, "Your "+h.renderer.brand.ProductName+" account",
		mailData{Link: h.issuer + "/forgot-password"})
}

// queueVerification mails user a verification link in the background. The
// link carries the flow so the person can continue to the application.
func (h *SignUp) queueVerification(user storage.User, flow string) {
	h.tasks.do("email verification", func(ctx context.Context) { h.mailVerification(ctx, user, flow) })
}

// mailVerification stores a verification token for user and mails the
// link.
func (h *SignUp) mailVerification(ctx context.Context, user storage.User, flow string) {
	raw, err := h.issueToken(ctx, storage.PurposeEmailVerification, user)
	if err != nil {
		h.logger.ErrorContext(ctx, "web: verification token", "user", user.ID, "err", err)
		return
	}
	q := url.Values{"token": {raw}}
	if flow != "" {
		q.Set("flow", flow)
	}
	h.sendMail(ctx, mailEmailVerification, user.Email, "Confirm your email address for "+h.renderer.brand.ProductName,
		mailData{Link: h.link("/verify-email", q), Expires: humanDuration(h.verifyTTL)})
}

// VerifyForm serves GET /verify-email?token=…: a button that confirms.
// Opening the link changes nothing, so mail scanners that fetch links do
// not use it up.
func (h *SignUp) VerifyForm(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	if _, err := h.peekToken(r.Context(), storage.PurposeEmailVerification, raw); err != nil {
		h.tokenProblem(w, r, err, "Link expired", MsgVerifyInvalid, "/login", "Sign in")
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplVerify, verifyPage{
		Token: raw, Flow: r.URL.Query().Get("flow"), CSRFToken: h.csrf.token(w, r),
	})
}

// Verify serves POST /verify-email: it uses the token and marks the
// address verified, if it is still the account's address.
func (h *SignUp) Verify(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	raw := r.PostForm.Get("token")
	hash := secret.SHA256Hex(raw)
	var userID string
	err := storage.InTx(r.Context(), h.store, func(ctx context.Context) error {
		t, err := h.store.ConsumeOneTimeToken(ctx, storage.PurposeEmailVerification, hash, h.now())
		if err != nil {
			return err
		}
		userID = t.UserID
		return h.store.UpdateUser(ctx, t.UserID, func(u *storage.User) error {
			if u.Email != t.Email {
				return storage.ErrNotFound // the address changed since
			}
			u.EmailVerified = true
			u.UpdatedAt = h.now().UTC()
			return nil
		})
	})
	if raw == "" || err != nil {
		h.tokenProblem(w, r, err, "Link expired", MsgVerifyInvalid, "/login", "Sign in")
		return
	}
	h.audit.RecordRequest(r, audit.EmailVerified, audit.Success, userID, "", nil)
	next, text := "/account", "Go to your account"
	if flow := r.PostForm.Get("flow"); flow != "" {
		if _, err := h.resumer.Check(r, flow); err == nil {
			next, text = loginURL(flow), "Continue to the application"
		}
	}
	h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{Title: "Email confirmed", Message: MsgVerifyDone, LinkURL: next, LinkText: text})
}

// ResendVerification serves POST /verify-email/resend {email}: the same
// answer whether or not the account exists or needs confirming.
func (h *SignUp) ResendVerification(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	if !h.allow(w, r, ratelimit.ActionResendVerification) {
		return
	}
	flow := r.PostForm.Get("flow")
	if email, err := accounts.NormalizeEmail(r.PostForm.Get("email")); err == nil {
		h.tasks.do("resend verification", func(ctx context.Context) {
			u, err := h.store.GetUserByEmail(ctx, email)
			if err != nil || u.EmailVerified || u.Disabled || !h.mailAllowed(ctx, storage.PurposeEmailVerification, u.Email) {
				return
			}
			// In this task, not a new one: a job queued from a job
			// would be dropped when Close runs in between.
			h.mailVerification(ctx, u, flow)
		})
	}
	h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{
		Title: "Check your email", Message: MsgVerifyResent, LinkURL: loginURL(flow), LinkText: "Back to sign in",
	})
}

// MailVerification mails user a new email-verification link in the
// background, within the per-address mail limit: the admin console's
// "resend verification" (manage.Service.MailVerification).
func (h *SignUp) MailVerification(user storage.User) {
	h.tasks.do("mail verification", func(ctx context.Context) {
		if !h.mailAllowed(ctx, storage.PurposeEmailVerification, user.Email) {
			return
		}
		h.mailVerification(ctx, user, "")
	})
}

// tokenProblem answers a mailed link that does not work: a friendly page
// for an unknown, used or expired token, the error page otherwise.
func (h *mailLinks) tokenProblem(w http.ResponseWriter, r *http.Request, err error, title, msg, link, linkText string) {
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.serverError(w, r, "one-time token", err)
		return
	}
	h.renderer.render(w, r, http.StatusBadRequest, tmplNotice, noticePage{Title: title, Message: msg, LinkURL: link, LinkText: linkText})
}
