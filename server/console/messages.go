package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
)

// notices are the texts ?done=… shows after an action.
var notices = map[string]string{
	"user-created":  "The user has been created.",
	"user-saved":    "The user has been saved.",
	"user-disabled": "The user has been disabled, signed out everywhere, and their tokens revoked.",
	"user-enabled":  "The user has been enabled.",
	"user-deleted":  "The user has been deleted.",
	"mfa-reset":     "Every second factor of the user has been removed.",
	"verify-sent":   "A new verification link is on its way to the user.",
	"session-ended": "The session has been ended; the apps signed in through it have been told.",
	"sessions-all":  "Every session of the user has been ended; the apps signed in through them have been told.",
	"client-saved":  "The client has been saved.",
	"client-gone":   "The client has been deleted, with its consents and tokens.",
	"key-rotated":   "A new signing key has been published; it signs once every node has it.",
}

// Texts of refusals shown on the console's pages.
const (
	msgSelf         = "An admin cannot remove their own admin role, disable or delete themselves."
	msgLastAdmin    = "This is the last enabled admin; make another user an admin first."
	msgConfig       = "This client is declared in the configuration file (clients:); change it there."
	msgEmailTaken   = "A user with this email address already exists."
	msgClientTaken  = "A client with this id already exists."
	msgInvalidText  = "Text fields must be valid UTF-8 without NUL characters."
	msgRole         = "Each role is 1 to 64 characters of a-z, 0-9, _ . : - (user is always included)."
	msgNotFoundUser = "There is no such user (any more)."
	msgNoSession    = "That session has ended already."
	msgNoMFA        = "Second factors are not enabled on this server."
)

// problem turns an error of a manage, accounts or clients call into the
// status and the sentence shown on the page; ok is false for anything
// else (a server error, answered by the caller).
func problem(err error) (status int, msg string, ok bool) {
	switch {
	case errors.Is(err, manage.ErrSelf):
		return http.StatusConflict, msgSelf, true
	case errors.Is(err, manage.ErrLastAdmin):
		return http.StatusConflict, msgLastAdmin, true
	case errors.Is(err, clients.ErrConfigManaged):
		return http.StatusConflict, msgConfig, true
	case errors.Is(err, manage.ErrAlreadyVerified), errors.Is(err, manage.ErrUserDisabled), errors.Is(err, manage.ErrNoMail):
		return http.StatusConflict, sentence(err.Error()), true
	case errors.Is(err, clients.ErrExists):
		return http.StatusConflict, msgClientTaken, true
	case errors.Is(err, accounts.ErrEmailTaken), errors.Is(err, storage.ErrAlreadyExists):
		return http.StatusConflict, msgEmailTaken, true
	case errors.Is(err, storage.ErrInvalid):
		return http.StatusBadRequest, msgInvalidText, true
	case errors.Is(err, accounts.ErrInvalidRole):
		return http.StatusBadRequest, msgRole, true
	case errors.Is(err, clients.ErrInvalid):
		return http.StatusBadRequest, sentence(err.Error()), true
	case errors.Is(err, accounts.ErrInvalidEmail), errors.Is(err, accounts.ErrNameRequired), errors.Is(err, accounts.ErrNameInvalid),
		errors.Is(err, accounts.ErrNameTooLong), errors.Is(err, accounts.ErrPasswordTooShort), errors.Is(err, accounts.ErrPasswordTooLong):
		return http.StatusBadRequest, sentence(strings.TrimPrefix(err.Error(), "accounts: ")), true
	}
	return 0, "", false
}

// sentence capitalises a validation message and ends it with a period.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
