package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server/session"
)

// CSRF cookie (on http; "__Host-gatehouse_csrf" on https) and form field
// names.
const (
	CSRFCookieName = "gatehouse_csrf"
	CSRFField      = "csrf_token"
	// CSRFHeader carries the form token on the JSON requests of the
	// passkey script (static/passkey.js).
	CSRFHeader = "X-CSRF-Token"
)

// csrfCookieBytes is the entropy of the per-browser cookie value.
const csrfCookieBytes = 32

// csrf implements double-submit tokens bound to a random per-browser cookie:
// the form token is HMAC-SHA256(key, cookie value), base64url. A cross-site
// page can make the browser send the cookie but can neither read it nor
// compute the token without the key, which is derived from the system
// secret, so any node of a cluster verifies any other node's tokens.
//
// This is written out rather than taken from gorilla/csrf because it is
// thirty lines and has to fit the flow: tokens must survive the redirects
// between the authorization endpoint and the pages, and failures must end on
// our own fixed-text 403 page.
type csrf struct {
	key    []byte
	secure bool
}

func newCSRF(system []byte, secure bool) *csrf {
	return &csrf{key: secret.Derive(system, "csrf"), secure: secure}
}

// token returns the form token for this browser, first giving the browser a
// cookie when it has none (or a malformed one). An existing cookie is kept,
// so several open tabs stay valid.
func (c *csrf) token(w http.ResponseWriter, r *http.Request) string {
	value, ok := c.cookie(r)
	if !ok {
		value = secret.Token(csrfCookieBytes)
		http.SetCookie(w, &http.Cookie{
			Name:     c.cookieName(),
			Value:    value,
			Path:     "/",
			HttpOnly: true,
			Secure:   c.secure,
			SameSite: http.SameSiteLaxMode,
		})
	}
	return c.sign(value)
}

// valid reports whether the parsed form's csrf_token matches the cookie.
// The comparison is constant-time.
func (c *csrf) valid(r *http.Request) bool {
	return c.validToken(r, r.PostForm.Get(CSRFField))
}

// validToken reports whether given, a form token sent another way (the
// CSRFHeader of a script's request), matches the cookie.
func (c *csrf) validToken(r *http.Request, given string) bool {
	value, ok := c.cookie(r)
	if !ok || given == "" {
		return false
	}
	return hmac.Equal([]byte(c.sign(value)), []byte(given))
}

// cookie returns the browser's CSRF cookie value when it is well-formed.
func (c *csrf) cookie(r *http.Request) (string, bool) {
	ck, err := r.Cookie(c.cookieName())
	if err != nil {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) != csrfCookieBytes {
		return "", false
	}
	return ck.Value, true
}

// cookieName is the CSRF cookie's name: with the __Host- prefix on https.
func (c *csrf) cookieName() string { return session.CookieNameFor(CSRFCookieName, c.secure) }

func (c *csrf) sign(value string) string {
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
