package signin

import "net/http"

// Decision is a person's answer on the consent page.
type Decision string

// Consent decisions.
const (
	DecisionNone  Decision = ""
	DecisionAllow Decision = "allow"
	DecisionDeny  Decision = "deny"
)

// Step tells the authorization endpoint what the person just did on a page,
// so that prompt=login and prompt=consent are satisfied by this very step
// rather than by anything the browser could replay.
type Step struct {
	// Authenticated: the person entered credentials in this request.
	Authenticated bool
	// Consent: the answer given on the consent page in this request.
	Consent Decision
	// AccountChosen: the person confirmed, on the select-account page in
	// this request, the account they are signed in with (prompt=select_account).
	AccountChosen bool
}

// Flow is what the pages show of a pending authorization request, as the
// authorization endpoint validated it.
type Flow struct {
	ClientID  string
	Scopes    []string // requested, each allowed for the client
	LoginHint string
	// ACR is the authentication context class the request asks for: the
	// lowest known value of acr_values, or "mfa" for a client registered
	// with require_mfa; "" for none.
	ACR string
	// ClientName is the client's display name (its id when it has none).
	ClientName string
	// Unverified marks a client nobody vetted: registered by itself
	// (dynamic registration) or known by its metadata document. Its
	// consent page always asks, and says so.
	Unverified bool
	// RedirectHost is the host of the redirect URI the answer goes to.
	RedirectHost string
}

// Resumer continues a pending authorization request. flow is the original
// authorization request's query string, carried by the login and consent
// pages in a hidden field. The authorization endpoint implements it.
type Resumer interface {
	// Check validates flow as the authorization endpoint would (client,
	// redirect URI, scopes, PKCE) without acting on it, so a page never
	// shows or asks for anything on the strength of a forged flow.
	Check(r *http.Request, flow string) (Flow, error)
	// Resume continues the request after the person's step.
	Resume(w http.ResponseWriter, r *http.Request, flow string, step Step)
}
