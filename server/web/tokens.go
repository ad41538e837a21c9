package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/mail"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// oneTimeTokenBytes is the entropy of a mailed link's token.
const oneTimeTokenBytes = 32

// At most mailLimit reset or verification mails go to one address per
// mailWindow, however often the forms are sent: the pages answer alike
// either way, so neither a mailbox can be flooded from them nor the
// background queue filled with one address's mail.
const (
	mailLimit  = 3
	mailWindow = 15 * time.Minute
)

// mailAllowed counts one more mail of purpose to email and reports whether
// it is within mailLimit. It runs in the background task, so a refusal
// takes no visible time; a storage failure allows the mail (logged).
func (h *mailLinks) mailAllowed(ctx context.Context, purpose storage.Purpose, email string) bool {
	key := "mail:" + string(purpose) + ":" + secret.SHA256Hex(email)
	n, _, err := h.store.IncrementCounter(ctx, key, mailWindow, h.now())
	if err != nil {
		h.logger.ErrorContext(ctx, "web: mail counter", "mail", string(purpose), "err", err)
		return true
	}
	return n <= mailLimit
}

// issueToken stores a new one-time token for user (only its SHA-256) and
// returns the token to mail.
func (h *mailLinks) issueToken(ctx context.Context, purpose storage.Purpose, user storage.User) (string, error) {
	ttl := h.verifyTTL
	if purpose == storage.PurposePasswordReset {
		ttl = h.resetTTL
	}
	raw := secret.Token(oneTimeTokenBytes)
	now := h.now().UTC()
	err := h.store.CreateOneTimeToken(ctx, storage.OneTimeToken{
		Hash:      secret.SHA256Hex(raw),
		Purpose:   purpose,
		UserID:    user.ID,
		Email:     user.Email,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
	})
	if err != nil {
		return "", fmt.Errorf("web: store %s token: %w", purpose, err)
	}
	return raw, nil
}

// peekToken returns the unexpired, unused token raw for purpose.
func (h *mailLinks) peekToken(ctx context.Context, purpose storage.Purpose, raw string) (storage.OneTimeToken, error) {
	if raw == "" {
		return storage.OneTimeToken{}, storage.ErrNotFound
	}
	return h.store.GetOneTimeToken(ctx, purpose, secret.SHA256Hex(raw), h.now())
}

// link is an absolute URL on this server.
func (h *mailLinks) link(path string, q url.Values) string {
	return h.issuer + path + "?" + q.Encode()
}

// sendMail renders the mail name (templates/mail) for d and sends it to
// to, logging a template failure as send logs a delivery failure.
func (h *mailLinks) sendMail(ctx context.Context, name, to, subject string, d mailData) {
	text, html, err := h.renderer.renderMail(name, d)
	if err != nil {
		h.logger.ErrorContext(ctx, "web: render mail", "mail", name, "err", err)
		return
	}
	h.send(ctx, name, mail.Message{To: to, Subject: subject, Text: text, HTML: html})
}

// send delivers one message, logging a failure without the message text
// (which holds the link).
func (h *mailLinks) send(ctx context.Context, what string, m mail.Message) {
	if h.mailer == nil {
		h.logger.WarnContext(ctx, "web: no mailer configured; mail dropped", "mail", what)
		return
	}
	if err := h.mailer.Send(ctx, m); err != nil {
		h.logger.ErrorContext(ctx, "web: send mail", "mail", what, "err", err)
	}
}

// passwordMessage is the text beside a password field for a rule broken.
func passwordMessage(err error) string {
	switch {
	case errors.Is(err, accounts.ErrPasswordTooShort):
		return MsgPasswordShort
	case errors.Is(err, accounts.ErrPasswordTooLong):
		return MsgPasswordLong
	case errors.Is(err, accounts.ErrCommonPassword):
		return MsgPasswordCommon
	}
	return ""
}

// checkPassword applies the registration rules to a new password and
// returns the message to show, "" when it passes.
func (reg Registration) checkPassword(pw string) string {
	return passwordMessage(accounts.CheckNewPassword(pw, reg.CommonPasswords))
}

// humanDuration says d in words for a mail: "1 hour", "48 hours",
// "30 minutes".
func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	if d >= time.Hour && d%time.Hour == 0 {
		return plural(int64(d/time.Hour), "hour")
	}
	return plural(int64((d+time.Minute-1)/time.Minute), "minute")
}
