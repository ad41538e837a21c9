package web

// Fixed user-facing texts of the error page. Renderer.Error shows only these:
// internal detail (database errors, file names, panics) goes to the log,
// never into a response.
const (
	MsgInvalidRequest = "The sign-in request was not valid. Please go back to the application and try again."
	MsgUnknownClient  = "The application that sent you here is not registered with this server."
	MsgBadRedirect    = "The application sent you here with a return address it has not registered, so we cannot send you back."
	MsgCSRF           = "This form has expired or was not sent from this site. Please go back, reload the page and try again."
	MsgServer         = "Something went wrong on our side. Please try again in a moment."
	MsgNotFound       = "There is no page at this address."
	// MsgForbidden: a signed-in person without the role a page needs
	// (the admin console).
	MsgForbidden = "You do not have permission to open this page."
	// MsgRegistrationClosed: /register while registration is off.
	MsgRegistrationClosed = "New accounts cannot be created here. Ask the administrator for an account."
	// MsgLogoutInvalid: RP-initiated logout with an id_token_hint this
	// server did not issue, or for another application.
	MsgLogoutInvalid = "The application asked to sign you out with a request we could not verify, so nothing was changed."
	// MsgLogoutBadRedirect: a post_logout_redirect_uri the application has
	// not registered; it is never followed.
	MsgLogoutBadRedirect = "The application asked to send you back to an address it has not registered, so we cannot send you there."
)

// Texts of a failed sign-in through an upstream provider (Google, GitHub,
// OpenID Connect).
const (
	MsgUpstreamDenied            = "Signing in with that provider was cancelled or refused. You can try again or sign in another way."
	MsgUpstreamUnavailable       = "We could not reach that sign-in provider. Please try again in a moment or sign in another way."
	MsgUpstreamFailed            = "Signing in with that provider did not work. Please go back and try again, or sign in another way."
	MsgUpstreamExpired           = "This sign-in has expired or was started in another browser. Please go back to the application and start again."
	MsgUpstreamEmailUnverified   = "That provider has not confirmed that this email address is yours, so we cannot sign you in with it. Verify your email address with the provider, or sign in another way."
	MsgUpstreamAccountUnverified = "An account with this email address exists, but its address has not been verified, so we cannot link this sign-in to it. Sign in with your password and verify your email address first."
	MsgUpstreamAccountExists     = "An account with this email address already exists, and this sign-in provider cannot be linked to it automatically. Sign in with your password instead."
	MsgUpstreamAccountDisabled   = "This account has been disabled."
	MsgUpstreamNoAccount         = "There is no account for this sign-in, and new accounts cannot be created here. Please ask an administrator for access."
)

// MsgLoginFailed is the one message of a failed sign-in, whatever the cause
// (unknown email, wrong password, disabled account).
const MsgLoginFailed = "Incorrect email or password."

// MsgTooManyAttempts answers an attempt refused by the rate limits (429).
const MsgTooManyAttempts = "Too many attempts. For your security, please wait a few minutes before trying again."

// fixedMessages is the set Renderer.Error accepts.
var fixedMessages = map[string]bool{
	MsgInvalidRequest: true,
	MsgUnknownClient:  true,
	MsgBadRedirect:    true,
	MsgCSRF:           true,
	MsgServer:         true,
	MsgNotFound:       true,
	MsgForbidden:      true,

	MsgUpstreamDenied:            true,
	MsgUpstreamUnavailable:       true,
	MsgUpstreamFailed:            true,
	MsgUpstreamExpired:           true,
	MsgUpstreamEmailUnverified:   true,
	MsgUpstreamAccountUnverified: true,
	MsgUpstreamAccountDisabled:   true,
	MsgUpstreamAccountExists:     true,
	MsgUpstreamNoAccount:         true,
	MsgRegistrationClosed:        true,
	MsgLogoutInvalid:             true,
	MsgLogoutBadRedirect:         true,
	MsgTooManyAttempts:           true, // rate limits (ratelimit.go)
	MsgDeviceScope:               true, // devicecode.go
}

// Texts shown beside form fields and on notice pages.
const (
	MsgEmailInvalid     = "Enter an email address like name@example.com."
	MsgEmailTaken       = "An account with this email address already exists. Sign in, or reset your password if you forgot it."
	MsgPasswordShort    = "Use at least 8 characters."
	MsgPasswordLong     = "Use at most 72 bytes (72 plain letters or digits; accented letters and emoji count for more)."
	MsgPasswordCommon   = "This is one of the most common passwords, the first ones attackers try. Choose another."
	MsgNameRequired     = "Enter your name."
	MsgNameTooLong      = "Use at most 200 characters."
	MsgNameInvalid      = "Use letters, digits, spaces and punctuation only, on one line."
	MsgCurrentPassword  = "This is not your current password."
	MsgEmailNotVerified = "Please confirm your email address first: follow the link in the message we sent you."

	MsgVerifySent    = "We sent a link to confirm your email address. It works once, for a limited time."
	MsgVerifyResent  = "If that account still needs confirming, we have sent a new link to its email address."
	MsgVerifyDone    = "Your email address is confirmed. Thank you."
	MsgVerifyInvalid = "This confirmation link does not work: it was already used, has expired, or was copied incompletely."
	MsgForgotSent    = "If an account exists for that email address, we have sent it a link to choose a new password. The link works once, for a limited time."
	MsgResetInvalid  = "This password reset link does not work: it was already used, has expired, or was copied incompletely. You can ask for a new one."
	MsgResetDone     = "Your password has been changed and you have been signed out everywhere. Sign in with your new password."
	MsgSignedOut     = "You have been signed out."
	MsgNotSignedIn   = "You are not signed in."

	MsgProfileSaved    = "Your profile has been saved."
	MsgProfileText     = "Use at most 200 characters, on one line."
	MsgProfileUsername = "Use at most 64 characters, without spaces."
	MsgProfileLocale   = "Use a language tag such as en or en-GB."
	MsgProfilePicture  = "Use an https:// address of an image."
	MsgPasswordChanged = "Your password has been changed. Your other sessions have been signed out, and apps must ask you to sign in again."
	MsgAppRevoked      = "The application's access has been removed and its tokens revoked."
	MsgSessionRevoked  = "That session has been signed out."
	MsgIdentityRemoved = "The linked sign-in has been removed."
	MsgIdentityLast    = "This is your only way to sign in, so it cannot be removed. Set a password first."
)

// internalErrorText is the body of the plain 500 sent when a page itself
// fails to render.
const internalErrorText = "500 Internal Server Error: something went wrong on our side. Please try again in a moment.\n"
