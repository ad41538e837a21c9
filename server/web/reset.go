package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ForgotForm serves GET /forgot-password.
func (h *Recovery) ForgotForm(w http.ResponseWriter, r *http.Request) {
	h.renderer.render(w, r, http.StatusOK, tmplForgot, forgotPage{
		Email: r.URL.Query().Get("email"), CSRFToken: h.csrf.token(w, r),
	})
}

// Forgot serves POST /forgot-password {email}. The answer is the same page,
// after the same work, whether or not an account has that address: the
// lookup, the token and the mail happen in the background.
func (h *Recovery) Forgot(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) || !h.allow(w, r, ratelimit.ActionForgotPassword) {
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("email"))
	email, err := accounts.NormalizeEmail(typed)
	if err != nil {
		h.renderer.render(w, r, http.StatusBadRequest, tmplForgot, forgotPage{
			Email: typed, CSRFToken: h.csrf.token(w, r), Errors: fieldErrors{"email": MsgEmailInvalid},
		})
		return
	}
	event := audit.FromRequest(r, audit.PasswordResetRequested)
	h.tasks.do("password reset", func(ctx context.Context) { h.mailReset(ctx, email, event) })
	h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{
		Title: "Check your email", Message: MsgForgotSent, LinkURL: "/login", LinkText: "Back to sign in",
	})
}

// mailReset sends a reset link when an enabled account has the address.
func (h *Recovery) mailReset(ctx context.Context, email string, event storage.AuditEvent) {
	u, err := h.store.GetUserByEmail(ctx, email)
	if errors.Is(err, storage.ErrNotFound) {
		event.Outcome = audit.Failure
		event.Details = map[string]string{"reason": "unknown email"}
		h.audit.Record(ctx, event)
		return
	}
	if err != nil {
		h.logger.ErrorContext(ctx, "web: password reset: look up user", "err", err)
		return
	}
	event.UserID = u.ID
	if u.Disabled {
		event.Outcome = audit.Denied
		event.Details = map[string]string{"reason": "account disabled"}
		h.audit.Record(ctx, event)
		return
	}
	if !h.mailAllowed(ctx, storage.PurposePasswordReset, u.Email) {
		event.Outcome = audit.Denied
		event.Details = map[string]string{"reason": "too many requests"}
		h.audit.Record(ctx, event)
		return
	}
	raw, err := h.issueToken(ctx, storage.PurposePasswordReset, u)
	if err != nil {
		h.logger.ErrorContext(ctx, "web: password reset token", "user", u.ID, "err", err)
		return
	}
	h.audit.Record(ctx, event)
	h.sendMail(ctx, mailPasswordReset, u.Email, "Reset your "+h.renderer.brand.ProductName+" password",
		mailData{Link: h.link("/reset-password", url.Values{"token": {raw}}), Expires: humanDuration(h.resetTTL)})
}

// ResetForm serves GET /reset-password?token=….
func (h *Recovery) ResetForm(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	if _, err := h.peekToken(r.Context(), storage.PurposePasswordReset, raw); err != nil {
		h.tokenProblem(w, r, err, "Link expired", MsgResetInvalid, "/forgot-password", "Ask for a new link")
		return
	}
	h.renderer.render(w, r, http.StatusOK, tmplReset, resetPage{Token: raw, CSRFToken: h.csrf.token(w, r)})
}

// Reset serves POST /reset-password {token, password}. A completed reset
// uses the token, sets the password, marks the email verified (the person
// has just proven they read it), deletes the user's other reset tokens,
// signs out every session and revokes every refresh token of the user.
func (h *Recovery) Reset(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) || !h.checkCSRF(w, r) {
		return
	}
	raw := r.PostForm.Get("token")
	if _, err := h.peekToken(r.Context(), storage.PurposePasswordReset, raw); err != nil {
		h.tokenProblem(w, r, err, "Link expired", MsgResetInvalid, "/forgot-password", "Ask for a new link")
		return
	}
	password := r.PostForm.Get("password")
	if msg := h.passwords.checkPassword(password); msg != "" {
		h.renderer.render(w, r, http.StatusBadRequest, tmplReset, resetPage{
			Token: raw, CSRFToken: h.csrf.token(w, r), Errors: fieldErrors{"password": msg},
		})
		return
	}
	// bcrypt before the transaction: SQLite has one writer.
	hash, err := h.accounts.HashPassword(r.Context(), password)
	if err != nil {
		h.serverError(w, r, "hash password", err)
		return
	}
	var userID string
	err = storage.InTx(r.Context(), h.store, func(ctx context.Context) error {
		t, err := h.store.ConsumeOneTimeToken(ctx, storage.PurposePasswordReset, secret.SHA256Hex(raw), h.now())
		if err != nil {
			return err
		}
		userID = t.UserID
		err = h.store.UpdateUser(ctx, t.UserID, func(u *storage.User) error {
			if u.Email != t.Email {
				// The link went to an address the account no longer
				// has: whoever reads that mailbox now is not the owner.
				return storage.ErrNotFound
			}
			if u.Disabled {
				// Disabled (by an admin, perhaps because of this very
				// mailbox) after the link was mailed.
				return storage.ErrNotFound
			}
			u.PasswordHash = hash
			u.EmailVerified = true
			u.UpdatedAt = h.now().UTC()
			return nil
		})
		if err != nil {
			return err
		}
		if err := h.store.DeleteUserOneTimeTokens(ctx, t.UserID, storage.PurposePasswordReset); err != nil {
			return err
		}
		if err := h.store.DeleteUserBrowserSessions(ctx, t.UserID); err != nil {
			return err
		}
		return h.store.RevokeSubjectTokens(ctx, t.UserID, "")
	})
	if err != nil {
		// A concurrent reset may have used the token since the peek.
		h.tokenProblem(w, r, err, "Link expired", MsgResetInvalid, "/forgot-password", "Ask for a new link")
		return
	}
	if err := h.sessions.End(w, r); err != nil {
		h.logger.WarnContext(r.Context(), "web: end session after reset", "err", err)
	}
	h.audit.RecordRequest(r, audit.PasswordResetCompleted, audit.Success, userID, "", nil)
	h.renderer.render(w, r, http.StatusOK, tmplNotice, noticePage{
		Title: "Password changed", Message: MsgResetDone, LinkURL: "/login", LinkText: "Sign in",
	})
}
