package providers

import (
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// The ways an upstream login fails. Every error from Provider.LoginURL and
// Provider.Callback wraps one of them; Reason names it for the audit log.
var (
	// ErrAccessDenied: the person cancelled at the upstream, or the
	// upstream refused them (error=access_denied on the callback).
	ErrAccessDenied = errors.New("providers: access denied at the upstream")
	// ErrUpstream: the upstream answered the callback with another error,
	// or without a code, or its API answered with an error.
	ErrUpstream = errors.New("providers: the upstream answered with an error")
	// ErrUnavailable: the upstream could not be reached in time.
	ErrUnavailable = errors.New("providers: the upstream is unavailable")
	// ErrExchange: the upstream refused to exchange the code.
	ErrExchange = errors.New("providers: the code exchange was refused")
	// ErrInvalidIdentity: what the upstream sent does not prove an
	// identity (bad ID token signature, issuer, audience, expiry or nonce;
	// a missing subject; another hosted domain).
	ErrInvalidIdentity = errors.New("providers: the upstream identity did not verify")
)

// Reason is the audit reason for err: access_denied, upstream_error,
// unavailable, exchange_failed, invalid_identity, or error.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrAccessDenied):
		return "access_denied"
	case errors.Is(err, ErrUpstream):
		return "upstream_error"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrExchange):
		return "exchange_failed"
	case errors.Is(err, ErrInvalidIdentity):
		return "invalid_identity"
	}
	return "error"
}

// CallbackCode returns the authorization code of the upstream's redirect
// back to Gatehouse, or the error it carries instead.
func CallbackCode(r *http.Request) (string, error) {
	q := r.URL.Query()
	switch e := q.Get("error"); {
	case e == "access_denied":
		return "", fmt.Errorf("%w: %s", ErrAccessDenied, clip(q.Get("error_description")))
	case e != "":
		return "", fmt.Errorf("%w: %s: %s", ErrUpstream, clip(e), clip(q.Get("error_description")))
	}
	code := q.Get("code")
	if code == "" {
		return "", fmt.Errorf("%w: no code in the callback", ErrUpstream)
	}
	return code, nil
}

// ExchangeError classifies an error of oauth2.Config.Exchange: an answer
// from the token endpoint (an error field, even with HTTP 200 as GitHub
// sends) is ErrExchange, anything else (network, timeout, a response that
// is not a token) ErrUnavailable. The error text never holds the code.
func ExchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Errorf("%w: HTTP %d %s: %s", ErrExchange, status, clip(re.ErrorCode), clip(re.ErrorDescription))
	}
	return fmt.Errorf("%w: token request: %v", ErrUnavailable, err)
}

// clip bounds text taken from the upstream before it reaches a log.
func clip(s string) string {
	const n = 200
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
