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

	MsgUpstreamDenied:            true,
	MsgUpstreamUnavailable:       true,
	MsgUpstreamFailed:            true,
	MsgUpstreamExpired:           true,
	MsgUpstreamEmailUnverified:   true,
	MsgUpstreamAccountUnverified: true,
	MsgUpstreamAccountDisabled:   true,
	MsgUpstreamNoAccount:         true,
	MsgTooManyAttempts:           true, // rate limits (ratelimit.go)
}

// internalErrorText is the body of the plain 500 sent when a page itself
// fails to render.
const internalErrorText = "500 Internal Server Error: something went wrong on our side. Please try again in a moment.\n"
