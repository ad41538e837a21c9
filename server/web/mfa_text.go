package web

import (
	"context"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Texts of the second-factor pages.
const (
	MsgWrongCode           = "That code did not work. Check it and try again; each code works once."
	MsgTOTPAdded           = "Your authenticator app is set up. Make recovery codes now, in case you lose your phone."
	MsgTOTPRemoved         = "Your authenticator app has been removed."
	MsgConfirmIdentity     = "To remove a second factor, enter your current password or a code from one of your second factors."
	MsgRecoveryNeedsFactor = "Set up a second factor first: recovery codes stand in for one."
)

// Security changes mailed to the person (templates/mail/security_change):
// what changed, in plain words.
const (
	changeTOTPAdded        = "An authenticator app was set up as a second factor."
	changeTOTPRemoved      = "The authenticator app was removed from your second factors."
	changeRecoveryCodes    = "A new set of recovery codes was made; the old codes no longer work."
	changeRecoveryCodeUsed = "A recovery code was used to sign in."
)

// mailSecurityChange is the mail about a change to the account's
// security.
const mailSecurityChange = "security_change"

// notify mails user, in the background, that change happened, with a
// link to the security page. Other factor kinds call Notify.
func (h *SecondFactor) notify(user storage.User, change string) {
	if h.mail == nil {
		return
	}
	h.mail.tasks.do("security change", func(ctx context.Context) {
		h.mail.sendMail(ctx, mailSecurityChange, user.Email, "A change to your account's security",
			mailData{Link: h.mail.issuer + PathSecurity, Change: change})
	})
}

// Notify mails user that change (a sentence in plain words, e.g. "A
// passkey was added.") happened to the account's security.
func (h *SecondFactor) Notify(user storage.User, change string) { h.notify(user, change) }
